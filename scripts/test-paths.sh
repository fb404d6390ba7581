#!/usr/bin/env bash
# npm run test:paths: the paths a newcomer can be on, beyond what `npm test` runs (CI runs both).
#   1. every notebook in shipped mode on the wasm-only path (GENLAB_NATIVE_BLAS=0: what a user gets
#      without OpenBLAS), through the real kernel, into out/paths/shipped-wasm/
#   2. notebooks 01 and 03 again, into out/paths/shipped-wasm-again/, and the two runs' results
#      compared: the same numbers apart from timestamps and timings (scripts/check-determinism.ts)
#   3. notebook 00 in shipped mode on tfjs's plain cpu backend (GENLAB_BACKEND=cpu), into
#      out/paths/shipped-cpu/: the one notebook cheap there (12 s; 01 takes 8 min on cpu)
#   4. git status before and after: the runs changed no tracked file
set -euo pipefail
cd "$(dirname "$0")/.."
A=out/paths/shipped-wasm
B=out/paths/shipped-wasm-again
C=out/paths/shipped-cpu
rm -rf "$A" "$B" "$C"
before=$(git status --porcelain --untracked-files=all)
echo "[paths] 1/4 every notebook, shipped mode, wasm only (GENLAB_NATIVE_BLAS=0)"
GENLAB_TRAIN= GENLAB_NATIVE_BLAS=0 GENLAB_OUT="$A" node --import tsx scripts/reproduce.ts
echo "[paths] 2/4 notebooks 01 and 03 once more: same seeds, same numbers"
GENLAB_TRAIN= GENLAB_NATIVE_BLAS=0 GENLAB_OUT="$B" node --import tsx scripts/reproduce.ts 01 03
node --import tsx scripts/check-determinism.ts "$A" "$B" 01_generative_vs_discriminative 03_gan
echo "[paths] 3/4 notebook 00, shipped mode, tfjs's cpu backend"
GENLAB_TRAIN= GENLAB_BACKEND=cpu GENLAB_NATIVE_BLAS=0 GENLAB_OUT="$C" node --import tsx scripts/reproduce.ts 00
node -e 'const r = require(process.argv[1]); if (r.backend !== "cpu") { console.error(`[paths] error: 00 ran on ${r.backend}, not cpu`); process.exit(1); }' "$PWD/$C/results/00_tour.json"
echo "[paths] 4/4 no tracked file changed"
after=$(git status --porcelain --untracked-files=all)
if [ "$before" != "$after" ]; then
  echo "[paths] error: the runs changed the repository:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "[paths] ok"

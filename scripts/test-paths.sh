#!/usr/bin/env bash
# npm run test:paths: the paths a newcomer can be on, beyond what `npm test` runs (CI runs both).
#   1. every notebook in shipped mode on the wasm-only path (GENLAB_NATIVE_BLAS=0: what a user gets
#      without OpenBLAS), through the real kernel, into out/paths/shipped-wasm/
#   2. notebooks 01 and 03 again, into out/paths/shipped-wasm-again/, and the two runs' results
#      compared: the same numbers apart from timestamps and timings (scripts/check-determinism.ts)
#   3. git status before and after: the runs changed no tracked file
set -euo pipefail
cd "$(dirname "$0")/.."
A=out/paths/shipped-wasm
B=out/paths/shipped-wasm-again
rm -rf "$A" "$B"
before=$(git status --porcelain --untracked-files=all)
echo "[paths] 1/3 every notebook, shipped mode, wasm only (GENLAB_NATIVE_BLAS=0)"
GENLAB_TRAIN= GENLAB_NATIVE_BLAS=0 GENLAB_OUT="$A" node --import tsx scripts/reproduce.ts
echo "[paths] 2/3 notebooks 01 and 03 once more: same seeds, same numbers"
GENLAB_TRAIN= GENLAB_NATIVE_BLAS=0 GENLAB_OUT="$B" node --import tsx scripts/reproduce.ts 01 03
node --import tsx scripts/check-determinism.ts "$A" "$B" 01_generative_vs_discriminative 03_gan
echo "[paths] 3/3 no tracked file changed"
after=$(git status --porcelain --untracked-files=all)
if [ "$before" != "$after" ]; then
  echo "[paths] error: the runs changed the repository:" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
echo "[paths] ok"

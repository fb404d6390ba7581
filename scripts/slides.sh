#!/usr/bin/env bash
# npm run slides [-- NAME ...]: the notebooks as reveal.js slides that work offline, in
# out/slides/<notebook>.slides.html (GENLAB_OUT moves out/). NAME: file name, stem or unique prefix;
# none means every notebook. Uses the executed notebooks of `npm run reproduce` (with figures) when
# there are any. See scripts/slides.py for how it stays offline.
# Debian 12 packages no reveal.js: it comes from npm (devDependency). The slides template also loads
# require.js and jQuery (Debian's libjs-requirejs, libjs-jquery) and MathJax (libjs-mathjax):
# installed here with apt when missing (with sudo when not root), as scripts/setup.sh does.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
[ -f .jupyter/python ] || { echo "[slides] error: run \`npm run setup\` first" >&2; exit 1; }
PY=$(cat .jupyter/python)
OUT=${GENLAB_OUT:-out}
case "$OUT" in /*) ;; *) OUT="$ROOT/$OUT" ;; esac

NEED=()
[ -f /usr/share/javascript/requirejs/require.min.js ] || NEED+=(libjs-requirejs)
[ -f /usr/share/javascript/jquery/jquery.min.js ] || NEED+=(libjs-jquery)
[ -f /usr/share/javascript/mathjax/MathJax.js ] || NEED+=(libjs-mathjax)
if [ "${#NEED[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null 2>&1 || { echo "[slides] error: needs ${NEED[*]} (Debian/Ubuntu packages) and there is no apt-get" >&2; exit 1; }
  echo "[slides] apt-get install ${NEED[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${NEED[@]}" >/dev/null \
    || { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${NEED[@]}" >/dev/null; }
fi
exec "$PY" scripts/slides.py "$ROOT" "$OUT" "$@"

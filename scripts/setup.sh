#!/usr/bin/env bash
# genlab set-up: everything the notebooks and tests need, idempotent and quick when done before.
#   1. Node >= 20
#   2. a Python that has Jupyter's nbclient, nbconvert and IPython (GENLAB_PYTHON, an active conda
#      env, or Debian's /usr/bin/python3; on Debian/Ubuntu they are installed with apt when missing)
#   3. Fashion-MNIST from Debian's dataset-fashion-mnist (when apt is there and data/ has no copy)
#   4. npm dependencies (npm ci when node_modules is missing or older than package-lock.json), with
#      the optional native BLAS accelerator (native/) when OpenBLAS's headers (libopenblas-dev) are there
#   5. the tslab kernel, registered in the project-local prefix .jupyter/ with an absolute path
# Nothing outside the project is touched except the apt packages.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
log() { echo "[setup] $*"; }
die() { echo "[setup] error: $*" >&2; exit 1; }

node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' \
  || die "genlab needs Node.js 20 or newer; this is $(node --version)"

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  log "apt-get install $*"
  if ! $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
    [ "$APT_UPDATED" = 1 ] && return 1
    $SUDO apt-get update -qq >/dev/null && APT_UPDATED=1
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

pick_python() {
  local py
  for py in "${GENLAB_PYTHON:-}" "${CONDA_PREFIX:+$CONDA_PREFIX/bin/python}" /usr/bin/python3 python3; do
    [ -n "$py" ] || continue
    command -v "$py" >/dev/null 2>&1 || continue
    if "$py" -c 'import nbclient, nbconvert, nbformat, IPython, jupyter_client' >/dev/null 2>&1; then
      command -v "$py"
      return 0
    fi
  done
  return 1
}

if ! PY=$(pick_python); then
  apt_install jupyter-nbconvert python3-nbclient python3-ipython jupyter-client libjs-mathjax \
    || die "no Python with Jupyter's nbclient/nbconvert/IPython, and apt could not install them. Use conda (conda env create -f environment.yml; conda activate genlab) or set GENLAB_PYTHON to a python that has them."
  PY=$(pick_python) || die "apt installed Jupyter but no python imports nbclient; set GENLAB_PYTHON"
fi

if [ ! -d data/fashion-mnist ] && [ ! -d /usr/share/datasets/fashion-mnist ]; then
  apt_install dataset-fashion-mnist \
    || log "warning: Fashion-MNIST not found (apt package dataset-fashion-mnist, or its IDX files in data/fashion-mnist/); the notebooks that use it will say so"
fi

# Optional accelerator (native/, npm package genlab-blas): OpenBLAS's headers let npm build it.
# Without them npm leaves it out and the wasm backend runs on its own. GENLAB_NATIVE_BLAS=0 skips it.
if [ "${GENLAB_NATIVE_BLAS:-1}" != 0 ] && command -v dpkg >/dev/null 2>&1 && ! dpkg -s libopenblas-dev >/dev/null 2>&1; then
  apt_install libopenblas-dev || log "warning: libopenblas-dev not installed; the optional native BLAS accelerator will be left out"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# The accelerator is missing although it could be built now: npm ci ran before OpenBLAS's headers
# were there (npm then leaves the optional addon out), or its build failed. Build it in native/
# (lib/runtime/wasm-kernels.ts loads it from there too) and say plainly why when that is not possible.
ADDON=native/build/Release/genlab_blas.node
if [ "${GENLAB_NATIVE_BLAS:-1}" != 0 ] && [ ! -f "$ADDON" ]; then
  if ! { [ -f /usr/include/cblas.h ] || compgen -G "/usr/include/*/cblas.h" >/dev/null; }; then
    log "accelerator: not built (no OpenBLAS headers: install libopenblas-dev); running on wasm alone, which is slower but gives the same results"
  elif ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
    log "accelerator: not built (no C++ compiler: install g++ and make, e.g. apt-get install build-essential); running on wasm alone"
  else
    log "accelerator: OpenBLAS is there but the addon is not built; building it now (native/)"
    if (cd native && npm run install --silent >/tmp/genlab-blas-build.log 2>&1); then
      # the link npm makes for a file: dependency, so require("genlab-blas") finds it everywhere
      [ -e node_modules/genlab-blas ] || ln -s ../native node_modules/genlab-blas
      log "accelerator: built $ADDON"
    else
      log "warning: the accelerator did not build (log: /tmp/genlab-blas-build.log, last lines below); running on wasm alone"
      tail -n 5 /tmp/genlab-blas-build.log | sed 's/^/[setup]   /'
    fi
  fi
fi

KERNEL_JSON=.jupyter/share/jupyter/kernels/tslab/kernel.json
TSLAB_BIN="$ROOT/node_modules/.bin/tslab"
if ! grep -qF "\"$TSLAB_BIN\"" "$KERNEL_JSON" 2>/dev/null || [ "$(cat .jupyter/python 2>/dev/null)" != "$PY" ]; then
  log "registering the tslab kernel in $ROOT/.jupyter (python: $PY)"
  "$TSLAB_BIN" install --python="$PY" --prefix="$ROOT/.jupyter" --binary="$TSLAB_BIN" >/dev/null
  echo "$PY" > .jupyter/python
fi
[ -L notebooks/lib ] || die "notebooks/lib must be a symlink to ../lib (git clone keeps it; on Windows enable symlinks)"
log "ready (python: $PY, kernel: $KERNEL_JSON)"

#!/usr/bin/env bash
# npm run lab: JupyterLab when installed (conda: environment.yml), else the classic notebook
# (Debian's jupyter-notebook, installed with apt when neither is there), with the project's
# tslab kernel and the notebooks folder.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export JUPYTER_PATH="$ROOT/.jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export GENLAB_ROOT="$ROOT"
cd "$ROOT/notebooks"
EXTRA=()
if [ "$(id -u)" = 0 ]; then EXTRA+=(--allow-root); fi  # containers often run as root
if command -v jupyter-lab >/dev/null 2>&1; then
  exec jupyter-lab --notebook-dir="$ROOT/notebooks" "${EXTRA[@]}" "$@"
fi
if ! command -v jupyter-notebook >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "[lab] JupyterLab is not installed (conda env create -f environment.yml gives it); installing Debian's classic notebook"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jupyter-notebook >/dev/null \
    || { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jupyter-notebook >/dev/null; }
fi
if command -v jupyter-notebook >/dev/null 2>&1; then
  exec jupyter-notebook --notebook-dir="$ROOT/notebooks" "${EXTRA[@]}" "$@"
fi
echo "[lab] error: neither JupyterLab nor the classic notebook is available: conda env create -f environment.yml && conda activate genlab" >&2
exit 1

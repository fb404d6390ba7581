#!/usr/bin/env bash
# npm run lab: JupyterLab when installed (conda: environment.yml), else the classic notebook
# (Debian's jupyter-notebook, installed with apt when neither is there), with the project's
# tslab kernel, on working copies of the notebooks in out/lab/: Jupyter saves outputs into the file
# it has open, and the tracked notebooks/ stay as they are (a run changes no tracked file). A copy
# is made once; later runs keep your edits. To keep a change, copy the notebook back to notebooks/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export JUPYTER_PATH="$ROOT/.jupyter/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
export GENLAB_ROOT="$ROOT"
LAB="$ROOT/out/lab"
mkdir -p "$LAB"
[ -L "$LAB/lib" ] || ln -s ../../lib "$LAB/lib"
for nb in "$ROOT"/notebooks/*.ipynb; do
  copy="$LAB/$(basename "$nb")"
  if [ ! -f "$copy" ]; then
    cp "$nb" "$copy"
  elif [ "$nb" -nt "$copy" ]; then
    echo "[lab] note: notebooks/$(basename "$nb") is newer than your copy out/lab/$(basename "$nb"); delete the copy to get the new version"
  fi
done
echo "[lab] working copies in out/lab/ (git-ignored); notebooks/ is not changed"
cd "$LAB"
EXTRA=()
if [ "$(id -u)" = 0 ]; then EXTRA+=(--allow-root); fi  # containers often run as root
if command -v jupyter-lab >/dev/null 2>&1; then
  exec jupyter-lab --notebook-dir="$LAB" "${EXTRA[@]}" "$@"
fi
if ! command -v jupyter-notebook >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  echo "[lab] JupyterLab is not installed (conda env create -f environment.yml gives it); installing Debian's classic notebook"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jupyter-notebook >/dev/null \
    || { $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jupyter-notebook >/dev/null; }
fi
if command -v jupyter-notebook >/dev/null 2>&1; then
  exec jupyter-notebook --notebook-dir="$LAB" "${EXTRA[@]}" "$@"
fi
echo "[lab] error: neither JupyterLab nor the classic notebook is available: conda env create -f environment.yml && conda activate genlab" >&2
exit 1

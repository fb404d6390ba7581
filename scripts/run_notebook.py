#!/usr/bin/env python3
"""Execute one notebook through a real Jupyter kernel (nbclient) and export it.

Usage: run_notebook.py NOTEBOOK.ipynb OUT_DIR [--kernel tslab] [--timeout SECONDS]

Writes OUT_DIR/<name>.ipynb (executed, also when a cell fails) and OUT_DIR/<name>.html.
tslab reports a failing cell with an empty `<Error>:` and puts the real message on the
cell's stderr, so on failure this prints the cell's source and every stream it wrote.
Exit status: 0 when every cell ran, 1 when a cell failed, 2 on bad usage.
"""
import argparse
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError


# MathJax for the HTML export. nbconvert's template loads it from mathjax_url, upstream a CDN
# (cdnjs), which fails offline: formulas then show as raw TeX. When Debian's libjs-mathjax is
# installed (apt-get install --no-install-recommends libjs-mathjax), the exporter is pointed at that
# local copy as a file:// URL; a browser opening out/<name>.html from disk loads it without network
# (it does not when the page is served over http, where file:// scripts are blocked). Without the
# package the exporter's own default is kept (the CDN), except that Debian's patched nbconvert
# defaults to the same local file: if that file is missing the CDN is used instead.
LOCAL_MATHJAX = "/usr/share/javascript/mathjax/MathJax.js"
MATHJAX_CONFIG = "?config=TeX-AMS_CHTML-full,Safe"
CDN_MATHJAX = "https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/MathJax.js" + MATHJAX_CONFIG


def mathjax_url(default, local=LOCAL_MATHJAX):
    """The MathJax URL for the HTML export, given the exporter's default (see the comment above)."""
    if os.path.isfile(local):
        return "file://" + local + MATHJAX_CONFIG
    if default.startswith("file://") and not os.path.isfile(default[len("file://"):].split("?")[0]):
        return CDN_MATHJAX
    return default


def html_exporter():
    from nbconvert import HTMLExporter

    exporter = HTMLExporter()
    exporter.mathjax_url = mathjax_url(exporter.mathjax_url)
    return exporter


def cell_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(f"[{out.get('name')}] {out.get('text', '')}")
        elif out.get("output_type") == "error":
            parts.append(f"[error] {out.get('ename')}: {out.get('evalue')}")
    return "".join(parts).rstrip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook")
    ap.add_argument("out_dir")
    ap.add_argument("--kernel", default="tslab")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per cell")
    args = ap.parse_args()

    nb_path = os.path.abspath(args.notebook)
    name = os.path.splitext(os.path.basename(nb_path))[0]
    os.makedirs(args.out_dir, exist_ok=True)
    nb = nbformat.read(nb_path, as_version=4)
    client = NotebookClient(
        nb,
        kernel_name=args.kernel,
        timeout=args.timeout,
        startup_timeout=120,
        resources={"metadata": {"path": os.path.dirname(nb_path)}},
    )
    t0 = time.time()
    failed = None
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError) as err:
        failed = err
    elapsed = time.time() - t0

    out_nb = os.path.join(args.out_dir, name + ".ipynb")
    tmp = out_nb + ".tmp"
    nbformat.write(nb, tmp)
    os.replace(tmp, out_nb)
    try:
        body, _ = html_exporter().from_notebook_node(nb)
        out_html = os.path.join(args.out_dir, name + ".html")
        with open(out_html + ".tmp", "w", encoding="utf-8") as f:
            f.write(body)
        os.replace(out_html + ".tmp", out_html)
    except Exception as exc:  # export problems must not hide the run's own result
        print(f"warning: HTML export of {name} failed: {exc}", file=sys.stderr)

    if failed is None:
        print(f"ok {name} ({elapsed:.1f} s)")
        return 0
    # Find the failing cell: the last code cell that has an execution count or an error.
    idx = None
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            idx = i
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            idx = i
            break
    print(f"FAILED {name} ({elapsed:.1f} s)", file=sys.stderr)
    if isinstance(failed, CellTimeoutError):
        print(f"  a cell timed out after {args.timeout} s", file=sys.stderr)
    if idx is not None:
        cell = nb.cells[idx]
        print(f"--- cell {idx} source ---\n{cell.source}\n--- cell {idx} output ---\n{cell_text(cell)}", file=sys.stderr)
    else:
        print(str(failed), file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())

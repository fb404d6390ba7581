#!/usr/bin/env python3
"""Round trip between a notebook and a plain-text "percent" file, for editing in a text editor.

  nbtext.py to-text notebooks/00_tour.ipynb  > 00_tour.txt
  nbtext.py to-ipynb 00_tour.txt notebooks/00_tour.ipynb

Text format: cells start with a line `// %%` (code) or `// %% [markdown]` (markdown, each line
prefixed by `// `). A cell's slide type and tags, when set, follow:
`// %% [markdown] slide=slide` or `// %% tags=report` (tags comma-separated, e.g. the "report" tag
that puts a cell's outputs in out/report.html).
The .ipynb files stay the source of truth; outputs are never stored in the repository.
"""
import sys

import nbformat


def to_text(path):
    nb = nbformat.read(path, as_version=4)
    parts = []
    for cell in nb.cells:
        slide = cell.metadata.get("slideshow", {}).get("slide_type")
        tags = cell.metadata.get("tags", [])
        tag = (" slide=" + slide if slide else "") + (" tags=" + ",".join(tags) if tags else "")
        if cell.cell_type == "markdown":
            body = "\n".join(("// " + l) if l else "//" for l in cell.source.split("\n"))
            parts.append(f"// %% [markdown]{tag}\n{body}")
        else:
            parts.append(f"// %%{tag}\n{cell.source}")
    return "\n\n".join(parts) + "\n"


def to_ipynb(text):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "tslab", "display_name": "TypeScript", "language": "typescript"}
    nb.metadata["language_info"] = {"name": "typescript", "file_extension": ".ts", "mimetype": "text/typescript"}
    cells = []
    cur = None
    for line in text.split("\n"):
        if line.startswith("// %%"):
            if cur:
                cells.append(cur)
            words = line[5:].split()
            opts = dict(w.split("=", 1) for w in words if "=" in w)
            unknown = set(opts) - {"slide", "tags"}
            if unknown:
                sys.exit(f"nbtext: unknown cell option(s) {sorted(unknown)} in line {line!r}")
            head = " ".join(w for w in words if "=" not in w)
            tags = [t for t in opts.get("tags", "").split(",") if t]
            cur = {"type": "markdown" if head.startswith("[markdown]") else "code", "lines": [], "slide": opts.get("slide"), "tags": tags}
            continue
        if cur is None:
            continue
        if cur["type"] == "markdown":
            line = line[3:] if line.startswith("// ") else ("" if line == "//" else line)
        cur["lines"].append(line)
    if cur:
        cells.append(cur)
    nb.cells = []
    for c in cells:
        src = "\n".join(c["lines"]).strip("\n")
        cell = nbformat.v4.new_markdown_cell(src) if c["type"] == "markdown" else nbformat.v4.new_code_cell(src)
        cell.pop("id", None)
        if c["slide"]:
            cell.metadata["slideshow"] = {"slide_type": c["slide"]}
        if c["tags"]:
            cell.metadata["tags"] = c["tags"]
        nb.cells.append(cell)
    nb.nbformat_minor = 4
    return nb

if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "to-text":
        sys.stdout.write(to_text(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "to-ipynb":
        nbformat.write(to_ipynb(open(sys.argv[2], encoding="utf-8").read()), sys.argv[3])
    else:
        sys.exit(__doc__)

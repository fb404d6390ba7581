#!/usr/bin/env python3
"""The notebooks as reveal.js slides, offline: out/slides/<name>.slides.html (run by scripts/slides.sh).

Usage: slides.py ROOT OUT_DIR [NAME ...]   (NAME: a notebook's file name, stem or unique prefix)

Each notebook's executed copy OUT_DIR/<name>.ipynb is used when there is one (figures included,
Plotly embedded as in the notebook), else notebooks/<name>.ipynb without outputs (said so). The
cells' slideshow metadata (slide_type "slide" on section headings) makes the slides.

Offline: Debian 12 has no reveal.js package (no libjs-reveal*), so reveal.js 4.6.0 comes from npm
(devDependency, node_modules/reveal.js) and is copied with require.js and jQuery (Debian's
libjs-requirejs, libjs-jquery) into OUT_DIR/slides/, which the slides reference by relative URLs:
the folder works from disk and over http. MathJax is Debian's libjs-mathjax by a file:// URL, as for
the HTML export (scripts/run_notebook.py): formulas render when a slides file is opened from disk.
Every written file is checked to load no script or style sheet from http(s).
"""
import os
import re
import shutil
import sys

import nbformat
from nbconvert import SlidesExporter
from traitlets.config import Config

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run_notebook import mathjax_url  # noqa: E402  (the same MathJax choice as the HTML export)

VENDOR = {
    "require.min.js": "/usr/share/javascript/requirejs/require.min.js",
    "jquery.min.js": "/usr/share/javascript/jquery/jquery.min.js",
}
REMOTE = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I)


def select(all_names, asked):
    """Notebook stems for the names asked (file name, stem or unique prefix); all when none."""
    if not asked:
        return all_names
    chosen = []
    for n in asked:
        stem = re.sub(r"^(\./)?notebooks/", "", n)
        stem = stem[:-6] if stem.endswith(".ipynb") else stem
        if stem in all_names:
            hit = stem
        else:
            hits = [a for a in all_names if stem and a.startswith(stem)]
            if len(hits) != 1:
                sys.exit(f"slides: {n!r} matches {'no notebook' if not hits else 'several: ' + ', '.join(hits)}; there are: {', '.join(all_names)}")
            hit = hits[0]
        if hit not in chosen:
            chosen.append(hit)
    return chosen


def copy_assets(root, dest):
    """reveal.js (dist and the notes plugin) and require.js/jQuery into dest, refreshed every run."""
    reveal = os.path.join(root, "node_modules", "reveal.js")
    if not os.path.isfile(os.path.join(reveal, "dist", "reveal.js")):
        sys.exit("slides: node_modules/reveal.js is missing: run `npm run setup` (npm ci installs it)")
    skip = shutil.ignore_patterns("*.map", "*.esm.js")
    for part in ("dist", os.path.join("plugin", "notes")):
        shutil.copytree(os.path.join(reveal, part), os.path.join(dest, "reveal.js", part), ignore=skip, dirs_exist_ok=True)
    os.makedirs(os.path.join(dest, "vendor"), exist_ok=True)
    for name, src in VENDOR.items():
        if not os.path.isfile(src):
            sys.exit(f"slides: {src} is missing (Debian packages libjs-requirejs and libjs-jquery; scripts/slides.sh installs them)")
        shutil.copyfile(src, os.path.join(dest, "vendor", name))


def exporter():
    c = Config()
    c.SlidesExporter.reveal_url_prefix = "reveal.js"
    c.SlidesExporter.require_js_url = "vendor/require.min.js"
    c.SlidesExporter.jquery_url = "vendor/jquery.min.js"
    c.SlidesExporter.reveal_scroll = True  # slides taller than the screen (figures, tables) scroll
    ex = SlidesExporter(config=c)
    ex.mathjax_url = mathjax_url(ex.mathjax_url)
    return ex


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    root, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    nb_dir = os.path.join(root, "notebooks")
    dest = os.path.join(out, "slides")
    names = sorted(f[:-6] for f in os.listdir(nb_dir) if f.endswith(".ipynb"))
    chosen = select(names, sys.argv[3:])
    copy_assets(root, dest)
    ex = exporter()
    bad = 0
    for stem in chosen:
        executed = os.path.join(out, stem + ".ipynb")
        src = executed if os.path.isfile(executed) else os.path.join(nb_dir, stem + ".ipynb")
        nb = nbformat.read(src, as_version=4)
        body, _ = ex.from_notebook_node(nb, resources={"metadata": {"name": stem, "path": nb_dir}})
        remote = sorted(set(m.group(0) for m in REMOTE.finditer(body)))
        target = os.path.join(dest, stem + ".slides.html")
        with open(target + ".tmp", "w", encoding="utf-8") as f:
            f.write(body)
        os.replace(target + ".tmp", target)
        n_slides = sum(1 for c in nb.cells if c.get("metadata", {}).get("slideshow", {}).get("slide_type") == "slide")
        how = "with outputs" if src == executed else "WITHOUT outputs (run `npm run reproduce` first for the figures)"
        print(f"slides: {os.path.relpath(target, root)} ({n_slides} slides, {how})")
        if remote:
            bad += 1
            print(f"slides: error: {stem} loads from the network: {remote}", file=sys.stderr)
    print(f"slides: open {os.path.relpath(dest, root)}/<notebook>.slides.html in a browser (arrows or space to move, s for speaker notes, Esc for the overview)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

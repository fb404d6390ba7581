import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import * as dfd from "danfojs-node";
import { projectRoot } from "../lib/runtime/env";
import {
  Figure,
  animation,
  escapeScriptText,
  figureHtml,
  figureSummary,
  heatmap2d,
  imageGrid,
  lineChart,
  livePlot,
  plotlyBundleHtml,
  plotlyBundlePath,
  plotlyInit,
  resetFigureIds,
  saveFigureHtml,
  scatter2d,
  show,
  showImageGrid,
  subplots,
  SERIES_COLOURS,
  toPlainJson,
} from "../lib/display/plot";

// ---- helpers ----

interface Parsed {
  id: string;
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
  frames: { name: string; data: Record<string, unknown>[] }[] | null;
}

/** Every figure in an HTML text: its div id and the JSON arguments of its newPlot/addFrames. */
function parseFigures(html: string): Parsed[] {
  const re =
    /<div id="(genlab-plot-[^"]+)"[\s\S]*?var frames =\n(.*);\n[\s\S]*?window\.Plotly\.newPlot\(target,\n(.*),\n(.*),\n\{"responsive":true,"displaylogo":false\}\);/g;
  return [...html.matchAll(re)].map((m) => ({
    id: m[1],
    frames: JSON.parse(m[2]),
    data: JSON.parse(m[3]),
    layout: JSON.parse(m[4]),
  }));
}

function captureLog(fn: () => void): string[] {
  const lines: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    fn();
  } finally {
    console.log = orig;
  }
  return lines;
}

/** Minimal independent PNG check: signature, chunk CRCs, IHDR, inflated filter-0 grayscale rows. */
function decodeGrayPng(buf: Buffer): { width: number; height: number; pixels: Uint8Array } {
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let pos = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  const types: string[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("ascii", pos + 4, pos + 8);
    types.push(type);
    assert.equal(
      buf.readUInt32BE(pos + 8 + len),
      zlib.crc32(buf.subarray(pos + 4, pos + 8 + len)),
      `CRC of ${type}`,
    );
    if (type === "IHDR") {
      width = buf.readUInt32BE(pos + 8);
      height = buf.readUInt32BE(pos + 12);
      assert.deepEqual(
        [...buf.subarray(pos + 16, pos + 21)],
        [8, 0, 0, 0, 0],
        "8-bit grayscale, no interlace",
      );
    }
    if (type === "IDAT") idat.push(buf.subarray(pos + 8, pos + 8 + len));
    pos += 12 + len;
  }
  assert.deepEqual(types, ["IHDR", "IDAT", "IEND"]);
  const raw = zlib.inflateSync(Buffer.concat(idat));
  assert.equal(raw.length, (width + 1) * height);
  const pixels = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    assert.equal(raw[y * (width + 1)], 0, "filter type 0");
    pixels.set(raw.subarray(y * (width + 1) + 1, (y + 1) * (width + 1)), y * width);
  }
  return { width, height, pixels };
}

function pngFromHtml(html: string): Buffer[] {
  // Only the grids' images: plotly.js and nbconvert's template carry small PNG data URLs of their
  // own.
  return [
    ...html.matchAll(
      /<figure class="genlab-image-grid"[^>]*><div[^>]*><img src="data:image\/png;base64,([A-Za-z0-9+/=]+)"/g,
    ),
  ].map((m) => Buffer.from(m[1], "base64"));
}

/** The canvas tileImages should make for n images of h x w, computed independently. */
function expectedGrid(
  images: Float32Array,
  n: number,
  h: number,
  w: number,
  cols: number,
  pad: number,
): Uint8Array {
  const rows = Math.ceil(n / cols);
  const W = cols * w + (cols + 1) * pad;
  const H = rows * h + (rows + 1) * pad;
  const out = new Uint8Array(W * H).fill(128);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const X = pad + (i % cols) * (w + pad) + x;
        const Y = pad + Math.floor(i / cols) * (h + pad) + y;
        out[Y * W + X] = Math.round(images[i * h * w + y * w + x] * 255);
      }
    }
  }
  return out;
}

// ---- pure tests ----

test("toPlainJson converts typed arrays, rounds to 5 significant digits, maps NaN/Infinity to null", () => {
  const v = toPlainJson({
    a: new Float32Array([0.1, NaN]),
    b: [1 / 3, Infinity, 123456789, -2.5e-7],
    c: undefined,
    d: { e: new Int32Array([7]) },
  });
  assert.deepEqual(v, { a: [0.1, null], b: [0.33333, null, 123456789, -2.5e-7], d: { e: [7] } });
  assert.equal(JSON.stringify(toPlainJson([undefined, () => 1])), "[null,null]");
});

test("escapeScriptText neutralises </script and <!-- in any case", () => {
  const s = escapeScriptText('var a = "</script><!--"; var b = "</SCRIPT>";');
  assert.ok(!/<\/script/i.test(s));
  assert.ok(!s.includes("<!--"));
  assert.equal(s, 'var a = "<\\/script><\\x21--"; var b = "<\\/SCRIPT>";');
});

test("figureHtml: one div and newPlot call whose arguments parse as JSON; ids are deterministic", () => {
  const fig = lineChart([{ name: "loss", y: new Float32Array([3, 2.5, 2.25]) }], {
    title: "Loss </script>",
  });
  resetFigureIds();
  const a = figureHtml(fig) + figureHtml(fig);
  resetFigureIds();
  const b = figureHtml(fig) + figureHtml(fig);
  assert.equal(a, b, "same calls, same HTML");
  const figs = parseFigures(a);
  assert.equal(figs.length, 2);
  assert.notEqual(figs[0].id, figs[1].id, "ids are unique within a session");
  assert.match(figs[0].id, /^genlab-plot-1-[0-9a-f]{8}$/);
  assert.deepEqual(figs[0].data, [
    { type: "scatter", mode: "lines", name: "loss", y: [3, 2.5, 2.25] },
  ]);
  assert.deepEqual(figs[0].layout.title, { text: "Loss </script>" });
  assert.equal(figs[0].frames, null);
  // The title must not close the script early: exactly one </script> per figure.
  assert.equal(a.match(/<\/script>/g)!.length, 2);
  const other = figureHtml(lineChart([{ name: "loss", y: [1] }]));
  assert.notEqual(
    parseFigures(other)[0].id.split("-").pop(),
    figs[0].id.split("-").pop(),
    "hash depends on content",
  );
  assert.ok(
    a.includes("setTimeout(draw, 100)") && a.includes("10000"),
    "waits up to 10 s for Plotly",
  );
});

test("the plotly bundle is embedded escaped and complete", () => {
  const html = plotlyBundleHtml();
  const src = fs.readFileSync(plotlyBundlePath(), "utf8");
  assert.ok(html.length >= src.length);
  assert.ok(src.length > 1_000_000, "the full bundle, not a stub");
  assert.equal(html.match(/<\/script/gi)!.length, 3, "only the three closing tags");
  assert.ok(html.includes(src.slice(0, 2000)));
  assert.ok(html.includes(src.slice(-2000)));
  assert.ok(src.includes("window.Plotly = Plotly"), "the bundle sets window.Plotly");
  assert.equal(plotlyInit(), false, "outside a notebook plotlyInit does nothing");
});

test("show prints a one-line summary in a terminal", () => {
  const fig = lineChart({ step: [0, 1], loss: [2, 1], kl: [0, 0.5] }, { title: "Training" });
  assert.deepEqual(
    captureLog(() => show(fig)),
    ["[plot: Training, 2 traces]"],
  );
  assert.equal(figureSummary({ data: [{}] }), "[plot: 1 trace]");
  const lines = captureLog(() =>
    showImageGrid(new Float32Array(8), { h: 2, w: 2, title: "digits" }),
  );
  assert.deepEqual(lines, ["[images: digits, 2 of 2x2]"]);
});

test("lineChart accepts series, a history record and a danfo DataFrame", () => {
  const fromSeries = lineChart(
    [
      { name: "a", x: [0, 10, 20], y: [1, NaN, 3] },
      { name: "b", y: [4, 5, 6] },
    ],
    {
      logX: true,
      logY: true,
      xTitle: "step",
      yTitle: "loss",
      layout: { yaxis: { range: [0, 1] } },
    },
  );
  assert.equal(fromSeries.data.length, 2);
  const t0 = fromSeries.data[0] as Record<string, unknown>;
  assert.deepEqual(t0.x, [0, 10, 20]);
  assert.deepEqual(t0.y, [1, null, 3]);
  const layout = fromSeries.layout as Record<string, Record<string, unknown>>;
  assert.equal(layout.xaxis.type, "log");
  assert.equal(layout.yaxis.type, "log");
  assert.deepEqual(layout.yaxis.title, { text: "loss" });
  assert.deepEqual(layout.yaxis.range, [0, 1], "extra layout is merged deeply");

  const history = {
    step: [0, 100, 200],
    loss: new Float32Array([2, 1.5, 1.25]),
    kl: [0.5, 0.75, 1],
    tag: ["a", "b", "c"] as unknown as number[],
  };
  const fromHistory = lineChart(history);
  assert.deepEqual(
    fromHistory.data.map((t) => [(t as { name: string }).name, (t as { x: number[] }).x]),
    [
      ["loss", [0, 100, 200]],
      ["kl", [0, 100, 200]],
    ],
  );

  const df = new dfd.DataFrame({ epoch: [1, 2, 3, 4], recon: [9, 8, 7, 6], kl: [1, 2, 3, 4] });
  const fromDf = lineChart(df, { columns: ["recon"] });
  assert.equal(fromDf.data.length, 1);
  assert.deepEqual((fromDf.data[0] as { x: number[]; y: number[] }).x, [1, 2, 3, 4]);
  assert.deepEqual((fromDf.data[0] as { x: number[]; y: number[] }).y, [9, 8, 7, 6]);

  assert.throws(() => lineChart([{ name: "bad", x: [1, 2], y: [1] }]), /2 x values but 1 y values/);
  assert.throws(() => lineChart(history, { x: "nope" }), /no column "nope"/);
});

test("scatter2d makes one trace per label, sorted, named by labelNames", () => {
  const pts = new Float32Array([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  const fig = scatter2d(pts, {
    labels: [2, 0, 2, 1, 0],
    labelNames: ["zero", "one", "two"],
    markerSize: 6,
    title: "latent",
  });
  const traces = fig.data as { name: string; x: number[]; y: number[]; marker: { size: number } }[];
  assert.deepEqual(
    traces.map((t) => [t.name, t.x]),
    [
      ["zero", [1, 4]],
      ["one", [3]],
      ["two", [0, 2]],
    ],
  );
  assert.equal(traces[0].marker.size, 6);
  const rows = scatter2d([
    [1, 2],
    [3, 4],
  ]);
  assert.deepEqual(rows.data, [
    {
      type: "scatter",
      mode: "markers",
      name: "points",
      x: [1, 3],
      y: [2, 4],
      marker: { size: 4, opacity: 0.7 },
    },
  ]);
  assert.throws(() => scatter2d(pts, { labels: [1, 2] }), /5 points but 2 labels/);
  assert.throws(() => scatter2d(new Float32Array(3)), /even length/);
});

test("heatmap2d takes nested or flat z and draws samples on top", () => {
  const x = [0, 1, 2];
  const y = [10, 20];
  const flat = heatmap2d({
    x,
    y,
    z: new Float32Array([1, 2, 3, 4, 5, 6]),
    contours: true,
    colorscale: "Greys",
    samples: [[0.5, 15]],
    title: "D(x)",
  });
  const nested = heatmap2d({
    x,
    y,
    z: [
      [1, 2, 3],
      [4, 5, 6],
    ],
  });
  const t = flat.data[0] as Record<string, unknown>;
  assert.equal(t.type, "contour");
  assert.equal(t.colorscale, "Greys");
  assert.deepEqual(t.z, [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual((nested.data[0] as Record<string, unknown>).z, t.z);
  assert.equal((nested.data[0] as Record<string, unknown>).type, "heatmap");
  assert.equal(flat.data.length, 2);
  assert.deepEqual((flat.data[1] as Record<string, unknown>).x, [0.5]);
  assert.throws(() => heatmap2d({ x, y, z: [1, 2, 3] }), /expected y.length \* x.length = 6/);
  assert.throws(
    () =>
      heatmap2d({
        x,
        y,
        z: [
          [1, 2],
          [3, 4],
        ],
      }),
    /row 0 has 2 values but x has 3/,
  );
});

test("animation builds frames, a slider step per frame, play/pause, and axis ranges covering all frames", () => {
  const frames = [0, 1, 2].map((k) => ({
    name: String(k * 100),
    data: [{ type: "scatter", mode: "markers", x: [k, k + 1], y: [0, 10 * k] }],
  }));
  const fig = animation(frames, { title: "latent over training", frameDuration: 200 });
  assert.equal(fig.frames!.length, 3);
  assert.deepEqual(fig.data, frames[0].data);
  const layout = fig.layout as Record<string, any>;
  const steps = layout.sliders[0].steps as { label: string; args: [string[], unknown] }[];
  assert.deepEqual(
    steps.map((s) => s.args[0][0]),
    ["0", "100", "200"],
  );
  assert.deepEqual(
    layout.updatemenus[0].buttons.map((b: { label: string }) => b.label),
    ["\u25b6 Play", "\u275a\u275a Pause"],
  );
  assert.equal(layout.updatemenus[0].buttons[0].args[1].frame.duration, 200);
  const [x0, x1] = layout.xaxis.range as number[];
  const [y0, y1] = layout.yaxis.range as number[];
  assert.ok(x0 < 0 && x1 > 3 && y0 < 0 && y1 > 20, `ranges ${x0}..${x1}, ${y0}..${y1}`);
  assert.throws(() => animation([]), /no frames/);
  assert.throws(() => animation([frames[0], frames[0]]), /duplicate frame name/);
  const html = figureHtml(fig);
  const parsed = parseFigures(html)[0];
  assert.equal(parsed.frames!.length, 3);
  assert.ok(html.includes("window.Plotly.addFrames(gd, frames)"));
});

test("imageGrid returns an <img> with a decodable PNG, pixelated scaling, labels and caption", () => {
  const n = 5;
  const imgs = new Float32Array(n * 3 * 4).map((_, i) => (i % 7) / 6);
  const html = imageGrid(imgs, {
    h: 3,
    w: 4,
    cols: 3,
    title: "samples <1>",
    labels: [0, 1, 2, 3, 4],
    labelNames: ["T-shirt", "Trouser"],
    scale: 5,
  });
  const pngs = pngFromHtml(html);
  assert.equal(pngs.length, 1);
  const d = decodeGrayPng(pngs[0]);
  assert.equal(d.width, 3 * 4 + 4);
  assert.equal(d.height, 2 * 3 + 3);
  assert.deepEqual(d.pixels, expectedGrid(imgs, n, 3, 4, 3, 1));
  assert.ok(html.includes("image-rendering:pixelated"));
  assert.ok(html.includes(`width="${16 * 5}"`));
  assert.ok(html.includes("samples &lt;1&gt;"));
  assert.ok(
    html.includes(">T-shirt</span>") &&
      html.includes(">Trouser</span>") &&
      html.includes(">4</span>"),
  );
  assert.ok(html.includes("<figcaption"));
  assert.throws(() => imageGrid(new Float32Array(5), { h: 3, w: 4 }), /no images/);
});

test("livePlot prints a summary per update in a terminal", () => {
  const lp = livePlot();
  const lines = captureLog(() => {
    lp.update(lineChart([{ name: "loss", y: [1] }], { title: "live" }));
    lp.update(
      lineChart(
        [
          { name: "loss", y: [1, 0.5] },
          { name: "kl", y: [0, 1] },
        ],
        { title: "live" },
      ),
    );
  });
  assert.deepEqual(lines, ["[plot: live, 1 trace]", "[plot: live, 2 traces]"]);
});

test("saveFigureHtml writes a standalone page with the bundle once", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-plot-"));
  try {
    const file = path.join(dir, "sub", "fig.html");
    saveFigureHtml(scatter2d([[1, 2]], { title: "saved" }), file);
    const html = fs.readFileSync(file, "utf8");
    assert.ok(html.startsWith("<!DOCTYPE html>"));
    assert.equal(html.split("* plotly.js v").length - 1, 1);
    assert.equal(parseFigures(html).length, 1);
    assert.deepEqual(fs.readdirSync(path.dirname(file)), ["fig.html"], "no temp file left behind");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

// ---- end to end through the real tslab kernel ----

const PY = "/usr/bin/python3";
let e2e: { dir: string; html: string } | undefined;
after(() => {
  if (e2e) fs.rmSync(e2e.dir, { recursive: true, force: true });
});
const nbclientCheck = spawnSync(PY, ["-c", "import nbclient, nbformat"], { encoding: "utf8" });
const skipReason =
  nbclientCheck.status === 0
    ? false
    : `${PY} cannot import nbclient/nbformat (${(nbclientCheck.stderr || String(nbclientCheck.error)).trim().split("\n").pop()})`;
if (skipReason) console.log(`# skipping the notebook end-to-end test: ${skipReason}`);

test(
  "end to end: a tslab notebook shows a line chart, an animation, an image grid and a table",
  { skip: skipReason, timeout: 600_000 },
  () => {
    const root = projectRoot();
    fs.mkdirSync(path.join(root, "out"), { recursive: true });
    const dir = fs.mkdtempSync(path.join(root, "out", "plot-e2e-"));
    fs.symlinkSync(path.join(root, "lib"), path.join(dir, "lib"));
    const cells = [
      `import { lineChart, animation, show, showImageGrid } from "./lib/display/plot";\nimport { showTable } from "./lib/display/table";`,
      `const steps = Array.from({ length: 50 }, (_, i) => i * 10);\n` +
        `show(lineChart({ step: steps, loss: steps.map((s) => Math.exp(-s / 200)), kl: steps.map((s) => 1 - Math.exp(-s / 100)) }, { title: "e2e loss", logY: true }));`,
      `const frames = [0, 1, 2, 3].map((k) => ({ name: String(k * 100), data: [{ type: "scatter", mode: "markers", x: Array.from({ length: 30 }, (_, i) => i), y: Array.from({ length: 30 }, (_, i) => Math.sin(i / 5 + k)) }] }));\n` +
        `show(animation(frames, { title: "e2e animation" }));`,
      `const imgs = new Float32Array(6 * 4 * 5).map((_, i) => ((i * 37) % 256) / 255);\n` +
        `showImageGrid(imgs, { h: 4, w: 5, cols: 3, title: "e2e grid", labels: [0, 1, 2, 3, 4, 5] });`,
      `showTable([{ model: "vae", loss: 101.23456 }, { model: "gan", loss: 0.5 }], { title: "e2e table" });`,
    ];
    const nbPath = path.join(dir, "e2e.ipynb");
    const build = spawnSync(
      PY,
      [
        "-c",
        [
          "import json, sys, nbformat",
          "spec = json.loads(sys.stdin.read())",
          "nb = nbformat.v4.new_notebook()",
          "nb.metadata['kernelspec'] = {'name': 'tslab', 'display_name': 'TypeScript', 'language': 'typescript'}",
          "nb.metadata['language_info'] = {'name': 'typescript'}",
          "nb.cells = [nbformat.v4.new_code_cell(src) for src in spec['cells']]",
          "nbformat.write(nb, spec['path'])",
        ].join("\n"),
      ],
      { input: JSON.stringify({ cells, path: nbPath }), encoding: "utf8" },
    );
    assert.equal(build.status, 0, `building the notebook failed: ${build.stderr}`);
    const jupyterPath = [path.join(root, ".jupyter", "share", "jupyter"), process.env.JUPYTER_PATH]
      .filter(Boolean)
      .join(path.delimiter);
    const run = spawnSync(
      PY,
      [
        path.join(root, "scripts", "run_notebook.py"),
        nbPath,
        path.join(dir, "run"),
        "--timeout",
        "300",
      ],
      {
        env: { ...process.env, JUPYTER_PATH: jupyterPath },
        encoding: "utf8",
        timeout: 580_000,
      },
    );
    assert.equal(
      run.status,
      0,
      `run_notebook.py failed (outputs kept in ${dir}):\n${run.stdout}\n${run.stderr}`,
    );
    const html = fs.readFileSync(path.join(dir, "run", "e2e.html"), "utf8");

    // The bundle exactly once, before the first figure.
    assert.equal(html.split("* plotly.js v").length - 1, 1, "plotly bundle embedded exactly once");
    assert.ok(html.indexOf("* plotly.js v") < html.indexOf("window.Plotly.newPlot("));

    const figs = parseFigures(html);
    assert.equal(figs.length, 2, "two Plotly figures");
    const [line, anim] = figs;
    assert.equal(line.data.length, 2);
    for (const t of line.data) {
      assert.equal((t.x as number[]).length, 50);
      assert.equal((t.y as number[]).length, 50);
    }
    assert.equal((line.layout.yaxis as Record<string, unknown>).type, "log");
    assert.equal(anim.data.length, 1);
    assert.equal((anim.data[0].y as number[]).length, 30);
    assert.equal(anim.frames!.length, 4);
    assert.ok(anim.frames!.every((f) => (f.data[0].x as number[]).length === 30));
    assert.equal((anim.layout.sliders as { steps: unknown[] }[])[0].steps.length, 4);

    const pngs = pngFromHtml(html);
    assert.equal(pngs.length, 1, "one image grid");
    const d = decodeGrayPng(pngs[0]);
    assert.equal(d.width, 3 * 5 + 4);
    assert.equal(d.height, 2 * 4 + 3);
    const imgs = new Float32Array(6 * 4 * 5).map((_, i) => ((i * 37) % 256) / 255);
    assert.deepEqual(d.pixels, expectedGrid(imgs, 6, 4, 5, 3, 1));

    assert.ok(html.includes("e2e table") && />101\.2<\/td>/.test(html), "the danfo table rendered");
    e2e = { dir, html: path.join(dir, "run", "e2e.html") };
  },
);

/** A headless Chromium on PATH, if the machine has one (it is not a project dependency). */
function findBrowser(): string | undefined {
  for (const name of ["chromium-headless-shell", "chromium", "google-chrome", "chrome"]) {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
      const p = path.join(dir, name);
      if (dir && fs.existsSync(p)) return p;
    }
  }
  return undefined;
}

test(
  "end to end: the exported HTML draws every figure in headless Chromium",
  { timeout: 180_000 },
  (t) => {
    const browser = findBrowser();
    if (!e2e) return t.skip("the notebook end-to-end test did not produce HTML");
    if (!browser) {
      console.log("# skipping the browser check: no chromium-headless-shell/chromium on PATH");
      return t.skip("no headless Chromium on PATH");
    }
    const r = spawnSync(
      browser,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=15000",
        "--dump-dom",
        e2e.html,
      ],
      {
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        timeout: 170_000,
      },
    );
    assert.equal(r.status, 0, `browser failed: ${r.stderr}`);
    const dom = r.stdout;
    const divs = [...dom.matchAll(/<div id="(genlab-plot-[^"]+)"[^>]*>([\s\S]{0,400})/g)];
    assert.equal(divs.length, 2);
    for (const d of divs)
      assert.match(
        d[2],
        /^<div class="plot-container plotly"/,
        `figure ${d[1]} was drawn by Plotly`,
      );
    assert.equal(
      dom.split('class="slider-container"').length - 1,
      1,
      "the animation has its slider",
    );
  },
);

// Keep the Figure type import used (it documents what builders return).
const _typeCheck: Figure = { data: [] };
void _typeCheck;

test("subplots: the same series keeps one colour across panels and is listed once in the legend", () => {
  const panel = (k: number) =>
    lineChart(
      [
        { name: "saturating", x: [0, 1], y: [1, k] },
        { name: "non-saturating", x: [0, 1], y: [k, 1] },
      ],
      { title: `panel ${k}` },
    );
  const own = lineChart([{ name: "saturating", x: [0], y: [0] }]);
  (own.data[0] as { line?: object }).line = { color: "#000000" };
  const fig = subplots([panel(1), panel(2), own], { cols: 3 });
  const traces = fig.data as { name: string; line?: { color?: string }; showlegend?: boolean }[];
  const colour = (i: number) => traces[i].line?.color;
  assert.equal(colour(0), SERIES_COLOURS[0]);
  assert.equal(colour(1), SERIES_COLOURS[1]);
  assert.equal(colour(2), colour(0), "saturating: same colour in both panels");
  assert.equal(colour(3), colour(1), "non-saturating: same colour in both panels");
  assert.deepEqual(
    traces.slice(0, 4).map((t) => t.showlegend),
    [true, true, false, false],
  );
  assert.equal(colour(4), "#000000", "a trace with a colour of its own keeps it");
  assert.equal((fig.layout as { showlegend?: boolean }).showlegend, true);
  const unnamed = subplots([heatmap2d({ x: [0, 1], y: [0, 1], z: [1, 2, 3, 4] })]);
  assert.equal((unnamed.layout as { showlegend?: boolean }).showlegend, false);
});

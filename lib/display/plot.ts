/**
 * Interactive Plotly figures that work offline in JupyterLab, the classic notebook and nbconvert's
 * HTML export, plus PNG image grids.
 *
 * How it works: the first figure shown in a kernel session also displays the whole plotly.js
 * bundle (npm plotly.js-dist, ~10 MB) inside a `<script>`; every figure is a `<div>` plus a small
 * script that waits (up to 10 s) for `window.Plotly` and then calls `Plotly.newPlot`. Nothing is
 * fetched from a CDN. JupyterLab runs scripts in outputs only for trusted notebooks.
 *
 * Builders (`lineChart`, `scatter2d`, `heatmap2d`, `animation`) return a plain `Figure`; call
 * `show(fig)` to display it. `imageGrid` returns HTML (a PNG data URL), `showImageGrid` shows it.
 * All values are made plain JSON: typed arrays become arrays, floats are rounded to 5 significant
 * digits, NaN and infinities become null. Element ids are deterministic (a counter plus a hash of
 * the figure), so re-running a notebook produces the same HTML.
 */
import * as crypto from "crypto";
import * as fs from "fs";
import { escapeHtml, inNotebook, newLiveDisplay, showHtml } from "./display";
import { writeFileAtomic } from "../storage/io";
import { encodePng, pngDataUrl, tileImages } from "./png";

/** A Plotly figure: traces, layout and (for animations) frames, all plain JSON. */
export interface Figure {
  data: object[];
  layout?: object;
  frames?: object[];
}

/**
 * Anything with danfo's DataFrame shape (`columns` and row-major `values`); checked by duck typing.
 */
export interface DataFrameLike {
  columns: string[];
  values: unknown;
}

/** A training history: one array per column, e.g. `{step: [...], loss: [...], kl: [...]}`. */
export type Columns = Record<string, ArrayLike<number | null>>;

/**
 * 2-D points: a flat `[x0, y0, x1, y1, ...]` array (e.g. a Float32Array) or rows `[[x, y], ...]`.
 */
export type Points2d = ArrayLike<number> | ArrayLike<ArrayLike<number>>;

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// JSON cleaning

/** Significant digits kept for non-integer numbers in figure JSON. */
export const PLOT_DIGITS = 5;

function roundNumber(x: number, digits: number): number | null {
  if (!Number.isFinite(x)) return null;
  if (Number.isInteger(x)) return x;
  return Number(x.toPrecision(digits));
}

/**
 * Deep-converts a value to plain JSON: typed arrays to arrays, numbers rounded to `digits`
 * significant digits (integers kept exactly), NaN/Infinity to null, functions and undefined
 * dropped.
 */
export function toPlainJson(value: unknown, digits: number = PLOT_DIGITS): unknown {
  if (value === null) return null;
  switch (typeof value) {
    case "number":
      return roundNumber(value, digits);
    case "string":
    case "boolean":
      return value;
    case "bigint":
      return Number(value);
    case "undefined":
    case "function":
    case "symbol":
      return undefined;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number | bigint>;
    const out = new Array<number | null>(arr.length);
    for (let i = 0; i < arr.length; i++) out[i] = roundNumber(Number(arr[i]), digits);
    return out;
  }
  if (Array.isArray(value)) {
    return value.map((v) => {
      const c = toPlainJson(v, digits);
      return c === undefined ? null : c;
    });
  }
  if (value instanceof Date) return value.toISOString();
  const out: Json = {};
  for (const [k, v] of Object.entries(value as object)) {
    const c = toPlainJson(v, digits);
    if (c !== undefined) out[k] = c;
  }
  return out;
}

/** JSON that is safe inside a `<script>` element (no `</script`, no `<!--`, no U+2028/2029). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

// ---------------------------------------------------------------------------------------------
// The plotly.js bundle

let bundleCache: { path: string; version: string; html: string } | undefined;
let bundleShown = false;
let figureCounter = 0;

/** Path of the plotly.js bundle (npm plotly.js-dist). */
export function plotlyBundlePath(): string {
  return require.resolve("plotly.js-dist/plotly.js");
}

/** Escapes text so that it can sit inside a `<script>` element without ending it early. */
export function escapeScriptText(js: string): string {
  // `<\/script` means the same in JS strings, regexes and comments; `\x21` is `!`.
  return js.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\x21--");
}

/**
 * The `<script>` elements that define `window.Plotly`. A global AMD `define` (RequireJS in the
 * classic notebook and in nbconvert's templates) is hidden while the bundle runs so that UMD
 * builds attach to `window` instead of registering an anonymous module.
 */
export function plotlyBundleHtml(): string {
  if (bundleCache) return bundleCache.html;
  const p = plotlyBundlePath();
  let version = "unknown";
  try {
    version = String(
      JSON.parse(fs.readFileSync(require.resolve("plotly.js-dist/package.json"), "utf8")).version,
    );
  } catch {
    /* the version is only informative */
  }
  const src = escapeScriptText(fs.readFileSync(p, "utf8"));
  const html =
    `<div class="genlab-plotly-bundle" style="display:none" data-plotly-version="${escapeHtml(version)}"></div>\n` +
    `<script type="text/javascript">window.__genlabDefine = window.define; window.define = undefined;</script>\n` +
    `<script type="text/javascript">\n${src}\n</script>\n` +
    `<script type="text/javascript">window.define = window.__genlabDefine; try { delete window.__genlabDefine; } catch (e) {}</script>\n`;
  bundleCache = { path: p, version, html };
  return html;
}

/**
 * Displays the plotly.js bundle in the notebook, once per kernel session (or again with `force`,
 * e.g. after clearing the outputs). `show` calls it. Returns true when it displayed the bundle;
 * outside a notebook it does nothing and returns false.
 */
export function plotlyInit(force = false): boolean {
  if (!inNotebook()) return false;
  if (bundleShown && !force) return false;
  showHtml(plotlyBundleHtml());
  bundleShown = true;
  return true;
}

/**
 * Restarts the id counter (tests, or to make a re-run in the same session produce the same ids).
 */
export function resetFigureIds(): void {
  figureCounter = 0;
}

// ---------------------------------------------------------------------------------------------
// Figure HTML

/** Options for `figureHtml`. */
export interface FigureHtmlOptions {
  /** Element id; default `genlab-plot-<counter>-<hash>`. */
  id?: string;
  /** Height in px when the layout sets none (default 450). */
  height?: number;
}

function titleText(t: unknown): string | undefined {
  if (typeof t === "string") return t;
  if (t && typeof t === "object" && typeof (t as Json).text === "string")
    return (t as Json).text as string;
  return undefined;
}

/** One-line text description of a figure, e.g. `[plot: Loss, 2 traces]`. */
export function figureSummary(fig: Figure): string {
  const title = titleText((fig.layout as Json | undefined)?.title);
  const n = fig.data.length;
  const parts = [`${n} trace${n === 1 ? "" : "s"}`];
  if (fig.frames && fig.frames.length) parts.push(`${fig.frames.length} frames`);
  return `[plot: ${title ? `${title}, ` : ""}${parts.join(", ")}]`;
}

/**
 * The HTML for one figure: a `<div>` and a script that waits for `window.Plotly` (up to 10 s) and
 * then calls `Plotly.newPlot(div, data, layout, {responsive: true, displaylogo: false})` (and
 * `Plotly.addFrames` for animations). Pure: needs no kernel. The data, layout, frames and config
 * each sit on their own line as JSON.
 */
export function figureHtml(fig: Figure, opts: FigureHtmlOptions = {}): string {
  if (!fig || !Array.isArray(fig.data))
    throw new Error("figureHtml: fig.data must be an array of traces");
  const data = toPlainJson(fig.data);
  const layout = (toPlainJson(fig.layout ?? {}) ?? {}) as Json;
  const frames = fig.frames && fig.frames.length ? toPlainJson(fig.frames) : null;
  const dataJson = scriptJson(data);
  const layoutJson = scriptJson(layout);
  const framesJson = scriptJson(frames);
  figureCounter += 1;
  const hash = crypto
    .createHash("sha1")
    .update(dataJson)
    .update("\n")
    .update(layoutJson)
    .update("\n")
    .update(framesJson)
    .digest("hex");
  const id = opts.id ?? `genlab-plot-${figureCounter}-${hash.slice(0, 8)}`;
  const height = typeof layout.height === "number" ? layout.height : (opts.height ?? 450);
  const width = typeof layout.width === "number" ? `${layout.width}px` : "100%";
  const idJs = scriptJson(id);
  return (
    `<div id="${escapeHtml(id)}" class="genlab-plot" style="width:${width};height:${height}px;">` +
    `<span class="genlab-plot-placeholder" style="color:#888;font:12px sans-serif">` +
    `Interactive Plotly figure: it needs JavaScript (in JupyterLab, trust the notebook).</span></div>\n` +
    `<script type="text/javascript">\n` +
    `(function () {\n` +
    `  var id = ${idJs};\n` +
    `  var me = document.currentScript;\n` +
    `  var prev = me && me.previousElementSibling;\n` +
    `  var el = prev && prev.id === id ? prev : null;\n` +
    `  var started = Date.now();\n` +
    `  function draw() {\n` +
    `    var target = el || document.getElementById(id);\n` +
    `    if (!target || !window.Plotly || !window.Plotly.newPlot) {\n` +
    `      if (Date.now() - started < 10000) { setTimeout(draw, 100); return; }\n` +
    `      if (target) target.textContent = "plotly.js did not load within 10 s: run plotlyInit(true) from lib/display/plot and show the figure again.";\n` +
    `      return;\n` +
    `    }\n` +
    `    var frames =\n` +
    `${framesJson};\n` +
    `    target.textContent = "";\n` +
    `    var p = window.Plotly.newPlot(target,\n` +
    `${dataJson},\n` +
    `${layoutJson},\n` +
    `{"responsive":true,"displaylogo":false});\n` +
    `    if (frames) p.then(function (gd) { return window.Plotly.addFrames(gd, frames); });\n` +
    `  }\n` +
    `  draw();\n` +
    `})();\n` +
    `</script>\n`
  );
}

/**
 * Shows a figure (or a ready HTML string such as `imageGrid`'s) in the notebook, embedding the
 * plotly.js bundle first if this session has not yet done so. In a terminal it prints a summary.
 */
export function show(fig: Figure | string): void {
  if (typeof fig === "string") {
    showHtml(fig, "[html output]");
    return;
  }
  if (inNotebook()) {
    plotlyInit();
    showHtml(figureHtml(fig));
  } else {
    console.log(figureSummary(fig));
  }
}

/** A display slot that redraws a figure in place (e.g. a loss curve during training). */
export interface LivePlot {
  update(fig: Figure): void;
}

/**
 * Creates a figure slot that `update` redraws in place; in a terminal each update prints a summary.
 */
export function livePlot(): LivePlot {
  plotlyInit();
  const d = newLiveDisplay();
  return { update: (fig: Figure) => d.html(figureHtml(fig), figureSummary(fig)) };
}

/**
 * Writes a standalone HTML page (plotly.js bundle included, works offline) for a figure,
 * atomically.
 */
export function saveFigureHtml(fig: Figure, file: string): void {
  const title = titleText((fig.layout as Json | undefined)?.title) ?? "figure";
  const html =
    `<!DOCTYPE html>\n<html>\n<head>\n<meta charset="utf-8">\n<title>${escapeHtml(title)}</title>\n` +
    plotlyBundleHtml() +
    `</head>\n<body>\n` +
    figureHtml(fig) +
    `</body>\n</html>\n`;
  writeFileAtomic(file, html);
}

// ---------------------------------------------------------------------------------------------
// Helpers for builders

function isPlainObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);
}

/** Deep-merges plain objects (arrays and other values in `extra` replace those in `base`). */
export function mergeLayout(base: object, extra?: object): Record<string, unknown> {
  const out: Json = { ...(base as Json) };
  if (!extra) return out;
  for (const [k, v] of Object.entries(extra)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) ? mergeLayout(b, v) : v;
  }
  return out;
}

function axis(title: string | undefined, log: boolean | undefined): Json {
  const a: Json = {};
  if (title) a.title = { text: title };
  if (log) a.type = "log";
  return a;
}

function baseLayout(
  title: string | undefined,
  xTitle?: string,
  yTitle?: string,
  logX?: boolean,
  logY?: boolean,
): Json {
  const layout: Json = {
    margin: { l: 60, r: 20, t: title ? 50 : 20, b: 50 },
    xaxis: axis(xTitle, logX),
    yaxis: axis(yTitle, logY),
  };
  if (title) layout.title = { text: title };
  return layout;
}

function numbersOf(a: ArrayLike<number | null | undefined>): (number | null)[] {
  const out = new Array<number | null>(a.length);
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    out[i] = typeof v === "number" && Number.isFinite(v) ? v : null;
  }
  return out;
}

function isDataFrameLike(v: unknown): v is DataFrameLike {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const o = v as Json;
  return (
    Array.isArray(o.columns) &&
    (o.columns as unknown[]).every((c) => typeof c === "string") &&
    Array.isArray(o.values) &&
    ((o.values as unknown[]).length === 0 || Array.isArray((o.values as unknown[])[0]))
  );
}

/** Column arrays of a DataFrame-like object (`df.columns` + row-major `df.values`). */
export function dataFrameColumns(df: DataFrameLike): Record<string, unknown[]> {
  const rows = df.values as unknown[][];
  const out: Record<string, unknown[]> = {};
  df.columns.forEach((c, j) => {
    out[c] = rows.map((r) => r[j]);
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Line chart

/** One line: y values, optional x values (default 0, 1, 2, ...). */
export interface LineSeries {
  name: string;
  x?: ArrayLike<number>;
  y: ArrayLike<number | null>;
}

export interface LineChartOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  logX?: boolean;
  logY?: boolean;
  /**
   * For tables/histories: the x column (default the first of step, epoch, iteration, iter, x
   * present).
   */
  x?: string;
  /** For tables/histories: the y columns (default every other numeric column). */
  columns?: string[];
  /** Plotly scatter mode (default "lines"). */
  mode?: "lines" | "markers" | "lines+markers";
  /** Extra layout, deep-merged over the defaults. */
  layout?: object;
}

const X_COLUMNS = ["step", "epoch", "iteration", "iter", "x"];

function seriesFromColumns(
  cols: Record<string, ArrayLike<unknown>>,
  opts: LineChartOptions,
): LineSeries[] {
  const keys = Object.keys(cols);
  if (opts.x !== undefined && !(opts.x in cols))
    throw new Error(`lineChart: no column ${JSON.stringify(opts.x)} (columns: ${keys.join(", ")})`);
  const xKey = opts.x ?? X_COLUMNS.find((k) => k in cols);
  const isNumeric = (k: string) => {
    const a = cols[k];
    for (let i = 0; i < a.length; i++)
      if (a[i] !== null && a[i] !== undefined && typeof a[i] !== "number") return false;
    return true;
  };
  let yKeys: string[];
  if (opts.columns) {
    for (const k of opts.columns)
      if (!(k in cols))
        throw new Error(`lineChart: no column ${JSON.stringify(k)} (columns: ${keys.join(", ")})`);
    yKeys = opts.columns;
  } else {
    yKeys = keys.filter((k) => k !== xKey && isNumeric(k));
  }
  if (xKey !== undefined && !isNumeric(xKey))
    throw new Error(`lineChart: x column ${JSON.stringify(xKey)} is not numeric`);
  return yKeys.map((k) => ({
    name: k,
    x: xKey === undefined ? undefined : (numbersOf(cols[xKey] as ArrayLike<number>) as number[]),
    y: numbersOf(cols[k] as ArrayLike<number>),
  }));
}

/**
 * Line chart, e.g. loss curves. Accepts a list of series, a danfojs DataFrame, or a history
 * record of columns (`{step: [...], loss: [...]}`; the x column is `opts.x` or step/epoch/...).
 */
export function lineChart(
  input: LineSeries[] | DataFrameLike | Columns,
  opts: LineChartOptions = {},
): Figure {
  let series: LineSeries[];
  if (Array.isArray(input)) series = input;
  else if (isDataFrameLike(input)) series = seriesFromColumns(dataFrameColumns(input), opts);
  else if (isPlainObject(input))
    series = seriesFromColumns(input as Record<string, ArrayLike<unknown>>, opts);
  else
    throw new Error("lineChart: expected series [{name, y}], a DataFrame or a record of columns");
  const data = series.map((s, i) => {
    if (!s || !s.y || typeof s.y.length !== "number")
      throw new Error(`lineChart: series ${i} has no y array`);
    if (s.x && s.x.length !== s.y.length)
      throw new Error(
        `lineChart: series ${JSON.stringify(s.name)} has ${s.x.length} x values but ${s.y.length} y values`,
      );
    const t: Json = { type: "scatter", mode: opts.mode ?? "lines", name: s.name };
    if (s.x) t.x = numbersOf(s.x);
    t.y = numbersOf(s.y);
    return t;
  });
  const layout = baseLayout(opts.title, opts.xTitle, opts.yTitle, opts.logX, opts.logY);
  layout.hovermode = "x";
  return { data, layout: mergeLayout(layout, opts.layout) };
}

// ---------------------------------------------------------------------------------------------
// Scatter

export interface Scatter2dOptions {
  /** One label per point; one trace (legend entry) per distinct label. */
  labels?: ArrayLike<number>;
  /** Names for labels: `names[label]`. */
  labelNames?: readonly string[] | Record<number, string>;
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Marker size in px (default 4). */
  markerSize?: number;
  /** Marker opacity (default 0.7). */
  opacity?: number;
  /** Use WebGL (`scattergl`), faster for many thousand points. Default false. */
  gl?: boolean;
  /** Same scale on both axes. */
  equalAspect?: boolean;
  /** Name of the single trace when there are no labels (default "points"). */
  name?: string;
  layout?: object;
}

/** Splits 2-D points into x and y arrays. */
export function pointsXY(points: Points2d): { x: number[]; y: number[] } {
  const n = points.length;
  const x: number[] = [];
  const y: number[] = [];
  if (n > 0 && typeof points[0] === "object" && points[0] !== null) {
    const rows = points as ArrayLike<ArrayLike<number>>;
    for (let i = 0; i < n; i++) {
      if (rows[i].length < 2)
        throw new Error(`points: row ${i} has ${rows[i].length} values, need 2`);
      x.push(rows[i][0]);
      y.push(rows[i][1]);
    }
  } else {
    const flat = points as ArrayLike<number>;
    if (n % 2 !== 0)
      throw new Error(`points: a flat array needs an even length (x0, y0, x1, y1, ...), got ${n}`);
    for (let i = 0; i < n; i += 2) {
      x.push(flat[i]);
      y.push(flat[i + 1]);
    }
  }
  return { x, y };
}

function labelName(label: number, names: Scatter2dOptions["labelNames"]): string {
  const n = names ? (names as Record<number, string>)[label] : undefined;
  return n !== undefined ? String(n) : String(label);
}

/** 2-D scatter, e.g. a latent space coloured by class (one trace per label, for a legend). */
export function scatter2d(points: Points2d, opts: Scatter2dOptions = {}): Figure {
  const { x, y } = pointsXY(points);
  const marker: Json = { size: opts.markerSize ?? 4, opacity: opts.opacity ?? 0.7 };
  const type = opts.gl ? "scattergl" : "scatter";
  const data: Json[] = [];
  if (opts.labels) {
    if (opts.labels.length !== x.length)
      throw new Error(`scatter2d: ${x.length} points but ${opts.labels.length} labels`);
    const groups = new Map<number, number[]>();
    for (let i = 0; i < x.length; i++) {
      const l = Number(opts.labels[i]);
      let g = groups.get(l);
      if (!g) groups.set(l, (g = []));
      g.push(i);
    }
    const labels = [...groups.keys()].sort((a, b) => a - b);
    for (const l of labels) {
      const idx = groups.get(l)!;
      data.push({
        type,
        mode: "markers",
        name: labelName(l, opts.labelNames),
        x: idx.map((i) => x[i]),
        y: idx.map((i) => y[i]),
        marker: { ...marker },
      });
    }
  } else {
    data.push({ type, mode: "markers", name: opts.name ?? "points", x, y, marker });
  }
  const layout = baseLayout(opts.title, opts.xTitle, opts.yTitle);
  layout.hovermode = "closest";
  if (opts.equalAspect) (layout.yaxis as Json).scaleanchor = "x";
  return { data, layout: mergeLayout(layout, opts.layout) };
}

// ---------------------------------------------------------------------------------------------
// Heatmap

export interface Heatmap2dOptions {
  /** Grid coordinates along x (columns of z). */
  x: ArrayLike<number>;
  /** Grid coordinates along y (rows of z). */
  y: ArrayLike<number>;
  /** Values: `z[i][j]` at (x[j], y[i]), or a flat row-major array of y.length * x.length. */
  z: ArrayLike<ArrayLike<number>> | ArrayLike<number>;
  /** Points drawn on top (e.g. samples from the model). */
  samples?: Points2d;
  samplesName?: string;
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /** Colour bar title. */
  zTitle?: string;
  /** Plotly colorscale name or stops (default "Viridis"). */
  colorscale?: string | [number, string][];
  /** Draw filled contours instead of cells. */
  contours?: boolean;
  zmin?: number;
  zmax?: number;
  /** Smooth between cells (Plotly `zsmooth: "best"`) instead of drawing blocks. */
  smooth?: boolean;
  layout?: object;
}

function zRows(z: Heatmap2dOptions["z"], nx: number, ny: number): (number | null)[][] {
  if (z.length > 0 && typeof z[0] === "object" && z[0] !== null) {
    const rows = z as ArrayLike<ArrayLike<number>>;
    if (rows.length !== ny)
      throw new Error(`heatmap2d: z has ${rows.length} rows but y has ${ny} values`);
    const out: (number | null)[][] = [];
    for (let i = 0; i < ny; i++) {
      if (rows[i].length !== nx)
        throw new Error(`heatmap2d: z row ${i} has ${rows[i].length} values but x has ${nx}`);
      out.push(numbersOf(rows[i]));
    }
    return out;
  }
  const flat = z as ArrayLike<number>;
  if (flat.length !== nx * ny)
    throw new Error(
      `heatmap2d: flat z has ${flat.length} values, expected y.length * x.length = ${ny * nx}`,
    );
  const out: (number | null)[][] = [];
  for (let i = 0; i < ny; i++) {
    const row = new Array<number | null>(nx);
    for (let j = 0; j < nx; j++) {
      const v = flat[i * nx + j];
      row[j] = Number.isFinite(v) ? v : null;
    }
    out.push(row);
  }
  return out;
}

/**
 * Heatmap (or filled contours) of z over a grid, e.g. a density or a discriminator's output, with
 * optional samples on top.
 */
export function heatmap2d(opts: Heatmap2dOptions): Figure {
  const nx = opts.x.length;
  const ny = opts.y.length;
  const trace: Json = {
    type: opts.contours ? "contour" : "heatmap",
    x: numbersOf(opts.x),
    y: numbersOf(opts.y),
    z: zRows(opts.z, nx, ny),
    colorscale: opts.colorscale ?? "Viridis",
    showscale: true,
  };
  if (opts.zTitle) trace.colorbar = { title: { text: opts.zTitle } };
  if (opts.zmin !== undefined) trace.zmin = opts.zmin;
  if (opts.zmax !== undefined) trace.zmax = opts.zmax;
  if (opts.smooth && !opts.contours) trace.zsmooth = "best";
  const data: Json[] = [trace];
  const layout = baseLayout(opts.title, opts.xTitle, opts.yTitle);
  if (opts.samples) {
    const { x, y } = pointsXY(opts.samples);
    data.push({
      type: "scatter",
      mode: "markers",
      name: opts.samplesName ?? "samples",
      x,
      y,
      marker: { size: 4, color: "white", opacity: 0.85, line: { color: "black", width: 0.5 } },
    });
    layout.showlegend = true;
    layout.legend = { x: 0.01, y: 0.99, bgcolor: "rgba(255,255,255,0.7)" };
    // Keep the view on the grid (heatmap cells are centred on the grid points, contours end at
    // them); samples outside it are clipped rather than squeezing the map.
    const edge = (a: ArrayLike<number>, n: number): [number, number] => {
      const half = opts.contours ? 0 : (a[n - 1] - a[0]) / (n - 1) / 2;
      return [a[0] - half, a[n - 1] + half];
    };
    if (nx > 1) (layout.xaxis as Json).range = edge(opts.x, nx);
    if (ny > 1) (layout.yaxis as Json).range = edge(opts.y, ny);
  }
  return { data, layout: mergeLayout(layout, opts.layout) };
}

// ---------------------------------------------------------------------------------------------
// Subplots

export interface SubplotsOptions {
  /** Panels per row (default 3). */
  cols?: number;
  title?: string;
  /** Pixel height of one row of panels (default 300). */
  rowHeight?: number;
  layout?: object;
}

/**
 * Several figures as panels of one figure (a grid, each panel its own axes and its own title).
 * Panel i's traces move to axes x{i+1}/y{i+1}; axis settings (titles, log scales, ranges, equal
 * aspect) carry over. Legends are merged, so give traces distinct names where it matters.
 */
/** Plotly's default colour cycle (D3's category10). */
export const SERIES_COLOURS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];

/** The colour a trace sets itself, on its line or its markers. */
const ownColour = (t: Json) =>
  (t.line as Json | undefined)?.color ?? (t.marker as Json | undefined)?.color;

/**
 * A colour per series name over the panels of one figure, in order of first appearance, for
 * the scatter and line traces that set no colour of their own (heatmaps, and traces coloured by
 * their own line or marker colour, keep theirs).
 */
function seriesColours(figs: Figure[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const fig of figs) {
    for (const t of fig.data as Json[]) {
      const own = ownColour(t);
      const scatter = t.type === undefined || t.type === "scatter" || t.type === "scattergl";
      if (typeof t.name !== "string" || own !== undefined || !scatter || out.has(t.name)) continue;
      out.set(t.name, SERIES_COLOURS[out.size % SERIES_COLOURS.length]);
    }
  }
  return out;
}

export function subplots(figs: Figure[], opts: SubplotsOptions = {}): Figure {
  if (!figs.length) throw new Error("subplots: no figures");
  const cols = Math.max(1, Math.min(opts.cols ?? 3, figs.length));
  const rows = Math.ceil(figs.length / cols);
  const layout: Json = {
    grid: { rows, columns: cols, pattern: "independent" },
    height: (opts.rowHeight ?? 300) * rows + (opts.title ? 60 : 30),
    margin: { l: 40, r: 20, t: opts.title ? 70 : 40, b: 40 },
    annotations: [] as Json[],
    showlegend: false,
  };
  if (opts.title) layout.title = { text: opts.title };
  const data: Json[] = [];
  const colourOf = seriesColours(figs);
  const inLegend = new Set<string>();
  figs.forEach((fig, i) => {
    const sfx = i === 0 ? "" : String(i + 1);
    for (const t of fig.data as Json[]) {
      const trace: Json = { ...t, xaxis: `x${sfx}`, yaxis: `y${sfx}` };
      const name = typeof t.name === "string" ? t.name : undefined;
      const own = ownColour(t);
      const colour = name === undefined || own !== undefined ? undefined : colourOf.get(name);
      if (name !== undefined && colour !== undefined) {
        // The same series keeps one colour across the panels, and appears once in the legend.
        if (t.mode !== "markers") trace.line = { ...((t.line as Json) ?? {}), color: colour };
        if (t.mode !== "lines") trace.marker = { ...((t.marker as Json) ?? {}), color: colour };
        trace.legendgroup = name;
        trace.showlegend = !inLegend.has(name);
        inLegend.add(name);
        layout.showlegend = true;
      }
      data.push(trace);
    }
    const fl = (fig.layout ?? {}) as Json;
    const xa: Json = { ...((fl.xaxis as Json) ?? {}) };
    const ya: Json = { ...((fl.yaxis as Json) ?? {}) };
    if (ya.scaleanchor) ya.scaleanchor = `x${sfx}`;
    layout[`xaxis${sfx}`] = xa;
    layout[`yaxis${sfx}`] = ya;
    const title = (fl.title as Json | undefined)?.text;
    if (title) {
      (layout.annotations as Json[]).push({
        text: title,
        xref: `x${sfx} domain`,
        yref: `y${sfx} domain`,
        x: 0.5,
        y: 1.08,
        showarrow: false,
        font: { size: 13 },
      });
    }
  });
  return { data, layout: mergeLayout(layout, opts.layout) };
}

// ---------------------------------------------------------------------------------------------
// Animation

/** One animation frame: a name (shown on the slider) and the traces to show. */
export interface AnimationFrame {
  name: string;
  data: object[];
}

export interface AnimationOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  /**
   * Extra layout, deep-merged over the defaults (set axis ranges here to override the automatic
   * ones).
   */
  layout?: object;
  /** Milliseconds per frame when playing (default 500). */
  frameDuration?: number;
  /** Transition between frames in ms (default 0; only scatter traces can tween). */
  transitionDuration?: number;
  /** Slider label prefix (default "step "). */
  prefix?: string;
  /** Fix the x/y axis ranges to cover every frame (default true), so axes do not jump. */
  fixedAxes?: boolean;
}

function extent(frames: AnimationFrame[], key: "x" | "y"): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const f of frames) {
    for (const t of f.data as Json[]) {
      const a = t[key] as ArrayLike<unknown> | undefined;
      if (!a || typeof a.length !== "number") continue;
      for (let i = 0; i < a.length; i++) {
        const v = a[i];
        if (typeof v === "number" && Number.isFinite(v)) {
          if (v < lo) lo = v;
          if (v > hi) hi = v;
        }
      }
    }
  }
  if (!(lo <= hi)) return undefined;
  const m = hi > lo ? (hi - lo) * 0.05 : Math.abs(lo) * 0.05 || 1;
  return [lo - m, hi + m];
}

/**
 * An animation frame of 2-D points (x, y interleaved), coloured by an integer label per point
 * (`colorscale`: Plotly's, default one colour per label on Turbo).
 */
export function pointsFrame(
  name: string,
  points: ArrayLike<number>,
  labels: ArrayLike<number>,
  o: { size?: number; colorscale?: unknown } = {},
): AnimationFrame {
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i + 1 < points.length; i += 2) {
    x.push(points[i]);
    y.push(points[i + 1]);
  }
  const marker = {
    size: o.size ?? 3,
    color: Array.from(labels),
    colorscale: o.colorscale ?? "Turbo",
  };
  return { name, data: [{ type: "scatter", mode: "markers", x, y, marker }] };
}

/**
 * One figure with Plotly frames plus a slider and play/pause buttons, e.g. samples or a latent
 * space over training. Every frame should have the same traces in the same order.
 */
export function animation(frames: AnimationFrame[], opts: AnimationOptions = {}): Figure {
  if (!frames.length) throw new Error("animation: no frames");
  const seen = new Set<string>();
  for (const f of frames) {
    if (seen.has(f.name))
      throw new Error(`animation: duplicate frame name ${JSON.stringify(f.name)}`);
    seen.add(f.name);
  }
  const duration = opts.frameDuration ?? 500;
  const transition = { duration: opts.transitionDuration ?? 0 };
  const layout = baseLayout(opts.title, opts.xTitle, opts.yTitle);
  layout.margin = { l: 60, r: 20, t: opts.title ? 50 : 20, b: 130 };
  if (opts.fixedAxes !== false) {
    const xr = extent(frames, "x");
    const yr = extent(frames, "y");
    if (xr) (layout.xaxis as Json).range = xr;
    if (yr) (layout.yaxis as Json).range = yr;
  }
  layout.updatemenus = [
    {
      type: "buttons",
      direction: "left",
      showactive: false,
      x: 0,
      y: 0,
      xanchor: "left",
      yanchor: "top",
      pad: { t: 80, r: 10 },
      buttons: [
        {
          label: "\u25b6 Play",
          method: "animate",
          args: [
            null,
            { frame: { duration, redraw: true }, transition, fromcurrent: true, mode: "immediate" },
          ],
        },
        {
          label: "\u275a\u275a Pause",
          method: "animate",
          args: [
            [null],
            {
              frame: { duration: 0, redraw: false },
              transition: { duration: 0 },
              mode: "immediate",
            },
          ],
        },
      ],
    },
  ];
  layout.sliders = [
    {
      active: 0,
      x: 0,
      len: 1,
      y: 0,
      xanchor: "left",
      yanchor: "top",
      pad: { l: 170, t: 50 },
      currentvalue: { visible: true, prefix: opts.prefix ?? "step ", xanchor: "right" },
      transition,
      steps: frames.map((f) => ({
        label: f.name,
        method: "animate",
        args: [
          [f.name],
          { mode: "immediate", frame: { duration: 0, redraw: true }, transition: { duration: 0 } },
        ],
      })),
    },
  ];
  return {
    data: frames[0].data,
    layout: mergeLayout(layout, opts.layout),
    frames: frames.map((f) => ({ name: f.name, data: f.data })),
  };
}

// ---------------------------------------------------------------------------------------------
// Image grids (PNG, not Plotly)

export interface ImageGridOptions {
  /** Image height and width in pixels. */
  h: number;
  w: number;
  /** Number of images (default: all that fit in the array). */
  n?: number;
  /** Columns (default min(n, 10)). */
  cols?: number;
  title?: string;
  /** One label per image, drawn in its top-left corner. */
  labels?: ArrayLike<number | string>;
  /** Names for numeric labels: `labelNames[label]`. */
  labelNames?: readonly string[] | Record<number, string>;
  /** Pixels between images (default 1). */
  pad?: number;
  /** Gray level of the padding, 0..255 (default 128). */
  padValue?: number;
  /**
   * Value range of float inputs (default [0, 1]; [-1, 1] for tanh outputs). Uint8 inputs are
   * 0..255.
   */
  range?: [number, number];
  /**
   * Display scale factor (default: the largest integer up to 8 that keeps the grid within 640 px,
   * at least 1).
   */
  scale?: number;
}

function gridGeometry(
  images: ArrayLike<number>,
  opts: ImageGridOptions,
): { n: number; cols: number; pad: number } {
  const per = opts.h * opts.w;
  if (!(per > 0)) throw new Error(`imageGrid: h and w must be positive, got ${opts.h} x ${opts.w}`);
  const n = opts.n ?? Math.floor(images.length / per);
  if (n <= 0)
    throw new Error(
      `imageGrid: no images (array of ${images.length} values, ${opts.h}x${opts.w} each)`,
    );
  if (n * per > images.length)
    throw new Error(
      `imageGrid: ${n} images of ${opts.h}x${opts.w} need ${n * per} values, got ${images.length}`,
    );
  return { n, cols: Math.min(opts.cols ?? 10, n), pad: opts.pad ?? 1 };
}

/** The image grid as a grayscale PNG file. */
export function imageGridPng(images: ArrayLike<number>, opts: ImageGridOptions): Buffer {
  const { n, cols, pad } = gridGeometry(images, opts);
  const canvas = tileImages(
    images,
    n,
    opts.h,
    opts.w,
    cols,
    pad,
    opts.padValue ?? 128,
    opts.range ?? [0, 1],
  );
  return encodePng(canvas.pixels, canvas.width, canvas.height, 1);
}

/**
 * HTML for a grid of grayscale images (n*h*w values; floats in [0,1] or Uint8 0..255): one PNG
 * `<img>` as a data URL, scaled up with pixelated rendering, optional per-image labels, caption.
 */
export function imageGrid(images: ArrayLike<number>, opts: ImageGridOptions): string {
  const { n, cols, pad } = gridGeometry(images, opts);
  const rows = Math.ceil(n / cols);
  const width = cols * opts.w + (cols + 1) * pad;
  const height = rows * opts.h + (rows + 1) * pad;
  const scale = opts.scale ?? Math.max(1, Math.min(8, Math.floor(640 / width)));
  const png = imageGridPng(images, { ...opts, n, cols, pad });
  const alt = opts.title ?? `${n} images`;
  const dw = Math.round(width * scale);
  const dh = Math.round(height * scale);
  let overlay = "";
  if (opts.labels) {
    if (opts.labels.length < n)
      throw new Error(`imageGrid: ${n} images but ${opts.labels.length} labels`);
    const spans: string[] = [];
    for (let i = 0; i < n; i++) {
      const l = opts.labels[i];
      const text = typeof l === "number" ? labelName(l, opts.labelNames) : String(l);
      const left = Math.round((pad + (i % cols) * (opts.w + pad)) * scale);
      const top = Math.round((pad + Math.floor(i / cols) * (opts.h + pad)) * scale);
      spans.push(
        `<span style="position:absolute;left:${left}px;top:${top}px;font:10px/1.2 monospace;color:#fff;` +
          `background:rgba(0,0,0,0.55);padding:0 2px;pointer-events:none">${escapeHtml(text)}</span>`,
      );
    }
    overlay = spans.join("");
  }
  const caption = `${opts.title ? `${escapeHtml(opts.title)} \u2014 ` : ""}${n} image${n === 1 ? "" : "s"}, ${opts.h}\u00d7${opts.w}`;
  return (
    `<figure class="genlab-image-grid" style="margin:4px 0;display:inline-block">` +
    `<div style="position:relative;display:inline-block;line-height:0">` +
    `<img src="${pngDataUrl(png)}" alt="${escapeHtml(alt)}" width="${dw}" height="${dh}" ` +
    `style="width:${dw}px;height:${dh}px;max-width:none;image-rendering:crisp-edges;image-rendering:pixelated">` +
    overlay +
    `</div>` +
    `<figcaption style="font:12px sans-serif;color:#555;margin-top:2px">${caption}</figcaption>` +
    `</figure>`
  );
}

/** Shows an image grid in the notebook; in a terminal prints a one-line summary. */
export function showImageGrid(images: ArrayLike<number>, opts: ImageGridOptions): void {
  const html = imageGrid(images, opts);
  const { n } = gridGeometry(images, opts);
  showHtml(html, `[images: ${opts.title ? `${opts.title}, ` : ""}${n} of ${opts.h}x${opts.w}]`);
}

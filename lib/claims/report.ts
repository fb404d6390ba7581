/**
 * out/report.html: the claims table (lib/claims/claims.ts, from out/results/) and the key figures
 * of the executed notebooks, one self-contained page that opens offline in any browser, without
 * Jupyter.
 *
 * Key figures: the outputs of every code cell tagged "report" (cell metadata `tags: ["report"]`) in
 * an executed notebook out/<nb>.ipynb, under the notebook's title and the cell's section heading. A
 * cell also counts when the tag is only in notebooks/<nb>.ipynb and that cell has the same source
 * there (so tagging a cell needs no re-run). HTML outputs (tables, Plotly figures, PNG image grids)
 * are copied as they are; Plotly's bundle (lib/display/plot.ts) is embedded once when a figure
 * needs it, so nothing is fetched from a CDN. `npm run reproduce` writes the page after its
 * notebooks;
 * `npm run report` rebuilds it from whatever out/ holds.
 */
import * as fs from "fs";
import * as path from "path";
import {
  buildClaimsTable,
  cellSource,
  claimsCountsHtml,
  claimsCountsText,
  claimsTableHtml,
  claimsWarningsHtml,
  markdownHeadings,
  sectionAnchor,
  type ClaimsCounts,
  type HrefFor,
} from "./claims";
import { escapeHtml } from "../display/display";
import { outDir, projectRoot } from "../runtime/env";
import { writeFileAtomic } from "../storage/io";
import { plotlyBundleHtml } from "../display/plot";

export const REPORT_TAG = "report";

interface IpynbOutput {
  output_type?: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

interface IpynbCell {
  cell_type?: string;
  source?: string | string[];
  metadata?: { tags?: unknown };
  outputs?: IpynbOutput[];
}

interface Ipynb {
  cells?: IpynbCell[];
}

export interface ReportOptions {
  /** Where executed notebooks, their HTML and results/ are (default outDir()). */
  outDir?: string;
  /** The source notebooks, for headings and tags (default notebooks/ of the project). */
  notebooksDir?: string;
  /** Where to write (default <outDir>/report.html). */
  file?: string;
  /** Shown as the build time (default now). */
  now?: Date;
}

export interface ReportFigure {
  notebook: string;
  cell: number;
  section: string | null;
}

export interface ReportResult {
  html: string;
  /** The tagged cells copied, in order. */
  figures: ReportFigure[];
  /** Executed notebooks found in out/. */
  notebooks: string[];
  /** Problems met on the way (unreadable notebooks); also shown in the page. */
  warnings: string[];
  /** The claims table's counts. */
  counts: ClaimsCounts;
}

const text = (v: unknown): string =>
  Array.isArray(v) ? v.join("") : typeof v === "string" ? v : "";

const hasTag = (cell: IpynbCell | undefined) =>
  Array.isArray(cell?.metadata?.tags) && (cell!.metadata!.tags as unknown[]).includes(REPORT_TAG);

const BUNDLE_MARK = "genlab-plotly-bundle";

/**
 * One output of an executed cell as HTML; the Plotly bundle itself is left out (the page embeds it
 * once).
 */
export function outputHtml(o: IpynbOutput): string {
  switch (o.output_type) {
    case "stream":
      return `<pre class="stream ${o.name === "stderr" ? "stderr" : ""}">${escapeHtml(text(o.text))}</pre>`;
    case "error":
      return `<pre class="stream stderr">${escapeHtml(`${o.ename ?? "Error"}: ${o.evalue ?? ""}`)}</pre>`;
    case "display_data":
    case "execute_result": {
      const d = o.data ?? {};
      const html = text(d["text/html"]);
      if (html !== "")
        return html.includes(BUNDLE_MARK) ? "" : `<div class="output-html">${html}</div>`;
      for (const mime of ["image/png", "image/jpeg"]) {
        const b64 = text(d[mime]).replace(/\s+/g, "");
        if (b64 !== "") return `<img alt="figure" src="data:${mime};base64,${b64}">`;
      }
      const svg = text(d["image/svg+xml"]);
      if (svg !== "") return `<div class="output-html">${svg}</div>`;
      const md = text(d["text/markdown"]);
      if (md !== "") return `<div class="output-md">${escapeHtml(md)}</div>`;
      const plain = text(d["text/plain"]);
      return plain !== "" ? `<pre>${escapeHtml(plain)}</pre>` : "";
    }
    default:
      return "";
  }
}

/**
 * The indices of the cells of executed notebook `ran` to put in the report: tagged there, or tagged
 * in the source notebook `src` at the same index with the same source.
 */
export function reportCells(ran: Ipynb, src?: Ipynb): number[] {
  const cells = ran.cells ?? [];
  const out: number[] = [];
  cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    const s = src?.cells?.[i];
    if (hasTag(c) || (hasTag(s) && cellSource(s!) === cellSource(c))) out.push(i);
  });
  return out;
}

function readJson<T>(file: string): T {
  return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}

/** Links from the report: out/<nb>.html#anchor when exported, else the source notebook. */
export function reportHref(out: string, notebooksDir: string): HrefFor {
  const rel = path.relative(out, notebooksDir).split(path.sep).join("/");
  return (nb, anchor) => {
    const frag = anchor ? `#${anchor}` : "";
    if (fs.existsSync(path.join(out, `${nb}.html`))) return `${encodeURI(nb)}.html${frag}`;
    if (fs.existsSync(path.join(notebooksDir, `${nb}.ipynb`)))
      return `${rel ? `${rel}/` : ""}${encodeURI(nb)}.ipynb${frag}`;
    return null;
  };
}

const CSS = `
body { font-family: -apple-system, "Segoe UI", Roboto, "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0 auto; max-width: 1500px; padding: 16px 24px 60px; color: #212529; line-height: 1.45; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 2px solid #dee2e6; padding-bottom: 4px; }
h3 { margin-top: 28px; } h4 { margin: 22px 0 6px; color: #343a40; }
.meta { color: #6c757d; font-size: 13px; }
.genlab-claims .genlab-table table { width: 100%; }
.genlab-claims td { font-size: 13px; }
pre { background: #f8f9fa; padding: 6px 8px; max-height: 16em; overflow: auto; font-size: 12px; }
pre.stderr { background: #fdecea; }
.output-md { white-space: pre-wrap; font-size: 13px; }
.output-html, .figure img { max-width: 100%; overflow-x: auto; }
.figure { margin-bottom: 18px; }
nav a { margin-right: 12px; }
`;

/** Builds the report page (does not write it). */
export function buildReport(opts: ReportOptions = {}): ReportResult {
  const out = opts.outDir ?? outDir();
  const nbDir = opts.notebooksDir ?? path.join(projectRoot(), "notebooks");
  const href = reportHref(out, nbDir);
  const warnings: string[] = [];
  const table = buildClaimsTable({ resultsDir: path.join(out, "results"), notebooksDir: nbDir });

  let executed: string[] = [];
  try {
    executed = fs
      .readdirSync(out)
      .filter((f) => f.endsWith(".ipynb"))
      .map((f) => f.slice(0, -".ipynb".length))
      .sort();
  } catch {
    warnings.push(`no output folder ${out}: run npm run reproduce first`);
  }

  const figures: ReportFigure[] = [];
  const sections: string[] = [];
  let needsPlotly = false;
  for (const nb of executed) {
    let ran: Ipynb;
    try {
      ran = readJson<Ipynb>(path.join(out, `${nb}.ipynb`));
      if (!Array.isArray(ran.cells)) throw new Error("no cells");
    } catch (err) {
      warnings.push(`${nb}.ipynb in ${out} could not be read: ${(err as Error).message}`);
      continue;
    }
    let src: Ipynb | undefined;
    try {
      src = readJson<Ipynb>(path.join(nbDir, `${nb}.ipynb`));
    } catch {
      src = undefined; // a notebook that is no longer in notebooks/: its own tags still count
    }
    const cells = ran.cells ?? [];
    const heading = (upTo: number, level: "title" | "section"): string | null => {
      let found: string | null = null;
      for (let i = 0; i <= upTo && i < cells.length; i++) {
        if (cells[i].cell_type !== "markdown") continue;
        for (const line of cellSource(cells[i]).split("\n")) {
          const isTitle = /^ {0,3}#\s/.test(line);
          if (level === "title" ? isTitle : /^ {0,3}#{1,6}\s/.test(line))
            found = markdownHeadings(line)[0] ?? found;
          if (level === "title" && found !== null) return found;
        }
      }
      return found;
    };
    const title = heading(cells.length - 1, "title") ?? nb;
    const nbLink = href(nb, null);
    const head = `<h3 id="${escapeHtml(`fig-${nb}`)}">${nbLink ? `<a href="${escapeHtml(nbLink)}">${escapeHtml(title)}</a>` : escapeHtml(title)}</h3>`;
    const picked = reportCells(ran, src);
    if (picked.length === 0) {
      sections.push(
        `${head}\n<p class="meta">No cell of ${escapeHtml(nb)} is tagged "${REPORT_TAG}".</p>`,
      );
      continue;
    }
    const parts: string[] = [head];
    for (const i of picked) {
      const section = heading(i, "section");
      const link = section !== null ? href(nb, sectionAnchor(section)) : null;
      const body = (cells[i].outputs ?? [])
        .map(outputHtml)
        .filter((h) => h !== "")
        .join("\n");
      if (body.includes("Plotly.newPlot")) needsPlotly = true;
      figures.push({ notebook: nb, cell: i, section });
      const h4 =
        section === null
          ? ""
          : `<h4>${link ? `<a href="${escapeHtml(link)}">${escapeHtml(section)}</a>` : escapeHtml(section)}</h4>`;
      parts.push(
        `<div class="figure">${h4}\n${body || `<p class="meta">(cell ${i} has no output: was the notebook run?)</p>`}\n</div>`,
      );
    }
    sections.push(parts.join("\n"));
  }

  const now = (opts.now ?? new Date()).toISOString().replace("T", " ").slice(0, 16);
  const warn = warnings.length
    ? `<ul style="color:#8b1a24">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>`
    : "";
  const html = [
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>genlab: the claims and the key figures</title>\n<style>${CSS}</style>`,
    needsPlotly ? plotlyBundleHtml() : "",
    `</head>\n<body>`,
    `<h1>genlab: the claims of the two posts, checked</h1>`,
    `<p class="meta">Built ${escapeHtml(now)} UTC from ${escapeHtml(out)} by <code>npm run report</code> (also written by <code>npm run reproduce</code>). ` +
      `Every verdict, summary and number below is read from <code>results/*.json</code>, saved by the notebooks when they ran; nothing is typed in. ` +
      `Section links open the executed notebooks' HTML.</p>`,
    `<nav><a href="#claims">Claims and verdicts</a><a href="#figures">Key figures</a></nav>`,
    warn,
    `<h2 id="claims">Claims and verdicts</h2>`,
    `<div class="genlab-claims">${claimsCountsHtml(table.counts)}${claimsWarningsHtml(table)}${claimsTableHtml(table, { href })}</div>`,
    `<h2 id="figures">Key figures</h2>`,
    sections.length
      ? sections.join("\n")
      : `<p class="meta">No executed notebooks in ${escapeHtml(out)}: run <code>npm run reproduce</code>.</p>`,
    `</body>\n</html>\n`,
  ].join("\n");
  return { html, figures, notebooks: executed, warnings, counts: table.counts };
}

/** Builds the report and writes it atomically (default out/report.html); returns what it wrote. */
export function writeReport(opts: ReportOptions = {}): ReportResult & { file: string } {
  const r = buildReport(opts);
  const file = opts.file ?? path.join(opts.outDir ?? outDir(), "report.html");
  writeFileAtomic(file, r.html);
  return { ...r, file };
}

/** One line saying what a written report holds. */
export function reportSummary(r: ReportResult & { file: string }): string {
  return `report: ${path.relative(projectRoot(), r.file) || r.file} (${r.figures.length} figure cell(s) from ${r.notebooks.length} executed notebook(s)); ${claimsCountsText(r.counts)}`;
}

/**
 * The claims of the two blog posts (../shared/CLAIMS.md) in one place, and the claims table built
 * from what the notebooks saved (lib/claims/results.ts): per claim the original Chinese, an English
 * translation, the experiment, the verdict, the measured numbers and a link to the notebook
 * section. The list itself (id, Chinese quote, English, experiment, notebooks) is data, in
 * lib/claims/claims.json;
 * `CLAIMS` is that file, checked when loaded. Each Chinese quote is the posts' own text (fragments
 * joined by QUOTE_GAP; test/claims.test.ts finds each one verbatim in ../shared/seeds/).
 *
 *   // reads out/results/*.json (GENLAB_OUT moves out/)
 *   const table = buildClaimsTable();
 *   // in a notebook: counts + table, links to the .ipynb
 *   showClaimsTable(table);
 *   // for out/report.html
 *   claimsTableHtml(table, { href: (nb, anchor) => `${nb}.html#${anchor}` });
 *
 * Nothing here is a measurement: verdicts, summaries and numbers are only read from the results
 * files. A claim no notebook saved a verdict for is a row with the verdict "missing" saying why
 * (notebook not run, its results file unreadable, or it ran and saved no verdict for that id).
 * Every saved verdict is a row of its own, so a claim tested by two notebooks (A6: 02 and 05) has
 * two rows; a saved entry that is not a valid verdict is a row with the verdict "invalid"; an id
 * that is not in CLAIMS.md is kept too (flagged). An unreadable results file is listed in `errors`,
 * never a crash.
 */
import * as fs from "fs";
import * as path from "path";
import { escapeHtml, showHtml } from "../display/display";
import { projectRoot } from "../runtime/env";
import {
  readAllResults,
  VERDICTS,
  type ResultsEntry,
  type ResultsFile,
  type ResultsReadError,
  type Verdict,
} from "./results";
import { formatNumber, tableHtml, tableText, type Row } from "../display/table";

/** The two source posts, in ../shared/seeds/ beside the project. */
export const SEEDS = {
  A: "000_d4416792c42184b3.txt", // families of generative models (VAE, GAN, flow)
  B: "002_76f98797188b7d29.txt", // VAE vs GAN
} as const;

/** Joins non-adjacent fragments of one quote. */
export const QUOTE_GAP = "……";

export interface Claim {
  /** "A1".."A14" (seed 000), "B1".."B11" (seed 002). */
  id: string;
  /** The claim quoted in the original Chinese; fragments of the post joined by QUOTE_GAP. */
  zh: string;
  /** An English translation of the quote. */
  en: string;
  /** The experiment that tests it (short). */
  experiment: string;
  /** The notebooks (file stems) that test it. */
  notebooks: string[];
}

/**
 * Every claim of CLAIMS.md, in its order: the data sits in lib/claims/claims.json beside this file.
 */
export const CLAIMS: readonly Claim[] = loadClaims(
  path.join(projectRoot(), "lib", "claims", "claims.json"),
);

function loadClaims(file: string): Claim[] {
  const data = JSON.parse(fs.readFileSync(file, "utf8")) as unknown;
  if (!Array.isArray(data)) throw new Error(`${file}: expected a list of claims`);
  data.forEach((c: Record<string, unknown>, i) => {
    const strings = ["id", "zh", "en", "experiment"].every((k) => typeof c?.[k] === "string");
    if (
      !strings ||
      !Array.isArray(c.notebooks) ||
      !c.notebooks.every((n) => typeof n === "string")
    ) {
      throw new Error(
        `${file}: claim ${i} needs id, zh, en and experiment (strings) and notebooks (a list of notebook names)`,
      );
    }
  });
  return data as Claim[];
}

// ---------------------------------------------------------------------------------------------
// Section anchors

/**
 * The id nbconvert's HTML export gives a Markdown heading (nbconvert.filters.strings
 * `_convert_header_id`): the heading's text with spaces replaced by "-", then percent-encoded
 * except for letters, digits and `_.-~?/:@!$&'()*+,;=`. "2 · When the discriminator always wins"
 * becomes "2-%C2%B7-When-the-discriminator-always-wins". The same string works as a link fragment
 * into the .ipynb in JupyterLab and the classic notebook, which name headings by the raw text with
 * "-" for spaces and percent-decode the fragment.
 */
export function sectionAnchor(heading: string): string {
  let out = "";
  for (const ch of heading.replace(/ /g, "-")) {
    out += /^[A-Za-z0-9_.\-~?/:@!$&'()*+,;=]$/.test(ch) ? ch : encodeURIComponent(ch);
  }
  return out;
}

/**
 * The text a Markdown heading renders to: inline code, emphasis and links reduced to their text.
 */
export function headingText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/`([^`]*)`/g, "$1")
    .replace(/(\*\*|\*)(?=\S)([^*]*?\S)\1/g, "$2")
    .replace(/<[^>]+>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
}

interface NotebookJson {
  cells?: { cell_type?: string; source?: string | string[] }[];
}

/** The text of a notebook cell's source (a string or a list of lines). */
export function cellSource(cell: { source?: string | string[] }): string {
  return Array.isArray(cell.source) ? cell.source.join("") : (cell.source ?? "");
}

/** The Markdown headings of one markdown cell's text, in order (not those inside code fences). */
export function markdownHeadings(text: string): string[] {
  const out: string[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    if (fenced) continue;
    const m = /^ {0,3}#{1,6}\s+(.*?)(\s+#+)?\s*$/.exec(line);
    if (m) out.push(headingText(m[1]));
  }
  return out;
}

/** The headings of every markdown cell of a parsed notebook, in order. */
export function notebookHeadings(nb: NotebookJson): string[] {
  return (nb.cells ?? [])
    .filter((c) => c.cell_type === "markdown")
    .flatMap((c) => markdownHeadings(cellSource(c)));
}

/**
 * A link to a section of a notebook; `anchor` is null when no heading matched (link to the top).
 */
export interface SectionLink {
  notebook: string;
  title: string;
  anchor: string | null;
}

const startsAsWord = (heading: string, part: string) =>
  heading === part ||
  (heading.startsWith(part) && !/[\p{L}\p{N}]/u.test(heading.charAt(part.length)));

/**
 * Where in `notebook` (whose headings are given) a verdict's `section` is: the heading equal to it
 * or starting with it ("4 · How tight is the bound?" finds "4 · How tight is the bound? (A8,
 * A11)"); a section naming several, separated by ";" or " / ", gives one link each. Without a
 * section, the first heading that names the claim id. Unmatched parts link to the notebook's top.
 */
export function sectionLinks(
  notebook: string,
  headings: readonly string[],
  section: string | undefined,
  claimId: string,
): SectionLink[] {
  const find = (part: string): SectionLink => {
    const h = headings.find((x) => startsAsWord(x, part));
    return { notebook, title: h ?? part, anchor: h === undefined ? null : sectionAnchor(h) };
  };
  const s = (section ?? "").replace(/\s+/g, " ").trim();
  if (s !== "") {
    const whole = find(s);
    if (whole.anchor !== null) return [whole];
    const parts = s.split(/\s*;\s*|\s+\/\s+/).filter((p) => p !== "");
    return parts.length > 1 ? parts.map(find) : [whole];
  }
  const idRe = new RegExp(`(^|[^A-Za-z0-9])${claimId}(?![0-9])`);
  const h = headings.find((x) => idRe.test(x));
  return [{ notebook, title: h ?? notebook, anchor: h === undefined ? null : sectionAnchor(h) }];
}

// ---------------------------------------------------------------------------------------------
// The table

/**
 * A row's verdict: a saved one, "missing" (none saved), or "invalid" (a saved entry that is not a
 * valid verdict).
 */
export type RowVerdict = Verdict | "missing" | "invalid";
export const ROW_VERDICTS: readonly RowVerdict[] = [...VERDICTS, "invalid", "missing"];

export interface ClaimRow {
  id: string;
  /** False for an id some notebook saved that is not in CLAIMS.md. */
  known: boolean;
  zh: string;
  en: string;
  experiment: string;
  /** The notebooks that test the claim (CLAIMS). */
  expected: string[];
  /** The notebook that saved this verdict; null for a missing one. */
  notebook: string | null;
  verdict: RowVerdict;
  /** The notebook's summary; for "missing" and "invalid" rows, why. */
  summary: string;
  /** The measured numbers, as saved. */
  numbers: Record<string, number>;
  /** The section as saved, if any. */
  section: string | null;
  /**
   * Where to read it: the sections of the notebook that saved it, or the expected notebooks' tops.
   */
  links: SectionLink[];
  /** The run that saved it: mode (shipped/full/smoke), time, backend. */
  run: { mode: string; updatedAt: string; backend: string | null } | null;
}

export interface ClaimsCounts {
  /** Claims of CLAIMS.md. */
  claims: number;
  /** Claims of CLAIMS.md with at least one saved verdict. */
  withVerdict: number;
  /** Claims of CLAIMS.md with none. */
  missing: number;
  /** Saved verdicts (rows that are not missing), by verdict. */
  verdicts: Record<Verdict, number>;
  /** Saved entries that are not valid verdicts. */
  invalid: number;
  /** Saved verdicts for ids not in CLAIMS.md. */
  unknownIds: number;
  /** Results files that could not be read. */
  unreadableFiles: number;
}

export interface ClaimsTable {
  rows: ClaimRow[];
  counts: ClaimsCounts;
  /** Results files (or the results folder) that could not be read. */
  errors: ResultsReadError[];
  /** Notebooks whose results come from a smoke run (numbers not meaningful). */
  smokeNotebooks: string[];
}

export interface BuildClaimsOptions {
  /** The results, as readAllResults gives them (default: read `resultsDir`). */
  results?: Record<string, ResultsEntry>;
  /** Default out/results (GENLAB_OUT moves it). */
  resultsDir?: string;
  /** Where the notebooks are, for section anchors (default notebooks/ of the project). */
  notebooksDir?: string;
}

function readResultsSafely(dir: string | undefined): {
  results: Record<string, ResultsEntry>;
  errors: ResultsReadError[];
} {
  try {
    return { results: dir === undefined ? readAllResults() : readAllResults(dir), errors: [] };
  } catch (err) {
    return {
      results: {},
      errors: [{ notebook: "(all)", file: dir ?? "out/results", error: (err as Error).message }],
    };
  }
}

/** The headings of notebooks/<nb>.ipynb, [] when it is absent or unreadable. */
function headingsOf(dir: string, notebook: string, cache: Map<string, string[]>): string[] {
  let h = cache.get(notebook);
  if (h === undefined) {
    try {
      h = notebookHeadings(
        JSON.parse(fs.readFileSync(path.join(dir, `${notebook}.ipynb`), "utf8")) as NotebookJson,
      );
    } catch {
      h = [];
    }
    cache.set(notebook, h);
  }
  return h;
}

/** Why a saved verdict entry is not usable, or undefined when it is. */
function invalidEntry(v: unknown): string | undefined {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return "the entry is not an object";
  const e = v as Record<string, unknown>;
  if (!VERDICTS.includes(e.verdict as Verdict))
    return `verdict ${JSON.stringify(e.verdict)} is not one of ${VERDICTS.join(", ")}`;
  if (typeof e.summary !== "string") return "no summary";
  if (typeof e.numbers !== "object" || e.numbers === null || Array.isArray(e.numbers))
    return "numbers is not an object";
  const bad = Object.entries(e.numbers).find(
    ([, x]) => typeof x !== "number" || !Number.isFinite(x),
  );
  if (bad) return `number "${bad[0]}" is ${JSON.stringify(bad[1])}`;
  if (e.section !== undefined && typeof e.section !== "string") return "section is not a string";
  return undefined;
}

const claimOrder = (id: string) => (id.charCodeAt(0) - 65) * 1000 + Number(id.slice(1));

/**
 * The claims table from the saved results; see the module comment. Never throws on bad results
 * files.
 */
function isReadError(e: ResultsEntry): e is ResultsReadError {
  return e.error !== undefined;
}

export function buildClaimsTable(opts: BuildClaimsOptions = {}): ClaimsTable {
  const read =
    opts.results !== undefined
      ? { results: opts.results, errors: [] }
      : readResultsSafely(opts.resultsDir);
  const nbDir = opts.notebooksDir ?? path.join(projectRoot(), "notebooks");
  const cache = new Map<string, string[]>();
  const errors = [...read.errors];
  const ok: Record<string, ResultsFile> = {};
  for (const [nb, entry] of Object.entries(read.results)) {
    // A type guard, not `entry.error !== undefined`: tslab compiles without strictNullChecks, where
    // that does not narrow.
    if (isReadError(entry)) errors.push(entry);
    else ok[nb] = entry as ResultsFile;
  }
  const known = new Map(CLAIMS.map((c) => [c.id, c]));
  const byId = new Map<string, ClaimRow[]>();
  for (const nb of Object.keys(ok).sort()) {
    const file = ok[nb];
    const run = {
      mode: String(file.mode),
      updatedAt: String(file.updatedAt),
      backend: typeof file.backend === "string" ? file.backend : null,
    };
    for (const [id, raw] of Object.entries(file.verdicts)) {
      const claim = known.get(id);
      const why = invalidEntry(raw);
      const v = raw as {
        verdict: Verdict;
        summary: string;
        numbers: Record<string, number>;
        section?: string;
      };
      const section = why === undefined && typeof v.section === "string" ? v.section : null;
      const row: ClaimRow = {
        id,
        known: claim !== undefined,
        zh: claim?.zh ?? "",
        en: claim?.en ?? "",
        experiment: claim?.experiment ?? "",
        expected: claim?.notebooks ?? [],
        notebook: nb,
        verdict: why === undefined ? v.verdict : "invalid",
        summary:
          why === undefined
            ? v.summary
            : `${nb} saved an entry for ${id} that is not a valid verdict: ${why}`,
        numbers: why === undefined ? { ...v.numbers } : {},
        section,
        links: sectionLinks(nb, headingsOf(nbDir, nb, cache), section ?? undefined, id),
        run,
      };
      if (!byId.has(id)) byId.set(id, []);
      byId.get(id)!.push(row);
    }
  }
  const unreadable = new Map(errors.map((e) => [e.notebook, e]));
  const missingReason = (c: Claim): string =>
    c.notebooks
      .map((nb) => {
        const bad = unreadable.get(nb);
        if (bad) return `${nb}: results file unreadable (${bad.error})`;
        const f = ok[nb];
        if (f)
          return `${nb} ran (${f.mode}, ${String(f.updatedAt).slice(0, 10)}) but saved no verdict for ${c.id}`;
        return `${nb}: no results (not run yet)`;
      })
      .join("; ");
  const rows: ClaimRow[] = [];
  for (const c of CLAIMS) {
    const saved = byId.get(c.id);
    if (saved) {
      rows.push(...saved);
      continue;
    }
    rows.push({
      id: c.id,
      known: true,
      zh: c.zh,
      en: c.en,
      experiment: c.experiment,
      expected: c.notebooks,
      notebook: null,
      verdict: "missing",
      summary: `No verdict saved. ${missingReason(c)}.`,
      numbers: {},
      section: null,
      links: c.notebooks.map((nb) => ({ notebook: nb, title: nb, anchor: null })),
      run: null,
    });
  }
  const unknownIds = [...byId.keys()]
    .filter((id) => !known.has(id))
    .sort((a, b) => claimOrder(a) - claimOrder(b) || a.localeCompare(b));
  for (const id of unknownIds) rows.push(...byId.get(id)!);

  const verdicts = Object.fromEntries(VERDICTS.map((v) => [v, 0])) as Record<Verdict, number>;
  for (const r of rows)
    if (r.verdict !== "missing" && r.verdict !== "invalid") verdicts[r.verdict] += 1;
  const missing = rows.filter((r) => r.verdict === "missing").length;
  return {
    rows,
    counts: {
      claims: CLAIMS.length,
      withVerdict: CLAIMS.length - missing,
      missing,
      verdicts,
      invalid: rows.filter((r) => r.verdict === "invalid").length,
      unknownIds: rows.filter((r) => !r.known).length,
      unreadableFiles: errors.length,
    },
    errors,
    smokeNotebooks: Object.keys(ok).filter(
      (nb) => ok[nb].mode === "smoke" && Object.keys(ok[nb].verdicts).length > 0,
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Colours of each verdict (background, text). */
export const VERDICT_COLORS: Record<RowVerdict, { bg: string; fg: string }> = {
  reproduced: { bg: "#d4edda", fg: "#155724" },
  "reproduced with a caveat": { bg: "#fff3cd", fg: "#7a5a00" },
  "not reproduced": { bg: "#f8d7da", fg: "#8b1a24" },
  invalid: { bg: "#e2d6f3", fg: "#4b2a7a" },
  missing: { bg: "#e9ecef", fg: "#495057" },
};

/** A verdict as a coloured label (missing ones dashed, so they stand out in print too). */
export function verdictBadge(v: RowVerdict, label?: string): string {
  const c = VERDICT_COLORS[v];
  const border = v === "missing" ? "1px dashed #6c757d" : `1px solid ${c.fg}33`;
  const text = label ?? (v === "missing" ? "MISSING" : v);
  return `<span class="genlab-verdict" data-verdict="${escapeHtml(v)}" style="display:inline-block;padding:1px 7px;border-radius:9px;background:${c.bg};color:${c.fg};border:${border};font-weight:bold;white-space:nowrap">${escapeHtml(text)}</span>`;
}

/** The counts as one line of coloured labels. */
export function claimsCountsHtml(counts: ClaimsCounts): string {
  const chip = (v: RowVerdict, n: number) => verdictBadge(v, `${n} ${v}`);
  const parts = [
    `<b>${counts.claims} claims</b>: ${counts.withVerdict} with a verdict, ${counts.missing} missing.`,
    `Verdicts saved: ${VERDICTS.map((v) => chip(v, counts.verdicts[v])).join(" ")}`,
  ];
  if (counts.missing > 0) parts.push(chip("missing", counts.missing));
  if (counts.invalid > 0) parts.push(chip("invalid", counts.invalid));
  if (counts.unknownIds > 0) parts.push(`<b>${counts.unknownIds}</b> for ids not in CLAIMS.md`);
  if (counts.unreadableFiles > 0)
    parts.push(
      `<b style="color:#8b1a24">${counts.unreadableFiles} unreadable results file${counts.unreadableFiles === 1 ? "" : "s"}</b>`,
    );
  return `<div class="genlab-claims-counts" style="margin:6px 0;line-height:1.9">${parts.join(" ")}</div>`;
}

/** The counts as plain text. */
export function claimsCountsText(counts: ClaimsCounts): string {
  const v = VERDICTS.map((x) => `${counts.verdicts[x]} ${x}`).join(", ");
  const extra = [
    counts.invalid ? `${counts.invalid} invalid` : "",
    counts.unknownIds ? `${counts.unknownIds} for unknown ids` : "",
    counts.unreadableFiles ? `${counts.unreadableFiles} unreadable results files` : "",
  ].filter(Boolean);
  return `${counts.claims} claims: ${counts.withVerdict} with a verdict, ${counts.missing} missing. Verdicts saved: ${v}${extra.length ? `; ${extra.join(", ")}` : ""}.`;
}

/** Where a section link points; null for no link. */
export type HrefFor = (notebook: string, anchor: string | null) => string | null;

/**
 * Links for a document in notebooks/ (notebook 06): `<nb>.ipynb#anchor`, when that notebook exists.
 */
export function ipynbHref(notebooksDir: string = path.join(projectRoot(), "notebooks")): HrefFor {
  return (nb, anchor) =>
    fs.existsSync(path.join(notebooksDir, `${nb}.ipynb`))
      ? `${nb}.ipynb${anchor ? `#${anchor}` : ""}`
      : null;
}

/** "name = value" for each measured number. */
export function numbersText(numbers: Record<string, number>): string {
  return Object.entries(numbers)
    .map(([k, v]) => `${k} = ${formatNumber(v)}`)
    .join(", ");
}

function runText(run: ClaimRow["run"]): string {
  return run
    ? `${run.mode} run, ${run.updatedAt.slice(0, 10)}${run.backend ? `, ${run.backend}` : ""}`
    : "";
}

const WRAP = "white-space:normal;";

export interface ClaimsTableHtmlOptions {
  /** Section links (default ipynbHref()). */
  href?: HrefFor;
  title?: string;
}

/**
 * The claims table as HTML (lib/display/table.ts's table; the rich cells, links and coloured
 * verdicts, are put in after tableHtml has escaped the rest).
 */
export function claimsTableHtml(table: ClaimsTable, opts: ClaimsTableHtmlOptions = {}): string {
  const href = opts.href ?? ipynbHref();
  const rich: string[] = [];
  const cell = (html: string) => `\uE000${rich.push(html) - 1}\uE001`;
  const rows: Row[] = table.rows.map((r) => {
    const claim = r.known
      ? `<div lang="zh" style="${WRAP}min-width:18em">${escapeHtml(r.zh)}</div><div style="${WRAP}color:#555;margin-top:3px">${escapeHtml(r.en)}</div>`
      : `<div style="${WRAP}color:#8b1a24">not a claim of CLAIMS.md</div>`;
    const links = r.links
      .map((l) => {
        const h = href(l.notebook, l.anchor);
        const text = l.anchor === null ? l.notebook : `${l.notebook} · ${l.title}`;
        return h === null ? escapeHtml(text) : `<a href="${escapeHtml(h)}">${escapeHtml(text)}</a>`;
      })
      .join("<br>");
    const nums = numbersText(r.numbers);
    const measured =
      `<div style="${WRAP}min-width:16em">${escapeHtml(r.summary)}</div>` +
      (nums
        ? `<div style="${WRAP}color:#333;font-family:monospace;font-size:12px;margin-top:3px">${escapeHtml(nums)}</div>`
        : "") +
      (r.run
        ? `<div style="${WRAP}color:#777;font-size:11px;margin-top:2px">${escapeHtml(runText(r.run))}</div>`
        : "");
    return {
      id: r.id,
      "claim (original, English)": cell(claim),
      experiment: cell(`<div style="${WRAP}min-width:12em">${escapeHtml(r.experiment)}</div>`),
      verdict: cell(verdictBadge(r.verdict)),
      "measured (from the saved results)": cell(measured),
      "notebook · section": cell(`<div style="${WRAP}min-width:10em">${links}</div>`),
    };
  });
  const html = tableHtml(rows, { title: opts.title, maxRows: Number.MAX_SAFE_INTEGER });
  return html
    .replace(/\uE000(\d+)\uE001/g, (_, i: string) => rich[Number(i)])
    .replace(/<tr>/g, '<tr style="vertical-align:top">');
}

/** The claims table as aligned text (terminals, logs). */
export function claimsTableText(table: ClaimsTable): string {
  const rows: Row[] = table.rows.map((r) => ({
    id: r.id,
    notebook: r.notebook ?? r.expected.join(", "),
    verdict: r.verdict,
    section: r.section ?? "",
    numbers: numbersText(r.numbers),
  }));
  return `${claimsCountsText(table.counts)}\n${tableText(rows, { maxRows: Number.MAX_SAFE_INTEGER })}`;
}

/** Lines saying which results files could not be read and which verdicts come from smoke runs. */
export function claimsWarningsHtml(table: ClaimsTable): string {
  const items = table.errors.map(
    (e) =>
      `<li>results of <b>${escapeHtml(e.notebook)}</b> could not be read: ${escapeHtml(e.error)}</li>`,
  );
  if (table.smokeNotebooks.length > 0) {
    items.push(
      `<li>verdicts of ${table.smokeNotebooks.map((n) => `<b>${escapeHtml(n)}</b>`).join(", ")} come from a smoke run (<code>GENLAB_TRAIN=smoke</code>): their numbers are not meaningful.</li>`,
    );
  }
  return items.length
    ? `<ul class="genlab-claims-warnings" style="color:#8b1a24">${items.join("\n")}</ul>`
    : "";
}

/**
 * Shows the counts and the table (in a notebook: HTML with links to the .ipynb sections); returns
 * the table.
 */
export function showClaimsTable(
  table: ClaimsTable = buildClaimsTable(),
  opts: ClaimsTableHtmlOptions = {},
): ClaimsTable {
  showHtml(
    claimsCountsHtml(table.counts) + claimsWarningsHtml(table) + claimsTableHtml(table, opts),
    claimsTableText(table),
  );
  return table;
}

/**
 * Tables: rows of records to danfojs DataFrames, and DataFrames (or plain rows) to HTML for the
 * notebook or an aligned text table for the terminal. danfo has no HTML renderer; this builds one
 * from `df.columns` and `df.values`. (danfojs-node pulls in xlsx 0.18.5 through the project's npm
 * overrides; genlab never reads spreadsheets.)
 */
import * as dfd from "danfojs-node";
import { escapeHtml, showHtml } from "./display";

/** One table cell. */
export type Cell = number | string | boolean | null;

/** One row: column name -> value (a missing or undefined value is an empty cell). */
export type Row = Record<string, Cell | undefined>;

/** Anything with danfo's shape: column names plus row-major values (a Series has 1-D values). */
export interface TableLike {
  columns: string[];
  values: unknown;
  index?: unknown;
}

/** What the table functions accept: a danfo DataFrame or Series, or an array of row records. */
export type TableInput = dfd.DataFrame | dfd.Series | TableLike | readonly Row[];

export interface TableOptions {
  /** Shown above the table. */
  title?: string;
  /** Significant digits for non-integer numbers (default 4). */
  digits?: number;
  /** Shown below the table. */
  caption?: string;
  /** Show the DataFrame index as a first column (default false). */
  index?: boolean;
  /** Show at most this many rows, then a "... N more rows" line (default 200). */
  maxRows?: number;
}

/** Column names in order of first appearance across all rows. */
function unionColumns(rows: readonly Row[]): string[] {
  const seen = new Set<string>();
  const cols: string[] = [];
  for (const r of rows) {
    for (const k of Object.keys(r)) {
      if (!seen.has(k)) {
        seen.add(k);
        cols.push(k);
      }
    }
  }
  return cols;
}

/**
 * A danfo DataFrame from row records. Rows may have different keys: missing cells become null
 * (danfo itself takes the columns from the first row only and would misplace values).
 */
export function toDataFrame(rows: readonly Row[]): dfd.DataFrame {
  const cols = unionColumns(rows);
  const normalized = rows.map((r) => {
    const o: Row = {};
    for (const c of cols) o[c] = r[c] === undefined ? null : r[c];
    return o;
  });
  return new dfd.DataFrame(normalized);
}

interface Grid {
  columns: string[];
  rows: unknown[][];
}

/** Column names and row arrays from any accepted input. */
function toGrid(input: TableInput, withIndex: boolean): Grid {
  if (Array.isArray(input)) {
    const rows = input as readonly Row[];
    const columns = unionColumns(rows);
    return {
      columns,
      rows: rows.map((r) => columns.map((c) => (r[c] === undefined ? null : r[c]))),
    };
  }
  const t = input as TableLike;
  if (!t || !Array.isArray(t.columns) || !Array.isArray(t.values)) {
    throw new Error("table: expected a danfo DataFrame/Series or an array of row objects");
  }
  const values = t.values as unknown[];
  // A Series has 1-D values and one column name.
  let rows = values.map((v) => (Array.isArray(v) ? (v as unknown[]) : [v]));
  let columns = t.columns.slice();
  if (withIndex && Array.isArray(t.index)) {
    const index = t.index as unknown[];
    rows = rows.map((r, i) => [index[i], ...r]);
    columns = ["", ...columns];
  }
  return { columns, rows };
}

/**
 * Formats a number with `digits` significant digits: integers exactly, very small or very large
 * magnitudes in exponent form, NaN as "NaN".
 */
export function formatNumber(x: number, digits = 4): string {
  const d = Math.min(21, Math.max(1, Math.round(digits)));
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  const ax = Math.abs(x);
  if (Number.isInteger(x) && ax < 1e15) return String(x);
  if (ax >= 1e15 || ax < 1e-4) return x.toExponential(d - 1);
  if (ax >= 10 ** d) return String(Math.round(x));
  return x.toPrecision(d);
}

function formatCell(v: unknown, digits: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") return formatNumber(v, digits);
  if (typeof v === "bigint") return v.toString();
  return String(v);
}

/** True for columns whose non-empty cells are all numbers (these are right-aligned). */
function numericColumns(grid: Grid): boolean[] {
  return grid.columns.map((_, j) => {
    let any = false;
    for (const r of grid.rows) {
      const v = r[j];
      if (v === null || v === undefined) continue;
      if (typeof v !== "number" && typeof v !== "bigint") return false;
      any = true;
    }
    return any;
  });
}

interface Prepared {
  columns: string[];
  cells: string[][];
  numeric: boolean[];
  omitted: number;
}

function prepare(input: TableInput, opts: TableOptions): Prepared {
  const grid = toGrid(input, opts.index === true);
  const digits = opts.digits ?? 4;
  const maxRows = opts.maxRows ?? 200;
  const shown = grid.rows.slice(0, Math.max(0, maxRows));
  return {
    columns: grid.columns,
    cells: shown.map((r) => grid.columns.map((_, j) => formatCell(r[j], digits))),
    numeric: numericColumns(grid),
    omitted: grid.rows.length - shown.length,
  };
}

const CELL_STYLE = "padding:2px 8px;border-bottom:1px solid #ddd;white-space:nowrap;";

/**
 * An HTML `<table>` (inside a `<div>` with the title): cells escaped, numbers right-aligned and
 * formatted to `digits` significant digits. Pure; needs no notebook.
 */
export function tableHtml(input: TableInput, opts: TableOptions = {}): string {
  const p = prepare(input, opts);
  const align = (j: number) => (p.numeric[j] ? "right" : "left");
  const head = p.columns
    .map(
      (c, j) =>
        `<th style="${CELL_STYLE}text-align:${align(j)};font-weight:bold;border-bottom:2px solid #999">${escapeHtml(c)}</th>`,
    )
    .join("");
  const body = p.cells
    .map(
      (r) =>
        `<tr>${r.map((c, j) => `<td style="${CELL_STYLE}text-align:${align(j)}">${escapeHtml(c)}</td>`).join("")}</tr>`,
    )
    .join("\n");
  const more =
    p.omitted > 0
      ? `\n<tr><td colspan="${Math.max(1, p.columns.length)}" style="${CELL_STYLE}text-align:left;color:#777">\u2026 ${p.omitted} more row${p.omitted === 1 ? "" : "s"}</td></tr>`
      : "";
  const title = opts.title
    ? `<div style="font-weight:bold;margin:4px 0">${escapeHtml(opts.title)}</div>\n`
    : "";
  const caption = opts.caption
    ? `<caption style="caption-side:bottom;text-align:left;color:#555;font-size:12px;padding-top:4px">${escapeHtml(opts.caption)}</caption>\n`
    : "";
  return (
    `<div class="genlab-table">\n${title}` +
    `<table style="border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums;margin:0">\n${caption}` +
    `<thead><tr>${head}</tr></thead>\n<tbody>\n${body}${more}\n</tbody>\n</table>\n</div>`
  );
}

/** The same table as aligned plain text (numbers right-aligned), for terminals and logs. */
export function tableText(input: TableInput, opts: TableOptions = {}): string {
  const p = prepare(input, opts);
  const widths = p.columns.map((c, j) => Math.max(c.length, ...p.cells.map((r) => r[j].length)));
  const pad = (s: string, j: number) =>
    p.numeric[j] ? s.padStart(widths[j]) : s.padEnd(widths[j]);
  const line = (cells: string[]) => cells.map(pad).join("  ").replace(/\s+$/, "");
  const out: string[] = [];
  if (opts.title) out.push(opts.title);
  out.push(line(p.columns));
  out.push(widths.map((w) => "-".repeat(w)).join("  "));
  for (const r of p.cells) out.push(line(r));
  if (p.omitted > 0) out.push(`... ${p.omitted} more row${p.omitted === 1 ? "" : "s"}`);
  if (opts.caption) out.push(opts.caption);
  return out.join("\n");
}

/** Shows a table: HTML in a notebook, aligned text in a terminal. */
export function showTable(input: TableInput, opts: TableOptions = {}): void {
  showHtml(tableHtml(input, opts), tableText(input, opts));
}

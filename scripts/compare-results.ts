/**
 * npm run compare-results -- BEFORE_DIR AFTER_DIR [NOTEBOOK ...]
 *
 * Two runs' out/results side by side, as markdown: for each notebook, every metric whose value
 * changed (before, after, change) and every claim whose verdict changed. For a change of data or
 * models (issue 17: every MNIST number before and after the official split), where
 * check-determinism asks whether two runs are the same, this asks how they differ.
 */
import * as fs from "fs";
import * as path from "path";
import { fmtNumber } from "../lib/display/format";

interface Results {
  metrics: Record<string, { value: unknown }>;
  verdicts: Record<string, { verdict: string }>;
}

/**
 * A metric's numbers by path: the value itself ("acc"), an object's numbers ("samples.frechet"),
 * an array's ("lc_sizes[2]"); texts and other values are left out.
 */
export function numbersOf(key: string, v: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (p: string, x: unknown) => {
    if (typeof x === "number" && Number.isFinite(x)) out.set(p, x);
    else if (Array.isArray(x)) x.forEach((y, i) => walk(`${p}[${i}]`, y));
    else if (x && typeof x === "object")
      for (const [k, y] of Object.entries(x as Record<string, unknown>)) walk(`${p}.${k}`, y);
  };
  walk(key, v);
  return out;
}

/** A number as every table of the project prints it (fmtNumber); "-" for a missing one. */
function fmt(v: number | null): string {
  return v === null ? "-" : fmtNumber(v);
}

/** Markdown rows of the numeric metrics that differ, and of the verdicts that differ. */
export function compareResults(before: Results, after: Results): string[] {
  const lines: string[] = [];
  const flat = (r: Results) => {
    const m = new Map<string, number>();
    for (const [k, v] of Object.entries(r.metrics))
      for (const [p, x] of numbersOf(k, v.value)) m.set(p, x);
    return m;
  };
  const [a, b] = [flat(before), flat(after)];
  const changed = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
  if (changed.length) {
    lines.push("| metric | before | after | change |", "| --- | --- | --- | --- |");
    for (const k of changed) {
      const [x, y] = [a.get(k) ?? null, b.get(k) ?? null];
      const d = x !== null && y !== null ? fmt(y - x) : "-";
      lines.push(`| ${k} | ${fmt(x)} | ${fmt(y)} | ${d} |`);
    }
  }
  const claims = [...new Set([...Object.keys(before.verdicts), ...Object.keys(after.verdicts)])];
  const moved = claims.filter((c) => before.verdicts[c]?.verdict !== after.verdicts[c]?.verdict);
  if (moved.length) {
    lines.push("", "| claim | verdict before | verdict after |", "| --- | --- | --- |");
    for (const c of moved)
      lines.push(
        `| ${c} | ${before.verdicts[c]?.verdict ?? "-"} | ${after.verdicts[c]?.verdict ?? "-"} |`,
      );
  }
  return lines;
}

function main(): void {
  const [dirA, dirB, ...names] = process.argv.slice(2);
  if (!dirA || !dirB) {
    console.error("usage: npm run compare-results -- BEFORE_DIR AFTER_DIR [NOTEBOOK ...]");
    process.exit(2);
  }
  const read = (dir: string, nb: string): Results | null => {
    const f = path.join(dir, "results", `${nb}.json`);
    return fs.existsSync(f) ? (JSON.parse(fs.readFileSync(f, "utf8")) as Results) : null;
  };
  const all = fs
    .readdirSync(path.join(dirB, "results"))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.replace(/\.json$/, ""));
  for (const nb of names.length ? all.filter((n) => names.some((p) => n.startsWith(p))) : all) {
    const [a, b] = [read(dirA, nb), read(dirB, nb)];
    console.log(`\n### ${nb}\n`);
    if (!a || !b) console.log(`(results only in ${a ? dirA : dirB})`);
    else console.log(compareResults(a, b).join("\n") || "(no change)");
  }
}

if (require.main === module) main();

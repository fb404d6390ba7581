/**
 * npm run check-determinism -- DIR_A DIR_B [NOTEBOOK ...]: two runs of the same notebooks with the
 * same seeds and mode must give the same out/results JSON, apart from timestamps and timings.
 * Compares DIR_A/results/<nb>.json with DIR_B/results/<nb>.json (every notebook in both when none
 * is named), ignoring keys that hold times (startedAt, updatedAt, and keys naming seconds,
 * milliseconds or a rate per time) and durations quoted in texts (a verdict's summary: "0.20 ms per
 * image"). Prints every path that differs and exits 1 if any does.
 */
import * as fs from "fs";
import * as path from "path";

/** Keys whose values are wall-clock times or durations: they differ between identical runs. */
export const TIMING_KEY =
  /^at$|(^|_)(startedAt|updatedAt|createdAt|measuredAt)$|seconds|Seconds|minutes|Minutes|millis|Millis|(^|[_a-z])ms($|[A-Z_])|Ms($|[A-Z_])|perSecond|PerSecond|perHour|PerHour|wallTime|WallTime|[tT]ime$/;

/** A text with its durations ("0.20 ms", "7.9 min", "12 s") replaced: summaries quote timings. */
export function untimed(text: string): string {
  return text.replace(/\d+(\.\d+)?\s*(ms|s|min|h|seconds|minutes|hours)\b/g, "<time>");
}

/** Paths (a.b[3].c) where a and b differ, timing keys left out. */
export function resultDiffs(a: unknown, b: unknown, at = ""): string[] {
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return [`${at}: length ${a.length} vs ${b.length}`];
    return a.flatMap((v, i) => resultDiffs(v, b[i], `${at}[${i}]`));
  }
  if (a && b && typeof a === "object" && typeof b === "object") {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter(
      (k) => !TIMING_KEY.test(k),
    );
    return keys.flatMap((k) => {
      const va = (a as Record<string, unknown>)[k];
      const vb = (b as Record<string, unknown>)[k];
      const p = at ? `${at}.${k}` : k;
      if (va === undefined || vb === undefined)
        return [`${p}: only in ${va === undefined ? "the second" : "the first"}`];
      return resultDiffs(va, vb, p);
    });
  }
  if (typeof a === "string" && typeof b === "string" && untimed(a) === untimed(b)) return [];
  if (Object.is(a, b)) return [];
  const show = (v: unknown) => JSON.stringify(v)?.slice(0, 80);
  return [`${at}: ${show(a)} vs ${show(b)}`];
}

function main(): void {
  const [dirA, dirB, ...names] = process.argv.slice(2);
  if (!dirA || !dirB) {
    console.error("usage: npm run check-determinism -- DIR_A DIR_B [NOTEBOOK ...]");
    process.exit(2);
  }
  const list = (d: string) => {
    const r = path.join(d, "results");
    if (!fs.existsSync(r)) {
      console.error(
        `check-determinism: ${r} does not exist; run npm run reproduce with GENLAB_OUT=${d} first`,
      );
      process.exit(2);
    }
    return fs
      .readdirSync(r)
      .filter((f) => f.endsWith(".json"))
      .map((f) => f.replace(/\.json$/, ""));
  };
  const inA = list(dirA);
  const inB = new Set(list(dirB));
  const chosen = names.length ? names : inA.filter((n) => inB.has(n));
  let failed = 0;
  for (const nb of chosen) {
    const read = (d: string) => {
      const f = path.join(d, "results", `${nb}.json`);
      if (!fs.existsSync(f)) {
        console.error(`check-determinism: ${f} is missing`);
        process.exit(2);
      }
      return JSON.parse(fs.readFileSync(f, "utf8"));
    };
    const diffs = resultDiffs(read(dirA), read(dirB));
    if (diffs.length) failed++;
    console.log(
      `${diffs.length ? "DIFFERS" : "same   "} ${nb}${diffs.length ? `: ${diffs.length} value(s)` : ""}`,
    );
    for (const d of diffs.slice(0, 20)) console.log(`    ${d}`);
  }
  if (!chosen.length) console.log("check-determinism: no notebook in both folders");
  process.exit(failed || !chosen.length ? 1 : 0);
}

if (require.main === module) main();

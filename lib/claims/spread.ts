/**
 * Measured spread of a number a notebook trains or samples live, and the guards set from it.
 *
 * A notebook asserts on such a number (a trained discriminator's error, a float32 round trip) with
 * a threshold. The threshold is only safe if it sits far outside the number's spread across seeds
 * and backends. `npm run spread -- NAME --record` measures that spread (scripts/spread.ts) and
 * writes data/spread/NAME.json; `spreadGuard` reads the record when the notebook runs, checks the
 * threshold against it and returns a line saying how far outside the spread the threshold is.
 */
import * as fs from "fs";
import { dataDir } from "../runtime/env";
import { mean as meanOf } from "../runtime/stats";
import { fmtNumber } from "../display/format";

export interface SpreadStats {
  n: number;
  min: number;
  mean: number;
  max: number;
  sd: number;
}

/** How values are compared: as they are, or by their logarithm (ratios, rounding errors). */
export type SpreadScale = "linear" | "log";

export interface SpreadRecord {
  format: "genlab-spread/1";
  name: string;
  /** What is measured, in the words of the notebook it guards. */
  what: string;
  scale: SpreadScale;
  /** The notebook's own seed first; each backend's `values` follow this order. */
  seeds: number[];
  backends: (SpreadStats & { backend: string; values: number[] })[];
  /** Over every seed and backend, on the record's scale (log: of log10 of the values). */
  all: SpreadStats;
  recorded: { at: string; codeVersion: string };
}

/** min, mean, max and sample standard deviation. */
export function spreadStats(values: number[]): SpreadStats {
  if (!values.length) throw new Error("spreadStats: no values");
  const mean = meanOf(values);
  const ss = values.reduce((a, b) => a + (b - mean) ** 2, 0);
  const sd = Math.sqrt(ss / Math.max(1, values.length - 1));
  return { n: values.length, min: Math.min(...values), mean, max: Math.max(...values), sd };
}

/** The values on a scale: log10 for "log" (every value must then be > 0). */
export function onScale(values: number[], scale: SpreadScale, what: string): number[] {
  if (scale === "linear") return values;
  const bad = values.find((v) => !(v > 0));
  if (bad !== undefined) throw new Error(`${what}: ${bad} has no logarithm; use the linear scale`);
  return values.map(Math.log10);
}

export function spreadFile(name: string): string {
  return dataDir("spread", `${name}.json`);
}

/** Reads data/spread/NAME.json; a missing or damaged record is an error saying how to remake it. */
export function readSpread(name: string, file = spreadFile(name)): SpreadRecord {
  const remake = `remake it with: npm run spread -- ${name} --record`;
  if (!fs.existsSync(file)) throw new Error(`no spread record ${file}; ${remake}`);
  let rec: SpreadRecord;
  try {
    rec = JSON.parse(fs.readFileSync(file, "utf8")) as SpreadRecord;
  } catch (e) {
    throw new Error(
      `spread record ${file} is not valid JSON (${(e as Error).message}); ${remake}`,
      { cause: e },
    );
  }
  const a = rec?.all;
  const ok =
    [a?.n, a?.min, a?.mean, a?.max, a?.sd].every((v) => typeof v === "number") &&
    ["linear", "log"].includes(rec?.scale) &&
    Array.isArray(rec?.backends) &&
    rec.backends.every((b) => b.values?.length === rec.seeds?.length);
  if (rec?.format !== "genlab-spread/1" || rec.name !== name || !ok) {
    throw new Error(`spread record ${file} is not a genlab-spread/1 record of ${name}; ${remake}`);
  }
  return rec;
}

/** The guard's direction: the number must stay below (or above) the threshold. */
export type GuardSide = "below" | "above";

/**
 * Which spread the threshold must clear: "seeds and backends" (the default: every recorded run),
 * or "backends", the runs at the notebook's own seed only, for a claim's threshold that some
 * other seeds do not meet (the guard then reports how many runs do).
 */
export type GuardAcross = "seeds and backends" | "backends";

export interface SpreadGuard {
  threshold: number;
  side: GuardSide;
  /** Standard deviations between the mean of the runs it must clear and the threshold. */
  sds: number;
  /** Recorded runs (every seed and backend) that pass, and how many there are. */
  passing: number;
  runs: number;
  record: SpreadRecord;
  /** One sentence for the notebook: the spread and where the threshold sits. */
  line: string;
}

/** A number for a sentence: 4 significant digits, in exponent form with 2 decimals below 1e-3. */
const fmtSpread = (x: number) => fmtNumber(x, 2);

const passesValue = (side: GuardSide, threshold: number, v: number) =>
  side === "below" ? v < threshold : v > threshold;

/**
 * The guard `value < threshold` (side "below") or `value > threshold` ("above") for the statistic
 * NAME, checked against its recorded spread on the record's scale: every run it must clear (see
 * GuardAcross) passes it and the threshold is at least `minSds` standard deviations of those runs
 * from their mean (default 3). Throws otherwise, so a threshold within noise cannot ship.
 */
export function spreadGuard(
  name: string,
  threshold: number,
  side: GuardSide,
  opts: { minSds?: number; across?: GuardAcross; record?: SpreadRecord } = {},
): SpreadGuard {
  const record = opts.record ?? readSpread(name);
  const minSds = opts.minSds ?? 3;
  const across = opts.across ?? "seeds and backends";
  const all = record.backends.flatMap((b) => b.values);
  const own = record.backends.map((b) => b.values[0]);
  const cleared = across === "backends" ? own : all;
  const [t] = onScale([threshold], record.scale, `${name}: threshold`);
  const s = spreadStats(onScale(cleared, record.scale, name));
  const gap = side === "below" ? t - s.mean : s.mean - t;
  const sds = s.sd > 0 ? gap / s.sd : gap > 0 ? Infinity : -Infinity;
  const ok = cleared.every((v) => passesValue(side, threshold, v)) && sds >= minSds;
  const passing = all.filter((v) => passesValue(side, threshold, v)).length;
  const runs = `${all.length} runs (${record.seeds.length} seeds x ${record.backends.length} backends)`;
  const range = `${fmtSpread(Math.min(...all))} to ${fmtSpread(Math.max(...all))}`;
  const sdText = sds > 100 ? "over 100 sd" : `${sds.toFixed(1)} sd`;
  const scaleText = record.scale === "log" ? ", on a log scale" : "";
  const guard = `${side === "below" ? "<" : ">"} ${fmtSpread(threshold)}`;
  const where = side === "below" ? "above" : "below";
  const line =
    across === "backends"
      ? `${name}: ${passing} of ${runs} pass ${guard}, ${range}; at this notebook's seed ` +
        `${record.seeds[0]}: ${own.map(fmtSpread).join(", ")} on the ${own.length} backends, ` +
        `the threshold ${sdText} ${where} them${scaleText} (npm run spread -- ${name}).`
      : `${name}: ${runs}, ${range}; the guard ${guard} is ${sdText} ${where} their mean` +
        `${scaleText} (npm run spread -- ${name}).`;
  if (!ok) {
    throw new Error(
      `${name}: the threshold ${threshold} sits within the measured spread across ${across} ` +
        `(${range}; ${sdText} from the mean${scaleText}, ${minSds} needed); move the ` +
        `threshold or re-measure with npm run spread -- ${name} --record`,
    );
  }
  return { threshold, side, sds, passing, runs: all.length, record, line };
}

/** True when `value` passes the guard. */
export function passes(guard: SpreadGuard, value: number): boolean {
  return passesValue(guard.side, guard.threshold, value);
}

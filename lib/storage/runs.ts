/**
 * Load a shipped run result, or compute it: the conventions of fitOrLoad (lib/training/weights.ts)
 * for results that are numbers rather than weights, e.g. a grid of training runs too many to ship
 * as weight files (B11's learning rates x seeds, lib/models/b11.ts).
 *
 * | GENLAB_TRAIN | what happens                                                 | writes to       |
 * | (unset)      | load data/runs/<name>.json; if absent, compute (full budget) | data/runs/ (if  |
 * |              |                                                              | computed)       |
 * | full         | compute from scratch with the full budget, refresh the file  | data/runs/      |
 * | smoke        | compute with the tiny smoke budget, write, and read back     | out/runs/       |
 *
 * The file (JSON, written atomically through lib/storage/io.ts) records what produced it: format,
 * name, codeVersion (lib/runtime/version.ts), seeds, budget, mode, backend, createdAt, the
 * wall-clock seconds of the computation, and the result. Loading checks all of it: a file that is
 * not JSON, not this format, for another name, or computed for other seeds or another budget than
 * the code asks for now is an error that names the file and says how to recompute
 * (GENLAB_TRAIN=full, which overwrites it).
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { dataDir, outDir, projectRoot, trainMode, type TrainMode } from "../runtime/env";
import { readChecked, writeRecorded } from "./integrity";
import { codeVersion } from "../runtime/version";

export const RUN_FORMAT = "genlab-run/1";

/** What a budget may hold: JSON numbers, strings, booleans and lists of them. */
export type RunBudget = Record<string, number | string | boolean | number[] | string[]>;

export interface RunSpec<B extends RunBudget, T> {
  /** File stem: data/runs/<name>.json. Letters, digits, '-', '_' and '.'. */
  name: string;
  seeds: { full: number[]; smoke: number[] };
  budget: { full: B; smoke: B };
  /** Computes the result (JSON: finite numbers, strings, booleans, null, arrays, objects). */
  compute: (budget: B, seeds: number[]) => Promise<T>;
  /** Checks a loaded result's shape: a description of what is wrong, or null when it is fine. */
  check?: (result: unknown) => string | null;
  /** Override the mode (default: GENLAB_TRAIN). */
  mode?: TrainMode;
}

export interface RunRecord<B extends RunBudget, T> {
  format: typeof RUN_FORMAT;
  name: string;
  codeVersion: string;
  seeds: number[];
  budget: B;
  /** The mode of the run that computed it. */
  mode: TrainMode;
  backend: string;
  /** ISO 8601 time the computation finished. */
  createdAt: string;
  /** Wall-clock seconds of the computation. */
  seconds: number;
  result: T;
}

export interface RunOutcome<B extends RunBudget, T> {
  /** "shipped" when read from data/runs/, "computed" when computed in this run. */
  source: "shipped" | "computed";
  file: string;
  record: RunRecord<B, T>;
}

/** data/runs/<name>.json, or out/runs/<name>.json in smoke mode. */
export function runFile(name: string, mode: TrainMode): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name)) {
    throw new Error(
      `run name ${JSON.stringify(name)}: use letters, digits, '-', '_' and '.', starting with a letter or digit`,
    );
  }
  return path.join(mode === "smoke" ? outDir("runs") : dataDir("runs"), `${name}.json`);
}

/**
 * JSON text of a value; a non-finite number (which JSON would turn into null) is an error naming
 * where it is.
 */
function strictJson(value: unknown, who: string): string {
  return JSON.stringify(
    value,
    function (this: unknown, key: string, v: unknown) {
      if (typeof v === "number" && !Number.isFinite(v))
        throw new Error(
          `${who}: the result holds ${v} at key ${JSON.stringify(key)}; store null (or leave the key out) for a missing number`,
        );
      return v;
    },
    2,
  );
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Reads and checks a run file against what the code asks for now (name, seeds, budget, and the
 * result's shape by `check`). Every problem is an error naming the file and saying how to
 * recompute.
 */
export function readRun<B extends RunBudget, T>(
  file: string,
  expect: { name: string; seeds: number[]; budget: B; check?: (result: unknown) => string | null },
): RunRecord<B, T> {
  const fix = `delete it or recompute it with GENLAB_TRAIN=full (which overwrites ${shown(file)})`;
  const what = `run ${expect.name}: ${shown(file)}`;
  const buf = readChecked(file, what, `restore it with git or ${fix}`);
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(buf.toString("utf8"));
  } catch (err) {
    throw new Error(
      `run ${expect.name}: ${shown(file)} is not readable JSON (${(err as Error).message}); ${fix}`,
      { cause: err },
    );
  }
  if (typeof rec !== "object" || rec === null || rec.format !== RUN_FORMAT) {
    throw new Error(
      `run ${expect.name}: ${shown(file)} is not a ${RUN_FORMAT} file (format ${JSON.stringify((rec as { format?: unknown } | null)?.format)}); ${fix}`,
    );
  }
  const missing = [
    "name",
    "codeVersion",
    "seeds",
    "budget",
    "mode",
    "createdAt",
    "seconds",
    "result",
  ].filter((k) => !(k in rec));
  if (missing.length)
    throw new Error(`run ${expect.name}: ${shown(file)} lacks ${missing.join(", ")}; ${fix}`);
  const diffs: string[] = [];
  if (rec.name !== expect.name)
    diffs.push(`name ${JSON.stringify(rec.name)} (expected ${JSON.stringify(expect.name)})`);
  if (!same(rec.seeds, expect.seeds))
    diffs.push(
      `seeds ${JSON.stringify(rec.seeds)} (the code asks for ${JSON.stringify(expect.seeds)})`,
    );
  if (!same(canonical(rec.budget), canonical(expect.budget)))
    diffs.push(
      `budget ${JSON.stringify(rec.budget)} (the code asks for ${JSON.stringify(expect.budget)})`,
    );
  if (diffs.length)
    throw new Error(
      `run ${expect.name}: ${shown(file)} was computed with ${diffs.join("; ")}; ${fix}`,
    );
  const problem = expect.check?.(rec.result);
  if (problem)
    throw new Error(
      `run ${expect.name}: the result in ${shown(file)} is not what this code reads: ${problem}; ${fix}`,
    );
  return rec as unknown as RunRecord<B, T>;
}

/**
 * Loads the shipped result of a run, or computes it, following GENLAB_TRAIN (see the file comment).
 */
export async function runOrLoad<B extends RunBudget, T>(
  spec: RunSpec<B, T>,
): Promise<RunOutcome<B, T>> {
  const mode = spec.mode ?? trainMode();
  const file = runFile(spec.name, mode);
  const budget = mode === "smoke" ? spec.budget.smoke : spec.budget.full;
  const seeds = mode === "smoke" ? spec.seeds.smoke : spec.seeds.full;
  const expect = { name: spec.name, seeds, budget, check: spec.check };
  if (mode === "shipped" && fs.existsSync(file)) {
    const record = readRun<B, T>(file, expect);
    console.log(
      `${spec.name}: loaded shipped results ${shown(file)} (seeds ${seeds.join(", ")}, code ${record.codeVersion}, ${record.createdAt.slice(0, 10)}, computed in ${fmtSeconds(record.seconds)})`,
    );
    return { source: "shipped", file, record };
  }
  if (mode === "shipped")
    console.log(
      `${spec.name}: no shipped results at ${shown(file)}; computing with the full budget`,
    );
  else
    console.log(
      `${spec.name}: GENLAB_TRAIN=${mode}: computing from scratch (seeds ${seeds.join(", ")})`,
    );
  // The code that computes, read before it runs (a long computation may outlive edits of lib/).
  const version = codeVersion();
  const t0 = Date.now();
  const result = await spec.compute(budget, seeds);
  const record: RunRecord<B, T> = {
    format: RUN_FORMAT,
    name: spec.name,
    codeVersion: version,
    seeds: [...seeds],
    budget,
    mode,
    backend: tf.getBackend() ?? "none",
    createdAt: new Date().toISOString(),
    seconds: (Date.now() - t0) / 1000,
    result,
  };
  writeRecorded(file, strictJson(record, `run ${spec.name}`) + "\n");
  // Read back what was written: the load path runs in every mode, and a bad write shows at once.
  const back = readRun<B, T>(file, expect);
  console.log(`${spec.name}: saved ${shown(file)} (${fmtSeconds(record.seconds)})`);
  return { source: "computed", file, record: back };
}

/** Keys sorted, so budgets compare by content. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object")
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, canonical((v as Record<string, unknown>)[k])]),
    );
  return v;
}

function fmtSeconds(s: number): string {
  return s < 120 ? `${s.toFixed(1)} s` : `${(s / 60).toFixed(1)} min`;
}

/** A path for messages: relative to the project root when inside it. */
function shown(file: string): string {
  const rel = path.relative(projectRoot(), file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

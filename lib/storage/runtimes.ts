/**
 * Measured run times of the notebooks, per run mode.
 *
 * - `npm run reproduce` records each successful run in `<out>/runtimes.json` (out/ only: a run
 *   never changes a tracked file).
 * - `npm run runtimes` (scripts/runtimes.ts) is the one explicit command that copies those
 *   measurements into the tracked `data/runtimes.json` and rebuilds the README's time columns.
 * - Every notebook's first cell (lib/notebook.ts) prints its line from `data/runtimes.json`.
 */
import * as fs from "fs";
import { TRAIN_MODES, type TrainMode } from "../runtime/env";
import { writeJsonAtomic } from "./io";

export interface RuntimeRecord {
  seconds: number;
  cores: number;
  /** ISO date (YYYY-MM-DD) of the measurement. */
  measuredAt: string;
}
export type NotebookRuntimes = Partial<Record<TrainMode, RuntimeRecord>>;
export type Runtimes = Record<string, NotebookRuntimes>;

function isRecord(v: unknown): v is RuntimeRecord {
  const r = v as RuntimeRecord;
  return (
    typeof r === "object" &&
    r !== null &&
    Number.isFinite(r.seconds) &&
    Number.isFinite(r.cores) &&
    typeof r.measuredAt === "string"
  );
}

/**
 * Reads a runtimes file; {} when it does not exist. A file that is not valid JSON of the expected
 * shape is an error naming it (it is never overwritten silently).
 */
export function readRuntimes(file: string): Runtimes {
  if (!fs.existsSync(file)) return {};
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new Error(
      `run times ${file} is not valid JSON (${(err as Error).message}); ` +
        "restore it with `git checkout -- data/runtimes.json` or delete it",
      { cause: err },
    );
  }
  const bad = (why: string): never => {
    throw new Error(`run times ${file}: ${why}; restore it with git or delete it`);
  };
  if (typeof data !== "object" || data === null || Array.isArray(data)) bad("not a JSON object");
  for (const [nb, modes] of Object.entries(data as object)) {
    for (const [m, r] of Object.entries(modes as object)) {
      if (!TRAIN_MODES.includes(m as TrainMode))
        bad(`${nb} has an unknown mode ${JSON.stringify(m)}`);
      if (!isRecord(r)) bad(`${nb}.${m} is not {seconds, cores, measuredAt}`);
    }
  }
  return data as Runtimes;
}

/** Adds one measurement to a runtimes file (atomically). */
export function recordRuntime(file: string, notebook: string, mode: TrainMode, r: RuntimeRecord) {
  const all = readRuntimes(file);
  all[notebook] = { ...all[notebook], [mode]: r };
  writeJsonAtomic(file, all);
}

/** `into` with every measurement of `from` put over it. */
export function mergeRuntimes(into: Runtimes, from: Runtimes): Runtimes {
  const out: Runtimes = { ...into };
  for (const [nb, modes] of Object.entries(from)) out[nb] = { ...out[nb], ...modes };
  return out;
}

export function fmtDuration(s: number): string {
  return s < 90 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`;
}

/** The line the first cell prints: the notebook's measured run time in each mode. */
export function runtimeLine(r: NotebookRuntimes | undefined): string {
  const part = (m: TrainMode, label: string) =>
    `${label} ${r?.[m] ? fmtDuration(r[m]!.seconds) : "not measured yet"}`;
  const cores = Object.values(r ?? {}).map((v) => v!.cores)[0] ?? 2;
  const dates = Object.values(r ?? {})
    .map((v) => v!.measuredAt)
    .sort();
  const when = dates.length ? `, ${dates[dates.length - 1]}` : "";
  return (
    `**Run time on ${cores} cores** (data/runtimes.json${when}; whole notebook, kernel start ` +
    `included): ${part("shipped", "shipped weights")}; ${part("full", "`GENLAB_TRAIN=full`")}; ` +
    `${part("smoke", "`GENLAB_TRAIN=smoke`")}.`
  );
}

/**
 * The README's session table with its three run-time columns (shipped weights, full, smoke) rebuilt
 * from the records: a row names its notebooks in backticks in the second column ("`00_tour` +
 * `01_...`"), and each time column becomes the notebooks' times joined by " + ". Other rows and
 * columns are left as they are, so the README never states a time that runtimes.json does not hold.
 */
export function readmeWithRuntimes(readme: string, all: Runtimes): string {
  const modes: TrainMode[] = ["shipped", "full", "smoke"];
  const cell = (t: RuntimeRecord | undefined) => (t ? fmtDuration(t.seconds) : "not measured yet");
  return readme
    .split("\n")
    .map((line) => {
      const cells = line.split("|");
      // | session | notebooks | topic | claims | shipped | full | smoke |  ->  9 pieces
      if (cells.length !== 9 || !/^\s*\d+\s*$/.test(cells[1])) return line;
      const stems = [...cells[2].matchAll(/`(\d\d_[A-Za-z0-9_]+)`/g)].map((m) => m[1]);
      if (!stems.length) return line;
      modes.forEach((m, i) => {
        const times = stems.map((st) => all[st]?.[m]);
        const text = times.every((t) => !t) ? "not measured yet" : times.map(cell).join(" + ");
        cells[5 + i] = ` ${text} `;
      });
      return cells.join("|");
    })
    .join("\n");
}

/**
 * npm run pacgan-budget -- WEIGHTS_DIR [MODEL ...]
 *
 * Issue 18's budget study: PacGAN's authors train 400,000 steps; at about 40 ms per step here
 * that is 4.5 hours per trial, so the trials use the budget at which the scores stop moving,
 * found by logging mode coverage (2,500 samples of fixed noise, PacGAN's protocol) 100 times
 * over long runs. `npm run train:pacgan -- --steps 100000 ...` makes such runs; this command
 * collects their logs (WEIGHTS_DIR/<model>.history.json, with the provenance from the weights
 * file beside it) into data/runs/pacgan-budget.json, in the run-record format
 * (lib/storage/runs.ts), for the notebooks to plot. Models default to every pacgan*.history.json
 * in WEIGHTS_DIR. Rewrites the record's entries for the models given, keeps the others.
 */
import * as fs from "fs";
import * as path from "path";
import { readCheckpoint } from "../lib/storage/checkpoint";
import { dataDir } from "../lib/runtime/env";
import { writeRecorded } from "../lib/storage/integrity";
import { RUN_FORMAT } from "../lib/storage/runs";

/** One long run's log: what trained it and its scores over training. */
export interface BudgetLog {
  model: string;
  codeVersion: string;
  backend: string;
  createdAt: string;
  /** The weights' mode: shipped when trained because no file was there (full budget). */
  mode: string;
  seed: number;
  budget: Record<string, number | string>;
  /** Wall-clock seconds of the run. */
  seconds: number;
  step: number[];
  modes: number[];
  hq: number[];
  rkl: number[];
}

export function budgetLog(dir: string, model: string): BudgetLog {
  const weights = path.join(dir, `${model}.safetensors`);
  const historyFile = path.join(dir, `${model}.history.json`);
  for (const f of [weights, historyFile])
    if (!fs.existsSync(f))
      throw new Error(`${f} is missing: train it first (npm run train:pacgan -- --steps 100000)`);
  const meta = readCheckpoint(weights).meta;
  const rows = JSON.parse(fs.readFileSync(historyFile, "utf8")) as Record<string, number>[];
  const col = (k: string) => rows.map((r) => r[k]);
  if (!rows.every((r) => Number.isFinite(r.modes)))
    throw new Error(`${historyFile}: rows without mode coverage; not a PacGAN run of train:pacgan`);
  return {
    model,
    codeVersion: meta.codeVersion,
    backend: meta.backend,
    createdAt: meta.createdAt,
    mode: meta.mode,
    seed: meta.seed,
    budget: meta.budget,
    seconds: rows[rows.length - 1].seconds,
    step: col("step"),
    modes: col("modes"),
    hq: col("hq"),
    rkl: col("rkl"),
  };
}

function main(): void {
  const [dir, ...named] = process.argv.slice(2);
  if (!dir) {
    console.error("usage: npm run pacgan-budget -- WEIGHTS_DIR [MODEL ...]");
    process.exit(2);
  }
  const models = named.length
    ? named
    : fs
        .readdirSync(dir)
        .filter((f) => /^pacgan\d+-.*\.history\.json$/.test(f))
        .map((f) => f.replace(/\.history\.json$/, ""));
  const file = dataDir("runs", "pacgan-budget.json");
  const old = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, "utf8")) as { result: Record<string, BudgetLog> }).result
    : {};
  const result = { ...old, ...Object.fromEntries(models.map((m) => [m, budgetLog(dir, m)])) };
  const logs = Object.values(result);
  const record = {
    format: RUN_FORMAT,
    name: "pacgan-budget",
    codeVersion: logs.map((l) => l.codeVersion).join(", "),
    seeds: logs.map((l) => l.seed),
    budget: { runs: Object.keys(result) },
    mode: [...new Set(logs.map((l) => l.mode))].join(", "),
    backend: [...new Set(logs.map((l) => l.backend))].join(", "),
    createdAt: new Date().toISOString(),
    seconds: logs.reduce((a, l) => a + l.seconds, 0),
    result,
  };
  writeRecorded(file, JSON.stringify(record, null, 1) + "\n");
  console.log(`pacgan-budget: ${Object.keys(result).join(", ")} -> ${file}`);
}

if (require.main === module) main();

/**
 * Load if shipped, else train: the one place that decides, for every model in every notebook,
 * whether to load the weights shipped in data/weights/ or to train, following GENLAB_TRAIN.
 *
 * | GENLAB_TRAIN | what happens                                                 | writes to      |
 * | (unset)      | load data/weights/<model>.safetensors; if absent, train      | data/weights/  |
 * |              | (full budget)                                                | (if trained)   |
 * | full         | train from scratch with the full budget, refresh the weights | data/weights/  |
 * | smoke        | train with the tiny smoke budget, save and re-load it        | out/weights/   |
 *
 * Each weights file records the code version, seed, budget, mode, backend and metrics; the
 * training history sits beside it as <model>.history.json so loss curves show without training.
 */
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import {
  checkpointMeta,
  loadInto,
  saveCheckpoint,
  type CheckpointMeta,
} from "../storage/checkpoint";
import { dataDir, outDir, projectRoot, trainMode, type TrainMode } from "../runtime/env";
import { codeVersion } from "../runtime/version";
import { readChecked, writeRecorded } from "../storage/integrity";
import { clearResume, resumeFile, type ResumeTarget } from "./resume";
import { History } from "./train";
import { trainedElsewhere } from "./parallel";
import { notifyRunner } from "../runtime/ipc";

export type Budget = Record<string, number>;

export interface FitSpec<B extends Budget> {
  /** File stem: data/weights/<model>.safetensors. Letters, digits, '-', '_' and '.'. */
  model: string;
  params: Record<string, tf.Variable>;
  seed: number;
  budget: { full: B; smoke: B };
  /**
   * Trains `params` in place with the given budget and returns the history. `ctx.resume`: where a
   * resumable training function keeps its resume checkpoint (lib/training/resume.ts).
   */
  train: (budget: B, ctx: { resume: ResumeTarget }) => Promise<History>;
  /** Numbers to store with the weights (computed after training). */
  metrics?: () => Record<string, number>;
  /**
   * What the model trains on (e.g. trainingData(mnist.train)), stored with the weights; shipped
   * weights recorded with other data, or before the data was recorded, get a note when loaded.
   */
  data?: string;
  /** Override the mode (default: GENLAB_TRAIN). */
  mode?: TrainMode;
  /**
   * Say nothing when shipped weights load (for callers that load many and print one summary); a
   * stale-budget note still prints.
   */
  quietLoad?: boolean;
}

export interface FitResult {
  /** "shipped" when loaded from data/, "trained" when trained in this run. */
  source: "shipped" | "trained";
  file: string;
  meta: CheckpointMeta;
  /** The training history (this run's, or the shipped one when it exists). */
  history: History | null;
}

export function weightsFile(model: string, mode: TrainMode): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(model)) {
    throw new Error(
      `model name ${JSON.stringify(model)}: use letters, digits, '-', '_' and '.', starting with a letter or digit`,
    );
  }
  const dir = mode === "smoke" ? outDir("weights") : dataDir("weights");
  return `${dir}/${model}.safetensors`;
}

function historyFile(weights: string): string {
  return weights.replace(/\.safetensors$/, ".history.json");
}

function readHistory(file: string): History | null {
  if (!fs.existsSync(file)) return null;
  const buf = readChecked(file, `training history ${file}`);
  try {
    return History.fromJSON(JSON.parse(buf.toString("utf8")));
  } catch (err) {
    throw new Error(
      `training history ${file} is unreadable (${(err as Error).message}); delete it or retrain with GENLAB_TRAIN=full`,
      { cause: err },
    );
  }
}

export async function fitOrLoad<B extends Budget>(spec: FitSpec<B>): Promise<FitResult> {
  const mode = spec.mode ?? trainMode();
  const file = weightsFile(spec.model, mode);
  // A file a worker of trainInParallel trained in this run loads, whatever the mode.
  if (trainedElsewhere(file) && fs.existsSync(file)) {
    const meta = loadInto(file, spec.params);
    if (!spec.quietLoad)
      console.log(`${spec.model}: loaded ${shown(file)}, trained by a worker in this run`);
    return { source: "trained", file, meta, history: readHistory(historyFile(file)) };
  }
  if (mode === "shipped" && fs.existsSync(file)) {
    let meta: CheckpointMeta;
    try {
      meta = loadInto(file, spec.params);
    } catch (err) {
      (err as Error).message +=
        `\n  ${spec.model}: the shipped weights cannot be loaded into the model this code builds; GENLAB_TRAIN=full retrains them (and overwrites ${shown(file)}).`;
      throw err;
    }
    const stale = Object.entries(spec.budget.full).filter(([k, v]) => meta.budget[k] !== v);
    if (!spec.quietLoad)
      console.log(
        `${spec.model}: loaded shipped weights ${shown(file)} (seed ${meta.seed}, ${fmtBudget(meta.budget)}, code ${meta.codeVersion}, ${meta.createdAt.slice(0, 10)})`,
      );
    if (stale.length) {
      console.log(
        `${spec.model}: note: the shipped weights were trained with ${stale.map(([k]) => `${k}=${meta.budget[k]}`).join(", ")}, the code's full budget says ${stale.map(([k, v]) => `${k}=${v}`).join(", ")}; GENLAB_TRAIN=full retrains`,
      );
    }
    if (spec.data !== undefined && meta.data !== spec.data) {
      const was = meta.data ?? "data not recorded (weights from before it was)";
      console.log(
        `${spec.model}: note: the shipped weights were trained on ${was}; the code trains on ${spec.data}; GENLAB_TRAIN=full retrains`,
      );
    }
    return { source: "shipped", file, meta, history: readHistory(historyFile(file)) };
  }
  const budget = mode === "smoke" ? spec.budget.smoke : spec.budget.full;
  if (mode === "shipped")
    console.log(
      `${spec.model}: no shipped weights at ${shown(file)}; training with the full budget (${fmtBudget(budget)})`,
    );
  else
    console.log(
      `${spec.model}: GENLAB_TRAIN=${mode}: training from scratch (${fmtBudget(budget)}, seed ${spec.seed})`,
    );
  // fixes the version of the code that trains (cached): edits made while it trains do not relabel
  // it
  codeVersion();
  const resume: ResumeTarget = {
    file: resumeFile(spec.model),
    identity: { model: spec.model, seed: spec.seed, budget, mode, code: codeVersion() },
  };
  const history = await spec.train(budget, { resume });
  // The mode of this run (spec.mode may override GENLAB_TRAIN, which checkpointMeta reads).
  const meta: CheckpointMeta = {
    ...checkpointMeta({
      model: spec.model,
      seed: spec.seed,
      budget,
      metrics: spec.metrics?.(),
      data: spec.data,
    }),
    mode,
  };
  const bytes = saveCheckpoint(file, spec.params, meta);
  writeRecorded(historyFile(file), JSON.stringify(history, null, 2) + "\n");
  // Read back what was written: the load path runs in every mode, and a bad write shows at once.
  loadInto(file, spec.params);
  clearResume(resume); // the finished weights are saved: nothing to resume
  notifyRunner({ kind: "saved", file });
  console.log(`${spec.model}: saved ${shown(file)} (${(bytes / 1024).toFixed(0)} KiB)`);
  return { source: "trained", file, meta, history };
}

/**
 * A path for messages: relative to the project root when inside it (data/weights/x.safetensors).
 */
function shown(file: string): string {
  const rel = path.relative(projectRoot(), file);
  return rel.startsWith("..") || path.isAbsolute(rel) ? file : rel;
}

function fmtBudget(b: Record<string, number | string>): string {
  return Object.entries(b)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}

/**
 * A model's two budgets: `full`, and smoke mode's, which is `full` with the keys of `smoke`
 * changed (fewer steps, a smaller batch), so the two cannot drift apart by accident.
 */
export function budgets<B extends Record<string, number>>(
  full: B,
  smoke: Partial<B>,
): { full: B; smoke: B } {
  return { full, smoke: { ...full, ...smoke } };
}

/**
 * The training loop every model in genlab uses: seeded by its caller, one optimisation step per
 * call of `step`, losses read every step, a progress bar, a history of losses, and a guard that
 * stops on a NaN or infinite loss with a clear error and puts back the last good weights. With
 * `resume`, a resume checkpoint every minute or so, and a restart goes on from it
 * (lib/training/resume.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { ProgressBar } from "../display/progress";
import {
  checkpointSeconds,
  loadResume,
  saveResume,
  type ResumeSpec,
  type ResumeTarget,
} from "./resume";

/** One row of the history: the step, wall-clock seconds since the start, and each loss. */
export type HistoryRow = { step: number; seconds: number } & Record<string, number>;

export class History {
  constructor(readonly rows: HistoryRow[] = []) {}
  push(row: HistoryRow): void {
    this.rows.push(row);
  }
  /** Names of the logged quantities (without step and seconds). */
  keys(): string[] {
    const ks = new Set<string>();
    for (const r of this.rows)
      for (const k of Object.keys(r)) if (k !== "step" && k !== "seconds") ks.add(k);
    return [...ks];
  }
  column(key: string): number[] {
    return this.rows.map((r) => (key in r ? r[key] : NaN));
  }
  last(): HistoryRow | undefined {
    return this.rows[this.rows.length - 1];
  }
  /** Mean of a column over the last `n` rows. */
  tailMean(key: string, n = 10): number {
    const xs = this.column(key).slice(-n);
    return xs.reduce((a, b) => a + b, 0) / xs.length;
  }
  /** The history as columns (step, seconds and each logged quantity), e.g. for lineChart. */
  toColumns(): Record<string, number[]> {
    const out: Record<string, number[]> = {
      step: this.column("step"),
      seconds: this.column("seconds"),
    };
    for (const k of this.keys()) out[k] = this.column(k);
    return out;
  }
  toJSON(): HistoryRow[] {
    return this.rows;
  }
  static fromJSON(rows: unknown): History {
    if (
      !Array.isArray(rows) ||
      rows.some(
        (r) => typeof r !== "object" || r === null || typeof (r as HistoryRow).step !== "number",
      )
    ) {
      throw new Error("a training history must be an array of rows with a numeric step");
    }
    return new History(rows as HistoryRow[]);
  }
}

/** Thrown when a loss turns NaN or infinite; the guarded weights were restored before it. */
export class NonFiniteLossError extends Error {
  constructor(
    readonly step: number,
    readonly losses: Record<string, number>,
    readonly restoredFromStep: number | null,
  ) {
    super(
      `training stopped at step ${step}: ${Object.entries(losses)
        .filter(([, v]) => !Number.isFinite(v))
        .map(([k, v]) => `${k} = ${v}`)
        .join(", ")} (all: ${JSON.stringify(losses)}). ` +
        (restoredFromStep === null
          ? "No weights were guarded."
          : `The weights were put back to their values before step ${restoredFromStep}, the last checked good ones. `) +
        "Try a lower learning rate, gradient clipping, or another seed.",
    );
    this.name = "NonFiniteLossError";
  }
}

/** The options of a model's training function (trainVAE, trainFlow, ...) besides its budget. */
export interface TrainOptions {
  /** Seeds every generator the training draws from. */
  seed: number;
  /** Label of the progress bar. */
  label?: string;
  /** No progress bar. */
  quiet?: boolean;
  /** Go to trainLoop (e.g. to add mode coverage to the history rows). */
  logEvery?: number;
  onLog?: (row: HistoryRow) => void;
  /** Where to keep a resume checkpoint (fitOrLoad passes it; see lib/training/resume.ts). */
  resume?: ResumeTarget;
}

export interface LoopOptions {
  /** Label of the progress bar. */
  label: string;
  steps: number;
  /**
   * One optimisation step. Returns the losses to log as scalars; the loop reads and disposes them.
   */
  step: (i: number) => Record<string, tf.Scalar | tf.Tensor>;
  /** Weights to guard: on a non-finite loss they are restored to the last good snapshot. */
  params?: Record<string, tf.Variable>;
  /** A history row every `logEvery` steps (default: about 200 rows in all). */
  logEvery?: number;
  /** A snapshot of the guarded weights every `guardEvery` steps (default: logEvery). */
  guardEvery?: number;
  /** Called with each history row (e.g. for live plots or early evaluation). */
  onLog?: (row: HistoryRow) => void | Promise<void>;
  /** Continue a history (e.g. several phases); its last step offsets the new steps. */
  history?: History;
  /** No progress bar (tests, inner loops). */
  quiet?: boolean;
  /**
   * Save resume checkpoints and go on from one if this run left it (needs `params`, no `history`).
   */
  resume?: ResumeSpec;
}

/** Runs `steps` optimisation steps; returns the history. */
export async function trainLoop(opts: LoopOptions): Promise<History> {
  const { steps, step } = opts;
  if (!Number.isInteger(steps) || steps < 0)
    throw new Error(`${opts.label}: steps must be a whole number >= 0, got ${steps}`);
  const logEvery = Math.max(1, opts.logEvery ?? Math.ceil(steps / 200));
  const guardEvery = Math.max(1, opts.guardEvery ?? logEvery);
  let history = opts.history ?? new History();
  const offset = history.last()?.step ?? 0;
  let first = 0;
  if (opts.resume) {
    if (!opts.params || opts.history)
      throw new Error(`${opts.label}: resume needs params and a loop of its own (no history)`);
    const back = await loadResume(opts.resume, opts.params);
    if (back) [first, history] = [back.step, History.fromJSON(back.history)];
  }
  const saveEvery = opts.resume ? checkpointSeconds(opts.resume) * 1000 : Infinity;
  let lastSave = Date.now();
  const bar = opts.quiet || steps === 0 ? null : new ProgressBar(steps, opts.label);
  // A resumed run's clock goes on from the checkpoint's last row (the time lost is not counted).
  const t0 = Date.now() - (first > 0 ? (history.last()?.seconds ?? 0) * 1000 : 0);
  let good: { step: number; values: Record<string, tf.Tensor> } | null = null;
  let pending: { step: number; values: Record<string, tf.Tensor> } | null = null;
  const dropSnapshot = (s: { values: Record<string, tf.Tensor> } | null) => {
    if (s) for (const t of Object.values(s.values)) t.dispose();
  };
  const acc: Record<string, number> = {};
  let accN = 0;
  try {
    for (let i = first; i < steps; i++) {
      if (opts.params && i % guardEvery === 0) {
        dropSnapshot(pending);
        pending = {
          step: offset + i + 1,
          values: tf.tidy(() => mapValues(opts.params!, (v) => v.clone())),
        };
      }
      let out: Record<string, tf.Scalar | tf.Tensor>;
      try {
        out = step(i);
      } catch (err) {
        bar?.finish(i);
        throw err;
      }
      const losses: Record<string, number> = {};
      for (const [k, t] of Object.entries(out)) {
        const d = t.dataSync();
        losses[k] = d.length === 1 ? d[0] : meanOf(d);
        t.dispose();
      }
      if (Object.values(losses).some((v) => !Number.isFinite(v))) {
        let restored: number | null = null;
        if (opts.params && good) {
          for (const [k, v] of Object.entries(opts.params)) v.assign(good.values[k]);
          restored = good.step;
        }
        bar?.finish(i, losses);
        throw new NonFiniteLossError(offset + i + 1, losses, restored);
      }
      if (pending) {
        dropSnapshot(good);
        good = pending;
        pending = null;
      }
      for (const [k, v] of Object.entries(losses)) acc[k] = (acc[k] ?? 0) + v;
      accN++;
      if ((i + 1) % logEvery === 0 || i + 1 === steps) {
        const row = { step: offset + i + 1, seconds: (Date.now() - t0) / 1000 } as HistoryRow;
        for (const [k, v] of Object.entries(acc)) row[k] = v / accN;
        for (const k of Object.keys(acc)) delete acc[k];
        accN = 0;
        history.push(row);
        if (opts.onLog) await opts.onLog(row);
        if (opts.resume && i + 1 < steps && Date.now() - lastSave >= saveEvery) {
          await saveResume(opts.resume, i + 1, opts.params!, history);
          lastSave = Date.now();
        }
      }
      if (bar) await bar.update(i + 1, losses);
    }
    bar?.finish(steps, history.last() ? pickLosses(history.last()!) : {});
  } finally {
    dropSnapshot(good);
    dropSnapshot(pending);
  }
  return history;
}

function pickLosses(row: HistoryRow): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(row)) if (k !== "step" && k !== "seconds") out[k] = v;
  return out;
}

function meanOf(d: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i];
  return s / d.length;
}

function mapValues<A, B>(o: Record<string, A>, f: (a: A) => B): Record<string, B> {
  const out: Record<string, B> = {};
  for (const [k, v] of Object.entries(o)) out[k] = f(v);
  return out;
}

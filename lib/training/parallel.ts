/**
 * Independent training runs (seeds, grids, variants) spread over worker processes, one per core by
 * default (GENLAB_JOBS sets the number; 1 runs them here, one after another, as before).
 *
 * A run is a call `fn(...args)` of a function exported by a lib/ module, named so that a worker
 * can import it: `{ module: "lib/models/pacgan", fn: "fitPacGAN", args: [4, "grid25", 0] }`. Such
 * a function trains through fitOrLoad, so each worker saves the weights (with their history) where
 * the mode says, as a serial run would. The caller then makes the same calls itself and gets the
 * models loaded from those files: `trainInParallel` records the files its workers wrote, and
 * fitOrLoad loads a file recorded in this process even in full or smoke mode, instead of training
 * it a second time (`trainedElsewhere`).
 *
 * Each worker is a child process (lib/training/worker.ts) with its own tfjs backend and one BLAS
 * thread; the same seeds give the same weights as the serial run (test/parallel.test.ts). A run
 * that fails fails the whole call with its error, after the other runs have finished and their
 * weights are kept. Progress: one bar for all runs, fed by the workers' bars (their steps).
 */
import { fork, type ChildProcess } from "child_process";
import * as path from "path";
import { ProgressBar } from "../display/progress";
import { jobCount, projectRoot, trainMode } from "../runtime/env";
import type { RunOutcome, WorkerMessage } from "../runtime/ipc";

export type { RunOutcome } from "../runtime/ipc";

export interface RunSpec {
  /** Module path from the project root, without extension: "lib/models/pacgan". */
  module: string;
  /** Name of an exported async function of that module. */
  fn: string;
  /** Its arguments (JSON values). */
  args: unknown[];
  /** A label for errors and progress (default `fn(args)`). */
  label?: string;
  /** The function itself, for a run in this process (runOf sets it; workers import by name). */
  call?: unknown;
}

/** A run that can also be made here, typed: `run()` is `call(...args)`. */
export type TypedRun<R> = RunSpec & { run: () => Promise<R> };

/**
 * A run of `f(...args)`, where `f` is the function `module` exports under its name: the caller
 * keeps `call` (or `run()`) to make the same call itself (and load what a worker trained).
 */
export function runOf<A extends unknown[], R>(
  module: string,
  f: (...args: A) => Promise<R>,
  args: A,
): TypedRun<R> & { call: (...args: A) => Promise<R>; args: A } {
  return { module, fn: f.name, args, call: f, run: () => f(...args) };
}

/**
 * A sweep: trains `runs` on the workers when the mode trains (prefit), then makes each call here,
 * in order, and returns the results (each loaded from what a worker wrote, or from the shipped
 * weights, or trained here when the mode trains here).
 */
export async function fitAll<R>(
  runs: readonly TypedRun<R>[],
  o: { label?: string } = {},
): Promise<R[]> {
  await prefit([...runs], o);
  const out: R[] = [];
  for (const r of runs) out.push(await r.run());
  return out;
}

/**
 * Trains `runs` on the workers when this mode trains, so that the caller's own calls that follow
 * load the results: always in full mode; in smoke mode only when there are at least two runs per
 * worker (a worker's start, a few seconds, costs more than a handful of smoke runs). In shipped
 * mode nothing (the calls load the shipped weights, or train the few that are missing).
 */
export async function prefit(runs: RunSpec[], o: { label?: string } = {}): Promise<void> {
  const mode = trainMode();
  const jobs = jobCount();
  if (jobs === 1 || mode === "shipped" || (mode === "smoke" && runs.length < 2 * jobs)) return;
  await trainInParallel(runs, { ...o, jobs });
}

const written = new Set<string>();

/** Whether `file` was written by a worker of this process (fitOrLoad then loads it). */
export function trainedElsewhere(file: string): boolean {
  return written.has(path.resolve(file));
}

export function labelOf(r: RunSpec): string {
  return r.label ?? `${r.fn}(${r.args.map((a) => JSON.stringify(a)).join(", ")})`;
}

/** Imports a run's function (in this process or a worker) and calls it. */
export async function callRun(r: RunSpec): Promise<unknown> {
  if (r.call) return (r.call as (...a: unknown[]) => Promise<unknown>)(...r.args);
  const file = path.join(projectRoot(), r.module);
  const mod = (await import(file)) as Record<string, unknown>;
  const f = mod[r.fn];
  if (typeof f !== "function")
    throw new Error(`${labelOf(r)}: ${r.module} has no exported function ${r.fn}`);
  return (f as (...a: unknown[]) => Promise<unknown>)(...r.args);
}

/**
 * Runs every spec, on `jobs` workers (default jobCount()). Resolves with one outcome per run, in
 * the order given, when all have finished; rejects with the first failed run's error (naming it)
 * once all have finished, the others' weights saved.
 */
export async function trainInParallel(
  runs: RunSpec[],
  o: { jobs?: number; label?: string; quiet?: boolean } = {},
): Promise<RunOutcome[]> {
  const jobs = Math.min(o.jobs ?? jobCount(), Math.max(1, runs.length));
  const outcomes: RunOutcome[] = new Array(runs.length);
  if (jobs === 1) {
    for (let i = 0; i < runs.length; i++) {
      const t0 = Date.now();
      await callRun(runs[i]);
      outcomes[i] = { label: labelOf(runs[i]), files: [], seconds: (Date.now() - t0) / 1000 };
    }
    return outcomes;
  }
  const bar = o.quiet
    ? null
    : new ProgressBar(runs.length, o.label ?? `${runs.length} runs on ${jobs} workers`);
  const fraction = new Array<number>(runs.length).fill(0);
  const report = () => {
    const sum = fraction.reduce((a, b) => a + b, 0);
    void bar?.update(Math.min(runs.length - 0.01, sum));
  };
  let next = 0;
  const worker = async () => {
    const w = new Worker();
    try {
      while (next < runs.length) {
        const i = next++;
        outcomes[i] = await w.run(runs[i], (done, total) => {
          fraction[i] = total > 0 ? done / total : 0;
          report();
        });
        fraction[i] = 1;
        report();
      }
    } finally {
      w.stop();
    }
  };
  await Promise.all(Array.from({ length: jobs }, worker));
  bar?.finish(runs.length);
  const failed = outcomes.find((x) => x.error !== undefined);
  if (failed) throw new Error(`${failed.label} failed in a worker: ${failed.error}`);
  return outcomes;
}

/** A child process (./worker.ts) that trains runs one after another. */
class Worker {
  private readonly child: ChildProcess;
  private stderr = "";
  private pending: {
    label: string;
    resolve: (o: RunOutcome) => void;
    onProgress: (done: number, total: number) => void;
  } | null = null;
  private exited: string | null = null;
  constructor() {
    this.child = fork(path.join(__dirname, "worker.ts"), [], {
      execArgv: ["--import", "tsx"],
      env: { ...process.env, GENLAB_WORKER: "1" },
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    this.child.stderr?.on("data", (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.child.on("message", (m: WorkerMessage) => {
      if (m.kind === "progress") this.pending?.onProgress(m.done, m.total);
      else if (m.kind === "saved") written.add(path.resolve(m.file));
      else if (m.kind === "done") {
        const p = this.pending;
        this.pending = null;
        p?.resolve(m.outcome);
      }
    });
    this.child.on("exit", (code, signal) => {
      this.exited = `worker exited (${signal ?? `code ${code}`}): ${this.stderr.trim()}`;
      const p = this.pending;
      this.pending = null;
      p?.resolve({ label: p.label, files: [], seconds: NaN, error: this.exited });
    });
  }
  run(r: RunSpec, onProgress: (done: number, total: number) => void): Promise<RunOutcome> {
    const label = labelOf(r);
    if (this.exited) return Promise.resolve({ label, files: [], seconds: NaN, error: this.exited });
    return new Promise((resolve) => {
      this.pending = { label, resolve, onProgress };
      this.child.send({ module: r.module, fn: r.fn, args: r.args, label });
    });
  }
  stop(): void {
    if (!this.exited && this.child.connected) this.child.send("stop");
  }
}

/**
 * The channel from a training worker (lib/training/worker.ts) to the runner that started it
 * (lib/training/parallel.ts): progress bars send their steps and fitOrLoad the weights files it
 * writes, instead of printing, when this process is such a worker.
 */

/** Messages from a worker to the runner. */
export type WorkerMessage =
  | { kind: "progress"; label: string; done: number; total: number }
  | { kind: "saved"; file: string }
  | { kind: "done"; outcome: RunOutcome };

/** What a worker sends back for a run: the weights files it wrote, or its error. */
export interface RunOutcome {
  label: string;
  files: string[];
  seconds: number;
  error?: string;
}

/** Whether this process is a worker of trainInParallel (it has a channel to its runner). */
export function isWorker(): boolean {
  return process.env.GENLAB_WORKER === "1" && typeof process.send === "function";
}

const saved: string[] = [];

/** Sends `m` to the runner; false (nothing sent) when this process is not a worker. */
export function notifyRunner(m: WorkerMessage): boolean {
  if (!isWorker()) return false;
  if (m.kind === "saved") saved.push(m.file);
  process.send!(m);
  return true;
}

/** The weights files this worker has reported so far. */
export function savedFiles(): string[] {
  return saved.slice();
}

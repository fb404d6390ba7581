/**
 * A worker process of trainInParallel (./parallel.ts): starts its own backend (one BLAS thread),
 * then takes runs from its runner one at a time until told to stop, and reports
 * (lib/runtime/ipc.ts) its progress bars' steps, the weights files fitOrLoad writes and how each
 * run ended. Started by the runner, never by hand.
 */
import { initBackend } from "../runtime/backend";
import { notifyRunner, savedFiles } from "../runtime/ipc";
import { callRun, type RunSpec } from "./parallel";

const ready = initBackend({ quiet: true });
let queue: Promise<void> = Promise.resolve();

process.on("message", (r: (RunSpec & { label: string }) | "stop") => {
  if (r === "stop") {
    void queue.then(() => process.disconnect?.());
    return;
  }
  queue = queue.then(async () => {
    const t0 = Date.now();
    const before = savedFiles().length;
    let error: string | undefined;
    try {
      await ready;
      await callRun(r);
    } catch (e) {
      error = (e as Error).message;
    }
    const files = savedFiles().slice(before);
    const outcome = { label: r.label, files, seconds: (Date.now() - t0) / 1000 };
    notifyRunner({ kind: "done", outcome: error === undefined ? outcome : { ...outcome, error } });
  });
});

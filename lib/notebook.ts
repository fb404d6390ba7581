/**
 * The first cell of every notebook: start the backend, say which one runs and why, say the run
 * mode and the notebook's measured run times (data/runtimes.json), load Plotly for the figures,
 * and open the notebook's results record.
 *
 * The library's one entry point for notebooks (setupNotebook); the rest of lib/ is in folders,
 * each importing only from the folders before it in this list (never the other way):
 *   runtime/   backend, wasm kernels, env, version, random, linalg, nn, optim, stats (imports
 *              no other folder)
 *   storage/   io, integrity, checkpoint, runs, runtimes            -> runtime
 *   display/   plot, table, progress, png, display, grid            -> runtime, storage
 *   training/  train, resume, weights (fitOrLoad)                   -> runtime, storage, display
 *   claims/    claims (+ claims.json), results, report, timeline, spread, verdict
 *                                                                   -> runtime, storage, display
 *   data/      MNIST, toys, batches                                 -> runtime, storage
 *   eval/      pure metrics                                         -> runtime, data
 *   models/    the models and the evaluation classifier             -> everything above
 *   lessons/   one module per notebook: the tables, figures and verdict numbers its cells show,
 *              assembled from the folders above, so that a cell is a few lines that call them
 * This file sits on top and may import from any of them.
 */
import { backendName, describeBackend, initBackend, type BackendInfo } from "./runtime/backend";
import { showMarkdown } from "./display/display";
import { dataDir, trainMode, type TrainMode } from "./runtime/env";
import { plotlyInit } from "./display/plot";
import { openResults, setBackendNameProvider, type Results } from "./claims/results";
import { readRuntimes, runtimeLine } from "./storage/runtimes";
import { codeVersion } from "./runtime/version";

export interface NotebookContext {
  name: string;
  backend: BackendInfo;
  mode: TrainMode;
  results: Results;
  /** The notebook's assertion: throws `message` unless `pass`, in every mode. */
  assert(pass: boolean, message: string): void;
  /**
   * An assertion on a number the prose relies on, which only a trained model (shipped or full
   * mode) can meet: throws `message` unless `pass`; in smoke mode it only says that it was skipped.
   */
  assertTrained(pass: boolean, message: string): void;
}

/** The two assertions of a NotebookContext for run mode `mode`. */
export function notebookAssertions(
  mode: TrainMode,
): Pick<NotebookContext, "assert" | "assertTrained"> {
  const assert = (pass: boolean, message: string) => {
    if (!pass) throw new Error(message);
  };
  return {
    assert,
    assertTrained: (pass, message) => {
      if (mode !== "smoke") assert(pass, message);
      else if (!pass) console.log(`(smoke mode, not asserted: ${message})`);
    },
  };
}

const MODE_TEXT: Record<TrainMode, string> = {
  shipped: "load the weights shipped in `data/weights/` (train only where none are shipped)",
  full: "`GENLAB_TRAIN=full`: retrain every model from scratch with the full budget and refresh `data/weights/`",
  smoke:
    "`GENLAB_TRAIN=smoke`: a tiny training budget that runs every code path (CI); numbers are not meaningful",
};

export async function setupNotebook(name: string): Promise<NotebookContext> {
  const mode = trainMode();
  const backend = await initBackend({ quiet: true });
  setBackendNameProvider(backendName);
  plotlyInit();
  const results = openResults(name);
  console.log(describeBackend(backend));
  showMarkdown(
    `**${name}** · backend **${backend.choice}** (${backend.reason}) · run mode: ${MODE_TEXT[mode]} · code ${codeVersion()}`,
  );
  showMarkdown(runtimeLine(readRuntimes(dataDir("runtimes.json"))[name]));
  return { name, backend, mode, results, ...notebookAssertions(mode) };
}

/**
 * The first cell of every notebook: start the backend, say which one runs and why, say the run
 * mode and the notebook's measured run times (data/runtimes.json), load Plotly for the figures,
 * and open the notebook's results record.
 */
import { backendName, describeBackend, initBackend, type BackendInfo } from "./backend";
import { showMarkdown } from "./display";
import { dataDir, trainMode, type TrainMode } from "./env";
import { plotlyInit } from "./plot";
import { openResults, setBackendNameProvider, type Results } from "./results";
import { readRuntimes, runtimeLine } from "./runtimes";
import { codeVersion } from "./version";

export interface NotebookContext {
  name: string;
  backend: BackendInfo;
  mode: TrainMode;
  results: Results;
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
  return { name, backend, mode, results };
}

/**
 * npm run reproduce [-- NAME ...]: executes notebooks through a real Jupyter kernel (tslab, driven
 * by nbclient) and writes out/<notebook>.ipynb, out/<notebook>.html and, from inside the notebook,
 * out/results/<notebook>.json. NAME is a notebook's file name, its stem, or a unique prefix ("00").
 * A failing cell fails the command and its real error is printed. GENLAB_TRAIN chooses the run mode
 * for every notebook; GENLAB_OUT (relative to the project) moves out/. A successful run records its
 * time in <out>/runtimes.json (never in a tracked file; `npm run runtimes` copies them into
 * data/runtimes.json and the README). Afterwards, also when a notebook failed, it writes
 * out/report.html (lib/claims/report.ts) from what out/ then holds: the claims table and the key
 * figures.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dataDir, outDir, projectRoot, trainMode, type TrainMode } from "../lib/runtime/env";
import { recordRuntime } from "../lib/storage/runtimes";

const root = projectRoot();
const nbDir = path.join(root, "notebooks");

function fail(msg: string): never {
  console.error(`reproduce: ${msg}`);
  process.exit(2);
}

function listNotebooks(): string[] {
  return fs
    .readdirSync(nbDir)
    .filter((f) => f.endsWith(".ipynb"))
    .sort();
}

/**
 * The notebooks (file names from `all`) that `names` ask for, in the order asked; all of them when
 * `names` is empty. A name is a file name, a stem, or a unique prefix, optionally with a leading
 * `notebooks/`; a notebook named twice runs once. Throws when a name matches none or several.
 */
export function selectNotebooks(all: string[], names: string[]): string[] {
  if (names.length === 0) return all;
  const chosen = names.map((n) => {
    const stem = n.replace(/\.ipynb$/, "").replace(/^(\.\/)?notebooks\//, "");
    const exact = all.find((f) => f === `${stem}.ipynb`);
    if (exact) return exact;
    const matches = stem === "" ? [] : all.filter((f) => f.startsWith(stem));
    if (matches.length === 1) return matches[0];
    if (matches.length === 0)
      throw new Error(
        `no notebook matches ${JSON.stringify(n)}; there are: ${all.join(", ") || "none"}`,
      );
    throw new Error(`${JSON.stringify(n)} matches several notebooks: ${matches.join(", ")}`);
  });
  return [...new Set(chosen)]; // "00 00_tour" runs the notebook once
}

/** Names, sizes and modification times of the shipped weights: changes when a run trains. */
function weightsStamp(): string {
  const dir = dataDir("weights");
  if (!fs.existsSync(dir)) return "";
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => {
      const st = fs.statSync(path.join(dir, f));
      return `${f}:${st.size}:${st.mtimeMs}`;
    })
    .join("|");
}

/**
 * Records a successful run's time in <out>/runtimes.json. Tracked files stay as they are:
 * `npm run runtimes` copies the measurements into data/runtimes.json and the README on purpose.
 */
function recordRun(out: string, stem: string, mode: TrainMode, seconds: number): void {
  const r = {
    seconds: Math.round(seconds * 10) / 10,
    cores: os.cpus().length,
    measuredAt: new Date().toISOString().slice(0, 10),
  };
  recordRuntime(path.join(out, "runtimes.json"), stem, mode, r);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flags = args.filter((a) => a.startsWith("-"));
  const timeoutArg = flags.find((f) => f.startsWith("--timeout="));
  for (const f of flags)
    if (f !== "--list" && f !== timeoutArg)
      fail(`unknown option ${f} (options: --list, --timeout=SECONDS per cell)`);
  const all = listNotebooks();
  if (flags.includes("--list")) {
    console.log(all.join("\n"));
    return;
  }
  let chosen: string[];
  try {
    chosen = selectNotebooks(
      all,
      args.filter((a) => !a.startsWith("-")),
    );
  } catch (err) {
    return fail((err as Error).message);
  }
  const mode = trainMode(); // validates GENLAB_TRAIN before anything runs
  const pyFile = path.join(root, ".jupyter", "python");
  if (!fs.existsSync(pyFile)) fail("the Jupyter kernel is not set up: run `npm run setup` first");
  const python = fs.readFileSync(pyFile, "utf8").trim();
  const out = outDir();
  const env = {
    ...process.env,
    GENLAB_ROOT: root,
    GENLAB_OUT: out,
    JUPYTER_PATH: [path.join(root, ".jupyter", "share", "jupyter"), process.env.JUPYTER_PATH]
      .filter(Boolean)
      .join(path.delimiter),
  };
  console.log(
    `reproduce: ${chosen.length} notebook(s), GENLAB_TRAIN=${mode}, output in ${path.relative(root, out) || "."}/`,
  );
  const rows: { name: string; ok: boolean; seconds: number; why?: string }[] = [];
  for (const nb of chosen) {
    const stem = nb.replace(/\.ipynb$/, "");
    const resultsFile = path.join(out, "results", `${stem}.json`);
    const weightsBefore = weightsStamp();
    const t0 = Date.now();
    console.log(`\n=== ${stem} ===`);
    const r = spawnSync(
      python,
      [
        path.join(root, "scripts", "run_notebook.py"),
        path.join(nbDir, nb),
        out,
        ...(timeoutArg ? ["--timeout", timeoutArg.split("=")[1]] : []),
      ],
      { env, stdio: "inherit" },
    );
    const seconds = (Date.now() - t0) / 1000;
    let why: string | undefined;
    if (r.error) why = `could not start ${python}: ${r.error.message}`;
    else if (r.status !== 0) why = `a cell failed (exit ${r.status})`;
    else if (!fs.existsSync(resultsFile) || fs.statSync(resultsFile).mtimeMs < t0)
      why = `it saved no results to ${path.relative(root, resultsFile)}`;
    rows.push({ name: stem, ok: !why, seconds, why });
    // A "shipped" run that had to train (no weights shipped yet) is not a shipped-weights time.
    const trained = mode === "shipped" && weightsStamp() !== weightsBefore;
    if (!why && trained)
      console.log(
        `reproduce: ${stem} trained models in shipped mode (weights were missing); its run time is not recorded`,
      );
    if (!why && !trained) recordRun(out, stem, mode, seconds);
  }
  console.log("\nreproduce summary:");
  for (const r of rows)
    console.log(
      `  ${r.ok ? "ok    " : "FAILED"} ${r.name.padEnd(40)} ${r.seconds.toFixed(1).padStart(7)} s${r.why ? `  (${r.why})` : ""}`,
    );
  const failed = rows.filter((r) => !r.ok).length;
  let reportFailed = false;
  try {
    // Loaded here, not at the top: the report pulls in danfo (lib/display/table.ts), which --list
    // and the tests of this file do not need.
    const { reportSummary, writeReport } = await import("../lib/claims/report");
    const report = writeReport({ outDir: out });
    for (const w of report.warnings) console.warn(`reproduce: report warning: ${w}`);
    console.log(reportSummary(report));
  } catch (err) {
    reportFailed = true;
    console.error(
      `reproduce: could not write ${path.relative(root, path.join(out, "report.html"))}: ${(err as Error).stack ?? err}`,
    );
  }
  console.log(`notebooks: ${rows.length - failed} passed, ${failed} failed`);
  process.exit(failed || reportFailed ? 1 : 0);
}

if (require.main === module) {
  main().catch((err) => fail((err as Error).stack ?? String(err)));
}

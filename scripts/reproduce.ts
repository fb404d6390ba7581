/**
 * npm run reproduce [-- NAME ...]: executes notebooks through a real Jupyter kernel (tslab, driven
 * by nbclient) and writes out/<notebook>.ipynb, out/<notebook>.html and, from inside the
 * notebook, out/results/<notebook>.json. NAME is a notebook's file name, its stem, or a unique
 * prefix ("00"). A failing cell fails the command and its real error is printed. GENLAB_TRAIN
 * chooses the run mode for every notebook; GENLAB_OUT (relative to the project) moves out/.
 * Afterwards, also when a notebook failed, it writes out/report.html (lib/report.ts) from what
 * out/ then holds: the claims table and the key figures.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dataDir, outDir, projectRoot, trainMode, type TrainMode } from "../lib/env";
import { writeFileAtomic, writeJsonAtomic } from "../lib/io";

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
    if (matches.length === 0) throw new Error(`no notebook matches ${JSON.stringify(n)}; there are: ${all.join(", ") || "none"}`);
    throw new Error(`${JSON.stringify(n)} matches several notebooks: ${matches.join(", ")}`);
  });
  return [...new Set(chosen)]; // "00 00_tour" runs the notebook once
}

type Runtimes = Record<string, Partial<Record<TrainMode, { seconds: number; cores: number; measuredAt: string }>>>;
const RUNTIME_LINE = /^\*\*Run time on .*$/m;

function fmtDuration(s: number): string {
  return s < 90 ? `${Math.round(s)} s` : `${(s / 60).toFixed(1)} min`;
}

/** The header line every notebook carries, built from measured run times (data/runtimes.json). */
export function runtimeLine(r: Runtimes[string] | undefined): string {
  const part = (m: TrainMode, label: string) => `${label} ${r?.[m] ? `${fmtDuration(r[m]!.seconds)}` : "not measured yet"}`;
  const cores = Object.values(r ?? {}).map((v) => v!.cores)[0] ?? 2;
  return `**Run time on ${cores} cores** (measured by \`npm run reproduce\`, whole notebook including kernel start): ${part("shipped", "shipped weights")}; ${part("full", "`GENLAB_TRAIN=full`")}; ${part("smoke", "`GENLAB_TRAIN=smoke`")}.`;
}

/**
 * The README's session table with its three run-time columns (shipped weights, full, smoke) rebuilt
 * from the records: a row names its notebooks in backticks in the second column ("`00_tour` +
 * `01_...`"), and each time column becomes the notebooks' times joined by " + ". Other rows and
 * columns are left as they are, so the README never states a time that runtimes.json does not hold.
 */
export function readmeWithRuntimes(readme: string, all: Runtimes): string {
  const modes: TrainMode[] = ["shipped", "full", "smoke"];
  return readme
    .split("\n")
    .map((line) => {
      const cells = line.split("|");
      // | session | notebooks | topic | claims | shipped | full | smoke |  ->  9 pieces with the empty ends
      if (cells.length !== 9 || !/^\s*\d+\s*$/.test(cells[1])) return line;
      const stems = [...cells[2].matchAll(/`(\d\d_[A-Za-z0-9_]+)`/g)].map((m) => m[1]);
      if (!stems.length) return line;
      modes.forEach((m, i) => {
        const times = stems.map((st) => all[st]?.[m]);
        cells[5 + i] = ` ${times.every((t) => !t) ? "not measured yet" : times.map((t) => (t ? fmtDuration(t.seconds) : "not measured yet")).join(" + ")} `;
      });
      return cells.join("|");
    })
    .join("\n");
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

/** Records a successful run's time and rewrites the notebook's run-time line from the record. */
function recordRuntime(nbFile: string, stem: string, mode: TrainMode, seconds: number): void {
  const file = dataDir("runtimes.json");
  const all: Runtimes = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : {};
  all[stem] = { ...all[stem], [mode]: { seconds: Math.round(seconds * 10) / 10, cores: os.cpus().length, measuredAt: new Date().toISOString().slice(0, 10) } };
  writeJsonAtomic(file, all);
  const nb = JSON.parse(fs.readFileSync(nbFile, "utf8"));
  const cell = nb.cells.find((c: { cell_type: string; source: string | string[] }) => c.cell_type === "markdown" && RUNTIME_LINE.test([c.source].flat().join("")));
  if (!cell) return;
  const text = [cell.source].flat().join("").replace(RUNTIME_LINE, runtimeLine(all[stem]));
  cell.source = text.split(/(?<=\n)/);
  writeFileAtomic(nbFile, JSON.stringify(nb, null, 1) + "\n");
  const readme = path.join(root, "README.md");
  if (fs.existsSync(readme)) {
    const before = fs.readFileSync(readme, "utf8"), after = readmeWithRuntimes(before, all);
    if (after !== before) writeFileAtomic(readme, after);
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flags = args.filter((a) => a.startsWith("-"));
  const timeoutArg = flags.find((f) => f.startsWith("--timeout="));
  for (const f of flags) if (f !== "--list" && f !== timeoutArg) fail(`unknown option ${f} (options: --list, --timeout=SECONDS per cell)`);
  const all = listNotebooks();
  if (flags.includes("--list")) {
    console.log(all.join("\n"));
    return;
  }
  let chosen: string[];
  try {
    chosen = selectNotebooks(all, args.filter((a) => !a.startsWith("-")));
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
    JUPYTER_PATH: [path.join(root, ".jupyter", "share", "jupyter"), process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
  };
  console.log(`reproduce: ${chosen.length} notebook(s), GENLAB_TRAIN=${mode}, output in ${path.relative(root, out) || "."}/`);
  const rows: { name: string; ok: boolean; seconds: number; why?: string }[] = [];
  for (const nb of chosen) {
    const stem = nb.replace(/\.ipynb$/, "");
    const resultsFile = path.join(out, "results", `${stem}.json`);
    const weightsBefore = weightsStamp();
    const t0 = Date.now();
    console.log(`\n=== ${stem} ===`);
    const r = spawnSync(
      python,
      [path.join(root, "scripts", "run_notebook.py"), path.join(nbDir, nb), out, ...(timeoutArg ? ["--timeout", timeoutArg.split("=")[1]] : [])],
      { env, stdio: "inherit" },
    );
    const seconds = (Date.now() - t0) / 1000;
    let why: string | undefined;
    if (r.error) why = `could not start ${python}: ${r.error.message}`;
    else if (r.status !== 0) why = `a cell failed (exit ${r.status})`;
    else if (!fs.existsSync(resultsFile) || fs.statSync(resultsFile).mtimeMs < t0) why = `it saved no results to ${path.relative(root, resultsFile)}`;
    rows.push({ name: stem, ok: !why, seconds, why });
    // A "shipped" run that had to train (no weights shipped yet) is not a shipped-weights time.
    const trained = mode === "shipped" && weightsStamp() !== weightsBefore;
    if (!why && trained) console.log(`reproduce: ${stem} trained models in shipped mode (weights were missing); its run time is not recorded`);
    if (!why && !trained) recordRuntime(path.join(nbDir, nb), stem, mode, seconds);
  }
  console.log("\nreproduce summary:");
  for (const r of rows) console.log(`  ${r.ok ? "ok    " : "FAILED"} ${r.name.padEnd(40)} ${r.seconds.toFixed(1).padStart(7)} s${r.why ? `  (${r.why})` : ""}`);
  const failed = rows.filter((r) => !r.ok).length;
  let reportFailed = false;
  try {
    // Loaded here, not at the top: the report pulls in danfo (lib/table.ts), which --list and the tests of this file do not need.
    const { reportSummary, writeReport } = await import("../lib/report");
    const report = writeReport({ outDir: out });
    for (const w of report.warnings) console.warn(`reproduce: report warning: ${w}`);
    console.log(reportSummary(report));
  } catch (err) {
    reportFailed = true;
    console.error(`reproduce: could not write ${path.relative(root, path.join(out, "report.html"))}: ${(err as Error).stack ?? err}`);
  }
  console.log(`notebooks: ${rows.length - failed} passed, ${failed} failed`);
  process.exit(failed || reportFailed ? 1 : 0);
}

if (require.main === module) {
  main().catch((err) => fail((err as Error).stack ?? String(err)));
}

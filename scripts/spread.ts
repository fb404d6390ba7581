/**
 * npm run spread [-- NAME ...] [--seeds=N] [--backends=...] [--record]: how much a number that a
 * notebook trains or samples live in shipped mode moves across backends and seeds. For each
 * statistic (scripts/spread-statistics.ts) it runs N seeds (default 8; the notebook's own seed
 * first) on each backend this machine has: wasm with the native BLAS accelerator, wasm alone
 * (GENLAB_NATIVE_BLAS=0) and tfjs's plain cpu backend, each in its own process, the backends side
 * by side (GENLAB_JOBS, default 2, processes at a time). It prints min, mean, max and standard
 * deviation per backend and over all and writes out/spread/NAME.json; with --record it writes
 * data/spread/NAME.json, the record the notebooks read to check their thresholds
 * (lib/claims/spread.ts).
 * `--backends=accelerator,wasm-only` runs a subset (labels: accelerator, wasm-only, cpu; default
 * accelerator and wasm-only: the cpu backend takes minutes per seed).
 */
import { spawn } from "child_process";
import * as path from "path";
import { initBackend, backendName } from "../lib/runtime/backend";
import { outDir, projectRoot } from "../lib/runtime/env";
import { writeJsonAtomic } from "../lib/storage/io";
import { onScale, spreadFile, spreadStats, type SpreadRecord } from "../lib/claims/spread";
import { codeVersion } from "../lib/runtime/version";
import { fmtNumber } from "../lib/display/format";
import { STATISTICS } from "./spread-statistics";

const BACKENDS: Record<string, { label: string; env: Record<string, string> }> = {
  accelerator: { label: "wasm + accelerator", env: { GENLAB_BACKEND: "wasm" } },
  "wasm-only": { label: "wasm only", env: { GENLAB_BACKEND: "wasm", GENLAB_NATIVE_BLAS: "0" } },
  cpu: { label: "cpu", env: { GENLAB_BACKEND: "cpu", GENLAB_NATIVE_BLAS: "0" } },
};

interface WorkerResult {
  backend: string;
  accelerator: boolean;
  values: number[];
}

async function worker(name: string, seeds: number[]): Promise<void> {
  const info = await initBackend({ quiet: true });
  const values: number[] = [];
  for (const s of seeds) values.push(await STATISTICS[name].run(s));
  const accelerator = /via genlab-blas/.test(info.accelerator ?? "");
  const out: WorkerResult = { backend: backendName(), accelerator, values };
  console.log(JSON.stringify(out));
}

/** Runs one backend's worker; resolves to its values or to the reason it could not run. */
function runWorker(key: string, name: string, seeds: number[]): Promise<WorkerResult | string> {
  const script = path.join(projectRoot(), "scripts", "spread.ts");
  const args = ["--import", "tsx", script, "--worker", name, seeds.join(",")];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...BACKENDS[key].env } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  return new Promise((resolve) => {
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").pop() ?? "";
      if (code !== 0 || !line.startsWith("{")) {
        resolve(`could not run (${(stderr.trim().split("\n").pop() ?? "").slice(0, 200)})`);
        return;
      }
      const got = JSON.parse(line) as WorkerResult;
      if (key === "accelerator" && !got.accelerator) {
        resolve("the accelerator is not built here; skipped");
        return;
      }
      resolve(got);
    });
  });
}

const f = (x: number) => fmtNumber(x, 2);
const statLine = (s: ReturnType<typeof spreadStats>) =>
  `min ${f(s.min)} mean ${f(s.mean)} max ${f(s.max)} sd ${f(s.sd)}`;

async function measure(name: string, seeds: number[], keys: string[], jobs: number) {
  const results: (WorkerResult | string)[] = [];
  for (let i = 0; i < keys.length; i += jobs) {
    const batch = keys.slice(i, i + jobs).map((k) => runWorker(k, name, seeds));
    results.push(...(await Promise.all(batch)));
  }
  const rows: SpreadRecord["backends"] = [];
  keys.forEach((k, i) => {
    const r = results[i];
    const label = BACKENDS[k].label.padEnd(20);
    if (typeof r === "string") {
      console.log(`  ${label} ${r}`);
      return;
    }
    const s = spreadStats(r.values);
    rows.push({ backend: BACKENDS[k].label, ...s, values: r.values });
    console.log(`  ${label} ${statLine(s)}  [${r.values.map(f).join(", ")}]`);
  });
  return rows;
}

function fail(message: string): never {
  console.error(`spread: ${message}`);
  process.exit(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--worker") return worker(args[1], args[2].split(",").map(Number));
  const opt = (k: string) => args.find((a) => a.startsWith(`--${k}=`))?.split("=")[1];
  const nSeeds = Number(opt("seeds") ?? 8);
  const jobs = Number(process.env.GENLAB_JOBS ?? 2);
  if (!(Number.isInteger(nSeeds) && nSeeds >= 2)) fail(`--seeds=${opt("seeds")}: use 2 or more`);
  if (!(Number.isInteger(jobs) && jobs >= 1))
    fail(`GENLAB_JOBS=${process.env.GENLAB_JOBS}: use 1+`);
  const keys = (opt("backends") ?? "accelerator,wasm-only").split(",");
  const unknown = keys.filter((b) => !BACKENDS[b]);
  if (unknown.length) fail(`unknown backend ${unknown}; use ${Object.keys(BACKENDS).join(", ")}`);
  const names = args.filter((a) => !a.startsWith("--"));
  for (const n of names) {
    if (!STATISTICS[n])
      fail(`no statistic ${JSON.stringify(n)}; there are: ${Object.keys(STATISTICS)}`);
  }
  for (const name of names.length ? names : Object.keys(STATISTICS)) {
    const st = STATISTICS[name];
    const seeds = Array.from({ length: nSeeds }, (_, k) => st.seed + 10 * k);
    console.log(`spread ${name}: ${st.what}; seeds ${seeds.join(", ")}`);
    const rows = await measure(name, seeds, keys, jobs);
    if (!rows.length) fail(`${name}: no backend could run it`);
    const all = spreadStats(
      onScale(
        rows.flatMap((r) => r.values),
        st.scale,
        name,
      ),
    );
    console.log(`  ${"all".padEnd(20)} ${statLine(all)}${st.scale === "log" ? " (of log10)" : ""}`);
    const recorded = { at: new Date().toISOString(), codeVersion: codeVersion() };
    const rec: SpreadRecord = {
      format: "genlab-spread/1",
      ...{ name, what: st.what, scale: st.scale, seeds, backends: rows, all, recorded },
    };
    const file = args.includes("--record") ? spreadFile(name) : outDir("spread", `${name}.json`);
    writeJsonAtomic(file, rec);
    console.log(`  written to ${path.relative(projectRoot(), file)}`);
  }
}

void main();

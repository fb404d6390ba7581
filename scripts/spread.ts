/**
 * npm run spread [-- NAME ...] [--seeds=N]: how much a number that a notebook trains or samples
 * live in shipped mode moves across backends and seeds. For each statistic it runs N seeds (the
 * notebook's own seed first) on each backend this machine has: wasm with the native BLAS
 * accelerator, wasm alone (GENLAB_NATIVE_BLAS=0) and tfjs's plain cpu backend, each in its own
 * process. It prints min, mean, max and standard deviation per backend and over all, and writes
 * out/spread/<NAME>.json. The notebooks' thresholds on these numbers are set from this spread.
 * `--backends=wasm-only,cpu` runs a subset (labels: accelerator, wasm-only, cpu).
 */
import { spawnSync } from "child_process";
import * as path from "path";
import { initBackend, backendName } from "../lib/backend";
import { outDir, projectRoot } from "../lib/env";
import { writeJsonAtomic } from "../lib/io";
import { ring8 } from "../lib/data/toys";
import {
  a9Toy,
  discriminatorVsOptimal,
  GAN,
  mixtureSampler,
  TOY_GAN_CONFIG,
  vanishingGradients,
} from "../lib/models/gan";
import { Rng } from "../lib/random";

interface Statistic {
  what: string;
  /** The notebook's seed; others are seed + 10 k. */
  seed: number;
  run: (seed: number) => Promise<number>;
}

async function a9(seed: number) {
  const { pData, pG } = a9Toy();
  return discriminatorVsOptimal(pData, pG, { seed, steps: 1500, quiet: true });
}

/** Notebook 03's B5 run on disjoint supports: G's saturating-loss gradient, end over start. */
async function b5(seed: number): Promise<number> {
  const g = new GAN("b5-disj", TOY_GAN_CONFIG, new Rng(seed));
  const o = { steps: 1500, every: 50, batchSize: 256, lr: 2e-3, seed: seed + 2, shift: [4, 4], quiet: true };
  const rows = await vanishingGradients(g, mixtureSampler(ring8(), new Rng(seed + 1)), o);
  return rows[rows.length - 1].saturating / rows[0].saturating;
}

const STATISTICS: Record<string, Statistic> = {
  "b5-saturating": {
    what: "notebook 03, B5: saturating |grad| end/start, D trained 1,500 steps vs a G shifted by (4, 4)",
    seed: 51,
    run: b5,
  },
  "a9-max": {
    what: "notebook 03, A9: max |D - D*| of a 1-64-64-1 D after 1,500 Adam steps",
    seed: 31,
    run: async (seed) => (await a9(seed)).maxErr,
  },
  "a9-mean": {
    what: "notebook 03, A9: E|D - D*| under (p_data + p_g) / 2, same D",
    seed: 31,
    run: async (seed) => (await a9(seed)).meanErr,
  },
};

const BACKENDS: { label: string; env: Record<string, string> }[] = [
  { label: "wasm + accelerator", env: { GENLAB_BACKEND: "wasm" } },
  { label: "wasm only", env: { GENLAB_BACKEND: "wasm", GENLAB_NATIVE_BLAS: "0" } },
  { label: "cpu", env: { GENLAB_BACKEND: "cpu", GENLAB_NATIVE_BLAS: "0" } },
];

function stats(v: number[]) {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, v.length - 1));
  return { n: v.length, min: Math.min(...v), mean, max: Math.max(...v), sd };
}

async function worker(name: string, seeds: number[]): Promise<void> {
  const info = await initBackend({ quiet: true });
  const values: number[] = [];
  for (const s of seeds) values.push(await STATISTICS[name].run(s));
  const accel = /via genlab-blas/.test(info.accelerator ?? "");
  console.log(JSON.stringify({ backend: backendName(), accelerator: accel, values }));
}

function main(): void {
  const args = process.argv.slice(2);
  const nSeeds = Number(args.find((a) => a.startsWith("--seeds="))?.split("=")[1] ?? 5);
  if (args[0] === "--worker") {
    const seeds = args[2].split(",").map(Number);
    void worker(args[1], seeds);
    return;
  }
  const names = args.filter((a) => !a.startsWith("--"));
  const only = args.find((a) => a.startsWith("--backends="))?.split("=")[1].split(",");
  const keys = ["accelerator", "wasm-only", "cpu"];
  const unknown = (only ?? []).filter((b) => !keys.includes(b));
  if (unknown.length) {
    console.error(`spread: unknown backend ${unknown.join(", ")}; use ${keys.join(", ")}`);
    process.exit(2);
  }
  const backends = BACKENDS.filter((_, i) => !only || only.includes(keys[i]));
  for (const n of names) {
    if (!STATISTICS[n]) {
      console.error(`spread: no statistic ${JSON.stringify(n)}; there are: ${Object.keys(STATISTICS).join(", ")}`);
      process.exit(2);
    }
  }
  for (const name of names.length ? names : Object.keys(STATISTICS)) {
    const st = STATISTICS[name];
    const seeds = Array.from({ length: nSeeds }, (_, k) => st.seed + 10 * k);
    console.log(`spread ${name}: ${st.what}; seeds ${seeds.join(", ")}`);
    const rows: Record<string, unknown>[] = [];
    const all: number[] = [];
    for (const b of backends) {
      const script = path.join(projectRoot(), "scripts", "spread.ts");
      const r = spawnSync(process.execPath, ["--import", "tsx", script, "--worker", name, seeds.join(",")], {
        env: { ...process.env, ...b.env },
        encoding: "utf8",
      });
      const line = r.stdout.trim().split("\n").pop() ?? "";
      if (r.status !== 0 || !line.startsWith("{")) {
        console.log(`  ${b.label}: could not run (${(r.stderr.trim().split("\n").pop() ?? "").slice(0, 200)})`);
        continue;
      }
      const got = JSON.parse(line) as { backend: string; accelerator: boolean; values: number[] };
      if (b.label.includes("accelerator") && !got.accelerator) {
        console.log(`  ${b.label}: the accelerator is not built here; skipped`);
        continue;
      }
      all.push(...got.values);
      const s = stats(got.values);
      rows.push({ backend: b.label, ...s, values: got.values });
      const f = (x: number) => x.toFixed(4);
      console.log(`  ${b.label.padEnd(20)} min ${f(s.min)} mean ${f(s.mean)} max ${f(s.max)} sd ${f(s.sd)}  [${got.values.map(f).join(", ")}]`);
    }
    const total = stats(all);
    console.log(`  ${"all".padEnd(20)} min ${total.min.toFixed(4)} mean ${total.mean.toFixed(4)} max ${total.max.toFixed(4)} sd ${total.sd.toFixed(4)}`);
    writeJsonAtomic(outDir("spread", `${name}.json`), { name, what: st.what, seeds, backends: rows, all: total });
  }
}

main();

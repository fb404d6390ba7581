/**
 * `npm run bench -- [workload ...] [options]`: times one training step of each workload on the
 * backend initBackend() picks (GENLAB_BACKEND forces one) and, in the same invocation, the same
 * step in PyTorch (bench/peer.py, 1 thread), and prints one JSON object per line per workload.
 *
 * Options:
 *   --steps N     timed steps (default 20; the median is reported)
 *   --warmup N    untimed steps first (default 3)
 *   --soak N      memory mode: N steps (e.g. 1000), tensor count and RSS at start, every N/10
 *                 steps, and at the end; no peer
 *   --no-peer     skip PyTorch
 *   --unfused     dense layers as matMul + add + activation instead of tf.fused.matMul
 *   --patches P   wasm only: which genlab kernels to register: all (default), none, or a
 *                 comma list of names from WASM_KERNEL_PATCHES (for before/after measurements)
 *   --batch N     override the batch size (tests)
 *   --native M    wasm only: the optional native BLAS path (genlab-blas,
 *                 lib/runtime/wasm-kernels.ts) on (default; it stays off when the addon is not
 *                 built), off, or both: each
 *                 workload is timed with it off and then on, one JSON line each, against one
 *                 PyTorch run in the same invocation. OpenBLAS runs 1 thread, like the peer.
 *   --adam A      which Adam the workloads train with: tfjs (tf.train.adam, default), fused
 *                 (lib/runtime/optim.ts: one kernel call per variable on wasm, same numbers), or
 *                 both:
 *                 each workload built twice and timed with the two Adams' steps alternating
 *                 (so both see the same load), one JSON line each ("adam" field), against one
 *                 PyTorch run in the same invocation.
 */
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { initBackend } from "../lib/runtime/backend";
import {
  WASM_KERNEL_PATCHES,
  nativeBlasInfo,
  registerWasmKernels,
  restoreWasmKernels,
  setNativeBlas,
  type WasmKernelPatch,
} from "../lib/runtime/wasm-kernels";
import {
  ADAM_KINDS,
  WORKLOADS,
  WORKLOAD_NAMES,
  type AdamKind,
  type Workload,
  type WorkloadName,
} from "./workloads";

export interface BenchArgs {
  workloads: WorkloadName[];
  steps: number;
  warmup: number;
  soak: number | null;
  peer: boolean;
  fused: boolean;
  patches: "all" | "none" | WasmKernelPatch[];
  batch?: number;
  native: "on" | "off" | "both";
  adam: AdamKind | "both";
}

export class BenchArgError extends Error {}

export function parseArgs(argv: string[]): BenchArgs {
  const out: BenchArgs = {
    workloads: [],
    steps: 20,
    warmup: 3,
    soak: null,
    peer: true,
    fused: true,
    patches: "all",
    native: "on",
    adam: "tfjs",
  };
  const int = (flag: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min)
      throw new BenchArgError(`${flag} needs a whole number >= ${min}, got ${v ?? "nothing"}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--steps") out.steps = int(a, argv[++i], 1);
    else if (a === "--warmup") out.warmup = int(a, argv[++i], 0);
    else if (a === "--soak") out.soak = int(a, argv[++i], 1);
    else if (a === "--batch") out.batch = int(a, argv[++i], 1);
    else if (a === "--no-peer") out.peer = false;
    else if (a === "--unfused") out.fused = false;
    else if (a === "--native") {
      const v = argv[++i] ?? "";
      if (v !== "on" && v !== "off" && v !== "both")
        throw new BenchArgError(`--native ${JSON.stringify(v)}: use on, off or both`);
      out.native = v;
    } else if (a === "--adam") {
      const v = argv[++i] ?? "";
      if (v !== "both" && !(ADAM_KINDS as readonly string[]).includes(v))
        throw new BenchArgError(
          `--adam ${JSON.stringify(v)}: use ${ADAM_KINDS.join(", ")} or both`,
        );
      out.adam = v as BenchArgs["adam"];
    } else if (a === "--patches") {
      const v = argv[++i] ?? "";
      if (v === "all" || v === "none") out.patches = v;
      else {
        const names = v.split(",").filter(Boolean);
        const bad = names.filter((n) => !(WASM_KERNEL_PATCHES as readonly string[]).includes(n));
        if (!names.length || bad.length) {
          throw new BenchArgError(
            `--patches ${JSON.stringify(v)}: use all, none or a comma list of ${WASM_KERNEL_PATCHES.join(", ")}`,
          );
        }
        out.patches = names as WasmKernelPatch[];
      }
    } else if (a.startsWith("--"))
      throw new BenchArgError(`unknown option ${a} (see the head of bench/run.ts)`);
    else if ((WORKLOAD_NAMES as readonly string[]).includes(a))
      out.workloads.push(a as WorkloadName);
    else
      throw new BenchArgError(
        `unknown workload ${JSON.stringify(a)}: valid workloads are ${WORKLOAD_NAMES.join(", ")}`,
      );
  }
  if (!out.workloads.length) out.workloads = [...WORKLOAD_NAMES];
  return out;
}

export interface BenchResult {
  workload: WorkloadName;
  backend: string;
  ms_per_step: number;
  steps: number;
  peer: "pytorch";
  peer_ms_per_step: number | null;
  ratio: number | null;
  peer_note?: string;
  rss_mb: { start: number; end: number };
  tensors: { start: number; end: number };
  fused: boolean;
  patches: string;
  /**
   * wasm: whether the native BLAS path (genlab-blas, OpenBLAS on 1 thread) ran matmuls; else false.
   */
  native_blas: boolean;
  native_blas_note?: string;
  /** Which Adam the workload trained with (--adam). */
  adam: AdamKind;
  soak?: { step: number; tensors: number; rss_mb: number }[];
}

const rssMb = () => Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export interface PeerResult {
  ms_per_step: number | null;
  note?: string;
}

/** Runs the PyTorch twin of a workload (bench/peer.py); never throws. */
export function runPeer(
  w: WorkloadName,
  steps: number,
  warmup: number,
  batch?: number,
): PeerResult {
  const python = process.env.GENLAB_PYTHON ?? "/usr/bin/python3";
  if (!existsSync(python))
    return {
      ms_per_step: null,
      note: `no ${python}: PyTorch peer skipped (apt-get install python3-torch)`,
    };
  const args = [
    path.join(__dirname, "peer.py"),
    w,
    "--steps",
    String(steps),
    "--warmup",
    String(warmup),
  ];
  if (batch) args.push("--batch", String(batch));
  const env = {
    ...process.env,
    OMP_NUM_THREADS: "1",
    OPENBLAS_NUM_THREADS: "1",
    MKL_NUM_THREADS: "1",
  };
  const r = spawnSync(python, args, { encoding: "utf8", env, timeout: 30 * 60 * 1000 });
  const line = (r.stdout ?? "").trim().split("\n").pop() ?? "";
  try {
    const j = JSON.parse(line) as {
      ms_per_step?: number;
      error?: string;
      blas?: string;
      torch?: string;
    };
    if (j.error) return { ms_per_step: null, note: j.error };
    if (typeof j.ms_per_step !== "number") throw new Error("no ms_per_step");
    const note = `torch ${j.torch}, 1 thread, BLAS ${j.blas}`;
    return { ms_per_step: j.ms_per_step, note };
  } catch {
    const err = ((r.stderr ?? "") || String(r.error ?? "")).trim().split("\n").slice(-1)[0];
    return { ms_per_step: null, note: `PyTorch peer failed: ${err || "no output"}` };
  }
}

/** Applies --patches on the wasm backend (no-op elsewhere). */
export function applyPatches(p: BenchArgs["patches"]): void {
  if (tf.getBackend() !== "wasm") return;
  restoreWasmKernels();
  if (p === "none") return;
  registerWasmKernels(p === "all" ? undefined : { only: p });
}

/** The native_blas fields of a result line, for the state the run had. */
function nativeFields(): { native_blas: boolean; native_blas_note: string } {
  if (tf.getBackend() !== "wasm")
    return { native_blas: false, native_blas_note: "n/a (not the wasm backend)" };
  const i = nativeBlasInfo();
  if (!i.on) return { native_blas: false, native_blas_note: `off: ${i.reason}` };
  const version = /OpenBLAS [\d.]+/.exec(i.config ?? "")?.[0] ?? i.config;
  const core = /\/ (\S+)$/.exec(i.config ?? "")?.[1];
  return {
    native_blas: true,
    native_blas_note: `genlab-blas: ${version}${core ? ` (${core})` : ""}, ${i.threads} thread (forced, like the 1-thread peer)`,
  };
}

/**
 * Benchmarks one workload on the current backend (no peer), once per Adam in `adams` (default:
 * the one --adam names). With several, their timed steps alternate, the order turning each step,
 * so that all of them see the same load from other jobs on the machine; tensor counts and RSS
 * are then those of the process holding all of them.
 */
export function benchWorkload(
  name: WorkloadName,
  a: BenchArgs,
  adams: AdamKind[] = [a.adam === "fused" ? "fused" : "tfjs"],
): Omit<BenchResult, "peer_ms_per_step" | "ratio" | "peer">[] {
  const insts: ReturnType<Workload["build"]>[] = [];
  try {
    for (const adam of adams)
      insts.push(WORKLOADS[name].build({ fused: a.fused, batch: a.batch, adam }));
    for (const inst of insts) for (let i = 0; i < a.warmup; i++) inst.step();
    const t0 = tf.memory().numTensors;
    const r0 = rssMb();
    const times: number[][] = insts.map(() => []);
    const soak: { step: number; tensors: number; rss_mb: number }[] = [];
    const n = a.soak ?? a.steps;
    const every = Math.max(1, Math.round(n / 10));
    if (a.soak) soak.push({ step: 0, tensors: t0, rss_mb: r0 });
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < insts.length; j++) {
        const k = (i + j) % insts.length;
        const s = performance.now();
        const loss = insts[k].step();
        times[k].push(performance.now() - s);
        if (!Number.isFinite(loss)) throw new Error(`${name}: loss is ${loss} at step ${i + 1}`);
      }
      if (a.soak && (i + 1) % every === 0)
        soak.push({ step: i + 1, tensors: tf.memory().numTensors, rss_mb: rssMb() });
    }
    const r1 = rssMb();
    const t1 = tf.memory().numTensors;
    return adams.map((adam, k) => ({
      workload: name,
      backend: tf.getBackend() === "tensorflow" ? "tfjs-node" : tf.getBackend(),
      ms_per_step: round(median(times[k])),
      steps: n,
      rss_mb: { start: r0, end: r1 },
      tensors: { start: t0, end: t1 },
      fused: a.fused,
      patches:
        tf.getBackend() === "wasm"
          ? Array.isArray(a.patches)
            ? a.patches.join(",")
            : a.patches
          : "n/a",
      ...nativeFields(),
      adam,
      ...(a.soak ? { soak } : {}),
    }));
  } finally {
    for (const inst of insts) inst.dispose();
  }
}

export async function main(argv: string[]): Promise<number> {
  let a: BenchArgs;
  try {
    a = parseArgs(argv);
  } catch (e) {
    if (e instanceof BenchArgError) {
      console.error(`bench: ${e.message}`);
      return 2;
    }
    throw e;
  }
  const info = await initBackend({ quiet: true });
  console.error(
    `bench: backend ${info.choice} (${info.reason}); workloads ${a.workloads.join(", ")}`,
  );
  applyPatches(a.patches);
  const wasm = tf.getBackend() === "wasm";
  if (wasm) {
    const n = nativeBlasInfo();
    console.error(
      `bench: native BLAS ${n.on ? `loaded (${n.config}); OpenBLAS forced to ${n.threads} thread, like the PyTorch peer` : n.reason}; --native ${a.native}`,
    );
  }
  const modes: ("on" | "off")[] =
    wasm && a.native === "both" ? ["off", "on"] : [a.native === "off" ? "off" : "on"];
  const adams: AdamKind[] = a.adam === "both" ? [...ADAM_KINDS] : [a.adam];
  let peerWarned = false;
  let failed = 0;
  for (const w of a.workloads) {
    const runs: ReturnType<typeof benchWorkload> = [];
    for (const mode of modes) {
      if (wasm) setNativeBlas(mode === "on");
      try {
        runs.push(...benchWorkload(w, a, adams));
      } catch (e) {
        failed++;
        const error = (e as Error).message.split("\n")[0];
        console.log(
          JSON.stringify({
            workload: w,
            backend: tf.getBackend(),
            ms_per_step: null,
            peer: "pytorch",
            peer_ms_per_step: null,
            ratio: null,
            ...nativeFields(),
            adam: a.adam,
            error,
          }),
        );
      }
    }
    if (wasm) setNativeBlas(true);
    if (!runs.length) continue;
    let peer: PeerResult = { ms_per_step: null, note: a.soak ? "soak mode: no peer" : "--no-peer" };
    if (a.peer && !a.soak) peer = runPeer(w, a.steps, a.warmup, a.batch);
    if (peer.ms_per_step === null && a.peer && !a.soak && !peerWarned) {
      console.error(`bench: ${peer.note}; ratio is null`);
      peerWarned = true;
    }
    for (const res of runs) printResult(res, peer);
  }
  return failed ? 1 : 0;
}

function printResult(res: ReturnType<typeof benchWorkload>[number], peer: PeerResult): void {
  const w = res.workload;
  const out: BenchResult = {
    workload: w,
    backend: res.backend,
    ms_per_step: res.ms_per_step,
    steps: res.steps,
    peer: "pytorch",
    peer_ms_per_step: peer.ms_per_step === null ? null : round(peer.ms_per_step),
    ratio: peer.ms_per_step === null ? null : round(res.ms_per_step / peer.ms_per_step),
    ...(peer.note ? { peer_note: peer.note } : {}),
    rss_mb: res.rss_mb,
    tensors: res.tensors,
    fused: res.fused,
    patches: res.patches,
    native_blas: res.native_blas,
    ...(res.native_blas_note ? { native_blas_note: res.native_blas_note } : {}),
    adam: res.adam,
    ...(res.soak ? { soak: res.soak } : {}),
  };
  console.log(JSON.stringify(out));
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}

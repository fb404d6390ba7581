/**
 * Picks the TensorFlow.js backend once per process: the fastest one that loads here.
 *
 * Order: tfjs-node-gpu (native TensorFlow + CUDA), tfjs-node (native TensorFlow on CPU), wasm
 * (ships in npm, works offline), cpu (pure JavaScript, slowest). The two native packages are
 * optionalDependencies: their install step downloads libtensorflow, which fails offline, and npm
 * then leaves them out. tfjs-node is installed under the alias `tfjs-node-native` because the
 * name @tensorflow/tfjs-node is taken by danfojs-node's override (see README).
 *
 * GENLAB_BACKEND=auto|node-gpu|node|wasm|cpu forces a choice (an unavailable one is an error).
 */
import { nativeBlasSetting } from "./env";
import * as tf from "@tensorflow/tfjs";
import { describeNativeBlas, registerWasmKernels } from "./wasm-kernels";

export type BackendChoice = "auto" | "node-gpu" | "node" | "wasm" | "cpu";
const CHOICES: readonly BackendChoice[] = ["auto", "node-gpu", "node", "wasm", "cpu"];

export interface BackendInfo {
  /** What genlab calls it: node-gpu, node, wasm or cpu. */
  choice: Exclude<BackendChoice, "auto">;
  /** tfjs's own backend name (tensorflow, wasm, cpu). */
  tfBackend: string;
  /** One line: which backend runs and why the faster ones do not. */
  reason: string;
  threads: number;
  tfjsVersion: string;
  /**
   * wasm only: whether matmuls run on the optional native BLAS addon (genlab-blas), and why not.
   */
  accelerator?: string;
}

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

export function parseBackendChoice(raw: string | undefined): BackendChoice {
  const v = (raw ?? "").trim().toLowerCase();
  if (v === "") return "auto";
  if ((CHOICES as readonly string[]).includes(v)) return v as BackendChoice;
  throw new Error(
    `GENLAB_BACKEND=${JSON.stringify(raw)} is not a backend: use one of ${CHOICES.join(", ")}`,
  );
}

function tryRequire(name: string): string | null {
  try {
    require(name);
    return null;
  } catch (err) {
    const msg = (err as Error).message.split("\n")[0];
    return /Cannot find module/.test(msg) ? "not installed" : msg;
  }
}

async function tryNative(pkg: string): Promise<string | null> {
  const why = tryRequire(pkg);
  if (why) return why;
  return (await tf.setBackend("tensorflow"))
    ? null
    : "loaded but the tensorflow backend did not start";
}

async function start(choice: BackendChoice): Promise<BackendInfo> {
  const skipped: string[] = [];
  const info = (c: BackendInfo["choice"], threads: number): BackendInfo => ({
    choice: c,
    tfBackend: tf.getBackend(),
    reason: skipped.length
      ? `faster ones unavailable: ${skipped.join("; ")}`
      : choice === "auto"
        ? "fastest available"
        : "forced by GENLAB_BACKEND",
    threads,
    tfjsVersion: tf.version.tfjs,
  });
  const nodeCandidates: [BackendInfo["choice"], string][] = [
    ["node-gpu", "@tensorflow/tfjs-node-gpu"],
    ["node", "tfjs-node-native"],
  ];
  for (const [c, pkg] of nodeCandidates) {
    if (choice !== "auto" && choice !== c) continue;
    const why = await tryNative(pkg);
    if (!why) return info(c, 0);
    if (choice === c) {
      throw new Error(
        `GENLAB_BACKEND=${c}: ${pkg} cannot be used (${why}); unset GENLAB_BACKEND to use the fastest backend that loads`,
      );
    }
    skipped.push(`${pkg} ${why}`);
  }
  if (choice === "auto" || choice === "wasm") {
    const why = tryRequire("@tensorflow/tfjs-backend-wasm");
    if (!why && (await tf.setBackend("wasm"))) {
      registerWasmKernels();
      return { ...info("wasm", 1), accelerator: describeNativeBlas() };
    }
    if (choice === "wasm") {
      throw new Error(
        `GENLAB_BACKEND=wasm: the wasm backend cannot start (${why ?? "setBackend failed"}); unset GENLAB_BACKEND to use the fastest backend that loads`,
      );
    }
    skipped.push(`wasm ${why ?? "did not start"}`);
  }
  if (!(await tf.setBackend("cpu")))
    throw new Error("not even the cpu backend of tfjs could start");
  return info("cpu", 1);
}

/**
 * Starts the backend (once; later calls return the same answer) and, unless `quiet`, prints one
 * line saying which backend runs and why.
 */
export async function initBackend(opts: { quiet?: boolean } = {}): Promise<BackendInfo> {
  if (!pending) {
    const choice = parseBackendChoice(process.env.GENLAB_BACKEND);
    nativeBlasSetting(); // an unknown GENLAB_NATIVE_BLAS fails here, before anything starts
    pending = start(choice).then((i) => (current = i));
    pending.catch(() => (pending = undefined));
  }
  const i = await pending;
  if (!opts.quiet) console.log(describeBackend(i));
  return i;
}

/**
 * The backend line; on wasm a second, indented line says whether the native BLAS accelerator runs.
 */
export function describeBackend(i: BackendInfo): string {
  const line = `backend: ${i.choice} (tfjs ${i.tfjsVersion}, ${i.tfBackend}${i.threads ? `, ${i.threads} thread` : ""}) - ${i.reason}`;
  return i.accelerator ? `${line}\n  accelerator: ${i.accelerator}` : line;
}

/** The running backend's genlab name, or "uninitialised". */
export function backendName(): string {
  return current ? current.choice : "uninitialised";
}

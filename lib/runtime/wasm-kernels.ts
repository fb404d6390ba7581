/**
 * Kernels genlab adds to or wraps on tfjs's wasm backend, all in one place, registered by
 * `registerWasmKernels()` when the backend starts (lib/runtime/backend.ts). Each is checked against
 * the cpu backend in test/wasm-kernels.test.ts; bench/RESULTS.md has what each one bought.
 *
 * - BatchMatMul (wrapped): the wasm kernel takes a slow scalar path whenever transposeA or
 *   transposeB is set (about 2 GFLOP/s against 25 untransposed; see PLATFORM.md), and every dense
 *   layer's backward pass sets one. The wrapper transposes the operand explicitly with the wasm
 *   Transpose kernel, calls the original kernel untransposed, and frees the temporary.
 * - BatchMatMul and _FusedMatMul through native BLAS (optional): when the `genlab-blas` addon
 *   (native/, an optionalDependency built by node-gyp against OpenBLAS) loads, matmuls with at
 *   least `nativeBlasMinFlops()` of work run as one CBLAS sgemm per batch on 1 OpenBLAS thread
 *   (85-89 GFLOP/s here against XNNPACK's 19-22): operands are read in place from the wasm heap,
 *   transposes are CBLAS's own, bias and activation are applied in the addon, and the result is
 *   written into a new wasm tensor. Conv2D (im2col + sgemm), Conv2DBackpropFilter (im2col +
 *   sgemm with A transposed) and Conv2DBackpropInput (sgemm with B transposed + col2im) take the
 *   same path. GENLAB_NATIVE_BLAS=0 turns it off; without the addon everything runs on wasm as
 *   before (bench/RESULTS.md has the before/after).
 * - Conv2DBackpropFilter (added; missing in tfjs-backend-wasm 4.22, tfjs#8474): the filter
 *   gradient of a conv is itself a convolution. With x' = x transposed to [inC, H, W, batch] as the
 *   input and dy' = dy transposed to [outH, outW, batch, outC] as the filter, a stride-1 conv
 *   with dilation = the forward stride and the forward padding gives [inC, kh, kw, outC]; one
 *   more transpose gives the filter gradient. All three steps are existing wasm kernels
 *   (Transpose, and Conv2D, which runs on XNNPACK).
 * - FusedAdam (added; not a tfjs kernel): one variable's whole Adam update in one call, for
 *   lib/runtime/optim.ts (tf.train.adam issues 14 kernel calls per variable per step), as one pass
 *   of a small hand-assembled WebAssembly SIMD function over the backend's own memory. Checked
 *   bit for bit against tfjs's ops and tf.train.adam in test/optim.test.ts.
 * - LeakyReluGrad (added; not a tfjs kernel): LeakyRelu's gradient in one SIMD pass instead of
 *   tfjs's Greater + Multiply + Select, registered as LeakyRelu's gradient with a gradient of its
 *   own, so tf.leakyRelu has a correct second derivative on wasm (lib/runtime/nn.ts then uses it
 *   for the critics of WGAN-GP). Checked bit for bit against tfjs's gradient in
 *   test/wasm-kernels.test.ts.
 */
import { nativeBlasSetting, projectRoot } from "./env";
import * as tf from "@tensorflow/tfjs";
import * as path from "node:path";

type KernelFunc = tf.KernelConfig["kernelFunc"];
type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType };
type Backend = {
  disposeData(id: object, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(t: TensorInfo): Float32Array | Int32Array | Uint8Array;
  incRef(id: object): void;
};

/** Names of the kernels this module wraps or adds, in the order they are registered. */
export const WASM_KERNEL_PATCHES = [
  "BatchMatMul",
  "_FusedMatMul",
  "Conv2D",
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
  "Slice",
  "Tile",
  "Identity",
  "Sum",
  "Mean",
  "LeakyRelu",
  "LeakyReluGrad",
  "FusedAdam",
] as const;
export type WasmKernelPatch = (typeof WASM_KERNEL_PATCHES)[number];

/** The wasm backend's own kernels (or null where it has none), saved before the first patch. */
const originals = new Map<string, tf.KernelConfig | null>();
const active = new Set<WasmKernelPatch>();

/** The patches currently registered. */
export function activeWasmKernels(): WasmKernelPatch[] {
  return WASM_KERNEL_PATCHES.filter((k) => active.has(k));
}

/**
 * Registers genlab's wasm kernels (all of them, or `only` those named). Idempotent; needs the
 * wasm backend package loaded (the kernels it wraps must exist).
 */
export function registerWasmKernels(opts: { only?: readonly WasmKernelPatch[] } = {}): void {
  const want = opts.only ?? WASM_KERNEL_PATCHES;
  native ??= loadNative(); // the optional addon loads (or is found missing) at backend start
  for (const name of WASM_KERNEL_PATCHES) {
    if (!want.includes(name) || active.has(name)) continue;
    const current = tf.getKernel(name, "wasm") ?? null;
    if (!originals.has(name)) originals.set(name, current);
    const original = originals.get(name) ?? null;
    const kernelFunc = BUILDERS[name](original);
    if (current) tf.unregisterKernel(name, "wasm");
    tf.registerKernel({
      kernelName: name,
      backendName: "wasm",
      kernelFunc,
      ...(original?.setupFunc ? { setupFunc: original.setupFunc } : {}),
    });
    active.add(name);
  }
  if (active.has("LeakyReluGrad")) installLeakyReluGradient();
}

/** Puts back the wasm backend's own kernels (for before/after measurements and tests). */
export function restoreWasmKernels(): void {
  for (const name of [...active]) {
    tf.unregisterKernel(name, "wasm");
    const o = originals.get(name);
    if (o) tf.registerKernel(o);
    active.delete(name);
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

/**
 * Runs the wasm kernel registered now under `name` (so wrapped kernels call each other's wrappers).
 */
function run(
  name: string,
  backend: unknown,
  inputs: Record<string, TensorInfo>,
  attrs: object = {},
): TensorInfo {
  const k = tf.getKernel(name, "wasm");
  if (!k) throw new Error(`the wasm backend has no ${name} kernel`);
  return k.kernelFunc({
    inputs: inputs as unknown as tf.NamedTensorInfoMap,
    backend: backend as tf.KernelBackend,
    attrs: attrs as tf.NamedAttrMap,
  }) as unknown as TensorInfo;
}

function free(backend: unknown, ...ts: TensorInfo[]): void {
  for (const t of ts) (backend as Backend).disposeData(t.dataId);
}

// ---------------------------------------------------------------------------------------------
// Native BLAS (optional addon genlab-blas, native/)

/** The addon's API (native/index.d.ts). */
interface NativeBlas {
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    B: Float32Array,
    C: Float32Array,
    batch: number,
    strideA: number,
    strideB: number,
    strideC: number,
    bias?: Float32Array | null,
    act?: number,
    actAlpha?: number,
  ): void;
  im2col(
    x: Float32Array,
    B: number,
    H: number,
    W: number,
    C: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    dh: number,
    dw: number,
    pt: number,
    pl: number,
    oh: number,
    ow: number,
    cols: Float32Array,
  ): void;
  col2im(
    cols: Float32Array,
    B: number,
    H: number,
    W: number,
    C: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    dh: number,
    dw: number,
    pt: number,
    pl: number,
    oh: number,
    ow: number,
    x: Float32Array,
  ): void;
  numThreads(): number;
  setNumThreads(n: number): void;
  config(): string;
}

export interface NativeBlasInfo {
  /** True when matmuls above the threshold run through the addon now. */
  on: boolean;
  /** The addon loaded (it may still be switched off by setNativeBlas(false)). */
  loaded: boolean;
  /** "on", or why it is off. */
  reason: string;
  /** OpenBLAS threads (1) and its build/core, when loaded. */
  threads?: number;
  config?: string;
  /** Matmuls with fewer floating-point operations (2*batch*M*N*K) stay on wasm. */
  minFlops: number;
}

let native: { blas: NativeBlas | null; reason: string } | undefined;
let nativeEnabled = true;
/**
 * Below this much work (2*batch*M*N*K) a matmul stays on wasm. Measured with
 * bench/gemm-threshold.ts (results/gemm-threshold.jsonl): the addon was faster than the wasm
 * path at every size from 2x2x2 (22 against 62 us, the wasm call's own overhead) to 3136x128x128
 * (1.3 against 4.1-5.7 ms), in every transpose case, so there is no size threshold by default.
 * The one loss was a tiny inner dimension (256x128 from K=2: 18 against 14-20 us), hence
 * MIN_NATIVE_K.
 */
let minFlops = 0;
const MIN_NATIVE_K = 4;
let nativeCalls = 0;

function loadNative(): { blas: NativeBlas | null; reason: string } {
  if (!nativeBlasSetting()) return { blas: null, reason: "switched off by GENLAB_NATIVE_BLAS=0" };
  const why: string[] = [];
  // The installed optionalDependency, then the package in the repository (a checkout whose
  // node_modules predates the dependency, or a notebook kernel resolving lib/ through a symlink).
  // (__dirname is notebooks/lib/runtime in a kernel, so the repository's native/ is found from the
  // root.)
  for (const spec of ["genlab-blas", path.join(projectRoot(), "native")]) {
    try {
      const blas = require(spec) as NativeBlas;
      if (typeof blas.sgemm !== "function") throw new Error("no sgemm export");
      blas.setNumThreads(1);
      return { blas, reason: "on" };
    } catch (e) {
      why.push((e as Error).message.split("\n")[0]);
    }
  }
  const missing = why.every((w) => /Cannot find module/.test(w));
  return {
    blas: null,
    reason: missing
      ? "the optional genlab-blas addon is not built, see README"
      : `genlab-blas failed to load: ${why.find((w) => !/Cannot find module/.test(w))}`,
  };
}

function nativeBlas(): NativeBlas | null {
  native ??= loadNative();
  return nativeEnabled ? native.blas : null;
}

/** Whether the native BLAS path is on, and why not when it is off. */
export function nativeBlasInfo(): NativeBlasInfo {
  native ??= loadNative();
  const b = native.blas;
  return {
    on: !!b && nativeEnabled,
    loaded: !!b,
    reason: b && !nativeEnabled ? "switched off by setNativeBlas(false)" : native.reason,
    ...(b ? { threads: b.numThreads(), config: b.config() } : {}),
    minFlops,
  };
}

/**
 * One phrase for the backend line: "matmuls on OpenBLAS 0.3.21 (Zen) via genlab-blas, 1 thread"
 * or "none (native BLAS off: ...)".
 */
export function describeNativeBlas(): string {
  const i = nativeBlasInfo();
  if (!i.on) return `none (native BLAS off: ${i.reason})`;
  const v = /OpenBLAS [\d.]+/.exec(i.config ?? "")?.[0] ?? "BLAS";
  const core = /\/ (\S+)$/.exec(i.config ?? "")?.[1];
  return `matmuls on ${v}${core ? ` (${core})` : ""} via genlab-blas, ${i.threads} thread${i.threads === 1 ? "" : "s"}`;
}

/**
 * Switches the native path on or off at run time (for before/after measurements and tests; it
 * stays off when the addon did not load). `minFlops` changes the threshold. Returns the old state.
 */
export function setNativeBlas(
  on: boolean,
  opts: { minFlops?: number } = {},
): { on: boolean; minFlops: number } {
  const old = { on: nativeEnabled, minFlops };
  nativeEnabled = on;
  if (opts.minFlops !== undefined) minFlops = opts.minFlops;
  return old;
}

/** How many matmuls ran through the addon since the process started (tests check the path ran). */
export function nativeBlasCalls(): number {
  return nativeCalls;
}

const ACT_CODES: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  elu: 3,
  leakyrelu: 4,
  sigmoid: 5,
};

/**
 * a x b (+ bias, activation) through the addon into a new wasm tensor, or null when the addon is
 * off or the case is not one it takes (then the caller runs the wasm path, which also produces
 * tfjs's own error messages for bad shapes).
 */
function nativeMatMul(
  backend: unknown,
  a: TensorInfo,
  b: TensorInfo,
  ta: boolean,
  tb: boolean,
  bias?: TensorInfo,
  activation = "linear",
  alpha = 0,
): TensorInfo | null {
  const blas = nativeBlas();
  if (!blas || a.dtype !== "float32" || b.dtype !== "float32") return null;
  const act = ACT_CODES[activation];
  if (act === undefined) return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  if (ra < 2 || rb < 2) return null;
  const M = ta ? a.shape[ra - 1] : a.shape[ra - 2];
  const K = ta ? a.shape[ra - 2] : a.shape[ra - 1];
  const N = tb ? b.shape[rb - 2] : b.shape[rb - 1];
  if (K !== (tb ? b.shape[rb - 1] : b.shape[rb - 2])) return null;
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const bA = sizeOf(outerA);
  const bB = sizeOf(outerB);
  if (bA !== bB && bA !== 1 && bB !== 1) return null;
  let outer: number[];
  try {
    outer = tf.backend_util.assertAndGetBroadcastShape(outerA, outerB);
  } catch {
    return null;
  }
  const batch = Math.max(bA, bB);
  const work = 2 * batch * M * N * K;
  if (work === 0 || work < minFlops || K < MIN_NATIVE_K) return null;
  let biasLen = 0;
  if (bias) {
    if (bias.dtype !== "float32") return null;
    biasLen = sizeOf(bias.shape);
    const r = bias.shape.length;
    const ok =
      biasLen === 1 ||
      (biasLen === N && r >= 1 && bias.shape[r - 1] === N) ||
      (biasLen === M * N && r >= 2 && bias.shape[r - 2] === M && bias.shape[r - 1] === N);
    if (!ok) return null;
  }
  const out = (backend as Backend).makeOutput([...outer, M, N], "float32");
  // Views taken after makeOutput (which may grow the wasm memory and detach older views).
  const A = heap(backend, a) as Float32Array;
  const B = heap(backend, b) as Float32Array;
  const C = heap(backend, out) as Float32Array;
  const biasArr = bias ? (heap(backend, bias) as Float32Array) : null;
  // A stack of row-major A's times one B is one tall GEMM (unless a per-element bias repeats).
  if (bB === 1 && bA > 1 && !ta && !(biasLen === M * N && M > 1)) {
    blas.sgemm(false, tb, bA * M, N, K, A, B, C, 1, 0, 0, 0, biasArr, act, alpha);
  } else {
    blas.sgemm(
      ta,
      tb,
      M,
      N,
      K,
      A,
      B,
      C,
      batch,
      bA === 1 ? 0 : M * K,
      bB === 1 ? 0 : K * N,
      M * N,
      biasArr,
      act,
      alpha,
    );
  }
  nativeCalls++;
  return out;
}

// ---------------------------------------------------------------------------------------------
// BatchMatMul

/**
 * wasm's XNNPACK matmul caches the packed right operand under (b's data id, bias id, activation)
 * and not its shape, so the same data reshaped (reshape shares data) and used again as `b` with
 * another shape would reuse a stale operator. The wrapper remembers the shape each b data id was
 * used with and gives b a fresh copy when it differs.
 */
const bShapes = new WeakMap<object, string>();

function freshB(backend: unknown, b: TensorInfo, temps: TensorInfo[]): TensorInfo {
  const key = b.shape.join(",");
  const seen = bShapes.get(b.dataId);
  if (seen === undefined) {
    bShapes.set(b.dataId, key);
    return b;
  }
  if (seen === key) return b;
  const copy = (backend as Backend).makeOutput(b.shape, b.dtype);
  heap(backend, copy).set(heap(backend, b));
  temps.push(copy);
  return copy;
}

function batchMatMul(original: tf.KernelConfig | null): KernelFunc {
  if (!original) throw new Error("the wasm backend has no BatchMatMul kernel to wrap");
  const runOriginal = original.kernelFunc;
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB, activation, leakyreluAlpha } = attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
      activation?: string;
      leakyreluAlpha?: number;
    };
    const {
      a: na,
      b: nb,
      bias,
      preluActivationWeights: prelu,
    } = inputs as unknown as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    if (!prelu) {
      const res = nativeMatMul(
        backend,
        na,
        nb,
        transposeA,
        transposeB,
        bias ?? undefined,
        activation ?? "linear",
        leakyreluAlpha ?? 0,
      );
      if (res) return res as unknown as tf.TensorInfo;
    }
    const batched = sizeOf(na.shape.slice(0, -2)) > 1 || sizeOf(nb.shape.slice(0, -2)) > 1;
    if (activation !== undefined && batched && (bias || activation !== "linear")) {
      // wasm's _FusedMatMul adds the bias wrongly when there is more than one matrix in the batch
      // (off by up to 1.0 against the cpu backend, test "fallback without native BLAS"): do
      // matmul, bias and activation as separate wasm kernels instead.
      let y = run("BatchMatMul", backend, { a: na, b: nb }, { transposeA, transposeB });
      const step = (name: string, ins: Record<string, TensorInfo>, at: object = {}) => {
        const next = run(name, backend, ins, at);
        free(backend, y);
        y = next;
      };
      if (bias) step("Add", { a: y, b: bias });
      const act = activation ?? "linear";
      if (act === "relu") step("Relu", { x: y });
      else if (act === "relu6") step("Relu6", { x: y });
      else if (act === "elu") step("Elu", { x: y });
      else if (act === "sigmoid") step("Sigmoid", { x: y });
      else if (act === "leakyrelu") step("LeakyRelu", { x: y }, { alpha: leakyreluAlpha ?? 0.2 });
      else if (act === "prelu" && prelu) step("Prelu", { x: y, alpha: prelu });
      else if (act !== "linear")
        throw new Error(`_FusedMatMul: activation ${act} is not supported on wasm`);
      return y as unknown as tf.TensorInfo;
    }
    const temps: TensorInfo[] = [];
    const swapLast = (t: TensorInfo): TensorInfo => {
      const r = t.shape.length;
      const perm = [...Array(r).keys()];
      perm[r - 1] = r - 2;
      perm[r - 2] = r - 1;
      const out = run("Transpose", backend, { x: t }, { perm });
      temps.push(out);
      return out;
    };
    const a = inputs.a as unknown as TensorInfo;
    let b = inputs.b as unknown as TensorInfo;
    b = transposeB ? swapLast(b) : freshB(backend, b, temps);
    const res = runOriginal({
      inputs: {
        ...(inputs as object),
        a: (transposeA ? swapLast(a) : a) as unknown as tf.Tensor,
        b: b as unknown as tf.Tensor,
      },
      backend,
      attrs: { ...(attrs as object), transposeA: false, transposeB: false },
    });
    free(backend, ...temps);
    return res;
  };
}

// ---------------------------------------------------------------------------------------------
// Conv2D through native BLAS: im2col (in the addon) into a scratch array outside the wasm heap,
// then one sgemm with the filter [kh*kw*C, O] into the output tensor. Only when the addon is on;
// otherwise the wasm (XNNPACK) kernel. The backprop kernels below are built on Conv2D, so they
// take this path too.

/** im2col scratch, reused and grown as needed (the largest conv's rows: 13 MB for dcgan). */
let colsScratch = new Float32Array(0);
/** Above this many floats of im2col rows (1 GiB) a conv stays on wasm. */
const MAX_COLS = 2 ** 28;

function conv2DKernel(original: tf.KernelConfig | null): KernelFunc {
  if (!original) throw new Error("the wasm backend has no Conv2D kernel to wrap");
  return (args) => {
    const res = nativeConv2D(args);
    return res ? (res as unknown as tf.TensorInfo) : original.kernelFunc(args);
  };
}

/** An NHWC conv's geometry, named as the addon's im2col and col2im take it. */
interface ConvGeometry {
  B: number;
  H: number;
  W: number;
  C: number;
  oh: number;
  ow: number;
  O: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  dh: number;
  dw: number;
  pt: number;
  pl: number;
  /** Rows of the im2col matrix (B * oh * ow) and its columns (kh * kw * C). */
  rows: number;
  K: number;
}

function convGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C } = info;
  const { outHeight: oh, outWidth: ow, outChannels: O } = info;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const { top: pt, left: pl } = info.padInfo;
  return {
    B,
    H,
    W,
    C,
    oh,
    ow,
    O,
    kh,
    kw,
    sh,
    sw,
    dh,
    dw,
    pt,
    pl,
    rows: B * oh * ow,
    K: kh * kw * C,
  };
}

/** The geometry arguments of the addon's im2col and col2im, between the input and the output. */
function patchArgs(g: ConvGeometry) {
  return [g.B, g.H, g.W, g.C, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.oh, g.ow] as const;
}

function nativeConv2D({ inputs, backend, attrs }: Parameters<KernelFunc>[0]): TensorInfo | null {
  const blas = nativeBlas();
  if (!blas) return null;
  const x = inputs.x as unknown as TensorInfo;
  const filter = inputs.filter as unknown as TensorInfo;
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs as unknown as {
    strides: number | [number, number];
    pad: "valid" | "same" | number | backendPad;
    dataFormat: "NHWC" | "NCHW";
    dilations: number | [number, number];
    dimRoundingMode?: "floor" | "round" | "ceil";
  };
  if (
    dataFormat === "NCHW" ||
    x.dtype !== "float32" ||
    filter.dtype !== "float32" ||
    x.shape.length !== 4
  )
    return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations ?? 1,
    pad as "same",
    dimRoundingMode,
    false,
    "channelsLast",
  );
  const g = convGeometry(info);
  const { B, H, W, oh, ow, O, kh, kw, sh, sw, pt, pl, rows, K } = g;
  if (
    rows === 0 ||
    K === 0 ||
    O === 0 ||
    pt < 0 ||
    pl < 0 ||
    K < MIN_NATIVE_K ||
    2 * rows * K * O < minFlops
  )
    return null;
  const direct =
    kh === 1 && kw === 1 && sh === 1 && sw === 1 && pt === 0 && pl === 0 && oh === H && ow === W;
  if (!direct && rows * K > MAX_COLS) return null;
  const out = (backend as unknown as Backend).makeOutput([B, oh, ow, O], "float32");
  const X = heap(backend, x) as Float32Array;
  const F = heap(backend, filter) as Float32Array;
  const Y = heap(backend, out) as Float32Array;
  let A = X;
  if (!direct) {
    if (colsScratch.length < rows * K) colsScratch = new Float32Array(rows * K);
    A = colsScratch;
    blas.im2col(X, ...patchArgs(g), A);
  }
  blas.sgemm(false, false, rows, O, K, A, F, Y, 1, 0, 0, 0);
  nativeCalls++;
  return out;
}

/**
 * A conv's filter gradient (`which` "filter", `t` = x) or input gradient ("input", `t` = the
 * filter) through the addon, or null when it is off or the case is not one it takes.
 */
function nativeConvGrad(
  backend: unknown,
  which: "filter" | "input",
  info: tf.backend_util.Conv2DInfo,
  t: TensorInfo,
  dy: TensorInfo,
): TensorInfo | null {
  const blas = nativeBlas();
  if (!blas || t.dtype !== "float32" || dy.dtype !== "float32") return null;
  const g = convGeometry(info);
  const { B, H, W, C, oh, ow, O, kh, kw, pt, pl, rows, K } = g;
  if (dy.shape.join() !== [B, oh, ow, O].join()) return null;
  if (
    rows === 0 ||
    K === 0 ||
    O === 0 ||
    pt < 0 ||
    pl < 0 ||
    2 * rows * K * O < minFlops ||
    rows * K > MAX_COLS
  )
    return null;
  if (colsScratch.length < rows * K) colsScratch = new Float32Array(rows * K);
  const cols = colsScratch;
  if (which === "filter") {
    const out = (backend as Backend).makeOutput([kh, kw, C, O], "float32");
    blas.im2col(heap(backend, t) as Float32Array, ...patchArgs(g), cols);
    blas.sgemm(
      true,
      false,
      K,
      O,
      rows,
      cols,
      heap(backend, dy) as Float32Array,
      heap(backend, out) as Float32Array,
      1,
      0,
      0,
      0,
    );
    nativeCalls++;
    return out;
  }
  const out = (backend as Backend).makeOutput([B, H, W, C], "float32");
  blas.sgemm(
    false,
    true,
    rows,
    K,
    O,
    heap(backend, dy) as Float32Array,
    heap(backend, t) as Float32Array,
    cols,
    1,
    0,
    0,
    0,
  );
  blas.col2im(cols, ...patchArgs(g), heap(backend, out) as Float32Array);
  nativeCalls++;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter

interface Conv2DBackpropFilterAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | backendPad;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  filterShape: [number, number, number, number];
}
type backendPad = [[number, number], [number, number], [number, number], [number, number]];

function conv2DBackpropFilter(): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const x = inputs.x as unknown as TensorInfo;
    const dy = inputs.dy as unknown as TensorInfo;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } =
      attrs as unknown as Conv2DBackpropFilterAttrs;
    if (dataFormat === "NCHW")
      throw new Error(
        "genlab's wasm Conv2DBackpropFilter supports NHWC only (as does wasm Conv2D)",
      );
    const info = tf.backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad as "same",
      dimRoundingMode,
      false,
      "channelsLast",
    );
    // Native BLAS: dW[kh*kw*C, O] = im2col(x)^T x dy[B*oh*ow, O], one sgemm.
    const nat = nativeConvGrad(backend, "filter", info, x, dy);
    if (nat) return nat as unknown as tf.TensorInfo;
    const {
      filterHeight: kh,
      filterWidth: kw,
      strideHeight: sh,
      strideWidth: sw,
      outHeight: oh,
      outWidth: ow,
    } = info;
    const [, H, W] = x.shape;
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;
    // Extent of the dilated "filter" (dy): sh*(oh-1)+1 rows; output must be kh rows.
    let pb = kh + sh * (oh - 1) - H - pt;
    let pr = kw + sw * (ow - 1) - W - pl;
    const temps: TensorInfo[] = [];
    let xT = run("Transpose", backend, { x }, { perm: [3, 1, 2, 0] }); // [inC, H, W, batch]
    temps.push(xT);
    if (pb < 0 || pr < 0) {
      // 'valid' padding with rows/columns the forward conv never reached: drop them.
      const cropped = run(
        "Slice",
        backend,
        { x: xT },
        { begin: [0, 0, 0, 0], size: [-1, H + Math.min(pb, 0), W + Math.min(pr, 0), -1] },
      );
      temps.push(cropped);
      xT = cropped;
      pb = Math.max(pb, 0);
      pr = Math.max(pr, 0);
    }
    // [oh, ow, batch, outC]
    const dyT = run("Transpose", backend, { x: dy }, { perm: [1, 2, 0, 3] });
    temps.push(dyT);
    const explicit = [
      [0, 0],
      [pt, pb],
      [pl, pr],
      [0, 0],
    ];
    const g = run(
      "Conv2D",
      backend,
      { x: xT, filter: dyT },
      { strides: [1, 1], pad: explicit, dataFormat: "NHWC", dilations: [sh, sw] },
    );
    temps.push(g); // [inC, kh, kw, outC]
    const out = run("Transpose", backend, { x: g }, { perm: [1, 2, 0, 3] });
    free(backend, ...temps);
    return out as unknown as tf.TensorInfo;
  };
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropInput (the input gradient of a conv, and the forward pass of conv2dTranspose)

interface Conv2DBackpropInputAttrs {
  strides: number | [number, number];
  pad: "valid" | "same" | number | backendPad;
  dataFormat: "NHWC" | "NCHW";
  dimRoundingMode?: "floor" | "round" | "ceil";
  inputShape: [number, number, number, number];
}

/** A TensorInfo with another shape over the same data (input only: never returned or freed). */
function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

function conv2DBackpropInput(original: tf.KernelConfig | null): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const dy = inputs.dy as unknown as TensorInfo;
    const filter = inputs.filter as unknown as TensorInfo;
    const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
      attrs as unknown as Conv2DBackpropInputAttrs;
    if (dataFormat === "NCHW") {
      if (original) return original.kernelFunc(args);
      throw new Error("genlab's wasm Conv2DBackpropInput supports NHWC only");
    }
    const info = tf.backend_util.computeConv2DInfo(
      inputShape,
      filter.shape as [number, number, number, number],
      strides,
      1,
      pad as "same",
      dimRoundingMode,
      false,
      "channelsLast",
    );
    // Native BLAS: dx = col2im(dy[B*oh*ow, O] x filter[kh*kw*C, O]^T), one sgemm.
    const nat = nativeConvGrad(backend, "input", info, filter, dy);
    if (nat) return nat as unknown as tf.TensorInfo;
    const {
      filterHeight: kh,
      filterWidth: kw,
      strideHeight: sh,
      strideWidth: sw,
      inChannels: inC,
      outChannels: outC,
    } = info;
    const [B, H, W] = inputShape;
    const [, oh, ow] = dy.shape;
    const pt = info.padInfo.top;
    const pl = info.padInfo.left;
    const temps: TensorInfo[] = [];
    const keep = (t: TensorInfo) => (temps.push(t), t);
    // Filter as a conv filter from outC to inC: [kh, kw, outC, inC].
    const wt = keep(run("Transpose", backend, { x: filter }, { perm: [0, 1, 3, 2] }));
    const block = outC * inC;
    // Output row h + pt = sh*q + r: each phase (r, c) is a stride-1 conv of dy with the taps
    // k = sh*m + r of the filter, flipped; the phases interleave back into dx.
    const Q = Math.ceil((H + pt) / sh);
    const Qw = Math.ceil((W + pl) / sw);
    const phases: TensorInfo[] = [];
    for (let r = 0; r < sh; r++) {
      for (let c = 0; c < sw; c++) {
        const mr = Math.ceil((kh - r) / sh);
        const mc = Math.ceil((kw - c) / sw);
        if (mr <= 0 || mc <= 0) {
          phases.push(
            keep(run("Fill", backend, {}, { shape: [B, Q, Qw, inC], value: 0, dtype: "float32" })),
          );
          continue;
        }
        // sub[m, n] = wt[sh*(mr-1-m) + r, sw*(mc-1-n) + c]: whole [outC, inC] blocks, copied
        // (wasm's Reverse and StridedSlice are generic per-element loops, 10x slower).
        const sub = keep(
          (backend as unknown as Backend).makeOutput([mr, mc, outC, inC], "float32"),
        );
        const src = heap(backend, wt);
        const dst = heap(backend, sub);
        for (let m = 0; m < mr; m++) {
          for (let n = 0; n < mc; n++) {
            const from = ((sh * (mr - 1 - m) + r) * kw + (sw * (mc - 1 - n) + c)) * block;
            dst.set(src.subarray(from, from + block), (m * mc + n) * block);
          }
        }
        const padB = Math.max(0, Q - oh);
        const padR = Math.max(0, Qw - ow);
        let ph = keep(
          run(
            "Conv2D",
            backend,
            { x: dy, filter: sub },
            {
              strides: [1, 1],
              pad: [
                [0, 0],
                [mr - 1, padB],
                [mc - 1, padR],
                [0, 0],
              ],
              dataFormat: "NHWC",
              dilations: [1, 1],
            },
          ),
        );
        if (ph.shape[1] !== Q || ph.shape[2] !== Qw)
          ph = keep(
            run("Slice", backend, { x: ph }, { begin: [0, 0, 0, 0], size: [B, Q, Qw, inC] }),
          );
        phases.push(ph);
      }
    }
    let full: TensorInfo; // [B, Q*sh, Qw*sw, inC]
    if (phases.length === 1) full = phases[0];
    else {
      const cat = keep(
        run("Concat", backend, phases as unknown as Record<string, TensorInfo>, { axis: 3 }),
      );
      // (wasm's DepthToSpace does the same but is about 25x slower than this transpose)
      const t = keep(
        run(
          "Transpose",
          backend,
          { x: view(cat, [B, Q, Qw, sh, sw, inC]) },
          { perm: [0, 1, 3, 2, 4, 5] },
        ),
      );
      full = view(t, [B, Q * sh, Qw * sw, inC]);
    }
    const out = run("Slice", backend, { x: full }, { begin: [0, pt, pl, 0], size: [B, H, W, inC] });
    free(backend, ...temps);
    return out as unknown as tf.TensorInfo;
  };
}

// ---------------------------------------------------------------------------------------------
// Slice and Tile: data movement. The wasm kernels compute a multi-index per element (Slice of a
// [64,14,14,64] tensor: 7-9 ms; Tile to that size: 60-110 ms). These copy contiguous runs of the
// wasm heap with TypedArray.set / copyWithin (memcpy speed).

function heap(backend: unknown, t: TensorInfo): Float32Array | Int32Array | Uint8Array {
  return (backend as Backend).typedArrayFromHeap(t);
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A data-movement kernel written for numeric tensors: strings and complex numbers go to the
 * original wasm kernel (or fail clearly when there is none); `body` gets the rest.
 */
function numericOnly(
  name: string,
  original: tf.KernelConfig | null,
  body: (args: Parameters<KernelFunc>[0], x: TensorInfo) => tf.TensorInfo,
): KernelFunc {
  return (args) => {
    const x = args.inputs.x as unknown as TensorInfo;
    if (x.dtype === "string" || x.dtype === "complex64") {
      if (original) return original.kernelFunc(args);
      throw new Error(`${name} of ${x.dtype} on wasm`);
    }
    return body(args, x);
  };
}

function sliceKernel(original: tf.KernelConfig | null): KernelFunc {
  return numericOnly("Slice", original, ({ backend, attrs }, x) => {
    const a = attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin, size] = tf.slice_util.parseSliceParams(
      x as unknown as tf.Tensor,
      a.begin,
      a.size,
    );
    return sliceJs(backend, x, begin, size) as unknown as tf.TensorInfo;
  });
}

function sliceJs(backend: unknown, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = (backend as Backend).makeOutput(size, x.dtype);
  const n = sizeOf(size);
  if (n === 0) return out;
  const src = heap(backend, x);
  const dst = heap(backend, out);
  const r = x.shape.length;
  let inner = 1;
  let d = r - 1;
  while (d >= 0 && begin[d] === 0 && size[d] === x.shape[d]) inner *= x.shape[d--];
  if (d < 0) {
    dst.set(src.subarray(0, n));
    return out;
  }
  const strides = new Array<number>(r);
  for (let i = r - 1, s = 1; i >= 0; i--) {
    strides[i] = s;
    s *= x.shape[i];
  }
  const run = size[d] * inner;
  const idx = new Array<number>(d).fill(0);
  let base = begin[d] * inner;
  for (let j = 0; j < d; j++) base += begin[j] * strides[j];
  for (let o = 0, off = base; o < n; o += run) {
    dst.set(src.subarray(off, off + run), o);
    // odometer over dims d-1 .. 0
    for (let j = d - 1; j >= 0; j--) {
      off += strides[j];
      if (++idx[j] < size[j]) break;
      off -= strides[j] * size[j];
      idx[j] = 0;
    }
  }
  return out;
}

function tileKernel(original: tf.KernelConfig | null): KernelFunc {
  return numericOnly("Tile", original, ({ backend, attrs }, x) => {
    const reps = (attrs as unknown as { reps: number[] }).reps;
    const r = x.shape.length;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = (backend as Backend).makeOutput(outShape, x.dtype);
    if (sizeOf(outShape) === 0) return out as unknown as tf.TensorInfo;
    if (r === 0) {
      heap(backend, out).set(heap(backend, x));
      return out as unknown as tf.TensorInfo;
    }
    const src = heap(backend, x);
    const dst = heap(backend, out);
    // xs[i]: elements of x below dim i; os[i]: elements of out below dim i
    const xs = new Array<number>(r);
    const os = new Array<number>(r);
    for (let i = r - 1, a = 1, b = 1; i >= 0; i--) {
      xs[i] = a;
      os[i] = b;
      a *= x.shape[i];
      b *= outShape[i];
    }
    // Writes the tile of x's sub-block at dim `dim` (x offset xo) to out offset oo, then repeats
    // it.
    const fill = (dim: number, xo: number, oo: number): void => {
      const n = x.shape[dim];
      if (dim === r - 1) dst.set(src.subarray(xo, xo + n), oo);
      else for (let i = 0; i < n; i++) fill(dim + 1, xo + i * xs[dim], oo + i * os[dim]);
      const block = n * os[dim];
      for (let k = 1; k < reps[dim]; k++) dst.copyWithin(oo + k * block, oo, oo + block);
    };
    fill(0, 0, 0);
    return out as unknown as tf.TensorInfo;
  });
}

// ---------------------------------------------------------------------------------------------
// Identity: the wasm kernel copies the data; like the cpu backend, share it (reference count).

function identityKernel(original: tf.KernelConfig | null): KernelFunc {
  return (args) => {
    const x = args.inputs.x as unknown as TensorInfo;
    if (x.dtype === "string") {
      if (original) return original.kernelFunc(args);
      throw new Error("Identity of strings on wasm");
    }
    (args.backend as unknown as Backend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype } as unknown as tf.TensorInfo;
  };
}

// ---------------------------------------------------------------------------------------------
// Sum and Mean over leading axes (bias gradients, batch statistics): wasm transposes the reduced
// axes to the end first (a slow generic transpose). Here: ones[1, R] x X[R, C] on BatchMatMul.

function reduceLeading(mean: boolean) {
  return (original: tf.KernelConfig | null): KernelFunc =>
    (args) => {
      const { inputs, backend, attrs } = args;
      const x = inputs.x as unknown as TensorInfo;
      const { axis, keepDims } = attrs as unknown as { axis: number | number[]; keepDims: boolean };
      const r = x.shape.length;
      const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
      const leading = axes.length > 0 && axes.length < r && axes.every((a, i) => a === i);
      if (x.dtype !== "float32" || !leading || sizeOf(x.shape) === 0) {
        if (!original) throw new Error(`wasm has no ${mean ? "Mean" : "Sum"} kernel`);
        return original.kernelFunc(args);
      }
      const R = sizeOf(x.shape.slice(0, axes.length));
      const C = sizeOf(x.shape.slice(axes.length));
      const ones = run(
        "Fill",
        backend,
        {},
        { shape: [1, 1, R], value: mean ? 1 / R : 1, dtype: "float32" },
      );
      // x goes in as the matmul's packed operand: a fresh copy, so that no cached operator is
      // keyed on x's data (see freshB) and the packed copy is freed with it.
      const xc = (backend as unknown as Backend).makeOutput([1, R, C], "float32");
      heap(backend, xc).set(heap(backend, x));
      const out = run(
        "BatchMatMul",
        backend,
        { a: ones, b: xc },
        { transposeA: false, transposeB: false },
      );
      free(backend, ones, xc);
      out.shape = keepDims
        ? x.shape.map((d, i) => (i < axes.length ? 1 : d))
        : x.shape.slice(axes.length);
      return out as unknown as tf.TensorInfo;
    };
}

// ---------------------------------------------------------------------------------------------
// LeakyRelu: the wasm kernel is a plain scalar loop (4-15 ms on 800k elements); XNNPACK's PReLU
// (the wasm Prelu kernel) with alpha repeated along the last axis is about 10x faster.
// (Plain JS loops over the heap were tried for LeakyRelu, Greater and Select: slower than wasm.)

function leakyReluKernel(original: tf.KernelConfig | null): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const x = inputs.x as unknown as TensorInfo;
    const C = x.shape.length ? x.shape[x.shape.length - 1] : 1;
    if (x.dtype !== "float32" || sizeOf(x.shape) === 0 || C === 0) {
      if (!original) throw new Error("wasm has no LeakyRelu kernel");
      return original.kernelFunc(args);
    }
    const alpha = run(
      "Fill",
      backend,
      {},
      { shape: [C], value: (attrs as unknown as { alpha: number }).alpha, dtype: "float32" },
    );
    const out = run("Prelu", backend, { x, alpha });
    free(backend, alpha);
    return out as unknown as tf.TensorInfo;
  };
}

// ---------------------------------------------------------------------------------------------
// Small hand-assembled WebAssembly functions over the wasm backend's own memory (FusedAdam,
// LeakyReluGrad): one module per function, one export, the memory imported as env.memory.

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const str = (t: string): number[] => [...uleb(t.length), ...Buffer.from(t, "latin1")];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const I32 = 0x7f,
  F32 = 0x7d,
  V128 = 0x7b;
const get = (i: number) => [0x20, i];
const set = (i: number) => [0x21, i];
const SIMD = (op: number) => [0xfd, ...uleb(op)];
/** while (local[counter] < local[end]) body (the body advances the counter). */
const loopWhile = (counter: number, end: number, body: number[]) => [
  0x02,
  0x40,
  0x03,
  0x40,
  ...get(counter),
  ...get(end),
  0x4f,
  0x0d,
  1,
  ...body,
  0x0c,
  0,
  0x0b,
  0x0b,
];

/**
 * A module exporting one function `name` (no result) with these parameter types, locals ([count,
 * type]) and body.
 */
function wasmModule(
  name: string,
  params: number[],
  locals: [number, number][],
  body: number[],
): Uint8Array {
  const code = [...vec(locals), ...body, 0x0b];
  return Uint8Array.from([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec([[0x60, ...vec(params.map((t) => [t])), 0]])),
    ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x00, 0x00]])),
    ...section(3, vec([[0]])),
    ...section(7, vec([[...str(name), 0x00, 0]])),
    ...section(10, vec([[...uleb(code.length), ...code]])),
  ]);
}

/** The little of the WebAssembly API used here (TypeScript's lib here has no WebAssembly types). */
const WA = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: abstract new (...a: never[]) => object;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
      validate(bytes: Uint8Array): boolean;
    };
  }
).WebAssembly;
/**
 * Each function's bytes (SIMD when this engine validates it, else scalar), and its instance on each
 * backend's memory.
 */
const wasmBytes = new Map<string, Uint8Array>();
const wasmFns = new WeakMap<object, Map<string, unknown>>();

function wasmFn(backend: unknown, name: string, build: (simd: boolean) => Uint8Array): unknown {
  const memory = (backend as { wasm?: { asm?: { memory?: unknown } } }).wasm?.asm?.memory;
  if (!(memory instanceof WA.Memory))
    throw new Error(`${name}: cannot reach the wasm backend's memory (tfjs-backend-wasm changed?)`);
  let fns = wasmFns.get(memory);
  if (!fns) wasmFns.set(memory, (fns = new Map()));
  let fn = fns.get(name);
  if (!fn) {
    let bytes = wasmBytes.get(name);
    if (!bytes) {
      const withSimd = build(true);
      bytes = WA.validate(withSimd) ? withSimd : build(false);
      wasmBytes.set(name, bytes);
    }
    fn = new WA.Instance(new WA.Module(bytes), { env: { memory } }).exports[name];
    fns.set(name, fn);
  }
  return fn;
}

// ---------------------------------------------------------------------------------------------
// LeakyReluGrad (added; not a tfjs kernel): tfjs's gradient of LeakyRelu is where(x > 0, dy,
// dy * alpha), three kernels, and the wasm Greater and Select with a broadcast scalar are slow
// (about 200 and 120 us on a 256 x 128 batch: 1.9 of toy-gan's 12 ms per step, bench/profile.ts).
// One SIMD pass computes the same bits: out = x > 0 ? dy : dy * alpha (NaN and 0 take dy * alpha,
// as Greater says false). `installLeakyReluGradient` makes it LeakyRelu's gradient on backends
// that have it (tfjs's own otherwise), and gives it a gradient of its own, so tf.leakyRelu gets a
// correct second derivative (tfjs's fails: PLATFORM.md).

/** Inputs dy and x (float32, one size), attr alpha; output dx = x > 0 ? dy : dy * alpha. */
export const LEAKY_RELU_GRAD = "LeakyReluGrad";

/** lrg(dy, x, out, n: i32 (byte offsets, count); alpha: f32). */
function leakyReluGradModule(simd: boolean): Uint8Array {
  // params 0 dy, 1 x, 2 out, 3 n, 4 alpha; locals 5 offset, 6 simd end, 7 end; 8 alpha x4, 9 zero
  // x4, 10 dy x4 (v128; f32 unused without SIMD); 11 dy (f32)
  const at = (base: number) => [...get(base), ...get(5), 0x6a];
  const v = {
    load: [...SIMD(0x00), 2, 0],
    store: [...SIMD(0x0b), 2, 0],
    splat: SIMD(0x13),
    mul: SIMD(0xe6),
    gt: SIMD(0x44),
    bitselect: SIMD(0x52),
  };
  const f = {
    load: [0x2a, 2, 0],
    store: [0x38, 2, 0],
    mul: [0x94],
    gt: [0x5e],
    zero: [0x43, 0, 0, 0, 0],
  };
  const four = [
    ...at(2),
    ...at(0),
    ...v.load,
    ...set(10),
    ...get(10),
    ...get(10),
    ...get(8),
    ...v.mul,
    ...at(1),
    ...v.load,
    ...get(9),
    ...v.gt,
    ...v.bitselect,
    ...v.store,
    ...get(5),
    0x41,
    16,
    0x6a,
    ...set(5),
  ];
  const one = [
    ...at(2),
    ...at(0),
    ...f.load,
    ...set(11),
    ...get(11),
    ...get(11),
    ...get(4),
    ...f.mul,
    ...at(1),
    ...f.load,
    ...f.zero,
    ...f.gt,
    0x1b,
    ...f.store,
    ...get(5),
    0x41,
    4,
    0x6a,
    ...set(5),
  ];
  const body = [
    ...get(3),
    0x41,
    2,
    0x74,
    ...set(7), // end = n << 2
    ...(simd
      ? [
          ...get(3),
          0x41,
          0x7c,
          0x71,
          0x41,
          2,
          0x74,
          ...set(6),
          ...get(4),
          ...v.splat,
          ...set(8),
          ...f.zero,
          ...v.splat,
          ...set(9),
          ...loopWhile(5, 6, four),
        ]
      : []),
    ...loopWhile(5, 7, one),
  ];
  return wasmModule(
    "lrg",
    [I32, I32, I32, I32, F32],
    [[3, I32], simd ? [3, V128] : [3, F32], [1, F32]],
    body,
  );
}

function leakyReluGradKernel(): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x } = inputs as unknown as Record<"dy" | "x", TensorInfo>;
    const n = sizeOf(x.shape);
    if (dy.dtype !== "float32" || x.dtype !== "float32")
      throw new Error(`LeakyReluGrad takes float32 tensors; got dy ${dy.dtype}, x ${x.dtype}`);
    if (sizeOf(dy.shape) !== n)
      throw new Error(`LeakyReluGrad: dy has shape [${dy.shape}], x has [${x.shape}]`);
    const b = backend as unknown as Backend & { getMemoryOffset(id: object): number };
    const out = b.makeOutput(x.shape, "float32");
    if (n > 0)
      (wasmFn(backend, "lrg", leakyReluGradModule) as (...a: number[]) => void)(
        b.getMemoryOffset(dy.dataId),
        b.getMemoryOffset(x.dataId),
        b.getMemoryOffset(out.dataId),
        n,
        (attrs as unknown as { alpha: number }).alpha,
      );
    return out as unknown as tf.TensorInfo;
  };
}

/** dx = x > 0 ? dy : dy * alpha, by the LeakyReluGrad kernel of the current backend (wasm only). */
export function leakyReluGrad(dy: tf.Tensor, x: tf.Tensor, alpha: number): tf.Tensor {
  return tf
    .engine()
    .runKernel(
      LEAKY_RELU_GRAD,
      { dy, x } as unknown as tf.NamedTensorMap,
      { alpha } as unknown as tf.NamedAttrMap,
    ) as tf.Tensor;
}

/** tfjs's own LeakyRelu gradient (the fallback), and the two gradient configs genlab registers. */
let tfjsLeakyGrad: tf.GradConfig | null = null;
let leakyGrad: tf.GradConfig | null = null;
let leakyGradGrad: tf.GradConfig | null = null;

/**
 * Makes LeakyReluGrad the gradient of LeakyRelu wherever the current backend has the kernel and
 * the tensors are float32 (tfjs's own gradient otherwise), and registers LeakyReluGrad's gradient:
 * linear in dy (the same kernel on the upstream gradient), zero in x almost everywhere.
 */
function installLeakyReluGradient(): void {
  tfjsLeakyGrad ??= tf.getGradient("LeakyRelu");
  const tfjs = tfjsLeakyGrad;
  leakyGrad ??= {
    kernelName: "LeakyRelu",
    inputsToSave: ["x"],
    gradFunc: (dy, saved, attrs) => {
      const x = saved[0];
      if (x.dtype === "float32" && tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend()))
        return {
          x: () => leakyReluGrad(dy as tf.Tensor, x, (attrs as unknown as { alpha: number }).alpha),
        };
      return tfjs.gradFunc(dy, saved, attrs);
    },
  };
  leakyGradGrad ??= {
    kernelName: LEAKY_RELU_GRAD,
    inputsToSave: ["x"],
    gradFunc: (ddx, saved, attrs) => {
      const x = saved[0];
      return {
        dy: () => leakyReluGrad(ddx as tf.Tensor, x, (attrs as unknown as { alpha: number }).alpha),
        x: () => tf.zerosLike(x),
      };
    },
  };
  for (const g of [leakyGrad, leakyGradGrad])
    if (tf.getGradient(g.kernelName) !== g) tf.registerGradient(g);
}

/**
 * True when tf.leakyRelu runs on genlab's kernels here (the backend has LeakyReluGrad), so its
 * gradient is one kernel and its second derivative is right; then (re)installs the gradients:
 * loading a second copy of tfjs-core (danfojs-node brings one) re-registers tfjs's own gradients
 * in the registry all copies share. lib/runtime/nn.ts asks before each leaky ReLU.
 */
export function leakyReluGradReady(): boolean {
  if (!tf.getKernel(LEAKY_RELU_GRAD, tf.getBackend())) return false;
  if (
    !leakyGrad ||
    tf.getGradient("LeakyRelu") !== leakyGrad ||
    tf.getGradient(LEAKY_RELU_GRAD) !== leakyGradGrad
  )
    installLeakyReluGradient();
  return true;
}

// ---------------------------------------------------------------------------------------------
// FusedAdam: one variable's Adam step (lib/runtime/optim.ts) in one call instead of tf.train.adam's
// 14
// kernel calls per variable (each 10-30 us of tfjs overhead on the toy GANs' small variables).
// The arithmetic is tfjs's AdamOptimizer, op for op, each op in float32 as the wasm (and cpu)
// kernels do it, so the results are the same bits. It runs as one pass over the wasm heap in a
// small WebAssembly function (f32x4 SIMD, scalar for the last n mod 4 elements) that imports the
// backend's own memory: a plain JS loop with Math.fround was measured at 15-30 ns per element,
// slower than tfjs's 14 XNNPACK passes on vae-mlp's 314k-element weights (bench/RESULTS.md).

/** Inputs x (the variable), m, v (its moments) and g (its gradient), all float32 of one size. */
export const FUSED_ADAM = "FusedAdam";
export interface FusedAdamAttrs {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** The bias corrections 1 - beta1^t and 1 - beta2^t as tfjs computes them (float32). */
  oneMinusAccBeta1: number;
  oneMinusAccBeta2: number;
}

/**
 * adam(x, m, v, g, x1, m1, v1, n: i32 (byte offsets, count); b1, c1, b2, c2, d1, d2, eps, nlr:
 * f32): for each i, m1 = m*b1 + g*c1; v1 = v*b2 + (g*g)*c2; x1 = x + ((m1/d1) / (sqrt(v1/d2) +
 * eps))*nlr, where c = 1 - beta (rounded to float32 after the subtraction, as tfjs's scalar is), d
 * = 1 - beta^t and nlr = -lr. With `simd`, groups of four elements first (f32x4 lanes round exactly
 * as f32).
 */
function adamModule(simd: boolean): Uint8Array {
  // params 0-7: x m v g x1 m1 v1 n; 8-15: b1 c1 b2 c2 d1 d2 eps nlr
  // locals 16 offset, 17 simd end, 18 end; 19-26 the eight scalars splatted; 27-29 g m v (v128);
  // 30-32 g m v (f32)
  const at = (base: number) => [...get(base), ...get(16), 0x6a]; // base + offset
  const v = {
    load: [...SIMD(0x00), 2, 0],
    store: [...SIMD(0x0b), 2, 0],
    splat: SIMD(0x13),
    sqrt: SIMD(0xe3),
    add: SIMD(0xe4),
    mul: SIMD(0xe6),
    div: SIMD(0xe7),
  };
  const f = {
    load: [0x2a, 2, 0],
    store: [0x38, 2, 0],
    sqrt: [0x91],
    add: [0x92],
    mul: [0x94],
    div: [0x95],
  };
  // One element (or four): the same sequence of operations for both types; k(i) = scalar i's local.
  const update = (
    o: typeof f,
    k: (i: number) => number[],
    G: number,
    M: number,
    V: number,
    step: number,
  ): number[] => [
    ...at(3),
    ...o.load,
    ...set(G),
    ...at(1),
    ...o.load,
    ...k(8),
    ...o.mul,
    ...get(G),
    ...k(9),
    ...o.mul,
    ...o.add,
    ...set(M),
    ...at(2),
    ...o.load,
    ...k(10),
    ...o.mul,
    ...get(G),
    ...get(G),
    ...o.mul,
    ...k(11),
    ...o.mul,
    ...o.add,
    ...set(V),
    ...at(5),
    ...get(M),
    ...o.store,
    ...at(6),
    ...get(V),
    ...o.store,
    ...at(4),
    ...at(0),
    ...o.load,
    ...get(M),
    ...k(12),
    ...o.div,
    ...get(V),
    ...k(13),
    ...o.div,
    ...o.sqrt,
    ...k(14),
    ...o.add,
    ...o.div,
    ...k(15),
    ...o.mul,
    ...o.add,
    ...o.store,
    ...get(16),
    0x41,
    step,
    0x6a,
    ...set(16),
  ];
  const body = [
    ...get(7),
    0x41,
    2,
    0x74,
    ...set(18), // end = n << 2
    ...(simd
      ? [
          ...get(7),
          0x41,
          0x7c,
          0x71,
          0x41,
          2,
          0x74,
          ...set(17), // simd end = (n & -4) << 2
          ...[8, 9, 10, 11, 12, 13, 14, 15].flatMap((p) => [...get(p), ...v.splat, ...set(p + 11)]),
          ...loopWhile(
            16,
            17,
            update(v, (i) => get(i + 11), 27, 28, 29, 16),
          ),
        ]
      : []),
    ...loopWhile(
      16,
      18,
      update(f, (i) => get(i), 30, 31, 32, 4),
    ),
  ];
  return wasmModule(
    "adam",
    [...Array(8).fill(I32), ...Array(8).fill(F32)],
    [[3, I32], simd ? [11, V128] : [11, F32], [3, F32]],
    body,
  );
}

type AdamFn = (
  x: number,
  m: number,
  v: number,
  g: number,
  x1: number,
  m1: number,
  v1: number,
  n: number,
  ...scalars: number[]
) => void;

function adamFn(backend: unknown): AdamFn {
  return wasmFn(backend, "adam", adamModule) as AdamFn;
}

/** Returns [new x, new m, new v]; the inputs are left as they are. */
function fusedAdamKernel(): KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, m, v, g } = inputs as unknown as Record<"x" | "m" | "v" | "g", TensorInfo>;
    const n = sizeOf(x.shape);
    for (const [k, t] of Object.entries({ x, m, v, g })) {
      if (t.dtype !== "float32")
        throw new Error(`FusedAdam takes float32 tensors; ${k} is ${t.dtype}`);
      if (sizeOf(t.shape) !== n)
        throw new Error(`FusedAdam: ${k} has shape [${t.shape}], x has [${x.shape}]`);
    }
    const a = attrs as unknown as FusedAdamAttrs;
    const fn = adamFn(backend);
    const b = backend as unknown as Backend & { getMemoryOffset(id: object): number };
    const outs = [
      b.makeOutput(x.shape, "float32"),
      b.makeOutput(x.shape, "float32"),
      b.makeOutput(x.shape, "float32"),
    ];
    const [px, pm, pv, pg, px1, pm1, pv1] = [x, m, v, g, ...outs].map((t) =>
      b.getMemoryOffset(t.dataId),
    );
    // f32 parameters round to float32 on the way in: 1 - beta1 and -lr as tfjs's scalar tensors.
    fn(
      px,
      pm,
      pv,
      pg,
      px1,
      pm1,
      pv1,
      n,
      a.beta1,
      1 - a.beta1,
      a.beta2,
      1 - a.beta2,
      a.oneMinusAccBeta1,
      a.oneMinusAccBeta2,
      a.epsilon,
      -a.lr,
    );
    return outs as unknown as tf.TensorInfo[];
  };
}

const BUILDERS: Record<WasmKernelPatch, (original: tf.KernelConfig | null) => KernelFunc> = {
  BatchMatMul: batchMatMul,
  _FusedMatMul: batchMatMul,
  Conv2D: conv2DKernel,
  Conv2DBackpropFilter: conv2DBackpropFilter,
  Conv2DBackpropInput: conv2DBackpropInput,
  Slice: sliceKernel,
  Tile: tileKernel,
  Identity: identityKernel,
  Sum: reduceLeading(false),
  Mean: reduceLeading(true),
  LeakyRelu: leakyReluKernel,
  LeakyReluGrad: leakyReluGradKernel,
  FusedAdam: fusedAdamKernel,
};

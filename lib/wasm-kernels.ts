/**
 * Kernels genlab adds to or wraps on tfjs's wasm backend, all in one place, registered by
 * `registerWasmKernels()` when the backend starts (lib/backend.ts).
 *
 * - BatchMatMul: the wasm kernel takes a slow scalar path whenever transposeA or transposeB is
 *   set (about 2 GFLOP/s against 25 untransposed; see PLATFORM.md), and every dense layer's
 *   backward pass sets one. The wrapper transposes the operand explicitly with the wasm
 *   Transpose kernel, calls the original kernel untransposed, and frees the temporary.
 */
import * as tf from "@tensorflow/tfjs";

type KernelFunc = tf.KernelConfig["kernelFunc"];
type TensorInfo = { dataId: object; shape: number[]; dtype: tf.DataType };

let registered = false;

/** Names of the kernels this module wraps or adds (for tests and the backend report). */
export const WASM_KERNEL_PATCHES = ["BatchMatMul"] as const;

export function registerWasmKernels(): void {
  if (registered) return;
  registered = true;
  wrapBatchMatMul();
}

function wrapBatchMatMul(): void {
  const original = tf.getKernel("BatchMatMul", "wasm");
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!original || !transpose) throw new Error("the wasm backend has no BatchMatMul/Transpose kernel to wrap");
  const run = original.kernelFunc as KernelFunc;
  const runTranspose = transpose.kernelFunc as KernelFunc;
  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return run(args);
    const temps: TensorInfo[] = [];
    const swapLast = (t: TensorInfo): TensorInfo => {
      const r = t.shape.length;
      const perm = [...Array(r).keys()];
      perm[r - 1] = r - 2;
      perm[r - 2] = r - 1;
      const out = runTranspose({ inputs: { x: t as unknown as tf.Tensor }, backend, attrs: { perm } }) as unknown as TensorInfo;
      temps.push(out);
      return out;
    };
    const a = inputs.a as unknown as TensorInfo;
    const b = inputs.b as unknown as TensorInfo;
    const res = run({
      inputs: { a: (transposeA ? swapLast(a) : a) as unknown as tf.Tensor, b: (transposeB ? swapLast(b) : b) as unknown as tf.Tensor },
      backend,
      attrs: { ...(attrs as object), transposeA: false, transposeB: false },
    });
    for (const t of temps) (backend as { disposeData(id: object): void }).disposeData(t.dataId);
    return res;
  };
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel({ ...original, kernelFunc });
}

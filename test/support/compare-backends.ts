/** Shared by the kernel tests: run the same computation on two backends and compare the outputs. */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";

type Arr = Float32Array | Int32Array | Uint8Array;
export interface Out {
  shape: number[];
  data: Arr;
}

/** Runs f on a backend with plain-array inputs; returns shapes and values of its outputs. */
export async function on(
  backend: "cpu" | "wasm",
  f: () => tf.Tensor | tf.Tensor[],
): Promise<Out[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  });
  const res = outs.map((t) => ({ shape: t.shape, data: t.dataSync() as Arr }));
  tf.dispose(outs);
  return res;
}

/**
 * Asserts equal shapes and values within tol relative to the largest reference value (at least 1).
 */
export function close(a: Out[], b: Out[], tol: number, what: string): void {
  assert.equal(a.length, b.length, `${what}: number of outputs`);
  a.forEach((x, k) => {
    assert.deepEqual(x.shape, b[k].shape, `${what}: shape of output ${k}`);
    let worst = 0;
    let scale = 1;
    for (let i = 0; i < x.data.length; i++) {
      worst = Math.max(worst, Math.abs(x.data[i] - b[k].data[i]));
      scale = Math.max(scale, Math.abs(b[k].data[i]));
    }
    assert.ok(worst <= tol * scale, `${what}: output ${k} differs by ${worst} (scale ${scale})`);
  });
}

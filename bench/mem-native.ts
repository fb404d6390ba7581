/**
 * `node --expose-gc --import tsx bench/mem-native.ts WORKLOAD STEPS on|off`: RSS, V8 heap, external
 * memory and the wasm heap size every STEPS/10 steps with the native BLAS path on or off (after a
 * forced GC), to tell a leak from lazy collection.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { setNativeBlas } from "../lib/runtime/wasm-kernels";
import { WORKLOADS, type WorkloadName } from "./workloads";

(async () => {
  const [w, n, mode] = [
    process.argv[2] as WorkloadName,
    Number(process.argv[3] ?? 1000),
    process.argv[4] ?? "on",
  ];
  await initBackend({ quiet: true });
  setNativeBlas(mode === "on");
  const inst = WORKLOADS[w].build({ fused: true });
  const mb = (x: number) => Math.round((x / 2 ** 20) * 10) / 10;
  const snap = (i: number) => {
    (globalThis as { gc?: () => void }).gc?.();
    const m = process.memoryUsage();
    const wasmMem =
      (tf.backend() as unknown as { wasm?: { HEAPU8: Uint8Array } }).wasm?.HEAPU8.length ?? 0;
    console.log(
      JSON.stringify({
        workload: w,
        native: mode,
        step: i,
        tensors: tf.memory().numTensors,
        rss: mb(m.rss),
        heapUsed: mb(m.heapUsed),
        external: mb(m.external),
        arrayBuffers: mb(m.arrayBuffers),
        wasmHeap: mb(wasmMem),
      }),
    );
  };
  snap(0);
  for (let i = 1; i <= n; i++) {
    inst.step();
    if (i % Math.max(1, Math.round(n / 10)) === 0) snap(i);
  }
  inst.dispose();
})();

/**
 * `node --import tsx bench/gemm-threshold.ts`: times tf.matMul on the wasm backend (genlab's
 * kernels registered) with the native BLAS path off and on, for products from tiny to large and for
 * each transpose case, to choose the size above which matmuls go to the addon
 * (lib/runtime/wasm-kernels.ts, setNativeBlas). Prints one JSON line per case: microseconds per
 * call (median of repeats) and GFLOP/s for both paths. Same process, interleaved, so load hits
 * both.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { nativeBlasInfo, registerWasmKernels, setNativeBlas } from "../lib/runtime/wasm-kernels";

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

async function main(): Promise<void> {
  await tf.setBackend("wasm");
  registerWasmKernels();
  const info = nativeBlasInfo();
  console.error(
    `native BLAS: ${info.reason}${info.config ? ` (${info.config}, ${info.threads} thread)` : ""}`,
  );
  if (!info.loaded) return;
  const shapes: [number, number, number][] = [
    [2, 2, 2],
    [4, 4, 4],
    [8, 8, 8],
    [16, 16, 16],
    [32, 32, 32],
    [64, 64, 64],
    [128, 128, 128],
    [256, 256, 256],
    [256, 2, 128],
    [256, 128, 2],
    [256, 128, 128],
    [128, 400, 784],
    [128, 20, 400],
    [64, 1, 6272],
    [3136, 128, 128],
  ];
  for (const [M, N, K] of shapes) {
    for (const [ta, tb] of [
      [false, false],
      [true, false],
      [false, true],
    ] as [boolean, boolean][]) {
      const a = tf.randomNormal(ta ? [K, M] : [M, K]) as tf.Tensor2D;
      const b = tf.randomNormal(tb ? [N, K] : [K, N]) as tf.Tensor2D;
      const flops = 2 * M * N * K;
      const reps = Math.max(5, Math.min(400, Math.round(2e8 / flops)));
      const t: Record<string, number[]> = { off: [], on: [] };
      for (let r = 0; r < 5; r++) {
        for (const mode of ["off", "on"] as const) {
          setNativeBlas(mode === "on", { minFlops: 0 });
          tf.matMul(a, b, ta, tb).dispose(); // warm-up (XNNPACK packs b once per data id)
          const s = performance.now();
          for (let i = 0; i < reps; i++) tf.matMul(a, b, ta, tb).dispose();
          t[mode].push(((performance.now() - s) / reps) * 1000);
        }
      }
      const off = median(t.off);
      const on = median(t.on);
      console.log(
        JSON.stringify({
          M,
          N,
          K,
          transposeA: ta,
          transposeB: tb,
          flops,
          us_wasm: +off.toFixed(1),
          us_native: +on.toFixed(1),
          gflops_wasm: +(flops / off / 1e3).toFixed(1),
          gflops_native: +(flops / on / 1e3).toFixed(1),
        }),
      );
      tf.dispose([a, b]);
    }
  }
  setNativeBlas(true);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

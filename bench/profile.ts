/**
 * Where a workload's step goes, kernel by kernel: `node --import tsx bench/profile.ts WORKLOAD
 * [--steps N] [--patches all|none|list] [--unfused]`. Wraps every kernel of the running backend
 * with a timer (time inside kernels, calls), and reports the rest of the step as per-op
 * overhead (tfjs engine, tape, JS). A development tool; the numbers in RESULTS.md come from run.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { applyPatches, parseArgs } from "./run";
import { WORKLOADS } from "./workloads";

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  await initBackend({ quiet: true });
  applyPatches(a.patches);
  const backend = tf.getBackend();
  const stats = new Map<string, { ms: number; calls: number }>();
  let depth = 0;
  const wrapped: tf.KernelConfig[] = [];
  for (const k of tf.getKernelsForBackend(backend)) {
    const inner = k.kernelFunc;
    wrapped.push(k);
    tf.unregisterKernel(k.kernelName, backend);
    tf.registerKernel({
      ...k,
      kernelFunc: (args) => {
        // count only outermost kernel calls (a wrapper calling other kernels counts once)
        if (depth > 0) return inner(args);
        depth++;
        const t = performance.now();
        try {
          return inner(args);
        } finally {
          depth--;
          const s = stats.get(k.kernelName) ?? { ms: 0, calls: 0 };
          s.ms += performance.now() - t;
          s.calls++;
          stats.set(k.kernelName, s);
        }
      },
    });
  }
  for (const w of a.workloads) {
    const inst = WORKLOADS[w].build({ fused: a.fused, batch: a.batch });
    for (let i = 0; i < a.warmup; i++) inst.step();
    stats.clear();
    const t0 = performance.now();
    for (let i = 0; i < a.steps; i++) inst.step();
    const total = (performance.now() - t0) / a.steps;
    inst.dispose();
    const rows = [...stats.entries()]
      .map(([k, s]) => ({ k, ms: s.ms / a.steps, calls: s.calls / a.steps }))
      .sort((x, y) => y.ms - x.ms);
    const inKernels = rows.reduce((s, r) => s + r.ms, 0);
    const calls = rows.reduce((s, r) => s + r.calls, 0);
    console.log(
      `${w} on ${backend} (patches ${JSON.stringify(a.patches)}, fused ${a.fused}): ${total.toFixed(2)} ms/step, ${inKernels.toFixed(2)} in ${calls} kernel calls, ${(total - inKernels).toFixed(2)} outside (${(((total - inKernels) / calls) * 1000).toFixed(1)} us per call)`,
    );
    for (const r of rows.slice(0, 25))
      console.log(
        `  ${r.k.padEnd(24)} ${r.ms.toFixed(2).padStart(9)} ms ${String(r.calls).padStart(6)} calls ${((r.ms / r.calls) * 1000).toFixed(1).padStart(9)} us/call`,
      );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

/**
 * node --import tsx scripts/select-made.ts WEIGHT_DECAY...
 *
 * test set. Trains MADE_MNIST's architecture on the first 50,000 official training digits for
 * GENLAB_SELECT_STEPS steps (default 30,000) at each decoupled weight decay, and prints the NLL of
 * the last 10,000 training digits (binarised once, seed 2024). Weights go to GENLAB_DATA (set it
 * to a scratch folder).
 */
import { initBackend } from "../lib/runtime/backend";
import { loadMnist } from "../lib/data/mnist";
import { binarizeStatic, subset, toFloat } from "../lib/data/batch";
import { MADE_MNIST, fitMADE, madeNll } from "../lib/models/made";

async function main(): Promise<void> {
  const decays = process.argv.slice(2).map(Number);
  if (!decays.length || decays.some((d) => !Number.isFinite(d) || d < 0))
    throw new Error(
      "usage: node --import tsx scripts/select-made.ts WEIGHT_DECAY... (numbers >= 0)",
    );
  if (!process.env.GENLAB_DATA) throw new Error("set GENLAB_DATA to a scratch folder");
  await initBackend();
  const train = loadMnist().train;
  const idx = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const fitRows = toFloat(subset(train, idx(0, 50000)));
  const valRows = toFloat(binarizeStatic(subset(train, idx(50000, 60000)), 2024));
  const steps = Number(process.env.GENLAB_SELECT_STEPS ?? 30000);
  for (const weightDecay of decays) {
    const model = `made-select-wd${weightDecay}`;
    const o = { ...MADE_MNIST, model, steps, weightDecay, data: fitRows, mode: "full" as const };
    const { made } = await fitMADE(o);
    const nll = madeNll(made, valRows);
    const m = nll.reduce((a, b) => a + b, 0) / nll.length;
    console.log(JSON.stringify({ weightDecay, steps, validationNll: m }));
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});

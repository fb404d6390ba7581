/**
 * node --import tsx scripts/select-made.ts WEIGHT_DECAY...
 *
 * MADE's weight decay chosen on validation digits, never on the test set. Trains MADE_MNIST's
 * architecture on the first five sixths of the training digits (50,000 of the official 60,000)
 * for GENLAB_SELECT_STEPS steps (default 30,000) at each decoupled weight decay, and prints the
 * NLL of the last sixth (binarised once, seed 2024). Weights go to GENLAB_DATA (set it to a
 * scratch folder).
 */
import { initBackend } from "../lib/runtime/backend";
import { loadMnist } from "../lib/data/mnist";
import { binarizeStatic, subset, toFloat } from "../lib/data/batch";
import { MADE_MNIST, fitMADE, madeNll } from "../lib/models/made";
import { mean } from "../lib/runtime/stats";

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
  const cut = train.n - Math.round(train.n / 6);
  const fitRows = toFloat(subset(train, idx(0, cut)));
  const valRows = toFloat(binarizeStatic(subset(train, idx(cut, train.n)), 2024));
  const steps = Number(process.env.GENLAB_SELECT_STEPS ?? 30000);
  for (const weightDecay of decays) {
    const model = `made-select-wd${weightDecay}`;
    const o = { ...MADE_MNIST, model, steps, weightDecay, data: fitRows, mode: "full" as const };
    const { made } = await fitMADE(o);
    const validationNll = mean(madeNll(made, valRows));
    console.log(JSON.stringify({ weightDecay, steps, validationNll }));
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});

/**
 * node --import tsx scripts/select-made.ts CONFIG...
 *
 * MADE's settings chosen on validation digits, never on the test set. Each CONFIG is a
 * comma-separated list of changes to MADE_MNIST, e.g. `wd=0.01`, `hidden=1000`, `hidden=500x500`,
 * `direct=1`, `lr=3e-3` (an empty string: MADE_MNIST itself). Each is trained on the first five
 * sixths of the training digits (50,000 of the official 60,000) for GENLAB_SELECT_STEPS steps
 * (default 30,000), and the NLL of the last sixth (binarised once, seed 2024) is printed.
 * Weights go to GENLAB_DATA (set it to a scratch folder).
 */
import { initBackend } from "../lib/runtime/backend";
import { loadMnist } from "../lib/data/mnist";
import { binarizeStatic, subset, toFloat } from "../lib/data/batch";
import { MADE_MNIST, fitMADE, madeNll, type FitMADEOptions } from "../lib/models/made";
import { mean } from "../lib/runtime/stats";

const USAGE =
  "usage: node --import tsx scripts/select-made.ts CONFIG... (e.g. wd=0.01,hidden=500x500,direct=1)";

/** The fitMADE options a CONFIG string changes; throws naming the bad part. */
export function parseMadeConfig(spec: string): Partial<FitMADEOptions> {
  const o: Partial<FitMADEOptions> = {};
  for (const part of spec.split(",").filter(Boolean)) {
    const [key, value] = part.split("=");
    const num = Number(value);
    if (key === "hidden" && /^\d+(x\d+)*$/.test(value)) o.hidden = value.split("x").map(Number);
    else if (key === "direct" && (value === "0" || value === "1")) o.direct = value === "1";
    else if (key === "wd" && Number.isFinite(num) && num >= 0) o.weightDecay = num;
    else if (key === "lr" && Number.isFinite(num) && num > 0) o.lr = num;
    else throw new Error(`select-made: cannot read "${part}" of "${spec}"\n${USAGE}`);
  }
  return o;
}

async function main(): Promise<void> {
  const specs = process.argv.slice(2);
  if (!specs.length) throw new Error(USAGE);
  const configs = specs.map(parseMadeConfig);
  if (!process.env.GENLAB_DATA) throw new Error("set GENLAB_DATA to a scratch folder");
  await initBackend();
  const train = loadMnist().train;
  const idx = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
  const cut = train.n - Math.round(train.n / 6);
  const fitRows = toFloat(subset(train, idx(0, cut)));
  const valRows = toFloat(binarizeStatic(subset(train, idx(cut, train.n)), 2024));
  const steps = Number(process.env.GENLAB_SELECT_STEPS ?? 30000);
  for (const [i, config] of configs.entries()) {
    const model = `made-select-${specs[i].replace(/[^\w.]+/g, "_") || "base"}`;
    const o = { ...MADE_MNIST, ...config, model, steps, data: fitRows, mode: "full" as const };
    const t0 = Date.now();
    const { made } = await fitMADE(o);
    const validationNll = mean(madeNll(made, valRows));
    const seconds = Math.round((Date.now() - t0) / 1000);
    console.log(JSON.stringify({ config: specs[i], steps, validationNll, seconds }));
  }
}

if (require.main === module)
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });

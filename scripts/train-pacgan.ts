/**
 * npm run train:pacgan -- --pack 1,4 --dataset ring8,grid25 --seeds 0-4 [--steps N]
 *
 * Trains the PacGAN trials of issue 18 on every core (GENLAB_JOBS workers,
 * lib/training/parallel.ts), each resumable (an interrupted run picks up at its last checkpoint
 * when the command is repeated), skipping those whose weights already exist (whatever their
 * budget: delete a file to retrain it). Mode coverage is logged 100 times over each run (the
 * history beside the weights), which is how the budget at which the scores stop moving is found.
 * Weights go to data/weights/ (GENLAB_DATA moves them), one line per trial to stdout at the end.
 */
import { initBackend } from "../lib/runtime/backend";
import { runOf, trainInParallel } from "../lib/training/parallel";
import { fitPacGAN, PACGAN_STEPS } from "../lib/models/pacgan";
import { TOY_DATASETS } from "../lib/models/gan";

const USAGE =
  "usage: npm run train:pacgan -- --pack 1,2,3,4 --dataset ring8,grid25 --seeds 0-4 [--steps N]";

/** "0-4" or "0,2,5" as a list of integers. */
export function parseList(text: string, what: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(text);
  if (range) {
    const [lo, hi] = [Number(range[1]), Number(range[2])];
    if (hi < lo) throw new Error(`--${what} ${text}: the range ends before it starts\n${USAGE}`);
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  }
  const items = text.split(",").map((s) => s.trim());
  if (!items.every((s) => /^\d+$/.test(s)))
    throw new Error(`--${what} ${JSON.stringify(text)}: give integers like 0-4 or 0,2\n${USAGE}`);
  return items.map(Number);
}

function args(argv: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    if (!key.startsWith("--") || argv[i + 1] === undefined)
      throw new Error(`unexpected argument ${JSON.stringify(key)}\n${USAGE}`);
    out[key.slice(2)] = argv[i + 1];
  }
  return out;
}

async function main(): Promise<void> {
  const a = args(process.argv.slice(2));
  const packs = parseList(a.pack ?? "1", "pack");
  const seeds = parseList(a.seeds ?? "0", "seeds");
  const datasets = (a.dataset ?? "ring8,grid25").split(",");
  for (const d of datasets)
    if (!(d in TOY_DATASETS))
      throw new Error(`--dataset ${d}: use ${Object.keys(TOY_DATASETS).join(", ")}\n${USAGE}`);
  const steps = a.steps ? Number(a.steps) : PACGAN_STEPS.full;
  if (!(Number.isInteger(steps) && steps > 0))
    throw new Error(`--steps ${a.steps}: give a positive integer\n${USAGE}`);
  const runs = seeds.flatMap((seed) =>
    datasets.flatMap((dataset) =>
      packs.map((pack) => runOf("lib/models/pacgan", fitPacGAN, [pack, dataset, seed, { steps }])),
    ),
  );
  await initBackend();
  const t0 = Date.now();
  const out = await trainInParallel(runs, { label: `${runs.length} PacGAN trials` });
  for (const o of out) console.log(JSON.stringify(o));
  console.log(
    `train:pacgan: ${runs.length} trials in ${((Date.now() - t0) / 60000).toFixed(1)} min`,
  );
}

if (require.main === module)
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });

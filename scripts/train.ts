/**
 * npm run train -- NAME... | all | --list
 *
 * Retrains shipped MNIST models by name (lib/models/mnist-zoo.ts, zooModelNames) from scratch with
 * their full budget, spread over GENLAB_JOBS worker processes (lib/training/parallel.ts), through
 * the same calls the notebooks make, so the notebooks then load what was trained. Each run is
 * resumable: repeating an interrupted command picks every run up at its last checkpoint. Weights
 * go to data/weights/ (GENLAB_DATA moves them); GENLAB_TRAIN=smoke trains the tiny smoke budget
 * into out/weights/ instead (a quick check of the command). One JSON line per model at the end.
 */
import { initBackend } from "../lib/runtime/backend";
import { runOf, trainInParallel } from "../lib/training/parallel";
import { fitZooModel, zooModelNames } from "../lib/models/mnist-zoo";

const USAGE = "usage: npm run train -- NAME... | all | --list";

/** The models named on the command line ("all": every zoo model), checked against the zoo. */
export function pickModels(argv: readonly string[], known: readonly string[]): string[] {
  if (!argv.length)
    throw new Error(`name the models to train\n${USAGE}\nmodels: ${known.join(", ")}`);
  const names = argv.includes("all") ? [...known] : [...new Set(argv)];
  const unknown = names.filter((n) => !known.includes(n));
  if (unknown.length)
    throw new Error(`unknown model ${unknown.join(", ")}\n${USAGE}\nmodels: ${known.join(", ")}`);
  return names;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const known = zooModelNames();
  if (argv.includes("--list")) {
    console.log(known.join("\n"));
    return;
  }
  const names = pickModels(argv, known);
  process.env.GENLAB_TRAIN ??= "full";
  if (!["full", "smoke"].includes(process.env.GENLAB_TRAIN))
    throw new Error(`GENLAB_TRAIN=${process.env.GENLAB_TRAIN}: npm run train takes full or smoke`);
  await initBackend();
  const t0 = Date.now();
  const runs = names.map((n) => runOf("lib/models/mnist-zoo", fitZooModel, [n]));
  const out = await trainInParallel(runs, { label: `${runs.length} models` });
  for (const o of out) console.log(JSON.stringify(o));
  console.log(`train: ${runs.length} models in ${((Date.now() - t0) / 60000).toFixed(1)} min`);
}

if (require.main === module)
  main().catch((e: Error) => {
    console.error(e.message);
    process.exit(1);
  });

/**
 * The numbers `npm run spread` measures (scripts/spread.ts): each one a number a notebook trains
 * or samples live in shipped mode and asserts on, computed by the same lib functions the notebook
 * calls, for any seed. The notebook's own seed comes first; the others are seed + 10 k.
 */
import { ring8 } from "../lib/data/toys";
import {
  a9Toy,
  discriminatorVsOptimal,
  GAN,
  mixtureSampler,
  TOY_GAN_CONFIG,
  vanishingGradients,
} from "../lib/models/gan";
import { criticGradients, criticGradNorms, fitToyWGAN } from "../lib/models/wgan";
import {
  fitToyFlows,
  flowToys,
  invertibilitySummary,
  invertibilityTable,
  randomFlowLogdetChecks,
} from "../lib/models/flow-toys";
import { Rng } from "../lib/runtime/random";
import { type SpreadScale } from "../lib/claims/spread";

export interface Statistic {
  what: string;
  /** "log" for ratios and rounding errors, which spread over orders of magnitude. */
  scale: SpreadScale;
  /** The notebook's seed. */
  seed: number;
  run: (seed: number) => Promise<number>;
}

const lastOverFirst = <R>(rows: R[], f: (r: R) => number) => f(rows[rows.length - 1]) / f(rows[0]);

async function a9(seed: number) {
  const { pData, pG } = a9Toy();
  return discriminatorVsOptimal(pData, pG, { seed, steps: 1500, quiet: true });
}

/** Notebook 03's B5 run on disjoint supports: G's saturating-loss gradient, end over start. */
async function b5Saturating(seed: number): Promise<number> {
  const g = new GAN("b5-disj", TOY_GAN_CONFIG, new Rng(seed));
  const data = mixtureSampler(ring8(), new Rng(seed + 1));
  const o = { steps: 1500, every: 50, batchSize: 256, lr: 2e-3, seed: seed + 2, shift: [4, 4] };
  const rows = await vanishingGradients(g, data, { ...o, quiet: true });
  return lastOverFirst(rows, (r) => r.saturating);
}

/** Notebook 04's B5 run: the same experiment with a gradient-penalty critic. */
async function b5WganGp(seed: number): Promise<number> {
  const g = new GAN("b5w-grad", TOY_GAN_CONFIG, new Rng(seed));
  const data = mixtureSampler(ring8(), new Rng(seed + 1));
  const o = { steps: 1500, every: 50, batchSize: 256, lr: 2e-3, seed: seed + 2, shift: [4, 4] };
  const rows = await criticGradients(g, data, { ...o, lambda: 10, quiet: true });
  return lastOverFirst(rows, (r) => r.wgan);
}

/** Notebook 04, section 2: the median |grad f| of a shipped ring critic between real and fake. */
async function criticSlope(method: "clip" | "gp", seed: number): Promise<number> {
  const fit = await fitToyWGAN(method, "ring8", 0, { quiet: true, quietLoad: true });
  const real = mixtureSampler(ring8(), new Rng(seed));
  const norms = Float32Array.from(criticGradNorms(fit.gan, real, 2000, new Rng(seed + 1))).sort();
  return norms[Math.floor(norms.length / 2)];
}

let toyFlows: Promise<Awaited<ReturnType<typeof fitToyFlows>>> | undefined;

/**
 * Notebook 05's A7 table on the shipped 2-D flows, with the random inputs drawn from `seed` and
 * the log-det checked on test points 100 k to 100 (k + 1) for the k-th seed (the notebook: k = 0).
 */
async function a7(seed: number) {
  const toys = flowToys();
  toyFlows ??= fitToyFlows(toys);
  const logdetFrom = (100 * (seed - 50)) / 10;
  const rows = invertibilityTable(toys, await toyFlows, { seed, nLogdet: 100, logdetFrom });
  return invertibilitySummary(rows);
}

export const STATISTICS: Record<string, Statistic> = {
  "a9-max": {
    what: "notebook 03, A9: max |D - D*| of a 1-64-64-1 D after 1,500 Adam steps",
    scale: "linear",
    seed: 31,
    run: async (seed) => (await a9(seed)).maxErr,
  },
  "a9-mean": {
    what: "notebook 03, A9: E|D - D*| under (p_data + p_g) / 2, same D",
    scale: "linear",
    seed: 31,
    run: async (seed) => (await a9(seed)).meanErr,
  },
  "b5-saturating": {
    what: "notebook 03, B5: saturating |grad| end/start, D trained 1,500 steps vs a G shifted by (4, 4)",
    scale: "log",
    seed: 51,
    run: b5Saturating,
  },
  "b5-wgan-gp": {
    what: "notebook 04, B5: G's |grad| end/start, gradient-penalty critic, same experiment",
    scale: "log",
    seed: 51,
    run: b5WganGp,
  },
  "critic-slope-clip": {
    what: "notebook 04, section 2: median |grad f| of the shipped clipped ring critic, 2,000 points",
    scale: "log",
    seed: 42,
    run: (seed) => criticSlope("clip", seed),
  },
  "critic-slope-gp": {
    what: "notebook 04, section 2: median |grad f| of the shipped WGAN-GP ring critic, 2,000 points",
    scale: "linear",
    seed: 42,
    run: (seed) => criticSlope("gp", seed),
  },
  "flow-logdet-6d": {
    what: "notebook 05, section 2: max |log-det error| of random 6-D flows (both couplings), 20 x",
    scale: "log",
    seed: 5,
    run: async (seed) => Math.max(...randomFlowLogdetChecks(seed).map((r) => r.maxAbsError)),
  },
  "a7-roundtrip-2d": {
    what: "notebook 05, A7: max x -> z -> x error (relative to max(1, |x|)) of the six 2-D flows",
    scale: "log",
    seed: 50,
    run: async (seed) => (await a7(seed)).roundTrip,
  },
  "a7-logdet-2d": {
    what: "notebook 05, A7: max |log-det error| of the six 2-D flows on 100 test points",
    scale: "log",
    seed: 50,
    run: async (seed) => (await a7(seed)).logdet,
  },
};

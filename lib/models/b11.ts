/**
 * Claim B11, "GANs are harder to train than VAEs", as a measurement: a small grid of learning rates
 * x seeds for the toy VAE (lib/models/toys.ts), the toy GAN (lib/models/gan.ts) and the toy WGAN-GP
 * (lib/models/wgan.ts) on PacGAN's ring (ring8: radius 1, sigma 0.01), the same number of steps for
 * all.
 *
 * - Each family runs its own toy recipe (TOY_VAE_BUDGET, TOY_GAN_BUDGET, WGAN_GP_TOY_BUDGET) with
 *   the step count set to the grid's (full: 2,000) and its learning rate multiplied by each factor
 *   (full: 0.1, 1, 10; the GANs' lrG and lrD both). Schedules inside a recipe keep their
 *   proportions: the GAN's and the VAE's decay over the last 40%, the VAE's KL warm-up over the
 *   first sixth. WGAN-GP's steps are generator steps with 5 critic steps each (dSteps 5, as in
 *   WGAN_GP_TOY_BUDGET), so its critic gets five times the updates: the budget is the same in
 *   generator (decoder) updates, not in compute.
 * - Seeds (full: 0, 1, 2) seed the model, the data and the training noise as fitToyGAN / fitToyVAE
 *   do.
 * - Every run is scored by PacGAN's protocol on 2,500 samples with the noise seeded 1000 + seed
 *   (scoreToy, scoreToyVAE: the VAE's full generative model, decoder mean plus its noise).
 * - A run SUCCEEDS when it captures all 8 modes AND the reverse KL of its HQ mode histogram is
 *   below 0.2 nats (B11_SUCCESS; the same for every family). A run whose loss turned NaN or
 *   infinite (NonFiniteLossError) is scored with the weights trainLoop put back, but never counts
 *   as a success.
 *
 * No weights are kept: the per-run rows go to data/runs/b11-ring8.json through runOrLoad
 * (lib/storage/runs.ts), which loads them when shipped and recomputes them with GENLAB_TRAIN=full
 * (smoke: 1 seed x 2 learning rates x 30 steps, into out/runs/).
 */
import * as tf from "@tensorflow/tfjs";
import { type ModeCoverage } from "../eval/modes";
import { Rng } from "../runtime/random";
import { runOrLoad, type RunOutcome } from "../storage/runs";
import { NonFiniteLossError } from "../training/train";
import {
  GAN,
  TOY_GAN_BUDGET,
  TOY_GAN_CONFIG,
  mixtureSampler,
  scoreToy,
  trainGAN,
  type GANBudget,
} from "./gan";
import { TOY_VAE_BUDGET, newToyVAE, scoreToyVAE, toyMixture, trainToyVAE } from "./toys";
import { WGAN_GP_TOY_BUDGET, wganObjective } from "./wgan";

export type B11Family = "vae" | "gan" | "wgan-gp";
export const B11_FAMILIES: readonly B11Family[] = ["vae", "gan", "wgan-gp"];

/**
 * Success: every mode captured and reverse KL < 0.2 nats (strictly), the same threshold for every
 * family.
 */
export const B11_SUCCESS = { maxReverseKl: 0.2 } as const;

/**
 * Whether a scored run succeeds by B11_SUCCESS (a run with no HQ sample, reverse KL NaN or null,
 * fails).
 */
export function b11Success(
  c: Pick<ModeCoverage, "modesCaptured" | "modes"> & { reverseKl: number | null },
  diverged = false,
): boolean {
  return (
    !diverged &&
    c.modesCaptured === c.modes &&
    c.reverseKl !== null &&
    Number.isFinite(c.reverseKl) &&
    c.reverseKl < B11_SUCCESS.maxReverseKl
  );
}

export const B11_BUDGET: {
  full: { dataset: string; steps: number; lrFactors: number[] };
  smoke: { dataset: string; steps: number; lrFactors: number[] };
} = {
  full: { dataset: "ring8", steps: 2000, lrFactors: [0.1, 1, 10] },
  smoke: { dataset: "ring8", steps: 30, lrFactors: [1, 10] },
};
export const B11_SEEDS = { full: [0, 1, 2], smoke: [0] };

/** One run of the grid. */
export interface B11Run {
  family: B11Family;
  seed: number;
  lrFactor: number;
  /** The learning rate used (the GANs': lrG = lrD). */
  lr: number;
  steps: number;
  modes: number;
  hq: number;
  /** Reverse KL of the HQ mode histogram, null when no sample was HQ. */
  rkl: number | null;
  /** Step at which the loss turned non-finite, null when training finished. */
  divergedAt: number | null;
  success: boolean;
  seconds: number;
}

export interface B11Result {
  dataset: string;
  /** The recipe of each family at the grid's step count, before the learning-rate factor. */
  recipes: Record<B11Family, Record<string, number>>;
  runs: B11Run[];
}

/**
 * The recipe of `family` at `steps` steps, before the learning-rate factor (see the file comment).
 */
export function b11Recipe(family: B11Family, steps: number): Record<string, number> {
  if (family === "vae") {
    const b = TOY_VAE_BUDGET.full;
    return { ...b, steps, warmup: Math.round(((b.warmup ?? 0) * steps) / b.steps) };
  }
  return { ...(family === "gan" ? TOY_GAN_BUDGET.full : WGAN_GP_TOY_BUDGET.full), steps };
}

/** The base learning rate of a recipe (the VAE's lr, the GANs' lrG). */
const baseLr = (family: B11Family, r: Record<string, number>) => (family === "vae" ? r.lr : r.lrG);

/** Trains and scores one run; a non-finite loss ends the run (the last good weights are scored). */
export async function b11Run(
  family: B11Family,
  dataset: string,
  steps: number,
  lrFactor: number,
  seed: number,
  o: { quiet?: boolean } = {},
): Promise<B11Run> {
  const mix = toyMixture(dataset);
  const recipe = b11Recipe(family, steps);
  const lr = baseLr(family, recipe) * lrFactor;
  const label = `B11 ${family} lr x${lrFactor} s${seed}`;
  const t0 = Date.now();
  let divergedAt: number | null = null;
  const guard = async (train: () => Promise<unknown>) => {
    try {
      await train();
    } catch (err) {
      if (!(err instanceof NonFiniteLossError)) throw err;
      divergedAt = err.step;
    }
  };
  let cov: ModeCoverage | null;
  if (family === "vae") {
    const vae = newToyVAE(`b11-vae-s${seed}`, seed);
    await guard(() =>
      trainToyVAE(vae, mix, { ...TOY_VAE_BUDGET.full, ...recipe, lr }, seed, {
        label,
        quiet: o.quiet,
        coverage: false,
      }),
    );
    cov = scoreOrNull(() => scoreToyVAE(vae, mix, seed));
    tf.dispose(Object.values(vae.params()));
  } else {
    const gan = new GAN(`b11-${family}-s${seed}`, TOY_GAN_CONFIG, new Rng(seed));
    const budget = { ...recipe, lrG: lr, lrD: lr } as GANBudget;
    const objective = family === "wgan-gp" ? wganObjective("gp") : undefined;
    await guard(() =>
      trainGAN(gan, mixtureSampler(mix, new Rng(seed).fork("data")), budget, {
        seed: seed + 1,
        objective,
        label,
        quiet: o.quiet,
      }),
    );
    cov = scoreOrNull(() => scoreToy(gan, mix, seed));
    tf.dispose(Object.values(gan.params()));
  }
  const rkl = cov && Number.isFinite(cov.reverseKl) ? cov.reverseKl : null;
  const modes = cov?.modesCaptured ?? 0;
  return {
    family,
    seed,
    lrFactor,
    lr,
    steps,
    modes,
    hq: cov?.hqFraction ?? 0,
    rkl,
    divergedAt,
    success: b11Success(
      { modesCaptured: modes, modes: mix.means.length, reverseKl: rkl },
      divergedAt !== null,
    ),
    seconds: (Date.now() - t0) / 1000,
  };
}

/** A coverage, or null when the model's samples are not finite (modeCoverage refuses them). */
function scoreOrNull(score: () => ModeCoverage): ModeCoverage | null {
  try {
    return score();
  } catch (err) {
    if (/modeCoverage: sample/.test((err as Error).message)) return null;
    throw err;
  }
}

/** Checks the shape of a loaded B11 result (for runOrLoad). */
export function checkB11Result(r: unknown): string | null {
  const x = r as Partial<B11Result> | null;
  if (!x || typeof x !== "object" || !Array.isArray(x.runs) || typeof x.dataset !== "string")
    return "expected {dataset, recipes, runs: [...]}";
  for (const [i, run] of x.runs.entries()) {
    const ok =
      run &&
      B11_FAMILIES.includes(run.family) &&
      ["seed", "lrFactor", "lr", "steps", "modes", "hq", "seconds"].every(
        (k) => typeof (run as unknown as Record<string, unknown>)[k] === "number",
      ) &&
      typeof run.success === "boolean" &&
      (run.rkl === null || typeof run.rkl === "number");
    if (!ok) return `run ${i} is not a B11 row: ${JSON.stringify(run)}`;
  }
  return null;
}

/**
 * The B11 grid (B11_BUDGET x B11_SEEDS x B11_FAMILIES), loaded from data/runs/b11-<dataset>.json or
 * computed (GENLAB_TRAIN, lib/storage/runs.ts). Runs go family by family, learning rate by learning
 * rate, seed by seed.
 */
export function b11Grid(
  o: { quiet?: boolean } = {},
): Promise<RunOutcome<(typeof B11_BUDGET)["full"], B11Result>> {
  return runOrLoad({
    name: `b11-${B11_BUDGET.full.dataset}`,
    seeds: B11_SEEDS,
    budget: B11_BUDGET,
    check: checkB11Result,
    compute: async (b, seeds) => {
      const runs: B11Run[] = [];
      for (const family of B11_FAMILIES) {
        for (const f of b.lrFactors)
          for (const seed of seeds) runs.push(await b11Run(family, b.dataset, b.steps, f, seed, o));
      }
      const recipes = Object.fromEntries(
        B11_FAMILIES.map((f) => [f, b11Recipe(f, b.steps)]),
      ) as B11Result["recipes"];
      return { dataset: b.dataset, recipes, runs };
    },
  });
}

export interface Spread {
  mean: number;
  /** Population standard deviation. */
  sd: number;
  min: number;
  max: number;
}

function spread(v: number[]): Spread {
  if (v.length === 0) return { mean: NaN, sd: NaN, min: NaN, max: NaN };
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  return {
    mean,
    sd: Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length),
    min: Math.min(...v),
    max: Math.max(...v),
  };
}

export interface B11FamilySummary {
  family: B11Family;
  runs: number;
  successes: number;
  /** successes / runs. */
  successRate: number;
  diverged: number;
  modes: Spread;
  /**
   * Reverse KL over the runs; a run with no HQ sample counts as log(8) (coverageSummary's
   * convention).
   */
  rkl: Spread;
  hq: Spread;
}

/**
 * Per family: the fraction of runs that succeed and the spread of the final scores (optionally for
 * one learning-rate factor).
 */
export function b11Summary(
  runs: readonly B11Run[],
  o: { modes?: number; lrFactor?: number } = {},
): B11FamilySummary[] {
  const k = o.modes ?? 8;
  return B11_FAMILIES.map((family) => {
    const rs = runs.filter(
      (r) => r.family === family && (o.lrFactor === undefined || r.lrFactor === o.lrFactor),
    );
    const successes = rs.filter((r) => r.success).length;
    return {
      family,
      runs: rs.length,
      successes,
      successRate: rs.length ? successes / rs.length : NaN,
      diverged: rs.filter((r) => r.divergedAt !== null).length,
      modes: spread(rs.map((r) => r.modes)),
      rkl: spread(rs.map((r) => r.rkl ?? Math.log(k))),
      hq: spread(rs.map((r) => r.hq)),
    };
  });
}

/**
 * A VAE and a flow on PacGAN's 2-D mixtures (lib/data/toys.ts: ring8, grid25, unbalanced), scored
 * by the same mode-coverage protocol as the toy GANs of notebooks 03 and 04 (lib/eval/modes.ts), so
 * notebook 06 can put the families side by side (claims B8 and B11, "mode coverage on the ring and
 * the grid, VAE and flow too").
 *
 * The data are PacGAN's mixtures unchanged (ring radius 1, sigma 0.01; grid spacing 2, sigma 0.05;
 * unbalanced 0.45/0.45/0.10, sigma 0.1). The GANs draw a fresh batch from the mixture at every
 * step; the VAE and the flow train on TOY_TRAIN_POINTS (50,000) points drawn once from it with
 * `new Rng(seed).fork("data")` (a few thousand steps of 256 see each point a dozen times at most).
 *
 * Scoring (scoreToyVAE, scoreToyFlow), as scoreToy does for a GAN: 2,500 samples from the model
 * with the noise seeded `new Rng(1000 + seed)`, each sample of the FULL generative model:
 *  - VAE: z ~ N(0, I), x = m(z) + sigma * eps (the decoder's mean plus its learned noise), not
 *    the decoder's mean alone (that is `{ meanOnly: true }`, shown beside it, and is not a sample
 *    of p(x));
 *  - flow: z ~ N(0, I), x = f^-1(z) (temperature 1).
 * Mode coverage (modes, HQ fraction, reverse KL) is logged over training as the GANs log it
 * (modeColumns of lib/models/gan.ts on 2,500 samples of fixed noise).
 *
 * Weights: data/weights/vae-<dataset>-s<seed> and flow-pacgan-<dataset>-s<seed> (the flow-ring-*
 * and flow-grid-* files of notebook 05 are flows on WIDER mixtures, sigma 0.15 and 0.2).
 */
import * as tf from "@tensorflow/tfjs";
import { sampleMixture, type Mixture } from "../data/toys";
import { modeCoverage, PACGAN_SAMPLES, type ModeCoverage } from "../eval/modes";
import { countParams, type HasParams } from "../runtime/nn";
import { Rng } from "../runtime/random";
import { type ResumeTarget } from "../training/resume";
import { type History, type HistoryRow } from "../training/train";
import { fitOrLoad, type Budget, type FitResult } from "../training/weights";
import {
  Flow,
  flowParamCount,
  flowSample,
  trainFlow,
  type FlowBudget,
  type FlowConfig,
} from "./flow";
import { modeColumns, toyMixture } from "./gan";
import { VAE, samplePrior, sampleVAE, trainVAE, type VAEBudget, type VAEConfig } from "./vae";
import {
  NoiseSchedule,
  TimeMLP,
  sampleDiffusion,
  trainDiffusion,
  type DiffusionBudget,
  type SampleOptions,
  type ScheduleConfig,
  type TimeMLPConfig,
} from "./diffusion";

/** Points drawn once from the mixture to train a toy VAE or flow on. */
export const TOY_TRAIN_POINTS = 50_000;

/** One of TOY_DATASETS (lib/models/gan.ts) by name: the same lookup as the GANs'. */
export { toyMixture };

/**
 * The training set of a toy VAE or flow: TOY_TRAIN_POINTS points of `mix`, seeded `new
 * Rng(seed).fork("data")`.
 */
export function toyTrainingSet(mix: Mixture, seed: number, n = TOY_TRAIN_POINTS): Float32Array {
  return sampleMixture(mix, n, new Rng(seed).fork("data")).x;
}

// ---------------------------------------------------------------------------------------------
// The toy VAE.

/**
 * Latent 2 (as the GAN's noise), decoder 2-128-128-128-2 (the toy GAN's generator, TOY_GAN_CONFIG),
 * encoder 2-128-128-4 (the size of the toy GAN's discriminator), ReLU; 51,080 parameters against
 * the toy GAN's 50,691. Gaussian decoder with a learned log-variance per coordinate (shared over
 * z), not a fixed one: a fixed sigma sets the balance between the reconstruction and the KL term by
 * hand (and the data's own sigma, 0.01 on the ring, would be the answer given in advance), while a
 * learned one is the maximum-likelihood choice the ELBO itself makes, so the noise the model adds
 * to its samples is what it learned the residual spread to be.
 */
export const TOY_VAE_CONFIG: VAEConfig = {
  inputDim: 2,
  latent: 2,
  hidden: [128, 128],
  decoderHidden: [128, 128, 128],
  likelihood: "gaussian",
};

/**
 * 6,000 steps of Adam 1e-3 on batches of 256, the learning rate x0.1 for the last 40% (as the toy
 * GANs), the ELBO (beta 1) with the KL weight warmed up linearly over the first 1,000 steps. Chosen
 * by measurement on seed 0 (ring8 / grid25, modes and HQ fraction of the full generative model at
 * the end): 4,000 steps at a constant rate without warm-up: 8 / 0.44 and 22 / 0.02 (the grid's x
 * coordinate collapsed to the prior: decoder sigma 2.8); warm-up 2,000 of 8,000: grid 25 / 0.10;
 * warm-up 1,000 of 6,000 without decay: 8 / 0.15 and 22 / 0.04 (the last steps swing); with the
 * decay: 8 / 0.50 and 24 / 0.15.
 */
export const TOY_VAE_BUDGET: { full: VAEBudget & Budget; smoke: VAEBudget & Budget } = {
  full: {
    steps: 6000,
    batchSize: 256,
    lr: 1e-3,
    beta: 1,
    warmup: 1000,
    lrDecay: 0.1,
    decayFrac: 0.4,
  },
  smoke: { steps: 40, batchSize: 256, lr: 1e-3, beta: 1, warmup: 10, lrDecay: 0.1, decayFrac: 0.4 },
};

/** Weights file stem of the toy VAE: vae-<dataset>-s<seed>. */
export function toyVaeModel(dataset: string, seed: number): string {
  return `vae-${dataset}-s${seed}`;
}

/** A fresh toy VAE, initialised from `new Rng(seed)`. */
export function newToyVAE(name: string, seed: number): VAE {
  return new VAE(name, TOY_VAE_CONFIG, new Rng(seed));
}

/**
 * n samples of the toy VAE's full generative model (z ~ N(0, I), x = m(z) + sigma * eps), or with
 * `meanOnly` the decoder's means m(z) (the same z).
 */
export function sampleToyVAE(
  vae: VAE,
  n: number,
  rng: Rng,
  o: { meanOnly?: boolean } = {},
): Float32Array {
  return o.meanOnly ? samplePrior(vae, n, rng) : sampleVAE(vae, n, rng);
}

/**
 * PacGAN's score of a toy VAE: 2,500 samples, noise seeded 1000 + `seed` (as scoreToy for a GAN).
 */
export function scoreToyVAE(
  vae: VAE,
  mix: Mixture,
  seed: number,
  o: { meanOnly?: boolean } = {},
): ModeCoverage {
  return modeCoverage(sampleToyVAE(vae, PACGAN_SAMPLES, new Rng(1000 + seed), o), mix);
}

/** The decoder's noise sigma per coordinate (exp(logvarX / 2)). */
export function decoderSigma(vae: VAE): number[] {
  if (!vae.logvarX) throw new Error(`decoderSigma: VAE ${vae.name} has a Bernoulli decoder`);
  return Array.from(vae.logvarX.dataSync(), (lv) => Math.exp(0.5 * lv));
}

export interface ToyTrainOptions {
  label?: string;
  quiet?: boolean;
  /**
   * Log mode coverage with the history (default true): every steps / 100 steps, 2,500 samples of
   * fixed noise.
   */
  coverage?: boolean;
  /** Where to keep a resume checkpoint (fitOrLoad passes it; see lib/training/resume.ts). */
  resume?: ResumeTarget;
  /**
   * Mode coverage on every `coverageEvery`-th history row only (default 1: every row), for a
   * model whose samples are costly (the diffusion model's 1,000 steps).
   */
  coverageEvery?: number;
}

/**
 * The trainer options of a toy model: training noise seeded seed + 1 (as fitToyGAN), and unless
 * `o.coverage` is false mode coverage of `sample`'s points added to every history row (every steps
 * / 100 steps, 2,500 samples of fixed noise `new Rng(seed).fork("eval")`).
 */
function toyTrainerOptions(
  name: string,
  mix: Mixture,
  seed: number,
  steps: number,
  sample: (n: number, rng: Rng) => Float32Array,
  o: ToyTrainOptions,
) {
  const cols = modeColumns(mix);
  const logEvery = Math.max(1, Math.ceil(steps / 100));
  const every = logEvery * (o.coverageEvery ?? 1);
  const log =
    o.coverage === false
      ? {}
      : {
          logEvery,
          onLog: (row: HistoryRow) => {
            if (row.step % every !== 0 && row.step !== steps) return;
            Object.assign(row, cols(sample(PACGAN_SAMPLES, new Rng(seed).fork("eval"))));
          },
        };
  return { seed: seed + 1, label: o.label ?? name, quiet: o.quiet, resume: o.resume, ...log };
}

/**
 * Trains a toy VAE (in place) on `mix`'s training set for `seed`; the history logs loss, recon, kl
 * and mode coverage.
 */
export function trainToyVAE(
  vae: VAE,
  mix: Mixture,
  budget: VAEBudget,
  seed: number,
  o: ToyTrainOptions = {},
): Promise<History> {
  return trainVAE(
    vae,
    toyTrainingSet(mix, seed),
    budget,
    toyTrainerOptions(vae.name, mix, seed, budget.steps, (n, rng) => sampleToyVAE(vae, n, rng), o),
  );
}

/**
 * Builds a toy model (initialised from `new Rng(seed)`) and loads or trains it (fitOrLoad) on
 * `dataset`; stores its PacGAN score (2,500 samples, noise seeded 1000 + seed) and parameter count
 * as the metrics.
 */
async function fitToy<M extends HasParams, B extends Budget>(
  dataset: string,
  seed: number,
  o: {
    model: string;
    build: (name: string, seed: number) => M;
    budget: { full: B; smoke: B };
    train: (net: M, mix: Mixture, b: B, seed: number, opts: ToyTrainOptions) => Promise<History>;
    sample: (net: M, n: number, rng: Rng) => Float32Array;
    quiet?: boolean;
  },
): Promise<{ net: M; fit: FitResult; mix: Mixture }> {
  const mix = toyMixture(dataset);
  const net = o.build(o.model, seed);
  const fit = await fitOrLoad({
    model: o.model,
    params: net.params(),
    seed,
    budget: o.budget,
    train: (b, ctx) => o.train(net, mix, b, seed, { quiet: o.quiet, resume: ctx.resume }),
    metrics: () => {
      const c = modeCoverage(o.sample(net, PACGAN_SAMPLES, new Rng(1000 + seed)), mix);
      const m: Record<string, number> = {
        modes: c.modesCaptured,
        hq: c.hqFraction,
        params: countParams(net.params()),
      };
      if (Number.isFinite(c.reverseKl)) m.rkl = c.reverseKl;
      return m;
    },
  });
  return { net, fit, mix };
}

/**
 * The toy VAE on one of TOY_DATASETS (ring8, grid25, unbalanced), loaded from
 * data/weights/vae-<dataset>-s<seed> or trained (GENLAB_TRAIN, lib/training/weights.ts), with mode
 * coverage logged over training.
 */
export async function fitToyVAE(
  dataset: string,
  seed: number,
  o: { quiet?: boolean } = {},
): Promise<{ vae: VAE; fit: FitResult; mix: Mixture }> {
  // Explicit type arguments: tslab's TypeScript (5.0) infers B as Budget here and rejects
  // trainToyVAE.
  const r = await fitToy<VAE, VAEBudget & Budget>(dataset, seed, {
    model: toyVaeModel(dataset, seed),
    build: newToyVAE,
    budget: TOY_VAE_BUDGET,
    train: trainToyVAE,
    sample: (v, n, rng) => sampleToyVAE(v, n, rng),
    quiet: o.quiet,
  });
  return { vae: r.net, fit: r.fit, mix: r.mix };
}

// ---------------------------------------------------------------------------------------------
// The toy flow.

/**
 * RealNVP as notebook 05's toys: 8 affine couplings, each a 1-64-64-2 ReLU network, scales
 * soft-clamped to [-2, 2], a final diagonal scaling: 35,346 parameters against the toy GAN
 * generator's 33,666.
 */
export const TOY_FLOW_CONFIG: FlowConfig = {
  dim: 2,
  couplings: 8,
  hidden: [64, 64],
  kind: "affine",
};

/**
 * 4,000 steps of Adam 1e-3 on batches of 256, the learning rate x0.1 for the last 40% (the toy
 * GANs' schedule), the gradient clipped to global norm 10. PacGAN's ring (sigma 0.01) is narrow for
 * a flow, and maximum likelihood on it is unstable (measured on ring8; the mixture's own entropy,
 * the best possible NLL, is -4.29 nats):
 * - constant 1e-3, seed 0: the NLL fell to -1.53 by step 2,800 and jumped to +1.45 by step 3,200;
 *   constant 5e-4: spikes at steps 1,200, 2,000 and 2,800, NLL 0.00 at 4,000 (HQ 0.03);
 * - with the decay from step 2,400 but no clipping (seeds 0-2): spikes before the decay (seed 1:
 *   NLL -1.25 at step 1,640, +23.7 at 1,960; gradient norms up to 4,300 against a typical 50),
 *   ending at HQ 0.20 / 0.04 / 0.26;
 * - seed 1 with clipping at norm 10: NLL -1.86 at step 2,400 (unclipped: +0.52), dips of at most
 *   1.8 nats instead of 45.
 * With this budget (the shipped flow-pacgan-ring8-s0..2) the spikes are damped, not gone: the NLL
 * still jumps by 15.3 and 12.1 nats once on seeds 0 and 2 (steps 1,160 and 1,840, gradient norms up
 * to 15,000) and recovers within about 100 steps; final NLL -2.99 / -2.70 / -2.55 (HQ 0.44 / 0.38 /
 * 0.40, against 0.20 / 0.04 / 0.26 unclipped). On grid25 (best possible 0.07 nats) the largest jump
 * is 2.7 nats and the final NLL 2.37 / 2.67 / 2.54. The data are PacGAN's, unchanged; clipping and
 * the decay are the stabilisers.
 */
export const TOY_FLOW_BUDGET: { full: FlowBudget; smoke: FlowBudget } = {
  full: { steps: 4000, batchSize: 256, lr: 1e-3, lrDecay: 0.1, decayFrac: 0.4, clipNorm: 10 },
  smoke: { steps: 40, batchSize: 256, lr: 1e-3, lrDecay: 0.1, decayFrac: 0.4, clipNorm: 10 },
};

/** Weights file stem of the toy flow on PacGAN's mixture: flow-pacgan-<dataset>-s<seed>. */
export function toyFlowModel(dataset: string, seed: number): string {
  return `flow-pacgan-${dataset}-s${seed}`;
}

/** PacGAN's score of a toy flow: 2,500 samples x = f^-1(z), z seeded 1000 + `seed`. */
export function scoreToyFlow(flow: Flow, mix: Mixture, seed: number): ModeCoverage {
  return modeCoverage(flowSample(flow, PACGAN_SAMPLES, new Rng(1000 + seed)), mix);
}

/**
 * Trains a toy flow (in place) by maximum likelihood on `mix`'s training set for `seed`, mode
 * coverage logged.
 */
export function trainToyFlow(
  flow: Flow,
  mix: Mixture,
  budget: FlowBudget,
  seed: number,
  o: ToyTrainOptions = {},
): Promise<History> {
  return trainFlow(
    flow,
    toyTrainingSet(mix, seed),
    budget,
    toyTrainerOptions(flow.name, mix, seed, budget.steps, (n, rng) => flowSample(flow, n, rng), o),
  );
}

/**
 * The toy RealNVP on one of TOY_DATASETS, loaded from data/weights/flow-pacgan-<dataset>-s<seed> or
 * trained.
 */
export async function fitToyFlow(
  dataset: string,
  seed: number,
  o: { quiet?: boolean } = {},
): Promise<{ flow: Flow; fit: FitResult; mix: Mixture }> {
  const r = await fitToy<Flow, FlowBudget>(dataset, seed, {
    model: toyFlowModel(dataset, seed),
    build: (name, s) => new Flow(name, TOY_FLOW_CONFIG, new Rng(s)),
    budget: TOY_FLOW_BUDGET,
    train: trainToyFlow,
    sample: (f, n, rng) => flowSample(f, n, rng),
    quiet: o.quiet,
  });
  return { flow: r.net, fit: r.fit, mix: r.mix };
}

/** Parameter counts of the toy VAE and flow (for tables). */
export function toyParamCounts(): { vae: number; flow: number } {
  const v = newToyVAE("count", 0);
  const n = countParams(v.params());
  for (const t of Object.values(v.params())) t.dispose();
  return { vae: n, flow: flowParamCount(TOY_FLOW_CONFIG) };
}

/** Frees a toy model's variables. */
export function disposeToy(m: HasParams): void {
  tf.dispose(Object.values(m.params()));
}

// ---------------------------------------------------------------------------------------------
// The toy diffusion model (notebook 07).

/** Ho et al.'s schedule: T = 1,000, beta from 1e-4 to 0.02 (x_1 has noise of std 0.01). */
export const TOY_DIFFUSION_SCHEDULE: ScheduleConfig = { T: 1000, kind: "linear" };

/** The noise schedule of the toy diffusion models. */
export function toyDiffusionSchedule(): NoiseSchedule {
  return new NoiseSchedule(TOY_DIFFUSION_SCHEDULE);
}

/**
 * The toy denoiser eps(x_t, t): 2-128-128-128-2 ReLU (the toy GAN generator's layers), each hidden
 * layer adding a projection of a 32-dimensional embedding of t.
 */
export const TOY_DENOISER_CONFIG: TimeMLPConfig = { dim: 2, hidden: [128, 128, 128], embed: 32 };

/**
 * 20,000 steps of Adam 1e-3 on batches of 256, x0.1 for the last 40% (the toy GANs' schedule).
 * Measured on seed 0 (first run, about 100 s of training each with two other jobs on the machine):
 * ring8 8 / 8 modes, HQ 0.936, reverse KL 0.002; grid25 25 / 25, HQ 0.958, reverse KL 0.006; the
 * HQ fraction still rose over the last 2,000 steps (ring 0.91 -> 0.94, grid 0.95 -> 0.96).
 */
export const TOY_DIFFUSION_BUDGET: { full: DiffusionBudget; smoke: DiffusionBudget } = {
  full: { steps: 20000, batchSize: 256, lr: 1e-3, lrDecay: 0.1, decayFrac: 0.4 },
  smoke: { steps: 40, batchSize: 256, lr: 1e-3, lrDecay: 0.1, decayFrac: 0.4 },
};

/** Weights file stem of the toy diffusion model: ddpm-<dataset>-s<seed>. */
export function toyDiffusionModel(dataset: string, seed: number): string {
  return `ddpm-${dataset}-s${seed}`;
}

/** n samples of a toy diffusion model (ancestral, all T steps, unless `o` says otherwise). */
export function sampleToyDiffusion(
  net: TimeMLP,
  n: number,
  rng: Rng,
  o: SampleOptions = {},
): Float32Array {
  return sampleDiffusion(net, toyDiffusionSchedule(), n, rng, o).x;
}

/** PacGAN's score of a toy diffusion model: 2,500 samples, noise seeded 1000 + `seed`. */
export function scoreToyDiffusion(
  net: TimeMLP,
  mix: Mixture,
  seed: number,
  o: SampleOptions = {},
): ModeCoverage {
  return modeCoverage(sampleToyDiffusion(net, PACGAN_SAMPLES, new Rng(1000 + seed), o), mix);
}

/**
 * Trains a toy denoiser (in place) by L_simple on `mix`'s training set for `seed`; mode coverage
 * on every 10th history row (10 times in a run), of DDIM samples with 100 steps (a tenth of the
 * ancestral sampler's cost; the stored score is the ancestral sampler's).
 */
export function trainToyDiffusion(
  net: TimeMLP,
  mix: Mixture,
  budget: DiffusionBudget,
  seed: number,
  o: ToyTrainOptions = {},
): Promise<History> {
  const sample = (n: number, rng: Rng) =>
    sampleToyDiffusion(net, n, rng, { sampler: "ddim", steps: 100 });
  const opts = toyTrainerOptions(net.name, mix, seed, budget.steps, sample, {
    coverageEvery: 10,
    ...o,
  });
  return trainDiffusion(net, toyDiffusionSchedule(), toyTrainingSet(mix, seed), budget, opts);
}

/**
 * The toy diffusion model on one of TOY_DATASETS, loaded from data/weights/ddpm-<dataset>-s<seed>
 * or trained.
 */
export async function fitToyDiffusion(
  dataset: string,
  seed: number,
  o: { quiet?: boolean } = {},
): Promise<{ net: TimeMLP; fit: FitResult; mix: Mixture }> {
  return fitToy<TimeMLP, DiffusionBudget>(dataset, seed, {
    model: toyDiffusionModel(dataset, seed),
    build: (name, s) => new TimeMLP(name, TOY_DENOISER_CONFIG, new Rng(s)),
    budget: TOY_DIFFUSION_BUDGET,
    train: trainToyDiffusion,
    sample: (f, n, rng) => sampleToyDiffusion(f, n, rng),
    quiet: o.quiet,
  });
}

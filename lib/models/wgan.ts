/**
 * The Wasserstein GAN of notebook 04 (Arjovsky, Chintala & Bottou, 2017) and its gradient-penalty
 * form WGAN-GP (Gulrajani et al., 2017). The GAN of lib/models/gan.ts with another objective: D
 * becomes a critic f with an unbounded output, and by Kantorovich-Rubinstein duality
 *
 *   W1(P_r, P_g) = sup_{||f||_L <= 1}  E_{P_r}[f(x)] - E_{P_g}[f(x)].
 *
 *   critic loss  E[f(G(z))] - E[f(x)]              (+ lambda E[(||grad f(x^)|| - 1)^2] for WGAN-GP)
 *   G's loss     -E[f(G(z))]
 *
 * The Lipschitz constraint is approximated by clipping every critic weight to [-c, c] (WGAN) or by
 * the gradient penalty on points x^ between real and fake samples (WGAN-GP). The penalty needs a
 * gradient of a gradient: the critic's activations must have correct second derivatives in tfjs
 * (relu, and leaky ReLU as lib/runtime/nn.ts applies it: genlab's LeakyReluGrad kernel on wasm,
 * else relu(x) - a relu(-x); not tanh, sigmoid, elu: PLATFORM.md), checked against finite
 * differences in test/wgan.test.ts.
 *
 * Also here: the parallel-lines example of the WGAN paper (JS, KL and W1 in closed form and from
 * samples) and the B5 experiment for a critic (G's gradient while the critic trains to optimum).
 */
import * as tf from "@tensorflow/tfjs";
import { adam } from "../runtime/optim";
import { klDivergence } from "../eval/classes";
import { spearman } from "../eval/correlation";
import { qualityScorer } from "./eval-classifier";
import { grid2d } from "../display/grid";
import { MLP, disposeParams } from "../runtime/nn";
import { Rng, randu } from "../runtime/random";
import {
  GAN,
  fitGAN,
  fitToyGAN,
  generateFrom,
  generateSamples,
  generatorGradNorm,
  rowSampler,
  scoreToy,
  trainDiscriminator,
  TOY_GAN_BUDGET,
  type AdversarialObjective,
  type FitGANResult,
  type GANBudget,
  type GANConfig,
  type Sampler,
  type TrainGANOptions,
  type Adversary,
} from "./gan";
import { type HistoryRow } from "../training/train";
import { type ModeCoverage } from "../eval/modes";
import { budgets } from "../training/weights";
import { loadMnist, trainingData } from "../data/mnist";
import { runOrLoad, type RunOutcome } from "../storage/runs";

// ---------------------------------------------------------------------------------------------
// Losses.

/** W1's dual estimate on two batches of critic outputs: mean f(real) - mean f(fake). */
export function w1Estimate(realOut: tf.Tensor, fakeOut: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.sub(tf.mean(realOut), tf.mean(fakeOut)) as tf.Scalar);
}

/**
 * The gradient penalty E[(||grad_x f(x^)||_2 - 1)^2] at x^ = eps x_real + (1 - eps) x_fake, one eps
 * ~ U[0, 1] per row (`eps`: [n, 1]). Differentiable in f's parameters (a second-order gradient).
 */
export function gradientPenalty(
  critic: (x: tf.Tensor2D) => tf.Tensor,
  real: tf.Tensor2D,
  fake: tf.Tensor2D,
  eps: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const xhat = tf.add(tf.mul(eps, real), tf.mul(tf.sub(1, eps), fake)) as tf.Tensor2D;
    const g = tf.grad((x: tf.Tensor) => tf.sum(critic(x as tf.Tensor2D)))(xhat);
    // The small constant keeps sqrt's derivative finite where the gradient is exactly 0.
    const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), 1), 1e-12));
    return tf.mean(tf.square(tf.sub(norm, 1))) as tf.Scalar;
  });
}

/**
 * The critic's loss -(mean f(real) - mean f(fake)) [+ lambda GP]; logs w1 (the dual estimate) and
 * gp.
 */
export function criticLoss(
  critic: (x: tf.Tensor2D) => tf.Tensor,
  real: tf.Tensor2D,
  fake: tf.Tensor2D,
  o: { lambda: number; rng?: Rng },
): { loss: tf.Scalar; logs: Record<string, tf.Scalar> } {
  const w1 = w1Estimate(critic(real), critic(fake));
  if (!(o.lambda > 0)) return { loss: tf.neg(w1), logs: { w1 } };
  if (!o.rng)
    throw new Error("criticLoss: the gradient penalty needs an Rng for its interpolation weights");
  const n = real.shape[0];
  const eps = randu(o.rng, [n, 1]) as tf.Tensor2D;
  const gp = gradientPenalty(critic, real, fake, eps);
  eps.dispose();
  return { loss: tf.add(tf.neg(w1), tf.mul(o.lambda, gp)) as tf.Scalar, logs: { w1, gp } };
}

// ---------------------------------------------------------------------------------------------
// Objectives for trainGAN (lib/models/gan.ts).

export type WGANMethod = "clip" | "gp";

/** Clips every parameter of D to [-c, c] (WGAN's Lipschitz constraint). */
export function clipWeights(gan: Adversary, c: number): void {
  tf.tidy(() => {
    for (const v of Object.values(gan.dParams())) v.assign(tf.clipByValue(v, -c, c));
  });
}

const need = (b: GANBudget, key: string, who: string): number => {
  const v = b[key] as number | undefined;
  if (!(typeof v === "number" && Number.isFinite(v) && v > 0))
    throw new Error(`${who}: budget.${key} must be a number > 0, got ${v}`);
  return v;
};

/**
 * `method` as an objective for trainGAN. "clip": WGAN with weight clipping, RMSProp(lr) for both
 * players (the paper's; decay 0.99 and epsilon 1e-8, PyTorch's defaults, which the authors' code
 * used), every critic weight clipped to [-budget.clip, budget.clip] after each critic update.
 * "gp": WGAN-GP, Adam(lr, budget.beta1, budget.beta2), penalty weight budget.lambda.
 */
export function wganObjective(method: WGANMethod): AdversarialObjective {
  let c = 0;
  let lambda = 0;
  const gLoss = (gan: Adversary, fake: tf.Tensor2D, training: boolean) =>
    tf.neg(tf.mean(gan.logits(fake, training))) as tf.Scalar;
  if (method === "clip") {
    return {
      name: "WGAN (clipping)",
      begin: (b) => {
        c = need(b, "clip", "WGAN");
        return {
          d: tf.train.rmsprop(b.lrD, 0.99, 0, 1e-8),
          g: tf.train.rmsprop(b.lrG, 0.99, 0, 1e-8),
        };
      },
      dLoss: (gan, real, fake, training) =>
        criticLoss((x) => gan.logits(x, training), real, fake, { lambda: 0 }),
      gLoss,
      afterD: (gan) => clipWeights(gan, c),
    };
  }
  if (method === "gp") {
    return {
      name: "WGAN-GP",
      begin: (b) => {
        lambda = need(b, "lambda", "WGAN-GP");
        return {
          d: adam(b.lrD, b.beta1, need(b, "beta2", "WGAN-GP")),
          g: adam(b.lrG, b.beta1, b["beta2"]),
        };
      },
      dLoss: (gan, real, fake, training, rng) =>
        criticLoss((x) => gan.logits(x, training), real, fake, { lambda, rng }),
      gLoss,
    };
  }
  throw new Error(`unknown WGAN method ${JSON.stringify(method as string)}; use "clip" or "gp"`);
}

// ---------------------------------------------------------------------------------------------
// The 2-D toys: notebook 03's architecture (TOY_GAN_CONFIG) and data, the WGAN objectives.

/**
 * The WGAN paper's settings: RMSProp 5e-5, c = 0.01, 5 critic updates per G update, batch 256 as
 * notebook 03.
 */
export const WGAN_CLIP_TOY_BUDGET: { full: GANBudget; smoke: GANBudget } = budgets(
  {
    steps: 5000,
    batchSize: 256,
    lrG: 5e-5,
    lrD: 5e-5,
    beta1: 0,
    dSteps: 5,
    lrDecay: 1,
    decayFrac: 0,
    clip: 0.01,
  },
  { steps: 60, batchSize: 64 },
);

/**
 * The WGAN-GP toy settings of the authors' code (gan_toy.py: Adam 1e-4, beta1 0.5, beta2 0.9, 5
 * critic iterations, batch 256, lambda 0.1 "for toy tasks"), with notebook 03's smaller networks
 * and step count.
 */
export const WGAN_GP_TOY_BUDGET: { full: GANBudget; smoke: GANBudget } = budgets(
  {
    steps: 5000,
    batchSize: 256,
    lrG: 1e-4,
    lrD: 1e-4,
    beta1: 0.5,
    beta2: 0.9,
    dSteps: 5,
    lrDecay: 1,
    decayFrac: 0,
    lambda: 0.1,
  },
  { steps: 60, batchSize: 64 },
);

export const WGAN_TOY_BUDGET: Record<WGANMethod, { full: GANBudget; smoke: GANBudget }> = {
  clip: WGAN_CLIP_TOY_BUDGET,
  gp: WGAN_GP_TOY_BUDGET,
};

/**
 * The snapshots notebook 04 shows for seed 0 (and that ship with those weights): 16 frames of 500
 * samples and the critic's value (raw, not squashed) on a 50 x 50 grid covering the mixture.
 */
export function wganToySnapshots(dataset: string): NonNullable<TrainGANOptions["snapshots"]> {
  const r = dataset === "grid25" ? 5.5 : 1.6;
  return { frames: 16, n: 500, grid: grid2d({ x: [-r, r], y: [-r, r] }, 50), raw: true };
}

/** Weights family name of a WGAN method: "wgan-clip" or "wgan-gp". */
export function wganFamily(method: WGANMethod): string {
  return method === "clip" ? "wgan-clip" : "wgan-gp";
}

/**
 * A toy WGAN (`method`) on one of notebook 03's mixtures, loaded or trained (GENLAB_TRAIN), with
 * mode coverage and the critic's W1 estimate logged over training. Weights:
 * <family>-<dataset>-s<seed>. WGAN-GP's seed 0 on the ring keeps snapshots (wganToySnapshots, the
 * animation of notebook 04; 0.8 MB) unless `snapshots` says otherwise, so every caller trains and
 * loads the same files.
 */
export async function fitToyWGAN(
  method: WGANMethod,
  dataset: string,
  seed: number,
  o: {
    variant?: string;
    budget?: Partial<Record<string, number>>;
    config?: Partial<GANConfig>;
    snapshots?: TrainGANOptions["snapshots"];
    quiet?: boolean;
    quietLoad?: boolean;
  } = {},
): ReturnType<typeof fitToyGAN> {
  const full = { ...WGAN_TOY_BUDGET[method].full, ...o.budget } as GANBudget;
  return fitToyGAN(dataset, seed, {
    variant: o.variant,
    family: wganFamily(method),
    budget: full,
    config: o.config,
    objective: wganObjective(method),
    snapshots:
      o.snapshots ??
      (method === "gp" && seed === 0 && dataset === "ring8"
        ? wganToySnapshots(dataset)
        : undefined),
    quiet: o.quiet,
    quietLoad: o.quietLoad,
  });
}

/**
 * The networks of the WGAN-GP authors' toy script (gan_toy.py): 3 hidden layers of 512 ReLU units
 * for G and the critic (notebook 03's are 128 wide, the critic leaky ReLU), 5,000 generator steps
 * of 256 with the toy budget above (lambda 0.1). The variant name is part of the weights' file
 * name.
 */
export const WGAN_GP_WIDE = {
  variant: "w512x5000",
  steps: 5000,
  seeds: [0, 1, 2, 3, 4],
  config: {
    gHidden: [512, 512, 512],
    dHidden: [512, 512, 512],
    dAct: "relu",
  } as Partial<GANConfig>,
} as const;

/**
 * One seed of the wide grid run: PacGAN's score (scoreToy), the log over training, the weights'
 * provenance.
 */
export interface WideGridSeed {
  seed: number;
  modesCaptured: number;
  modes: number;
  hqFraction: number;
  /** null when no sample was high quality (the KL is undefined). */
  reverseKl: number | null;
  hqCounts: number[];
  nearestCounts: number[];
  n: number;
  trainMinutes: number | null;
  weights: { model: string; codeVersion: string; mode: string; createdAt: string; backend: string };
  history: { step: number[]; modes: number[]; hq: number[] } | null;
}

export interface WideGridRun {
  perSeed: WideGridSeed[];
  /** 1,500 samples of seed 0 (x0, y0, x1, ...), rounded to 1e-4, for a scatter plot. */
  samples: number[];
}

/**
 * The wide run's per-seed score as the ModeCoverage that coverageSummary reads (null KL back to
 * NaN).
 */
export function wideSeedCoverage(s: WideGridSeed): ModeCoverage {
  return {
    modesCaptured: s.modesCaptured,
    modes: s.modes,
    hqFraction: s.hqFraction,
    reverseKl: s.reverseKl ?? NaN,
    hqCounts: s.hqCounts,
    nearestCounts: s.nearestCounts,
    n: s.n,
  };
}

/**
 * WGAN-GP with the authors' 512-unit networks on PacGAN's 5 x 5 grid, five seeds (notebook 04's
 * target of >= 24/25 modes). 4.1 MB of weights a seed is too much to ship five, so the scores ship
 * as a run record (data/runs/wgan-gp-grid25-w512.json, lib/storage/runs.ts); GENLAB_TRAIN=full
 * retrains the five models (about 30 min each on one core) and rescores them.
 */
export async function wganGpWideGridRun(): Promise<
  RunOutcome<{ steps: number; width: number }, WideGridRun>
> {
  const width = WGAN_GP_WIDE.config.gHidden![0];
  return runOrLoad({
    name: "wgan-gp-grid25-w512",
    seeds: { full: [...WGAN_GP_WIDE.seeds], smoke: [0] },
    budget: {
      full: { steps: WGAN_GP_WIDE.steps, width },
      smoke: { steps: TOY_GAN_BUDGET.smoke.steps, width },
    },
    check: (r) => {
      const o = r as Partial<WideGridRun> | null;
      if (!o || !Array.isArray(o.perSeed) || !o.perSeed.length || !Array.isArray(o.samples))
        return "the result lacks perSeed or samples";
      const bad = o.perSeed.findIndex(
        (s) =>
          !s ||
          typeof s.modesCaptured !== "number" ||
          typeof s.hqFraction !== "number" ||
          !Array.isArray(s.hqCounts) ||
          !s.weights,
      );
      return bad >= 0 ? `seed entry ${bad} lacks its score or the weights' provenance` : null;
    },
    compute: async (_budget, seeds) => {
      const perSeed: WideGridSeed[] = [];
      let samples: number[] = [];
      for (const seed of seeds) {
        const r = await fitToyWGAN("gp", "grid25", seed, {
          variant: WGAN_GP_WIDE.variant,
          budget: { steps: WGAN_GP_WIDE.steps },
          config: WGAN_GP_WIDE.config,
        });
        try {
          const c = scoreToy(r.gan, r.mix, seed),
            h = r.fit.history,
            m = r.fit.meta;
          perSeed.push({
            seed,
            modesCaptured: c.modesCaptured,
            modes: c.modes,
            hqFraction: c.hqFraction,
            reverseKl: Number.isFinite(c.reverseKl) ? c.reverseKl : null,
            hqCounts: c.hqCounts,
            nearestCounts: c.nearestCounts,
            n: c.n,
            trainMinutes: h && h.rows.length ? (h.last()!.seconds as number) / 60 : null,
            weights: {
              model: m.model,
              codeVersion: m.codeVersion,
              mode: m.mode,
              createdAt: m.createdAt,
              backend: m.backend,
            },
            history: h
              ? {
                  step: h.rows.map((x) => x.step as number),
                  modes: h.rows.map((x) => x.modes as number),
                  hq: h.rows.map((x) => x.hq as number),
                }
              : null,
          });
          if (seed === seeds[0])
            samples = Array.from(
              generateSamples(r.gan, 1500, new Rng(44)),
              (v) => Math.round(v * 1e4) / 1e4,
            );
        } finally {
          disposeParams(r.gan.params());
        }
      }
      return { perSeed, samples };
    },
  });
}

// ---------------------------------------------------------------------------------------------
// MNIST: notebook 03's MLP generator, a critic without dropout (the penalty is per example).

export const MNIST_WGAN_CONFIG: GANConfig = {
  dataDim: 784,
  noiseDim: 64,
  gHidden: [256, 512, 1024],
  dHidden: [512, 256],
  gOut: "sigmoid",
  dCenter: true,
};

/**
 * WGAN-GP on MNIST: the paper's image settings (lambda 10, Adam 1e-4, betas 0.5/0.9, 5 critic
 * steps), batch 64.
 */
export const MNIST_WGAN_BUDGET: { full: GANBudget; smoke: GANBudget } = budgets(
  {
    steps: 2500,
    batchSize: 64,
    lrG: 1e-4,
    lrD: 1e-4,
    beta1: 0.5,
    beta2: 0.9,
    dSteps: 5,
    lrDecay: 1,
    decayFrac: 0,
    lambda: 10,
  },
  { steps: 20 },
);

/**
 * The MNIST WGAN-GP (weights wgan-gp-mnist) on rows of pixels in [0, 1] (`xTrain`), with the
 * Frechet distance of 1,000 samples of fixed noise to the first 1,000 of `xReal` (the evaluation
 * classifier's features) logged at each history row as column fd, for B6; 8 snapshots of 10 digits.
 */
export async function fitMnistWGAN(
  xTrain: Float32Array,
  xReal: Float32Array,
  seed = 404,
  dataName: string = trainingData(loadMnist()),
): Promise<FitGANResult> {
  const n = 1000;
  const q = await qualityScorer(xReal.subarray(0, n * 784));
  return fitGAN({
    model: "wgan-gp-mnist",
    config: MNIST_WGAN_CONFIG,
    data: rowSampler(xTrain, 784, new Rng(seed).fork("data")),
    dataName,
    seed,
    budget: MNIST_WGAN_BUDGET,
    objective: wganObjective("gp"),
    evaluate: (samples) => ({ fd: q.frechet(samples) }),
    evalSamples: n,
    snapshots: { frames: 8, n: 10, digits: 3 },
  });
}

// ---------------------------------------------------------------------------------------------
// The parallel lines of the WGAN paper (Example 1): P0 = (0, U[0,1]), P_theta = (theta, U[0,1]).

/**
 * JS, KL(P_theta || P0) and W1 between the two lines in closed form (nats; KL infinite for theta !=
 * 0).
 */
export function parallelLinesExact(theta: number): { js: number; kl: number; w1: number } {
  return theta === 0
    ? { js: 0, kl: 0, w1: 0 }
    : { js: Math.log(2), kl: Infinity, w1: Math.abs(theta) };
}

/** n points of the line x = theta, y ~ U[0, 1], row-major n x 2. */
export function linePoints(theta: number, n: number, rng: Rng): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    out[2 * i] = theta;
    out[2 * i + 1] = rng.uniform();
  }
  return out;
}

/**
 * The exact W1 between two equal-size point sets on vertical lines (x constant in each set): the
 * cost sqrt(dx^2 + dy^2) is convex in dy, so matching the sorted y's is an optimal transport plan.
 */
export function w1VerticalLines(a: Float32Array, b: Float32Array): number {
  const n = a.length / 2;
  if (b.length !== a.length || !Number.isInteger(n) || n < 1)
    throw new Error(
      `w1VerticalLines: need two sets of the same number of 2-D points, got ${a.length / 2} and ${b.length / 2}`,
    );
  const col = (p: Float32Array, k: number) =>
    Float64Array.from({ length: n }, (_, i) => p[2 * i + k]);
  const xa = col(a, 0);
  const xb = col(b, 0);
  if (xa.some((v) => v !== xa[0]) || xb.some((v) => v !== xb[0]))
    throw new Error("w1VerticalLines: each set must lie on one vertical line");
  const ya = col(a, 1).sort();
  const yb = col(b, 1).sort();
  const dx = xa[0] - xb[0];
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.sqrt(dx * dx + (ya[i] - yb[i]) ** 2);
  return s / n;
}

/**
 * Histogram (bins x bins on [lo, hi]^2) estimates of JS(a || b) and KL(a || b) between two 2-D
 * samples.
 */
export function histogramDivergences(
  a: Float32Array,
  b: Float32Array,
  o: { bins: number; lo: number; hi: number },
): { js: number; kl: number } {
  const hist = (p: Float32Array) => {
    const h = new Float64Array(o.bins * o.bins);
    const cell = (v: number) =>
      Math.min(o.bins - 1, Math.max(0, Math.floor(((v - o.lo) / (o.hi - o.lo)) * o.bins)));
    for (let i = 0; i < p.length / 2; i++) h[cell(p[2 * i + 1]) * o.bins + cell(p[2 * i])]++;
    return h;
  };
  const ha = hist(a);
  const hb = hist(b);
  const na = a.length / 2;
  const nb = b.length / 2;
  const m = ha.map((v, i) => 0.5 * (v / na + hb[i] / nb));
  return { js: 0.5 * klDivergence(ha, m) + 0.5 * klDivergence(hb, m), kl: klDivergence(ha, hb) };
}

/**
 * The critic's estimate of W1(P, Q): trains a WGAN-GP critic (MLP, lambda 10) on samples of `p` and
 * `q`, then returns mean f(p) - mean f(q) on `evalN` fresh samples of each.
 */
export async function criticW1(
  p: Sampler,
  q: Sampler,
  o: {
    dim: number;
    hidden: number[];
    steps: number;
    batchSize: number;
    lr: number;
    seed: number;
    lambda?: number;
    evalN?: number;
  },
): Promise<number> {
  const rng = new Rng(o.seed);
  const f = new MLP(
    `critic-${o.seed}`,
    [o.dim, ...o.hidden, 1],
    rng.fork("critic"),
    "leakyRelu",
    "linear",
  );
  const gpRng = rng.fork("gp");
  try {
    await trainDiscriminator(f, p, q, {
      steps: o.steps,
      batchSize: o.batchSize,
      lr: o.lr,
      betas: [0.5, 0.9],
      quiet: true,
      loss: (r, g) => {
        const c = criticLoss((x) => f.apply(x), r, g, { lambda: o.lambda ?? 10, rng: gpRng });
        tf.dispose(Object.values(c.logs));
        return c.loss;
      },
    });
    const n = o.evalN ?? 4096;
    const t = tf.tidy(() =>
      w1Estimate(f.apply(tf.tensor2d(p(n), [n, o.dim])), f.apply(tf.tensor2d(q(n), [n, o.dim]))),
    );
    const v = t.dataSync()[0];
    t.dispose();
    return v;
  } finally {
    for (const v of Object.values(f.params())) v.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// B5 for a critic: does G's gradient vanish when the critic is trained to optimum?

export interface CriticGradientRow {
  step: number;
  /** The critic's W1 estimate on fixed real and fake batches. */
  w1: number;
  /** Norm of the gradient of G's loss -mean f(G(z)) with respect to G's parameters. */
  wgan: number;
}

/**
 * Holds G fixed and trains D as a critic (`lambda` > 0: gradient penalty; else clipping to `clip`),
 * Adam(lr); every `every` steps records the W1 estimate and the norm of G's WGAN gradient on
 * `evalBatch` fixed noise vectors. `shift` moves G's samples (disjoint supports), as
 * vanishingGradients in lib/models/gan.ts does for the GAN losses.
 */
export async function criticGradients(
  gan: GAN,
  real: Sampler,
  o: {
    steps: number;
    every: number;
    batchSize: number;
    lr: number;
    seed: number;
    lambda?: number;
    clip?: number;
    evalBatch?: number;
    shift?: number[];
    quiet?: boolean;
    label?: string;
  },
): Promise<CriticGradientRow[]> {
  const rng = new Rng(o.seed);
  const noise = rng.fork("noise");
  const gpRng = rng.fork("gp");
  const dim = gan.dataDim;
  const shiftRows = (x: Float32Array) => {
    if (o.shift) for (let i = 0; i < x.length; i++) x[i] += o.shift[i % dim];
    return x;
  };
  const m = o.evalBatch ?? 1024;
  const zEval = gan.noise(m, rng.fork("eval"));
  const realEval = tf.tensor2d(real(m), [m, dim]);
  const fakeEval = tf.tensor2d(shiftRows(generateFrom(gan, zEval.dataSync() as Float32Array)), [
    m,
    dim,
  ]);
  const lambda = o.lambda ?? 0;
  if (!(lambda > 0) && !((o.clip ?? 0) > 0))
    throw new Error(
      "criticGradients: give lambda > 0 (gradient penalty) or clip > 0 (weight clipping)",
    );
  const rows: CriticGradientRow[] = [];
  const measure = (step: number) => {
    const w = tf.tidy(() => w1Estimate(gan.logits(realEval), gan.logits(fakeEval)));
    rows.push({
      step,
      w1: w.dataSync()[0],
      wgan: generatorGradNorm(gan, zEval, (out) => tf.neg(tf.mean(out)) as tf.Scalar, o.shift),
    });
    w.dispose();
  };
  const clip = () => {
    if (!(lambda > 0)) clipWeights(gan, o.clip!);
  };
  clip();
  measure(0);
  try {
    await trainDiscriminator(gan.D, real, (n) => shiftRows(generateSamples(gan, n, noise)), {
      steps: o.steps,
      batchSize: o.batchSize,
      lr: o.lr,
      betas: [0.5, 0.9],
      quiet: o.quiet,
      label: o.label,
      logEvery: o.every,
      loss: (r, f) => {
        const c = criticLoss((x) => gan.logits(x), r, f, { lambda, rng: gpRng });
        tf.dispose(Object.values(c.logs));
        return c.loss;
      },
      afterStep: clip,
      onLog: (row: HistoryRow) => {
        if (row.step % o.every === 0) measure(row.step);
      },
    });
  } finally {
    tf.dispose([zEval, realEval, fakeEval]);
  }
  return rows;
}

export interface ParallelLinesRow {
  theta: number;
  jsExact: number;
  /**
   * JS and KL(P_theta || P0) from 2-D histograms of the samples (bins of 0.05 on [-1.5, 1.5]^2).
   */
  jsSamples: number;
  klExact: number;
  klSamples: number;
  w1Exact: number;
  /** The exact W1 between the two sample sets (sorted matching). */
  w1Samples: number;
  /** A trained WGAN-GP critic's estimate of W1 (null when `criticSteps` is 0). */
  w1Critic: number | null;
}

/**
 * The parallel-lines example at each theta: closed forms against estimates from `n` samples of each
 * line, and (if criticSteps > 0) a WGAN-GP critic's estimate of W1.
 */
export async function parallelLinesExperiment(
  thetas: number[],
  o: { n: number; seed: number; criticSteps: number },
): Promise<ParallelLinesRow[]> {
  const rows: ParallelLinesRow[] = [];
  for (const [k, theta] of thetas.entries()) {
    const rng = new Rng(o.seed).fork(k);
    const p0 = linePoints(0, o.n, rng.fork("p0"));
    const p1 = linePoints(theta, o.n, rng.fork("p1"));
    const exact = parallelLinesExact(theta);
    const hist = histogramDivergences(p1, p0, { bins: 60, lo: -1.5, hi: 1.5 });
    const r0 = rng.fork("critic-p0");
    const r1 = rng.fork("critic-p1");
    const critic =
      o.criticSteps > 0
        ? await criticW1(
            (m) => linePoints(theta, m, r1),
            (m) => linePoints(0, m, r0),
            {
              dim: 2,
              hidden: [32, 32],
              steps: o.criticSteps,
              batchSize: 128,
              lr: 2e-3,
              seed: o.seed + k,
            },
          )
        : null;
    rows.push({
      theta,
      jsExact: exact.js,
      jsSamples: hist.js,
      klExact: exact.kl,
      klSamples: hist.kl,
      w1Exact: exact.w1,
      w1Samples: w1VerticalLines(p1, p0),
      w1Critic: critic,
    });
  }
  return rows;
}

/**
 * ||grad_x f(x^)|| of the critic (D's raw output) at n points x^ between real samples and G's
 * samples, the quantity the gradient penalty pushes towards 1 and clipping bounds only loosely.
 */
export function criticGradNorms(gan: GAN, real: Sampler, n: number, rng: Rng): Float32Array {
  const d = gan.dataDim;
  const fake = generateSamples(gan, n, rng.fork("z"));
  const eps = rng.fork("eps").uniformArray(n);
  const r = real(n);
  const t = tf.tidy(() => {
    const e = tf.tensor2d(eps, [n, 1]);
    const xhat = tf.add(
      tf.mul(e, tf.tensor2d(r, [n, d])),
      tf.mul(tf.sub(1, e), tf.tensor2d(fake, [n, d])),
    );
    const g = tf.grad((x: tf.Tensor) => tf.sum(gan.logits(x as tf.Tensor2D)))(xhat);
    return tf.sqrt(tf.sum(tf.square(g), 1));
  });
  const out = Float32Array.from(t.dataSync());
  t.dispose();
  return out;
}

/**
 * How well a training curve tracks sample quality: Spearman's rank correlation between history
 * column `estimate` (e.g. w1) and column `quality` (e.g. rkl or fd, lower is better; or a function
 * of the row such as 1 - hq) over the rows
 * where both are finite, skipping the first `skip` rows. Null when fewer than 3 such rows.
 */
export function trackingCorrelation(
  rows: readonly HistoryRow[],
  estimate: string | ((r: HistoryRow) => number),
  quality: string | ((r: HistoryRow) => number),
  skip = 0,
): { rho: number; n: number } | null {
  const col = (c: string | ((r: HistoryRow) => number)) =>
    typeof c === "string" ? (r: HistoryRow) => r[c] : c;
  const e = col(estimate);
  const q = col(quality);
  const use = rows.slice(skip).filter((r) => Number.isFinite(e(r)) && Number.isFinite(q(r)));
  if (use.length < 3) return null;
  return { rho: spearman(use.map(e), use.map(q)), n: use.length };
}

/**
 * Denoising diffusion probabilistic models (Sohl-Dickstein et al. 2015; Ho, Jain & Abbeel 2020),
 * the fifth family of notebook 07, and DDIM sampling (Song, Meng & Ermon 2020).
 *
 * Forward process: a fixed Markov chain that adds Gaussian noise,
 *   q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I),  t = 1..T,
 * with the closed form q(x_t | x_0) = N(sqrt(abar_t) x_0, (1 - abar_t) I), abar_t = prod_s (1 -
 * beta_s), and the Gaussian posterior q(x_{t-1} | x_t, x_0) = N(c0_t x_0 + ct_t x_t, btilde_t I).
 * Reverse process: p(x_T) = N(0, I) and p(x_{t-1} | x_t) = N(mu(x_t, t), sigma_t^2 I), where a
 * network predicts the noise, eps(x_t, t), and mu = (x_t - beta_t / sqrt(1 - abar_t) eps) /
 * sqrt(1 - beta_t). Training minimises Ho et al.'s L_simple = E ||eps - eps(x_t, t)||^2 with t
 * uniform on 1..T and x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps; the variational bound
 *   -log p(x_0) <= L_T + sum_{t>=2} L_{t-1} + L_0,
 *   L_T = KL(q(x_T|x_0) || N(0, I)),  L_{t-1} = KL(q(x_{t-1}|x_t, x_0) || p(x_{t-1}|x_t)),
 *   L_0 = -log p(x_0 | x_1),
 * is computed term by term by `vlbTerms` (a continuous Gaussian decoder; images use the
 * discretised one of Ho et al.).
 *
 * Time steps are the integers 1..T throughout (array index t; index 0 is "no noise", abar_0 = 1).
 * All noise comes from seeded Rngs: the same seed gives the same samples.
 */
import * as tf from "@tensorflow/tfjs";
import { batchStream, gatherRows } from "../data/batch";
import { Dense, collectParams, type HasParams } from "../runtime/nn";
import { adam, stepDecay } from "../runtime/optim";
import { Rng, randn, type Stateful } from "../runtime/random";
import { resumeSpec } from "../training/resume";
import { trainLoop, type History, type TrainOptions } from "../training/train";
import type { Mixture } from "../data/toys";

// ---------------------------------------------------------------------------------------------
// The noise schedule and its closed forms.

export interface ScheduleConfig {
  /** Number of noising steps T. */
  T: number;
  /**
   * "linear": Ho et al.'s beta_t from 1e-4 to 0.02 over T = 1,000 steps, scaled by 1,000 / T for
   * other T (so that the chain ends as close to N(0, I)); "cosine": Nichol & Dhariwal (2021),
   * abar_t = f(t) / f(0), f(t) = cos^2(((t / T + s) / (1 + s)) pi / 2), s = 0.008, beta_t <= 0.999.
   */
  kind: "linear" | "cosine";
}

/** How the reverse process's variance sigma_t^2 is fixed (Ho et al. section 3.2). */
export type ReverseVariance = "beta" | "posterior";

export class NoiseSchedule {
  readonly T: number;
  /** beta_t for t = 0..T (beta_0 = 0). */
  readonly beta: Float64Array;
  /** abar_t = prod_{s <= t} (1 - beta_s) for t = 0..T (abar_0 = 1). */
  readonly alphaBar: Float64Array;
  constructor(readonly config: ScheduleConfig) {
    const { T, kind } = config;
    if (!Number.isInteger(T) || T < 2)
      throw new Error(`NoiseSchedule: T must be an integer >= 2, got ${T}`);
    if (kind !== "linear" && kind !== "cosine")
      throw new Error(
        `NoiseSchedule: kind must be "linear" or "cosine", got ${JSON.stringify(kind)}`,
      );
    this.T = T;
    this.beta = new Float64Array(T + 1);
    this.alphaBar = new Float64Array(T + 1);
    this.alphaBar[0] = 1;
    const f = (t: number) => Math.cos((((t / T + 0.008) / 1.008) * Math.PI) / 2) ** 2;
    for (let t = 1; t <= T; t++) {
      this.beta[t] =
        kind === "linear"
          ? (1000 / T) * (1e-4 + ((0.02 - 1e-4) * (t - 1)) / (T - 1))
          : Math.min(0.999, 1 - f(t) / f(t - 1));
      this.alphaBar[t] = this.alphaBar[t - 1] * (1 - this.beta[t]);
    }
    if (!(this.beta[T] < 1))
      throw new Error(
        `NoiseSchedule: T = ${T} is too small for the ${kind} schedule (beta_T >= 1)`,
      );
  }
  /** The posterior q(x_{t-1} | x_t, x_0) = N(c0 x_0 + ct x_t, variance I), t in 1..T. */
  posterior(t: number): { c0: number; ct: number; variance: number } {
    this.checkStep(t);
    const ab = this.alphaBar[t];
    const abPrev = this.alphaBar[t - 1];
    const b = this.beta[t];
    return {
      c0: (Math.sqrt(abPrev) * b) / (1 - ab),
      ct: (Math.sqrt(1 - b) * (1 - abPrev)) / (1 - ab),
      variance: ((1 - abPrev) / (1 - ab)) * b,
    };
  }
  /**
   * sigma_t^2 of p(x_{t-1} | x_t): beta_t, or the posterior's variance btilde_t (at t = 1, where
   * btilde is 0, that of t = 2, as Ho et al.'s code clips it).
   */
  reverseVariance(t: number, kind: ReverseVariance): number {
    this.checkStep(t);
    if (kind === "beta") return this.beta[t];
    return this.posterior(t === 1 ? 2 : t).variance;
  }
  private checkStep(t: number): void {
    if (!Number.isInteger(t) || t < 1 || t > this.T)
      throw new Error(`NoiseSchedule: step ${t} is outside 1..${this.T}`);
  }
}

/** KL(N(m1, v1) || N(m2, v2)) of one coordinate (variances, not standard deviations). */
export function gaussianKL1(m1: number, v1: number, m2: number, v2: number): number {
  return 0.5 * (Math.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1);
}

/**
 * n chains of one coordinate run step by step from x_0 to x_t (x_u = sqrt(1 - beta_u) x_{u-1} +
 * sqrt(beta_u) eps_u, seeded): their mean and variance, to set beside the closed form.
 */
export function simulateForward(
  s: NoiseSchedule,
  x0: number,
  t: number,
  n: number,
  rng: Rng,
): { mean: number; variance: number } {
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    let x = x0;
    for (let u = 1; u <= t; u++)
      x = Math.sqrt(1 - s.beta[u]) * x + Math.sqrt(s.beta[u]) * rng.normal();
    sum += x;
    sum2 += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sum2 / n - mean * mean };
}

/** Per-row column of a per-step coefficient: [n, 1] with f(t[i]) in row i. */
function perRow(t: ArrayLike<number>, f: (t: number) => number): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from(t, f), [t.length, 1]);
}

/** x_t = sqrt(abar_t) x_0 + sqrt(1 - abar_t) eps, row i at step t[i] (the closed form). */
export function qSample(
  s: NoiseSchedule,
  x0: tf.Tensor2D,
  t: ArrayLike<number>,
  eps: tf.Tensor2D,
): tf.Tensor2D {
  return tf.tidy(
    () =>
      tf.add(
        tf.mul(
          perRow(t, (u) => Math.sqrt(s.alphaBar[u])),
          x0,
        ),
        tf.mul(
          perRow(t, (u) => Math.sqrt(1 - s.alphaBar[u])),
          eps,
        ),
      ) as tf.Tensor2D,
  );
}

// ---------------------------------------------------------------------------------------------
// The noise-predicting network.

/** A network eps(x_t, t) on flat rows: x_t [n, dim], t the step of each row (1..T). */
export interface Denoiser extends HasParams {
  readonly name: string;
  readonly dim: number;
  predictNoise(xt: tf.Tensor2D, t: ArrayLike<number>): tf.Tensor2D;
}

/**
 * Sinusoidal embedding of the steps (the Transformer's, as Ho et al.): row i is [sin(t_i w_k),
 * cos(t_i w_k)] for w_k = 10000^(-k / (dim / 2)), k = 0..dim/2 - 1.
 */
export function timeEmbedding(t: ArrayLike<number>, dim: number): tf.Tensor2D {
  if (!Number.isInteger(dim) || dim < 2 || dim % 2)
    throw new Error(`timeEmbedding: dim must be an even integer >= 2, got ${dim}`);
  const half = dim / 2;
  const out = new Float32Array(t.length * dim);
  for (let i = 0; i < t.length; i++)
    for (let k = 0; k < half; k++) {
      const a = t[i] * Math.pow(10000, -k / half);
      out[i * dim + k] = Math.sin(a);
      out[i * dim + half + k] = Math.cos(a);
    }
  return tf.tensor2d(out, [t.length, dim]);
}

export interface TimeMLPConfig {
  dim: number;
  hidden: number[];
  /** Size of the sinusoidal time embedding. */
  embed: number;
}

/**
 * The toy denoiser: an MLP on x_t whose every hidden layer also receives a learned projection of
 * the step's embedding, h_{l+1} = relu(W_l h_l + b_l + U_l e(t)), e(t) = relu(E timeEmbedding(t)).
 */
export class TimeMLP implements Denoiser {
  readonly layers: Dense[];
  readonly timeProj: Dense[];
  readonly embedNet: Dense;
  readonly out: Dense;
  constructor(
    readonly name: string,
    readonly config: TimeMLPConfig,
    rng: Rng,
  ) {
    const { dim, hidden, embed } = config;
    if (!hidden.length) throw new Error(`TimeMLP ${name}: needs at least one hidden layer`);
    this.embedNet = new Dense(`${name}.embed`, embed, embed, rng.fork("embed"), "relu");
    const sizes = [dim, ...hidden];
    this.layers = hidden.map(
      (h, i) => new Dense(`${name}.h${i}`, sizes[i], h, rng.fork(`h${i}`), "linear", "he"),
    );
    this.timeProj = hidden.map(
      (h, i) => new Dense(`${name}.t${i}`, embed, h, rng.fork(`t${i}`), "linear", "he"),
    );
    this.out = new Dense(`${name}.out`, hidden[hidden.length - 1], dim, rng.fork("out"));
  }
  get dim(): number {
    return this.config.dim;
  }
  predictNoise(xt: tf.Tensor2D, t: ArrayLike<number>): tf.Tensor2D {
    return tf.tidy(() => {
      // One step for every row (sampling): embed it once, the projections broadcast over rows.
      const same = Array.prototype.every.call(t, (u: number) => u === t[0]);
      const e = this.embedNet.apply(timeEmbedding(same ? [t[0]] : t, this.config.embed));
      let h: tf.Tensor = xt;
      this.layers.forEach((l, i) => {
        h = tf.relu(tf.add(l.apply(h), this.timeProj[i].apply(e)));
      });
      return this.out.apply(h) as tf.Tensor2D;
    });
  }
  params(): Record<string, tf.Variable> {
    return collectParams([this.embedNet, ...this.layers, ...this.timeProj, this.out]);
  }
}

// ---------------------------------------------------------------------------------------------
// Training: Ho et al.'s L_simple.

/** mean over rows and coordinates of (eps - eps(x_t, t))^2, x_t = qSample(x0, t, eps). */
export function noiseLoss(
  model: Denoiser,
  s: NoiseSchedule,
  x0: tf.Tensor2D,
  t: ArrayLike<number>,
  eps: tf.Tensor2D,
): tf.Scalar {
  return tf.tidy(() => {
    const xt = qSample(s, x0, t, eps);
    return tf.mean(tf.square(tf.sub(eps, model.predictNoise(xt, t)))) as tf.Scalar;
  });
}

/** n steps drawn uniformly from 1..T. */
export function sampleSteps(rng: Rng, n: number, T: number): Int32Array {
  const t = new Int32Array(n);
  for (let i = 0; i < n; i++) t[i] = 1 + Math.min(T - 1, Math.floor(rng.uniform() * T));
  return t;
}

export interface DiffusionBudget extends Record<string, number> {
  steps: number;
  batchSize: number;
  lr: number;
  // Optional (stepDecay): lrDecay, decayFrac.
}

/**
 * Trains `model` in place on rows of `data` (n x model.dim) by L_simple: each step a batch, a
 * uniform step per row and fresh Gaussian noise, all from `opts.seed`. Logs the loss.
 */
export async function trainDiffusion(
  model: Denoiser,
  s: NoiseSchedule,
  data: Float32Array,
  budget: DiffusionBudget,
  opts: TrainOptions,
): Promise<History> {
  const d = model.dim;
  const n = data.length / d;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`trainDiffusion: ${data.length} values are not rows of ${d}`);
  const rng = new Rng(opts.seed);
  const next = batchStream(n, budget.batchSize, rng.fork("batches"));
  const steps = rng.fork("steps");
  const noise = rng.fork("noise");
  const opt = adam(budget.lr);
  const state: Record<string, Stateful> = { next, steps, noise };
  const resume = opts.resume ? resumeSpec(opts.resume, { opt }, state) : undefined;
  try {
    return await trainLoop({
      resume,
      label: opts.label ?? `diffusion ${model.name}`,
      steps: budget.steps,
      params: model.params(),
      quiet: opts.quiet,
      logEvery: opts.logEvery,
      onLog: opts.onLog,
      step: (i) => {
        stepDecay(opt, budget.lr, budget, i);
        const rows = gatherRows(data, d, next());
        const b = rows.length / d;
        const x0 = tf.tensor2d(rows, [b, d]);
        const t = sampleSteps(steps, b, s.T);
        const eps = randn(noise, [b, d]) as tf.Tensor2D;
        const loss = opt.minimize(() => noiseLoss(model, s, x0, t, eps), true)!;
        tf.dispose([x0, eps]);
        return { loss };
      },
    });
  } finally {
    opt.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Sampling: ancestral (all T steps) and DDIM (a few).

/** The model's estimate of x_0 from x_t: (x_t - sqrt(1 - abar_t) eps) / sqrt(abar_t). */
function predictX0(s: NoiseSchedule, xt: tf.Tensor2D, eps: tf.Tensor2D, t: number): tf.Tensor2D {
  const ab = s.alphaBar[t];
  return tf.tidy(
    () => tf.div(tf.sub(xt, tf.mul(Math.sqrt(1 - ab), eps)), Math.sqrt(ab)) as tf.Tensor2D,
  );
}

/** mu(x_t, t) = (x_t - beta_t / sqrt(1 - abar_t) eps) / sqrt(1 - beta_t). */
function reverseMean(s: NoiseSchedule, xt: tf.Tensor2D, eps: tf.Tensor2D, t: number): tf.Tensor2D {
  const b = s.beta[t];
  return tf.tidy(
    () =>
      tf.div(
        tf.sub(xt, tf.mul(b / Math.sqrt(1 - s.alphaBar[t]), eps)),
        Math.sqrt(1 - b),
      ) as tf.Tensor2D,
  );
}

export interface SampleOptions {
  /** "ancestral" (default): all T steps of p(x_{t-1} | x_t); "ddim": Song et al.'s eta = 0. */
  sampler?: "ancestral" | "ddim";
  /** DDIM's number of steps (default T), evenly spaced in 1..T. */
  steps?: number;
  /** sigma_t^2 of the ancestral sampler (default "posterior"). */
  variance?: ReverseVariance;
  /** Steps t at which to keep a copy of the chain (x_t after the step to t; T is x_T). */
  keep?: readonly number[];
  /** Rows per forward pass (default 4,096). */
  chunk?: number;
}

/** DDIM's steps: `k` integers from T down to 1, evenly spaced, T and 1 included when k >= 2. */
export function ddimSteps(T: number, k: number): number[] {
  if (!Number.isInteger(k) || k < 1 || k > T)
    throw new Error(`ddimSteps: the number of steps must be an integer in 1..${T}, got ${k}`);
  if (k === 1) return [T];
  const out: number[] = [];
  for (let i = 0; i < k; i++) out.push(Math.round(T - (i * (T - 1)) / (k - 1)));
  return [...new Set(out)];
}

/**
 * n samples of the reverse process (n x model.dim), the noise from `rng` (x_T first, then each
 * step's). With `keep`, also the chain at those steps ({ [t]: n x dim }, key 0 is the sample).
 */
export function sampleDiffusion(
  model: Denoiser,
  s: NoiseSchedule,
  n: number,
  rng: Rng,
  o: SampleOptions = {},
): { x: Float32Array; chain: Record<number, Float32Array> } {
  const d = model.dim;
  const sampler = o.sampler ?? "ancestral";
  if (sampler !== "ancestral" && sampler !== "ddim")
    throw new Error(`sampleDiffusion: sampler must be "ancestral" or "ddim", got ${sampler}`);
  const path =
    sampler === "ddim"
      ? ddimSteps(s.T, o.steps ?? s.T)
      : Array.from({ length: s.T }, (_, i) => s.T - i);
  const keep = new Set(o.keep ?? []);
  const chain: Record<number, Float32Array> = {};
  const out = new Float32Array(n * d);
  const chunk = o.chunk ?? 4096;
  for (let start = 0; start < n; start += chunk) {
    const m = Math.min(chunk, n - start);
    let x = randn(rng, [m, d]) as tf.Tensor2D;
    const store = (t: number) => {
      if (!keep.has(t)) return;
      chain[t] ??= new Float32Array(n * d);
      chain[t].set(x.dataSync(), start * d);
    };
    store(s.T);
    path.forEach((t, i) => {
      const tt = new Array<number>(m).fill(t);
      const eps = model.predictNoise(x, tt);
      let next: tf.Tensor2D;
      if (sampler === "ddim") {
        // x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev) eps; at the end (prev 0), x0_hat
        const prev = i + 1 < path.length ? path[i + 1] : 0;
        const ab = s.alphaBar[prev];
        next = tf.tidy(() => {
          const x0 = predictX0(s, x, eps, t);
          return prev === 0
            ? x0
            : (tf.add(tf.mul(Math.sqrt(ab), x0), tf.mul(Math.sqrt(1 - ab), eps)) as tf.Tensor2D);
        });
      } else {
        const mu = reverseMean(s, x, eps, t);
        if (t > 1) {
          const z = randn(rng, [m, d]);
          const sigma = Math.sqrt(s.reverseVariance(t, o.variance ?? "posterior"));
          next = tf.tidy(() => tf.add(mu, tf.mul(sigma, z)) as tf.Tensor2D);
          tf.dispose([mu, z]);
        } else next = mu;
      }
      tf.dispose([x, eps]);
      x = next;
      const landed = sampler === "ddim" ? (i + 1 < path.length ? path[i + 1] : 0) : t - 1;
      store(landed);
    });
    out.set(x.dataSync(), start * d);
    x.dispose();
  }
  return { x: out, chain };
}

// ---------------------------------------------------------------------------------------------
// The variational bound, term by term.

export interface VlbTerms {
  /** L_T = KL(q(x_T | x_0) || N(0, I)), mean over the rows (nats per row). */
  prior: number;
  /** L_{t-1} for t = 2..T at index t (indices 0 and 1 unused: 0), each the mean over the rows. */
  steps: Float64Array;
  /** L_0 = -log N(x_0; mu(x_1, 1), sigma_1^2 I), mean over the rows (continuous data). */
  decoder: number;
  /** prior + sum of steps + decoder: the bound on -log p(x_0), nats per row. */
  total: number;
}

/**
 * The variational bound of Ho et al. (eq. 5) on rows of x0 (n x dim), every term computed (one
 * draw of x_t ~ q(x_t | x_0) per row and step, from `rng`); sigma_t^2 by `variance`. For real-
 * valued data: L_0 is a Gaussian density, so the bound is on -log p(x_0) as a density.
 */
export function vlbTerms(
  model: Denoiser,
  s: NoiseSchedule,
  x0: Float32Array,
  rng: Rng,
  variance: ReverseVariance = "posterior",
): VlbTerms {
  const d = model.dim;
  const n = x0.length / d;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`vlbTerms: ${x0.length} values are not rows of ${d}`);
  const x = tf.tensor2d(x0, [n, d]);
  const abT = s.alphaBar[s.T];
  let prior = 0;
  for (let i = 0; i < x0.length; i++) prior += gaussianKL1(Math.sqrt(abT) * x0[i], 1 - abT, 0, 1);
  prior /= n;
  const stepTerms = new Float64Array(s.T + 1);
  let decoder = 0;
  for (let t = 1; t <= s.T; t++) {
    const tt = new Array<number>(n).fill(t);
    const eps = randn(rng, [n, d]) as tf.Tensor2D;
    const v = s.reverseVariance(t, variance);
    const value = tf.tidy(() => {
      const xt = qSample(s, x, tt, eps);
      const mu = reverseMean(s, xt, model.predictNoise(xt, tt), t);
      if (t === 1) {
        // -log N(x_0; mu, v I), summed over coordinates, mean over rows
        const sq = tf.sum(tf.square(tf.sub(x, mu)));
        return tf.add(tf.div(sq, 2 * v * n), 0.5 * d * Math.log(2 * Math.PI * v));
      }
      const q = s.posterior(t);
      const muQ = tf.add(tf.mul(q.c0, x), tf.mul(q.ct, xt));
      // KL of two isotropic Gaussians with variances q.variance and v, per row, then the mean
      const sq = tf.sum(tf.square(tf.sub(muQ, mu)));
      const perCoord = 0.5 * (Math.log(v / q.variance) + q.variance / v - 1);
      return tf.add(tf.div(sq, 2 * v * n), d * perCoord);
    });
    const val = value.dataSync()[0];
    tf.dispose([value, eps]);
    if (t === 1) decoder = val;
    else stepTerms[t] = val;
  }
  x.dispose();
  const total = prior + stepTerms.reduce((a, b) => a + b, 0) + decoder;
  return { prior, steps: stepTerms, decoder, total };
}

// ---------------------------------------------------------------------------------------------
// The link to score matching.

/**
 * The best possible noise prediction for data from an isotropic Gaussian mixture: E[eps | x_t] =
 * -sqrt(1 - abar_t) * grad log q_t(x_t) (Tweedie's formula), where q_t, the data convolved with
 * the forward process, is the mixture with means sqrt(abar_t) mu_k and variance abar_t sigma^2 + 1
 * - abar_t. Rows of xt (n x 2) at step t. L_simple's minimiser is this function; the network that
 * learns it has learned the score of every noised data distribution (Song & Ermon 2019).
 */
export function mixtureNoise(
  mix: Mixture,
  s: NoiseSchedule,
  xt: Float32Array,
  t: number,
): Float32Array {
  const ab = s.alphaBar[t];
  const v = ab * mix.sigma ** 2 + 1 - ab;
  const total = mix.weights.reduce((a, b) => a + b, 0);
  const logW = mix.weights.map((w) => Math.log(w / total));
  const means = mix.means.map(([a, b]) => [Math.sqrt(ab) * a, Math.sqrt(ab) * b]);
  const n = xt.length / 2;
  const out = new Float32Array(2 * n);
  const logR = new Float64Array(means.length);
  for (let i = 0; i < n; i++) {
    const x = xt[2 * i];
    const y = xt[2 * i + 1];
    let max = -Infinity;
    means.forEach(([mx, my], k) => {
      logR[k] = logW[k] - ((x - mx) ** 2 + (y - my) ** 2) / (2 * v);
      max = Math.max(max, logR[k]);
    });
    let z = 0;
    let gx = 0;
    let gy = 0;
    means.forEach(([mx, my], k) => {
      const r = Math.exp(logR[k] - max);
      z += r;
      gx += r * (x - mx);
      gy += r * (y - my);
    });
    const c = Math.sqrt(1 - ab) / (v * z);
    out[2 * i] = c * gx;
    out[2 * i + 1] = c * gy;
  }
  return out;
}

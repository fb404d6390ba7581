/**
 * The variational autoencoder of notebook 02 (Kingma & Welling, 2013): a Gaussian encoder
 * q(z|x) = N(mu(x), diag(exp(logvar(x)))), a standard normal prior p(z) = N(0, I) and a Bernoulli
 * decoder p(x|z) whose logits an MLP computes. Everything a notebook needs to measure it:
 *
 *   ELBO(x)   = E_q[log p(x|z)] - KL(q(z|x) || p(z))             (one reparameterised sample)
 *   IWAE_k(x) = E[log (1/k) sum_i p(x, z_i) / q(z_i|x)],  z_i ~ q(z|x)     (Burda et al., 2015)
 *   ELBO <= IWAE_k <= IWAE_{k+1} <= log p(x), and IWAE_k -> log p(x) as k grows.
 *
 * For real-valued data (the 2-D toys of notebook 06, lib/models/toys.ts) the decoder can be
 * Gaussian instead (config `likelihood: "gaussian"`): p(x|z) = N(m(z), diag(exp(logvarX))), the MLP
 * computing the mean m(z), with one variance per data dimension (shared by all z) set to its
 * maximum-likelihood value rather than trained by gradient steps: while training, the batch's mean
 * squared residual per coordinate (the "optimal sigma-VAE" of Rybkin, Daniilidis & Levine, 2021,
 * "Simple and effective VAE training with calibrated decoders"); between steps, logvarX is set from
 * the residuals of up to 5,000 training rows (calibrateDecoderVariance) and stored with the
 * weights. Measured on PacGAN's ring (sigma 0.01): a log-variance trained by Adam from 0 collapsed
 * to one Gaussian blob (KL 0.001 nats, sigma 0.71 after 4,000 steps), since Adam moves a
 * log-variance by about its learning rate per step. Bernoulli stays the default, and a Bernoulli
 * VAE has exactly the parameters and numbers it always had.
 *
 * All noise comes from a seeded Rng, so the same seed gives the same numbers.
 */
import * as tf from "@tensorflow/tfjs";
import { adam, stepDecay } from "../runtime/optim";
import { batchStream, binarizeDynamic, gatherRows } from "../data/batch";
import { cholesky, covRows, logDetFromCholesky, meanRows, symmetricEigen } from "../runtime/linalg";
import { MLP, collectParams, type HasParams } from "../runtime/nn";
import { Rng, randn, type Stateful } from "../runtime/random";
import { resumeSpec } from "../training/resume";
import { trainLoop, type History, type TrainOptions } from "../training/train";
import { fitOrLoad, type FitResult } from "../training/weights";

const LOG_2PI = Math.log(2 * Math.PI);
/** Smallest variance a Gaussian decoder takes (sigma 0.001). */
const GAUSSIAN_VAR_FLOOR = 1e-6;

/** sum_j x_j log sigmoid(l_j) + (1 - x_j) log(1 - sigmoid(l_j)) per row, computed stably. */
export function bernoulliLogLik(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), 1) as tf.Tensor1D);
}

/** KL(N(mu, diag exp(logvar)) || N(0, I)) per row: 0.5 sum (mu^2 + exp(logvar) - 1 - logvar). */
export function gaussianKL(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(
    () =>
      tf.mul(
        0.5,
        tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(1, logvar)), 1),
      ) as tf.Tensor1D,
  );
}

/** log N(z; mu, diag exp(logvar)) per row. mu/logvar may be omitted for the standard normal. */
export function logNormalDiag(z: tf.Tensor2D, mu?: tf.Tensor2D, logvar?: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const d = mu ? tf.sub(z, mu) : z;
    const quad = logvar ? tf.div(tf.square(d), tf.exp(logvar)) : tf.square(d);
    const per = logvar ? tf.add(tf.add(quad, logvar), LOG_2PI) : tf.add(quad, LOG_2PI);
    return tf.mul(-0.5, tf.sum(per, 1)) as tf.Tensor1D;
  });
}

export interface VAEConfig {
  inputDim: number;
  /**
   * Hidden layer sizes of the encoder; the decoder mirrors them unless `decoderHidden` is given.
   */
  hidden: number[];
  latent: number;
  /** Hidden layer sizes of the decoder (default: `hidden` reversed). */
  decoderHidden?: number[];
  /**
   * p(x|z): "bernoulli" (default; the decoder's outputs are logits) or "gaussian" (the outputs are
   * the mean; the log-variance per dimension `<name>.dec.logvar`, initially 0, is set by maximum
   * likelihood, see the file comment, not trained by the optimiser).
   */
  likelihood?: "bernoulli" | "gaussian";
}

export class VAE implements HasParams {
  readonly enc: MLP;
  readonly dec: MLP;
  /**
   * The Gaussian decoder's log-variance per data dimension, [inputDim] (not trainable); null for a
   * Bernoulli decoder.
   */
  readonly logvarX: tf.Variable | null;
  constructor(
    readonly name: string,
    readonly config: VAEConfig,
    rng: Rng,
  ) {
    const { inputDim, hidden, latent } = config;
    const lik = config.likelihood ?? "bernoulli";
    if (lik !== "bernoulli" && lik !== "gaussian")
      throw new Error(
        `VAE ${name}: likelihood must be "bernoulli" or "gaussian", got ${JSON.stringify(lik)}`,
      );
    this.enc = new MLP(
      `${name}.enc`,
      [inputDim, ...hidden, 2 * latent],
      rng.fork("enc"),
      "relu",
      "linear",
    );
    this.dec = new MLP(
      `${name}.dec`,
      [latent, ...(config.decoderHidden ?? [...hidden].reverse()), inputDim],
      rng.fork("dec"),
      "relu",
      "linear",
    );
    this.logvarX = lik === "gaussian" ? tf.variable(tf.zeros([inputDim]), false) : null;
  }
  get latent(): number {
    return this.config.latent;
  }
  params(): Record<string, tf.Variable> {
    const p = collectParams([this.enc, this.dec]);
    if (this.logvarX) p[`${this.name}.dec.logvar`] = this.logvarX;
    return p;
  }
  /** q(z|x): mean and log-variance, each [n, latent]. */
  encode(x: tf.Tensor2D): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    const h = this.enc.apply(x) as tf.Tensor2D;
    const [mu, logvar] = tf.split(h, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    h.dispose();
    return { mu, logvar };
  }
  /**
   * The decoder's output, [n, inputDim]: Bernoulli logits of p(x|z), or the Gaussian decoder's
   * mean.
   */
  decodeLogits(z: tf.Tensor2D): tf.Tensor2D {
    return this.dec.apply(z) as tf.Tensor2D;
  }
  /**
   * Means of p(x|z) (what "decoding" shows: pixel probabilities, or the Gaussian's mean), [n,
   * inputDim].
   */
  decodeMean(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => (this.logvarX ? this.decodeLogits(z) : tf.sigmoid(this.decodeLogits(z))));
  }
  /**
   * log p(x|z) per row from the decoder's output `out` (decodeLogits(z)): Bernoulli, or Gaussian
   * with the stored logvarX or, with `batchVariance`, the variance that maximises this batch's
   * likelihood (each coordinate's mean squared residual over the rows, floored at 1e-6; used while
   * training).
   */
  reconLogLik(x: tf.Tensor2D, out: tf.Tensor2D, batchVariance = false): tf.Tensor1D {
    if (!this.logvarX) return bernoulliLogLik(x, out);
    return tf.tidy(() => {
      const lv = batchVariance
        ? tf.log(tf.add(tf.mean(tf.square(tf.sub(x, out)), 0, true), GAUSSIAN_VAR_FLOOR))
        : tf.reshape(this.logvarX!, [1, -1]);
      return logNormalDiag(x, out, lv as tf.Tensor2D);
    });
  }
  /**
   * Per-example ELBO terms with the reparameterised sample z = mu + exp(logvar/2) * eps: the
   * reconstruction log-likelihood log p(x|z) and the closed-form KL(q(z|x) || p(z)).
   * `batchVariance`: a Gaussian decoder uses the batch's maximum-likelihood variance (see
   * reconLogLik).
   */
  elboTerms(
    x: tf.Tensor2D,
    eps: tf.Tensor2D,
    batchVariance = false,
  ): { recon: tf.Tensor1D; kl: tf.Tensor1D } {
    return tf.tidy(() => {
      const { mu, logvar, z } = this.posteriorSample(x, eps);
      return {
        recon: this.reconLogLik(x, this.decodeLogits(z), batchVariance),
        kl: gaussianKL(mu, logvar),
      };
    });
  }
  /**
   * q(z|x)'s mean and log-variance, and the reparameterised sample z = mu + exp(logvar / 2) * eps.
   */
  posteriorSample(
    x: tf.Tensor2D,
    eps: tf.Tensor2D,
  ): { mu: tf.Tensor2D; logvar: tf.Tensor2D; z: tf.Tensor2D } {
    return tf.tidy(() => {
      const { mu, logvar } = this.encode(x);
      return { mu, logvar, z: tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logvar)), eps)) as tf.Tensor2D };
    });
  }
  /**
   * The IWAE bound per row (Burda et al., 2015) with k reparameterised samples:
   * log (1/k) sum_i p(x|z_i) p(z_i) / q(z_i|x), z_i = mu + exp(logvar / 2) * eps_i. `eps` is
   * [k * n, latent], sample i of row r in row i * n + r. Also the k-sample means of log p(x|z)
   * and of log q(z|x) - log p(z) (the ELBO's two terms, estimated by Monte Carlo), for the training
   * history. Bernoulli decoder only. With k = 1 the bound is the one-sample ELBO estimate.
   */
  iwaeTerms(
    x: tf.Tensor2D,
    eps: tf.Tensor2D,
    k: number,
  ): { bound: tf.Tensor1D; recon: tf.Tensor1D; kl: tf.Tensor1D } {
    if (this.logvarX)
      throw new Error(`VAE ${this.name}: the IWAE objective needs a Bernoulli decoder`);
    const n = x.shape[0];
    if (eps.shape[0] !== k * n)
      throw new Error(`iwaeTerms: eps has ${eps.shape[0]} rows, expected k * n = ${k * n}`);
    return tf.tidy(() => {
      const { mu, logvar } = this.encode(x);
      const mus = tf.tile(mu, [k, 1]) as tf.Tensor2D;
      const lvs = tf.tile(logvar, [k, 1]) as tf.Tensor2D;
      const z = tf.add(mus, tf.mul(tf.exp(tf.mul(0.5, lvs)), eps)) as tf.Tensor2D;
      const logPx = bernoulliLogLik(tf.tile(x, [k, 1]) as tf.Tensor2D, this.decodeLogits(z));
      const logQoverP = tf.sub(logNormalDiag(z, mus, lvs), logNormalDiag(z));
      const logW = tf.reshape(tf.sub(logPx, logQoverP), [k, n]);
      return {
        bound: tf.sub(tf.logSumExp(logW, 0), Math.log(k)) as tf.Tensor1D,
        recon: tf.mean(tf.reshape(logPx, [k, n]), 0) as tf.Tensor1D,
        kl: tf.mean(tf.reshape(logQoverP, [k, n]), 0) as tf.Tensor1D,
      };
    });
  }
  /**
   * The training loss: mean over the batch of -(recon - beta * KL). beta = 0 is the blog post's
   * loss.
   */
  loss(x: tf.Tensor2D, eps: tf.Tensor2D, beta = 1): tf.Scalar {
    return tf.tidy(() => {
      const { recon, kl } = this.elboTerms(x, eps);
      return tf.neg(tf.mean(tf.sub(recon, tf.mul(beta, kl)))) as tf.Scalar;
    });
  }
}

export interface VAEBudget {
  steps: number;
  batchSize: number;
  lr: number;
  /** Weight of the KL term (1 = the ELBO). */
  beta: number;
  /**
   * KL warm-up: the KL weight grows linearly from beta / warmup to beta over the first `warmup`
   * steps (default 0: none).
   */
  warmup?: number;
  /**
   * The learning rate is multiplied by `lrDecay` for the last `decayFrac` of the steps (default 1:
   * no decay), as the toy GANs'.
   */
  lrDecay?: number;
  decayFrac?: number;
  /**
   * Samples per example of the training objective: 1 (default) trains the ELBO; k > 1 trains the
   * IWAE bound with k importance samples (Burda et al., 2015; beta and warmup must stay 1 and 0).
   */
  k?: number;
}

/**
 * Trains on rows of pixel probabilities in [0,1] (n x inputDim). With `binarize: "dynamic"` every
 * batch is a fresh Bernoulli draw of its pixels (the IWAE paper's protocol); "none" feeds them as
 * is. The default is "dynamic" for a Bernoulli decoder and "none" for a Gaussian one (real-valued
 * rows). A Gaussian decoder trains with each batch's maximum-likelihood variance, and its stored
 * logvarX is set by calibrateDecoderVariance on the first 5,000 rows at every history row (so also
 * at the end).
 * `logEvery` and `onLog` go to trainLoop (e.g. to add mode coverage to the history rows).
 */
export async function trainVAE(
  vae: VAE,
  data: Float32Array,
  budget: VAEBudget,
  opts: TrainOptions & { binarize?: "dynamic" | "none" },
): Promise<History> {
  const dim = vae.config.inputDim;
  const n = data.length / dim;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`trainVAE: ${data.length} values are not rows of ${dim}`);
  const rng = new Rng(opts.seed);
  const next = batchStream(n, budget.batchSize, rng.fork("batches"));
  const noise = rng.fork("noise");
  const bin = rng.fork("binarize");
  const opt = adam(budget.lr);
  const binarize = opts.binarize ?? (vae.logvarX ? "none" : "dynamic");
  const k = budget.k ?? 1;
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`trainVAE: k must be a positive integer, got ${k}`);
  if (k > 1 && (budget.beta !== 1 || budget.warmup))
    throw new Error(`trainVAE: the IWAE objective (k = ${k}) takes beta 1 and no warm-up`);
  const calibration = vae.logvarX
    ? { x: data.subarray(0, Math.min(n, 5000) * dim), rng: rng.fork("calibrate") }
    : null;
  const state: Record<string, Stateful> = {
    next,
    noise,
    bin,
    ...(calibration ? { calibrate: calibration.rng } : {}),
  };
  const resume = opts.resume ? resumeSpec(opts.resume, { opt }, state) : undefined;
  try {
    return await trainLoop({
      resume,
      label: opts.label ?? `VAE ${vae.name}`,
      steps: budget.steps,
      params: vae.params(),
      quiet: opts.quiet,
      logEvery: opts.logEvery,
      onLog:
        calibration || opts.onLog
          ? (row) => {
              if (calibration) calibrateDecoderVariance(vae, calibration.x, calibration.rng);
              opts.onLog?.(row);
            }
          : undefined,
      step: (i) => {
        stepDecay(opt, budget.lr, budget, i);
        const beta = budget.warmup
          ? budget.beta * Math.min(1, (i + 1) / budget.warmup)
          : budget.beta;
        const picked = gatherRows(data, dim, next());
        const rows = binarize === "dynamic" ? binarizeDynamic(picked, bin) : picked;
        const b = rows.length / dim;
        const x = tf.tensor2d(rows, [b, dim]);
        const eps = randn(noise, [k * b, vae.latent]) as tf.Tensor2D;
        let recon = 0;
        let kl = 0;
        const loss = opt.minimize(() => {
          if (k > 1) {
            const w = vae.iwaeTerms(x, eps, k);
            recon = -tf.mean(w.recon).dataSync()[0];
            kl = tf.mean(w.kl).dataSync()[0];
            return tf.neg(tf.mean(w.bound)) as tf.Scalar;
          }
          const t = vae.elboTerms(x, eps, true);
          const l = tf.neg(tf.mean(tf.sub(t.recon, tf.mul(beta, t.kl)))) as tf.Scalar;
          recon = -tf.mean(t.recon).dataSync()[0];
          kl = tf.mean(t.kl).dataSync()[0];
          return l;
        }, true)!;
        x.dispose();
        eps.dispose();
        return { loss, recon: tf.scalar(recon), kl: tf.scalar(kl) };
      },
    });
  } finally {
    opt.dispose();
  }
}

/**
 * Sets a Gaussian decoder's logvarX to the log of each coordinate's mean squared residual (x -
 * m(z))^2 over the rows of x, z ~ q(z|x) drawn with `rng`: the variance that maximises the
 * likelihood of those rows given the encoder and the decoder's mean (floored at 1e-6). Returns
 * sigma.
 */
export function calibrateDecoderVariance(vae: VAE, x: Float32Array, rng: Rng): number[] {
  if (!vae.logvarX)
    throw new Error(`calibrateDecoderVariance: VAE ${vae.name} has a Bernoulli decoder`);
  const d = vae.config.inputDim;
  const n = x.length / d;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`calibrateDecoderVariance: ${x.length} values are not rows of ${d}`);
  const eps = randn(rng, [n, vae.latent]);
  tf.tidy(() => {
    const xs = tf.tensor2d(x, [n, d]);
    const { z } = vae.posteriorSample(xs, eps as tf.Tensor2D);
    vae.logvarX!.assign(
      tf.log(tf.add(tf.mean(tf.square(tf.sub(xs, vae.decodeLogits(z))), 0), GAUSSIAN_VAR_FLOOR)),
    );
  });
  eps.dispose();
  return Array.from(vae.logvarX.dataSync(), (lv) => Math.exp(0.5 * lv));
}

/**
 * Per-example importance-weighted estimates of log p(x) with k samples (k = 1 is an unbiased
 * single-sample ELBO estimate). Rows of x are fixed binary (or [0,1]) pixels. Samples are drawn
 * in chunks of at most `chunk` rows through the decoder, combined by a running log-sum-exp.
 */
export function iwaeLogLik(
  vae: VAE,
  x: Float32Array,
  k: number,
  rng: Rng,
  chunk = 4096,
): Float64Array {
  const dim = vae.config.inputDim;
  const L = vae.latent;
  const n = x.length / dim;
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`iwaeLogLik: k must be a positive integer, got ${k}`);
  const out = new Float64Array(n);
  const perChunk = Math.max(1, Math.min(k, chunk));
  for (let i = 0; i < n; i++) {
    const xi = x.subarray(i * dim, (i + 1) * dim);
    const { mu, logvar } = tf.tidy(() => vae.encode(tf.tensor2d(xi, [1, dim])));
    let m = -Infinity;
    let s = 0;
    for (let done = 0; done < k; done += perChunk) {
      const c = Math.min(perChunk, k - done);
      const eps = randn(rng, [c, L]) as tf.Tensor2D;
      const logw = tf.tidy(() => {
        const mus = tf.tile(mu, [c, 1]) as tf.Tensor2D;
        const lvs = tf.tile(logvar, [c, 1]) as tf.Tensor2D;
        const z = tf.add(mus, tf.mul(tf.exp(tf.mul(0.5, lvs)), eps)) as tf.Tensor2D;
        const xs = tf.tile(tf.tensor2d(xi, [1, dim]), [c, 1]) as tf.Tensor2D;
        return tf.sub(
          tf.add(vae.reconLogLik(xs, vae.decodeLogits(z)), logNormalDiag(z)),
          logNormalDiag(z, mus, lvs),
        );
      });
      const w = logw.dataSync();
      logw.dispose();
      eps.dispose();
      for (let j = 0; j < w.length; j++) {
        if (w[j] > m) {
          s = s * Math.exp(m - w[j]) + 1;
          m = w[j];
        } else s += Math.exp(w[j] - m);
      }
    }
    mu.dispose();
    logvar.dispose();
    out[i] = m + Math.log(s) - Math.log(k);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Batched helpers for notebooks: encode, decode, reconstruct, sample.

function batched(
  n: number,
  batch: number,
  outDim: number,
  f: (s: number, e: number) => tf.Tensor,
): Float32Array {
  const out = new Float32Array(n * outDim);
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const t = f(s, e);
    out.set(t.dataSync(), s * outDim);
    t.dispose();
  }
  return out;
}

/**
 * Active latent units (Burda et al., 2015, section 5.2): a unit u is active when the variance over
 * the data of its posterior mean, Cov_x(E_q(z|x)[z_u]), exceeds `threshold` (their 0.01); `mu` is
 * n x L (encodeAll's). An inactive unit's q(z_u|x) is the same for every x: it carries nothing.
 */
export function activeUnits(mu: Float32Array, L: number, threshold = 0.01): number {
  const n = mu.length / L;
  let active = 0;
  for (let u = 0; u < L; u++) {
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) s += mu[i * L + u];
    const m = s / n;
    for (let i = 0; i < n; i++) s2 += (mu[i * L + u] - m) ** 2;
    if (s2 / (n - 1) > threshold) active++;
  }
  return active;
}

/** Means and log-variances of q(z|x) for every row of x (n x inputDim), each n x latent. */
export function encodeAll(
  vae: VAE,
  x: Float32Array,
  batch = 1000,
): { mu: Float32Array; logvar: Float32Array } {
  const d = vae.config.inputDim;
  const L = vae.latent;
  const n = x.length / d;
  const both = batched(n, batch, 2 * L, (s, e) =>
    tf.tidy(() => vae.enc.apply(tf.tensor2d(x.subarray(s * d, e * d), [e - s, d]))),
  );
  const mu = new Float32Array(n * L);
  const logvar = new Float32Array(n * L);
  for (let i = 0; i < n; i++) {
    mu.set(both.subarray(i * 2 * L, i * 2 * L + L), i * L);
    logvar.set(both.subarray(i * 2 * L + L, (i + 1) * 2 * L), i * L);
  }
  return { mu, logvar };
}

/** Pixel means of p(x|z) for every row of z (n x latent). */
export function decodeAll(vae: VAE, z: Float32Array, batch = 1000): Float32Array {
  const L = vae.latent;
  return batched(z.length / L, batch, vae.config.inputDim, (s, e) =>
    vae.decodeMean(tf.tensor2d(z.subarray(s * L, e * L), [e - s, L])),
  );
}

/** The "mean decode" of each x: decode the posterior mean, x -> mu(x) -> E[x | z = mu(x)]. */
export function reconstruct(vae: VAE, x: Float32Array): Float32Array {
  return decodeAll(vae, encodeAll(vae, x).mu);
}

/** Pixel means decoded from n prior samples z ~ N(0, I) (the usual "VAE samples" picture). */
export function samplePrior(vae: VAE, n: number, rng: Rng): Float32Array {
  return decodeAll(vae, rng.normalArray(n * vae.latent));
}

/**
 * n draws x ~ p(x) of the full generative model: z ~ N(0, I), then x ~ p(x|z), i.e. for a Gaussian
 * decoder x = m(z) + exp(logvarX / 2) * eps, eps ~ N(0, I), and for a Bernoulli one binary pixels
 * x_j ~ Bernoulli(sigmoid(logit_j)). All noise from `rng`: z first (n x latent), then the x noise.
 */
export function sampleVAE(vae: VAE, n: number, rng: Rng): Float32Array {
  const mean = samplePrior(vae, n, rng);
  if (!vae.logvarX) return mean.map((p) => (rng.uniform() < p ? 1 : 0));
  const sd = Array.from(vae.logvarX.dataSync(), (lv) => Math.exp(0.5 * lv));
  const d = sd.length;
  const eps = rng.normalArray(mean.length);
  for (let i = 0; i < mean.length; i++) mean[i] += sd[i % d] * eps[i];
  return mean;
}

/**
 * The aggregate posterior q(z) = (1/n) sum_i q(z|x_i), moment-matched by a Gaussian N(m, C)
 * (m = mean of the mu_i; C = mean of diag(sigma_i^2) + covariance of the mu_i), and
 * KL(N(m, C) || N(0, I)) = (tr C + m'm - L - log det C) / 2: zero when q(z) looks like the prior.
 */
export function aggregatePosterior(
  mu: Float32Array,
  logvar: Float32Array,
  L: number,
): { mean: Float64Array; cov: Float64Array; klToPrior: number } {
  const n = mu.length / L;
  const mean = meanRows(mu, L);
  const cov = covRows(mu, L, mean);
  for (let j = 0; j < L; j++) {
    let v = 0;
    for (let i = 0; i < n; i++) v += Math.exp(logvar[i * L + j]);
    cov[j * L + j] += v / n;
  }
  let tr = 0;
  let mm = 0;
  for (let j = 0; j < L; j++) {
    tr += cov[j * L + j];
    mm += mean[j] * mean[j];
  }
  const logDet = logDetFromCholesky(cholesky({ d: L, a: cov }), L);
  return { mean, cov, klToPrior: 0.5 * (tr + mm - L - logDet) };
}

/**
 * Mean binary cross-entropy (nats per image) of pixel means `rec` against targets `x` (both n x
 * dim).
 */
export function reconError(x: Float32Array, rec: Float32Array, dim: number): number {
  if (x.length !== rec.length)
    throw new Error(`reconError: ${x.length} targets vs ${rec.length} reconstructions`);
  const eps = 1e-6;
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, rec[i]));
    s -= x[i] * Math.log(p) + (1 - x[i]) * Math.log(1 - p);
  }
  return s / (x.length / dim);
}

/** KL(q(z|x_i) || N(0, I)) for each row, from the encoder's means and log-variances (n x L). */
export function klRows(mu: Float32Array, logvar: Float32Array, L: number): Float64Array {
  const n = mu.length / L;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < L; j++)
      s += mu[i * L + j] ** 2 + Math.exp(logvar[i * L + j]) - 1 - logvar[i * L + j];
    out[i] = 0.5 * s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// One-dimensional latents: exact integrals, for checking bounds and gradient estimators.

/** Gauss-Hermite rule for E_{N(0,1)}[f]: nodes t_k and weights w_k (sum 1), by Golub-Welsch. */
export function gaussHermite(n: number): { nodes: Float64Array; weights: Float64Array } {
  // Jacobi matrix of the probabilists' Hermite polynomials: off-diagonal sqrt(k).
  const a = new Float64Array(n * n);
  for (let k = 1; k < n; k++) a[k * n + k - 1] = a[(k - 1) * n + k] = Math.sqrt(k);
  const { values, vectors } = symmetricEigen({ d: n, a }, { tol: 1e-15, maxSweeps: 100 });
  const order = Array.from(values.keys()).sort((i, j) => values[i] - values[j]);
  return {
    nodes: Float64Array.from(order, (i) => values[i]),
    weights: Float64Array.from(order, (i) => vectors[i] * vectors[i]),
  };
}

const GH = { n: 0, nodes: new Float64Array(0), weights: new Float64Array(0) };
function gh(): { nodes: Float64Array; weights: Float64Array } {
  if (GH.n === 0) Object.assign(GH, { n: 40 }, gaussHermite(40));
  return GH;
}

/**
 * log p(x, z) tabulated on a coarse grid and on a fine grid over where it has mass; linear
 * interpolation.
 */
class Joint1D {
  constructor(
    readonly coarseZ: Float32Array,
    readonly coarse: Float64Array,
    readonly fineZ: Float32Array,
    readonly fine: Float64Array,
  ) {}
  at(z: number): number {
    const [zs, v] =
      z >= this.fineZ[0] && z <= this.fineZ[this.fineZ.length - 1]
        ? [this.fineZ, this.fine]
        : [this.coarseZ, this.coarse];
    const n = zs.length;
    if (z <= zs[0]) return v[0];
    if (z >= zs[n - 1]) return v[n - 1];
    const t = ((z - zs[0]) / (zs[n - 1] - zs[0])) * (n - 1);
    const i = Math.min(n - 2, Math.floor(t));
    return v[i] + (t - i) * (v[i + 1] - v[i]);
  }
  /** ELBO of q = N(m, exp(lv)): E_q[log p(x, z)] by Gauss-Hermite, plus the entropy of q. */
  elbo(m: number, lv: number): number {
    const { nodes, weights } = gh();
    const sd = Math.exp(0.5 * lv);
    let e = 0;
    for (let k = 0; k < nodes.length; k++) e += weights[k] * this.at(m + sd * nodes[k]);
    return e + 0.5 * (Math.log(2 * Math.PI * Math.E) + lv);
  }
}

/**
 * For a VAE with a 1-D latent: log p(x) = log integral p(x|z) p(z) dz and the ELBO E_q[log p(x, z)
 * - log q(z|x)], for each row of x, without sampling: log p(x, z) is tabulated on a coarse grid
 * over [lo, hi] and again, finely, over the window where it is within 40 nats of its maximum
 * (posteriors can be far narrower than a fixed grid); log p(x) is the sum over the fine window (its
 * grid doubled until the sum moves by < 1e-4 nats), E_q by 40-point Gauss-Hermite on the
 * interpolated table. `elboOptimal` is the ELBO of the best Gaussian q for each x on its own
 * (coarse-to-fine search over mean and log-variance): log p(x) - elboOptimal is the approximation
 * gap (a Gaussian cannot match the true posterior), elboOptimal - elbo the amortisation gap (one
 * encoder network for all x instead of a q per x; Cremer et al., 2018).
 */
export function exactBounds1D(
  vae: VAE,
  x: Float32Array,
  opts: { lo?: number; hi?: number; points?: number } = {},
): { logpx: Float64Array; elbo: Float64Array; elboOptimal: Float64Array } {
  if (vae.latent !== 1)
    throw new Error(`exactBounds1D needs a VAE with a 1-D latent, this one has ${vae.latent}`);
  const { lo = -10, hi = 10, points = 2001 } = opts;
  const fineStart = 1001;
  const d = vae.config.inputDim;
  const n = x.length / d;
  const coarseZ = linspace(lo, hi, points);
  const { mu, logvar } = encodeAll(vae, x);
  const logpx = new Float64Array(n);
  const elbo = new Float64Array(n);
  const elboOptimal = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const xi = x.subarray(i * d, (i + 1) * d);
    const coarse = logJointOnGrid(vae, xi, coarseZ);
    const top = Math.max(...coarse);
    let a = 0;
    while (coarse[a] < top - 40) a++;
    let b = points - 1;
    while (coarse[b] < top - 40) b--;
    // Refine the window grid until log p(x) moves by less than 1e-4 nats (at most 32x).
    const wa = coarseZ[Math.max(0, a - 2)],
      wb = coarseZ[Math.min(points - 1, b + 2)];
    let nf = fineStart;
    let fineZ = linspace(wa, wb, nf);
    let fine = logJointOnGrid(vae, xi, fineZ);
    let lp = logSumExpGrid(fine, fineZ[1] - fineZ[0]);
    for (let level = 0; level < 5; level++) {
      const nz = 2 * nf - 1;
      const z2 = linspace(wa, wb, nz);
      const f2 = logJointOnGrid(vae, xi, z2);
      const lp2 = logSumExpGrid(f2, z2[1] - z2[0]);
      [nf, fineZ, fine] = [nz, z2, f2];
      const done = Math.abs(lp2 - lp) < 1e-4;
      lp = lp2;
      if (done) break;
    }
    const dz = fineZ[1] - fineZ[0];
    const m = Math.max(...fine);
    let s = 0;
    for (let k = 0; k < nf; k++) s += Math.exp(fine[k] - m);
    logpx[i] = lp;
    const joint = new Joint1D(coarseZ, coarse, fineZ, fine);
    elbo[i] = joint.elbo(mu[i], logvar[i]);
    // Best Gaussian: start from the encoder's q and from the moments of the true posterior.
    let pm = 0;
    let pv = 0;
    for (let k = 0; k < nf; k++) pm += (Math.exp(fine[k] - m) / s) * fineZ[k];
    for (let k = 0; k < nf; k++) pv += (Math.exp(fine[k] - m) / s) * (fineZ[k] - pm) ** 2;
    const starts: [number, number][] = [
      [mu[i], logvar[i]],
      [pm, Math.log(Math.max(pv, dz * dz))],
    ];
    elboOptimal[i] = Math.max(
      elbo[i],
      ...starts.map(([m0, lv0]) => bestGaussianElbo(joint, m0, lv0)),
    );
  }
  return { logpx, elbo, elboOptimal };
}

function logSumExpGrid(f: Float64Array, dz: number): number {
  const m = Math.max(...f);
  let s = 0;
  for (let k = 0; k < f.length; k++) s += Math.exp(f[k] - m);
  return m + Math.log(s * dz);
}

function linspace(lo: number, hi: number, n: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
}

/** log p(x|z) + log p(z) for one x at each z of a 1-D grid. */
function logJointOnGrid(vae: VAE, xi: Float32Array, zs: Float32Array): Float64Array {
  const d = vae.config.inputDim;
  const t = tf.tidy(() => {
    const z = tf.tensor2d(zs, [zs.length, 1]);
    const xs = tf.tile(tf.tensor2d(xi, [1, d]), [zs.length, 1]) as tf.Tensor2D;
    return tf.add(vae.reconLogLik(xs, vae.decodeLogits(z)), logNormalDiag(z));
  });
  const v = Float64Array.from(t.dataSync());
  t.dispose();
  return v;
}

/** Coarse-to-fine pattern search of the Gaussian q maximising the ELBO, started at (m0, lv0). */
function bestGaussianElbo(joint: Joint1D, m0: number, lv0: number): number {
  let best = { m: m0, lv: lv0, e: joint.elbo(m0, lv0) };
  for (let step = 0.5 * Math.exp(0.5 * lv0) + 0.05; step > 1e-5; step /= 2) {
    let improved = true;
    while (improved) {
      improved = false;
      for (const [dm, dl] of [
        [step, 0],
        [-step, 0],
        [0, step],
        [0, -step],
      ]) {
        const lv = Math.max(-30, best.lv + dl);
        const e = joint.elbo(best.m + dm, lv);
        if (e > best.e + 1e-12) {
          best = { m: best.m + dm, lv, e };
          improved = true;
        }
      }
    }
  }
  return best.e;
}

/**
 * Two unbiased estimators of d/dmu E_{z ~ N(mu, sigma^2)}[log p(x|z)] for one x and a 1-D latent:
 * reparameterisation, d/dmu log p(x | mu + sigma eps) = f'(z), and the score function (REINFORCE),
 * f(z) (z - mu) / sigma^2. Returns n draws of each (same z for both), for their means and
 * variances.
 */
export function gradientEstimators(
  vae: VAE,
  xRow: Float32Array,
  mu: number,
  sigma: number,
  n: number,
  rng: Rng,
): { reparam: Float64Array; reinforce: Float64Array } {
  if (vae.latent !== 1)
    throw new Error(`gradientEstimators needs a 1-D latent, this VAE has ${vae.latent}`);
  const d = vae.config.inputDim;
  const eps = rng.normalArray(n);
  const z = tf.tensor2d(
    eps.map((e) => mu + sigma * e),
    [n, 1],
  );
  const xs = tf.tidy(() => tf.tile(tf.tensor2d(xRow, [1, d]), [n, 1]) as tf.Tensor2D);
  const f = (zz: tf.Tensor) => vae.reconLogLik(xs, vae.decodeLogits(zz as tf.Tensor2D));
  const fz = f(z);
  const g = tf.grad((zz: tf.Tensor) => tf.sum(f(zz)))(z);
  const fv = fz.dataSync();
  const gv = g.dataSync();
  const reparam = new Float64Array(n);
  const reinforce = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    reparam[i] = gv[i];
    reinforce[i] = (fv[i] * (sigma * eps[i])) / (sigma * sigma);
  }
  tf.dispose([z, xs, fz, g]);
  return { reparam, reinforce };
}

/**
 * Closed-form KL(N(mu, diag exp(logvar)) || N(0, I)) next to a Monte Carlo estimate with n samples.
 */
export function klCheck(
  mu: number[],
  logvar: number[],
  n: number,
  rng: Rng,
): { closedForm: number; monteCarlo: number; standardError: number } {
  const closedForm =
    0.5 * mu.reduce((s, m, j) => s + m * m + Math.exp(logvar[j]) - 1 - logvar[j], 0);
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    let d = 0; // log q(z) - log p(z) for one z ~ q
    for (let j = 0; j < mu.length; j++) {
      const e = rng.normal();
      const z = mu[j] + Math.exp(0.5 * logvar[j]) * e;
      d += -0.5 * (logvar[j] + e * e) + 0.5 * z * z;
    }
    sum += d;
    sq += d * d;
  }
  const monteCarlo = sum / n;
  return { closedForm, monteCarlo, standardError: Math.sqrt((sq / n - monteCarlo ** 2) / n) };
}

/**
 * n draws from q(z|x_i) for each chosen row i (for pictures of the posterior), with the row index
 * as label.
 */
export function posteriorSamples(
  mu: Float32Array,
  logvar: Float32Array,
  L: number,
  rows: number[],
  n: number,
  rng: Rng,
): { z: Float32Array; labels: Int32Array } {
  const z = new Float32Array(rows.length * n * L);
  const labels = new Int32Array(rows.length * n);
  rows.forEach((r, a) => {
    for (let i = 0; i < n; i++) {
      labels[a * n + i] = a;
      for (let j = 0; j < L; j++)
        z[(a * n + i) * L + j] = mu[r * L + j] + Math.exp(0.5 * logvar[r * L + j]) * rng.normal();
    }
  });
  return { z, labels };
}

/** Decodes a regular grid of a 2-D latent over [-r, r]^2 (n x n images, top row = largest z2). */
export function latentGrid(vae: VAE, r: number, n: number): Float32Array {
  if (vae.latent !== 2)
    throw new Error(`latentGrid needs a 2-D latent, this VAE has ${vae.latent}`);
  const z = new Float32Array(n * n * 2);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      z[2 * (i * n + j)] = -r + (2 * r * j) / (n - 1);
      z[2 * (i * n + j) + 1] = r - (2 * r * i) / (n - 1);
    }
  }
  return decodeAll(vae, z);
}

/** Decodes the straight line between the posterior means of two inputs, `steps` points. */
export function interpolate(
  vae: VAE,
  xa: Float32Array,
  xb: Float32Array,
  steps: number,
): Float32Array {
  const L = vae.latent;
  const { mu } = encodeAll(vae, Float32Array.from([...xa, ...xb]));
  const z = new Float32Array(steps * L);
  for (let s = 0; s < steps; s++) {
    const t = s / (steps - 1);
    for (let j = 0; j < L; j++) z[s * L + j] = (1 - t) * mu[j] + t * mu[L + j];
  }
  return decodeAll(vae, z);
}

// ---------------------------------------------------------------------------------------------
// Load-or-train, the way every notebook cell wants it.

export interface FitVAEOptions {
  /** Weights file stem, e.g. "vae-mnist-z20". */
  model: string;
  latent: number;
  hidden?: number[];
  beta?: number;
  /** Training rows, pixel probabilities in [0,1] (n x 784). */
  data: Float32Array;
  seed: number;
  /** Full-budget steps (smoke: 20). */
  steps: number;
  batchSize?: number;
  lr?: number;
  /** Samples of the training objective: 1 (default) the ELBO, k > 1 the IWAE bound. */
  k?: number;
  /** The learning rate times `lrDecay` for the last `decayFrac` of the steps (default none). */
  lrDecay?: number;
  decayFrac?: number;
  label?: string;
  /** What `data` is, stored with the weights (trainingData(ds), lib/data/mnist.ts). */
  dataName?: string;
  /** Numbers to store with the weights, computed once after training (fitOrLoad's metrics). */
  metrics?: (vae: VAE) => Record<string, number>;
}

/**
 * Builds a VAE and loads its shipped weights or trains it (GENLAB_TRAIN), see
 * lib/training/weights.ts.
 */
export async function fitVAE(o: FitVAEOptions): Promise<{ vae: VAE; fit: FitResult }> {
  const inputDim = 784;
  const vae = new VAE(
    o.model,
    { inputDim, hidden: o.hidden ?? [400], latent: o.latent },
    new Rng(o.seed),
  );
  const base = {
    batchSize: o.batchSize ?? 128,
    lr: o.lr ?? 1e-3,
    beta: o.beta ?? 1,
    ...(o.k !== undefined && o.k !== 1 ? { k: o.k } : {}),
    ...(o.lrDecay !== undefined ? { lrDecay: o.lrDecay, decayFrac: o.decayFrac ?? 0 } : {}),
  };
  const fit = await fitOrLoad({
    model: o.model,
    params: vae.params(),
    seed: o.seed,
    data: o.dataName,
    metrics: o.metrics ? () => o.metrics!(vae) : undefined,
    budget: { full: { ...base, steps: o.steps }, smoke: { ...base, steps: 20 } },
    train: (b, ctx) =>
      trainVAE(vae, o.data, b, { seed: o.seed + 1, label: o.label ?? o.model, resume: ctx.resume }),
  });
  return { vae, fit };
}

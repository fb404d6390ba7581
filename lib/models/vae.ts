/**
 * The variational autoencoder of notebook 02 (Kingma & Welling, 2013): a Gaussian encoder
 * q(z|x) = N(mu(x), diag(exp(logvar(x)))), a standard normal prior p(z) = N(0, I) and a Bernoulli
 * decoder p(x|z) whose logits an MLP computes. Everything a notebook needs to measure it:
 *
 *   ELBO(x)   = E_q[log p(x|z)] - KL(q(z|x) || p(z))                      (one reparameterised sample)
 *   IWAE_k(x) = E[log (1/k) sum_i p(x, z_i) / q(z_i|x)],  z_i ~ q(z|x)     (Burda et al., 2015)
 *   ELBO <= IWAE_k <= IWAE_{k+1} <= log p(x), and IWAE_k -> log p(x) as k grows.
 *
 * All noise comes from a seeded Rng, so the same seed gives the same numbers.
 */
import * as tf from "@tensorflow/tfjs";
import { batchStream, gatherRows } from "../data/batch";
import { MLP, collectParams, type HasParams } from "../nn";
import { Rng, randn } from "../random";
import { trainLoop, type History } from "../train";

const LOG_2PI = Math.log(2 * Math.PI);

/** sum_j x_j log sigmoid(l_j) + (1 - x_j) log(1 - sigmoid(l_j)) per row, computed stably. */
export function bernoulliLogLik(x: tf.Tensor2D, logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.sub(tf.mul(x, logits), tf.softplus(logits)), 1) as tf.Tensor1D);
}

/** KL(N(mu, diag exp(logvar)) || N(0, I)) per row: 0.5 sum (mu^2 + exp(logvar) - 1 - logvar). */
export function gaussianKL(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.mul(0.5, tf.sum(tf.sub(tf.add(tf.square(mu), tf.exp(logvar)), tf.add(1, logvar)), 1)) as tf.Tensor1D);
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
  /** Hidden layer sizes of the encoder; the decoder mirrors them. */
  hidden: number[];
  latent: number;
}

export class VAE implements HasParams {
  readonly enc: MLP;
  readonly dec: MLP;
  constructor(
    readonly name: string,
    readonly config: VAEConfig,
    rng: Rng,
  ) {
    const { inputDim, hidden, latent } = config;
    this.enc = new MLP(`${name}.enc`, [inputDim, ...hidden, 2 * latent], rng.fork("enc"), "relu", "linear");
    this.dec = new MLP(`${name}.dec`, [latent, ...[...hidden].reverse(), inputDim], rng.fork("dec"), "relu", "linear");
  }
  get latent(): number {
    return this.config.latent;
  }
  params(): Record<string, tf.Variable> {
    return collectParams([this.enc, this.dec]);
  }
  /** q(z|x): mean and log-variance, each [n, latent]. */
  encode(x: tf.Tensor2D): { mu: tf.Tensor2D; logvar: tf.Tensor2D } {
    const h = this.enc.apply(x) as tf.Tensor2D;
    const [mu, logvar] = tf.split(h, 2, 1) as [tf.Tensor2D, tf.Tensor2D];
    h.dispose();
    return { mu, logvar };
  }
  /** Bernoulli logits of p(x|z), [n, inputDim]. */
  decodeLogits(z: tf.Tensor2D): tf.Tensor2D {
    return this.dec.apply(z) as tf.Tensor2D;
  }
  /** Pixel means of p(x|z) (what "decoding" shows), [n, inputDim]. */
  decodeMean(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.sigmoid(this.decodeLogits(z)));
  }
  /**
   * Per-example ELBO terms with the reparameterised sample z = mu + exp(logvar/2) * eps:
   * the reconstruction log-likelihood log p(x|z) and the closed-form KL(q(z|x) || p(z)).
   */
  elboTerms(x: tf.Tensor2D, eps: tf.Tensor2D): { recon: tf.Tensor1D; kl: tf.Tensor1D } {
    return tf.tidy(() => {
      const { mu, logvar } = this.encode(x);
      const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logvar)), eps)) as tf.Tensor2D;
      return { recon: bernoulliLogLik(x, this.decodeLogits(z)), kl: gaussianKL(mu, logvar) };
    });
  }
  /** The training loss: mean over the batch of -(recon - beta * KL). beta = 0 is the blog post's loss. */
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
}

/**
 * Trains on rows of pixel probabilities in [0,1] (n x inputDim). With `binarize: "dynamic"` every
 * batch is a fresh Bernoulli draw of its pixels (the IWAE paper's protocol); "none" feeds them as is.
 */
export async function trainVAE(
  vae: VAE,
  data: Float32Array,
  budget: VAEBudget,
  opts: { seed: number; binarize?: "dynamic" | "none"; label?: string; quiet?: boolean },
): Promise<History> {
  const dim = vae.config.inputDim;
  const n = data.length / dim;
  if (!Number.isInteger(n) || n < 1) throw new Error(`trainVAE: ${data.length} values are not rows of ${dim}`);
  const rng = new Rng(opts.seed);
  const next = batchStream(n, budget.batchSize, rng.fork("batches"));
  const noise = rng.fork("noise");
  const bin = rng.fork("binarize");
  const opt = tf.train.adam(budget.lr);
  try {
    return await trainLoop({
      label: opts.label ?? `VAE ${vae.name}`,
      steps: budget.steps,
      params: vae.params(),
      quiet: opts.quiet,
      step: () => {
        const rows = gatherRows(data, dim, next());
        if ((opts.binarize ?? "dynamic") === "dynamic") for (let i = 0; i < rows.length; i++) rows[i] = bin.uniform() < rows[i] ? 1 : 0;
        const b = rows.length / dim;
        const x = tf.tensor2d(rows, [b, dim]);
        const eps = randn(noise, [b, vae.latent]) as tf.Tensor2D;
        let recon = 0;
        let kl = 0;
        const loss = opt.minimize(() => {
          const t = vae.elboTerms(x, eps);
          const l = tf.neg(tf.mean(tf.sub(t.recon, tf.mul(budget.beta, t.kl)))) as tf.Scalar;
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
 * Per-example importance-weighted estimates of log p(x) with k samples (k = 1 is an unbiased
 * single-sample ELBO estimate). Rows of x are fixed binary (or [0,1]) pixels. Samples are drawn
 * in chunks of at most `chunk` rows through the decoder, combined by a running log-sum-exp.
 */
export function iwaeLogLik(vae: VAE, x: Float32Array, k: number, rng: Rng, chunk = 4096): Float64Array {
  const dim = vae.config.inputDim;
  const L = vae.latent;
  const n = x.length / dim;
  if (!Number.isInteger(k) || k < 1) throw new Error(`iwaeLogLik: k must be a positive integer, got ${k}`);
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
        return tf.sub(tf.add(bernoulliLogLik(xs, vae.decodeLogits(z)), logNormalDiag(z)), logNormalDiag(z, mus, lvs));
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

/**
 * A VAE with an adversarial term (claim B9: "GAN + VAE" hybrids; after Larsen et al. 2016's
 * VAE-GAN, in its simplest form): notebook 02's VAE, plus a discriminator D that tells real digits
 * from the VAE's decoded means, of reconstructions and of prior samples alike. The VAE minimises
 *
 *   -E_q[log p(x|z)] + KL(q(z|x) || p(z))  +  gamma * ( -log D(dec(z_q)) - log D(dec(z_p)) ) / 2,
 *
 * with z_q ~ q(z|x) (reparameterised) and z_p ~ N(0, I); D minimises the GAN's cross-entropy
 * (lib/models/gan.ts, one-sided label smoothing) on real digits (grey levels) against those
 * decodes. The pointwise ELBO keeps every digit reconstructable (no mode is dropped: each x pulls
 * its own decode), the adversarial term pulls the decoded means towards what real digits look like
 * (sharper than the ELBO's pixel averages). gamma = 0 is the plain VAE.
 */
import * as tf from "@tensorflow/tfjs";
import { adam } from "../runtime/optim";
import { batchStream, binarizeDynamic, gatherRows } from "../data/batch";
import { MLP, collectParams, type HasParams } from "../runtime/nn";
import { Rng, randn } from "../runtime/random";
import { resumeSpec } from "../training/resume";
import { trainLoop, type History, type TrainOptions } from "../training/train";
import { fitOrLoad, type FitResult } from "../training/weights";
import { discriminatorLoss, discriminatorLogits, generatorLoss } from "./gan";
import { VAE, gaussianKL, type VAEConfig } from "./vae";

export interface VAEGANConfig {
  vae: VAEConfig;
  /** D's hidden layers (leaky ReLU); its input is centred to 2x - 1. */
  dHidden: number[];
  /** Dropout on D's hidden layers while training. */
  dDropout: number;
}

export interface VAEGANBudget extends Record<string, number> {
  steps: number;
  batchSize: number;
  /** Adam for the VAE (beta1 0.9, the VAE's). */
  lr: number;
  /** Adam for D, with beta1 `beta1D` (the GAN's 0.5). */
  lrD: number;
  beta1D: number;
  /** Weight of the adversarial term in the VAE's loss (nats per image per unit of -log D). */
  gamma: number;
  /** D's target for real digits (one-sided label smoothing). */
  realLabel: number;
}

export class VAEGAN implements HasParams {
  readonly vae: VAE;
  readonly D: MLP;
  /** D's dropout masks while training; a resume checkpoint keeps its state. */
  readonly dropRng: Rng;
  constructor(
    readonly name: string,
    readonly config: VAEGANConfig,
    rng: Rng,
  ) {
    if (!(config.dDropout >= 0 && config.dDropout < 1))
      throw new Error(`VAEGAN ${name}: dDropout must be in [0, 1), got ${config.dDropout}`);
    if ((config.vae.likelihood ?? "bernoulli") !== "bernoulli")
      throw new Error(
        `VAEGAN ${name}: the decoder must be Bernoulli (D reads its pixel probabilities)`,
      );
    this.vae = new VAE(`${name}.vae`, config.vae, rng.fork("vae"));
    this.D = new MLP(
      `${name}.D`,
      [config.vae.inputDim, ...config.dHidden, 1],
      rng.fork("D"),
      "leakyRelu",
      "linear",
    );
    this.dropRng = rng.fork("dropout");
  }
  params(): Record<string, tf.Variable> {
    return collectParams([this.vae, this.D]);
  }
  /** D's logit on pixel rows in [0, 1]; `training` turns on its dropout. */
  logits(x: tf.Tensor2D, training = false): tf.Tensor2D {
    return discriminatorLogits(this.D, x, {
      dropout: training ? this.config.dDropout : 0,
      center: true,
      rng: this.dropRng,
    });
  }
  /**
   * The VAE's loss terms on a binarised batch `xb` with reparameterisation noise `eps` and prior
   * draws `zp`: mean -log p(x|z), mean KL, the adversarial term (mean of the non-saturating losses
   * of the decoded reconstructions and prior samples), and the total -ELBO + gamma * adversarial.
   */
  vaeLoss(
    xb: tf.Tensor2D,
    eps: tf.Tensor2D,
    zp: tf.Tensor2D,
    gamma: number,
    training = true,
  ): { total: tf.Scalar; recon: tf.Scalar; kl: tf.Scalar; adv: tf.Scalar } {
    return tf.tidy(() => {
      const { mu, logvar, z } = this.vae.posteriorSample(xb, eps);
      const out = this.vae.decodeLogits(z);
      const recon = tf.neg(tf.mean(this.vae.reconLogLik(xb, out))) as tf.Scalar;
      const kl = tf.mean(gaussianKL(mu, logvar)) as tf.Scalar;
      const fakes = tf.concat([tf.sigmoid(out), this.vae.decodeMean(zp)], 0) as tf.Tensor2D;
      const adv = generatorLoss(this.logits(fakes, training), "nonsaturating");
      const total = tf.add(tf.add(recon, kl), tf.mul(gamma, adv)) as tf.Scalar;
      return { total, recon, kl, adv };
    });
  }
}

/**
 * Trains on rows of grey levels in [0, 1]: each step one D update (real grey digits against the
 * decodes of the batch's reconstructions and of as many prior samples) then one VAE update on the
 * batch binarised afresh (notebook 02's dynamic binarisation) with the adversarial term.
 */
export async function trainVAEGAN(
  m: VAEGAN,
  data: Float32Array,
  budget: VAEGANBudget,
  opts: Omit<TrainOptions, "logEvery" | "onLog">,
): Promise<History> {
  const dim = m.config.vae.inputDim;
  const L = m.config.vae.latent;
  const n = data.length / dim;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`trainVAEGAN: ${data.length} values are not rows of ${dim}`);
  if (!(budget.gamma >= 0)) throw new Error(`trainVAEGAN: gamma must be >= 0, got ${budget.gamma}`);
  const rng = new Rng(opts.seed);
  const next = batchStream(n, budget.batchSize, rng.fork("batches"));
  const noise = rng.fork("noise");
  const bin = rng.fork("binarize");
  const optV = adam(budget.lr);
  const optD = adam(budget.lrD, budget.beta1D);
  const vVars = Object.values(m.vae.params());
  const dVars = Object.values(collectParams([m.D]));
  const resume = opts.resume
    ? resumeSpec(opts.resume, { vae: optV, d: optD }, { next, noise, bin, dropout: m.dropRng })
    : undefined;
  try {
    return await trainLoop({
      resume,
      label: opts.label ?? `VAE-GAN ${m.name}`,
      steps: budget.steps,
      params: m.params(),
      quiet: opts.quiet,
      logEvery: Math.max(1, Math.ceil(budget.steps / 100)),
      step: () => {
        const grey = gatherRows(data, dim, next());
        const b = grey.length / dim;
        const xb = binarizeDynamic(grey, bin);
        const [xg, xbT] = [tf.tensor2d(grey, [b, dim]), tf.tensor2d(xb, [b, dim])];
        const eps = randn(noise, [b, L]) as tf.Tensor2D;
        const zp = randn(noise, [b, L]) as tf.Tensor2D;
        // D: real grey digits against this batch's decodes (no gradient into the VAE: D's variables
        // only).
        const fakes = tf.tidy(() => {
          return tf.concat(
            [m.vae.decodeMean(m.vae.posteriorSample(xbT, eps).z), m.vae.decodeMean(zp)],
            0,
          ) as tf.Tensor2D;
        });
        const dLoss = optD.minimize(
          () => discriminatorLoss(m.logits(xg, true), m.logits(fakes, true), budget.realLabel),
          true,
          dVars,
        )!;
        const logs: Record<string, tf.Scalar> = {};
        const loss = optV.minimize(
          () => {
            const t = m.vaeLoss(xbT, eps, zp, budget.gamma);
            Object.assign(logs, {
              recon: tf.keep(t.recon),
              kl: tf.keep(t.kl),
              adv: tf.keep(t.adv),
            });
            return t.total;
          },
          true,
          vVars,
        )!;
        tf.dispose([xg, xbT, eps, zp, fakes]);
        return { loss, d: dLoss, ...logs };
      },
    });
  } finally {
    optV.dispose();
    optD.dispose();
  }
}

export interface FitVAEGANOptions {
  model: string;
  config: VAEGANConfig;
  budget: { full: VAEGANBudget; smoke: VAEGANBudget };
  /** Training rows, grey levels in [0, 1]. */
  data: Float32Array;
  /** What `data` is, stored with the weights (trainingData in lib/data/mnist.ts). */
  dataName?: string;
  seed: number;
}

/**
 * Builds a VAE-GAN and loads its shipped weights or trains it (GENLAB_TRAIN), see
 * lib/training/weights.ts. The weights file holds the VAE only: D is a training device nothing
 * reads afterwards (on MNIST it would add 2.1 MB to data/); a loaded model's D keeps its initial
 * weights.
 */
export async function fitVAEGAN(o: FitVAEGANOptions): Promise<{ model: VAEGAN; fit: FitResult }> {
  const model = new VAEGAN(o.model, o.config, new Rng(o.seed));
  const fit = await fitOrLoad({
    model: o.model,
    params: model.vae.params(),
    seed: o.seed,
    budget: o.budget,
    data: o.dataName,
    train: (b, ctx) =>
      trainVAEGAN(model, o.data, b, { seed: o.seed + 1, label: o.model, resume: ctx.resume }),
  });
  return { model, fit };
}

/**
 * PacGAN (Lin, Khetan, Fanti & Oh, 2018): the discriminator judges m samples at once, all real or
 * all generated, concatenated into one input of m times the data's size. A generator that drops
 * modes makes packs that look alike, which a packed D can tell from real packs; that is PacGAN's
 * remedy for mode collapse. PacGAN-1 is the plain GAN of the paper's Table 1.
 *
 * The setup of the authors' synthetic experiments (fjxmlzn/PacGAN, synthetic_data_experiments):
 * - G: z ~ N(0, I_2); four hidden layers of 400 units, each linear without bias, batch
 *   normalisation (running averages with momentum 0.05, used when sampling), ReLU; a linear
 *   output with bias to 2-D.
 * - D: three hidden maxout layers of 200 units with 5 pieces each, then a linear output; input
 *   2m. The hidden sizes do not change with m.
 * - Weights N(0, 0.02), biases 0; the non-saturating loss on logits; one D and one G update per
 *   batch; Adam with lr 1e-4 and beta1 0.8; 100 packs per batch (100 m samples) from a fixed
 *   training set of 100,000 samples; 400 epochs of 1,000 batches.
 * A bias before batch normalisation has no effect (the normalisation removes it), so G's hidden
 * layers keep the usual Dense bias at 0 and its gradient is 0.
 */
import * as tf from "@tensorflow/tfjs";
import { BatchNorm, Dense, Maxout, collectParams } from "../runtime/nn";
import { Rng, randn } from "../runtime/random";
import { sampleMixture, type Mixture } from "../data/toys";
import {
  fitGAN,
  modeColumns,
  rowSampler,
  toyMixture,
  generateSamples,
  type Adversary,
  type FitGANResult,
  type GANBudget,
} from "./gan";

export interface PacGANConfig {
  /** Samples per pack (1: the plain GAN). */
  pack: number;
  dataDim: number;
  noiseDim: number;
  gHidden: number[];
  /** D's maxout layers: units and pieces. */
  dHidden: number[];
  pieces: number;
  /** Standard deviation of every initial weight. */
  initStd: number;
}

/** The paper's networks, PacGAN-`pack`. */
export function pacganConfig(pack: number): PacGANConfig {
  return {
    pack,
    dataDim: 2,
    noiseDim: 2,
    gHidden: [400, 400, 400, 400],
    dHidden: [200, 200, 200],
    pieces: 5,
    initStd: 0.02,
  };
}

export class PacGAN implements Adversary {
  readonly gLayers: Dense[] = [];
  readonly norms: BatchNorm[] = [];
  readonly gOut: Dense;
  readonly dLayers: Maxout[] = [];
  readonly dOut: Dense;
  readonly dropRng: Rng;
  constructor(
    readonly name: string,
    readonly config: PacGANConfig,
    rng: Rng,
  ) {
    const c = config;
    if (!(Number.isInteger(c.pack) && c.pack >= 1))
      throw new Error(`PacGAN ${name}: pack must be a positive integer, got ${c.pack}`);
    const init = { std: c.initStd };
    this.dropRng = rng.fork("dropout");
    let inG = c.noiseDim;
    c.gHidden.forEach((h, i) => {
      const layerName = `${name}.G.${i}`;
      this.gLayers.push(new Dense(layerName, inG, h, rng.fork(layerName), "linear", init));
      this.norms.push(new BatchNorm(`${name}.G.bn${i}`, h));
      inG = h;
    });
    this.gOut = new Dense(
      `${name}.G.out`,
      inG,
      c.dataDim,
      rng.fork(`${name}.G.out`),
      "linear",
      init,
    );
    let inD = c.dataDim * c.pack;
    c.dHidden.forEach((h, i) => {
      const layerName = `${name}.D.${i}`;
      this.dLayers.push(new Maxout(layerName, inD, h, c.pieces, rng.fork(layerName), init));
      inD = h;
    });
    this.dOut = new Dense(`${name}.D.out`, inD, 1, rng.fork(`${name}.D.out`), "linear", init);
  }
  get noiseDim(): number {
    return this.config.noiseDim;
  }
  get dataDim(): number {
    return this.config.dataDim;
  }
  gParams(): Record<string, tf.Variable> {
    const bn = this.norms.map((n) => n.trainable());
    return { ...collectParams([...this.gLayers, this.gOut]), ...Object.assign({}, ...bn) };
  }
  dParams(): Record<string, tf.Variable> {
    return collectParams([...this.dLayers, this.dOut]);
  }
  /** Every variable, BN's running averages included (what the weights file holds). */
  params(): Record<string, tf.Variable> {
    return { ...collectParams([...this.gLayers, ...this.norms, this.gOut]), ...this.dParams() };
  }
  /** G(z): batch statistics (and running averages updated) in training, running averages else. */
  generate(z: tf.Tensor2D, training = false): tf.Tensor2D {
    let h: tf.Tensor = z;
    this.gLayers.forEach((l, i) => {
      h = tf.relu(this.norms[i].apply(l.apply(h), training));
    });
    return this.gOut.apply(h) as tf.Tensor2D;
  }
  /**
   * D's logit for each pack of `pack` consecutive rows of x ([n, dataDim], n a multiple of the
   * pack): [n / pack, 1].
   */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    const [n, d] = x.shape;
    const m = this.config.pack;
    if (n % m !== 0) throw new Error(`PacGAN ${this.name}: ${n} rows do not make packs of ${m}`);
    let h: tf.Tensor = tf.reshape(x, [n / m, m * d]);
    for (const l of this.dLayers) h = l.apply(h);
    return this.dOut.apply(h) as tf.Tensor2D;
  }
  noise(n: number, rng: Rng): tf.Tensor2D {
    return randn(rng, [n, this.noiseDim]) as tf.Tensor2D;
  }
}

/** Packs per batch in the paper's runs. */
export const PACGAN_PACKS_PER_BATCH = 100;

/** Size of the fixed training set of the paper's runs. */
export const PACGAN_TRAINING_SAMPLES = 100_000;

/**
 * The paper's optimiser and batch (100 packs of m samples), and the number of steps: `steps`
 * (the paper's full budget is 400,000 steps).
 */
export function pacganBudget(pack: number, steps: number): GANBudget {
  return {
    steps,
    batchSize: PACGAN_PACKS_PER_BATCH * pack,
    lrG: 1e-4,
    lrD: 1e-4,
    beta1: 0.8,
    dSteps: 1,
    lrDecay: 1,
    decayFrac: 0,
  };
}

/** PacGAN's budgets here: `full` the steps of a run (see the notebook), `smoke` a few. */
export const PACGAN_STEPS = { full: 20_000, smoke: 40 };

/** Weights file stem: pacgan<m>-<dataset>-s<seed>. */
export function pacganModel(pack: number, dataset: string, seed: number): string {
  return `pacgan${pack}-${dataset}-s${seed}`;
}

/**
 * PacGAN-`pack` on one of the toy mixtures (ring8, grid25), loaded or trained (GENLAB_TRAIN), on a
 * fixed training set of 100,000 samples, with mode coverage logged over training.
 */
export async function fitPacGAN(
  pack: number,
  dataset: string,
  seed: number,
  o: { steps?: number; quiet?: boolean; quietLoad?: boolean } = {},
): Promise<FitGANResult<PacGAN> & { mix: Mixture }> {
  const mix = toyMixture(dataset);
  const model = pacganModel(pack, dataset, seed);
  const rng = new Rng(seed).fork("data");
  const train = sampleMixture(mix, PACGAN_TRAINING_SAMPLES, rng.fork("training set")).x;
  const r = await fitGAN<PacGAN>({
    model,
    build: () => new PacGAN(model, pacganConfig(pack), new Rng(seed)),
    data: rowSampler(train, 2, rng.fork("batches")),
    seed,
    budget: {
      full: pacganBudget(pack, o.steps ?? PACGAN_STEPS.full),
      smoke: pacganBudget(pack, PACGAN_STEPS.smoke),
    },
    evaluate: modeColumns(mix),
    quiet: o.quiet,
    quietLoad: o.quietLoad,
    metrics: (gan) => modeColumns(mix)(generateSamples(gan, 2500, new Rng(seed).fork("score"))),
  });
  return { ...r, mix };
}

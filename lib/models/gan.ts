/**
 * The generative adversarial network of notebook 03 (Goodfellow et al., 2014): a generator G maps
 * noise z ~ N(0, I) to data space, a discriminator D(x) = sigmoid(logit(x)) tells real from fake.
 *
 *   V(D, G) = E_{p_data}[log D(x)] + E_{z}[log(1 - D(G(z)))],     min_G max_D V(D, G)
 *   D*(x)   = p_data(x) / (p_data(x) + p_g(x))                     (the best D for a fixed G)
 *   V(D*, G) = -log 4 + 2 JSD(p_data || p_g)
 *
 * The generator's loss is either the minimax ("saturating") log(1 - D(G(z))) or the
 * "non-saturating"
 * -log D(G(z)) that the GAN paper recommends in practice. All losses are written on D's logits with
 * softplus, so they stay finite when D is certain. Everything here is seeded
 * (lib/runtime/random.ts).
 *
 * Also here: the 1-D theory helpers (D*, JSD and V(D*, G) by quadrature), the vanishing-gradient
 * experiment (train D against a fixed G, record the norm of G's gradient for both losses), and
 * GAN inversion (recover z for a given x by gradient descent from several starts).
 */
import * as fs from "fs";
import * as tf from "@tensorflow/tfjs";
import { adam, stepDecay } from "../runtime/optim";
import { batchStream, gatherRows, type BatchStream } from "../data/batch";
import { loadMnist, trainingData } from "../data/mnist";
import { grid25, ring8, sampleMixture, unbalanced, type Mixture } from "../data/toys";
import { modeCoverage, PACGAN_SAMPLES, type ModeCoverage } from "../eval/modes";
import { trainMode } from "../runtime/env";
import { type Grid2D } from "../display/grid";
import { writeJsonAtomic } from "../storage/io";
import { MLP, collectParams, type Activation, type HasParams } from "../runtime/nn";
import { Rng, randn, type RngState, type Stateful } from "../runtime/random";
import { resumeSpec, type ResumeTarget } from "../training/resume";
import { trainLoop, type History, type HistoryRow } from "../training/train";
import { budgets, fitOrLoad, weightsFile, type FitResult } from "../training/weights";

// ---------------------------------------------------------------------------------------------
// Model and losses.

export type GeneratorLoss = "saturating" | "nonsaturating";

export interface GANConfig {
  dataDim: number;
  noiseDim: number;
  gHidden: number[];
  dHidden: number[];
  /** Hidden activation of G (default relu) and D (default leakyRelu). */
  gAct?: Activation;
  dAct?: Activation;
  /** Output activation of G (default linear; sigmoid for pixels in [0, 1]). */
  gOut?: Activation;
  /**
   * Dropout rate on D's hidden layers while training (default 0: none). Weakens D so it cannot
   * memorise the training set and win outright (a common remedy for MLP GANs on MNIST).
   */
  dDropout?: number;
  /**
   * D sees 2x - 1 instead of x (data in [0, 1] centred to [-1, 1]). With a sigmoid G this is the
   * usual "tanh output, data scaled to [-1, 1]" setup (sigmoid(2a) = (tanh(a) + 1) / 2) while G's
   * samples stay pixels in [0, 1] for everything downstream.
   */
  dCenter?: boolean;
}

/**
 * What trainGAN, the samplers and the scores need of a generator and discriminator pair: the MLP
 * GAN below, and PacGAN's (lib/models/pacgan.ts: a batch-normalised G and a maxout D that sees m
 * samples at once).
 */
export interface Adversary extends HasParams {
  readonly name: string;
  readonly noiseDim: number;
  readonly dataDim: number;
  /** D's dropout masks while training; a resume checkpoint keeps its state. */
  readonly dropRng: Rng;
  gParams(): Record<string, tf.Variable>;
  dParams(): Record<string, tf.Variable>;
  /** G(z), [n, dataDim]; `training` (inside trainGAN's losses) may switch layers such as BN. */
  generate(z: tf.Tensor2D, training?: boolean): tf.Tensor2D;
  /** D's logit per input; D(x) = sigmoid(logit). `training` turns on D's dropout, if any. */
  logits(x: tf.Tensor2D, training?: boolean): tf.Tensor2D;
  /** n noise vectors z ~ N(0, I) from `rng`. */
  noise(n: number, rng: Rng): tf.Tensor2D;
}

export class GAN implements Adversary {
  readonly G: MLP;
  readonly D: MLP;
  /** D's dropout masks while training (config.dDropout); a resume checkpoint keeps its state. */
  readonly dropRng: Rng;
  constructor(
    readonly name: string,
    readonly config: GANConfig,
    rng: Rng,
  ) {
    const c = config;
    const p = c.dDropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new Error(`GAN ${name}: dDropout must be in [0, 1), got ${p}`);
    this.dropRng = rng.fork("dropout");
    this.G = new MLP(
      `${name}.G`,
      [c.noiseDim, ...c.gHidden, c.dataDim],
      rng.fork("G"),
      c.gAct ?? "relu",
      c.gOut ?? "linear",
    );
    this.D = new MLP(
      `${name}.D`,
      [c.dataDim, ...c.dHidden, 1],
      rng.fork("D"),
      c.dAct ?? "leakyRelu",
      "linear",
    );
  }
  get noiseDim(): number {
    return this.config.noiseDim;
  }
  get dataDim(): number {
    return this.config.dataDim;
  }
  params(): Record<string, tf.Variable> {
    return collectParams([this.G, this.D]);
  }
  gParams(): Record<string, tf.Variable> {
    return this.G.params();
  }
  dParams(): Record<string, tf.Variable> {
    return this.D.params();
  }
  /** G(z), [n, dataDim]. */
  generate(z: tf.Tensor2D): tf.Tensor2D {
    return this.G.apply(z) as tf.Tensor2D;
  }
  /**
   * D's logit, [n, 1]; D(x) = sigmoid(logit). `training` turns on D's dropout (config.dDropout).
   */
  logits(x: tf.Tensor2D, training = false): tf.Tensor2D {
    return discriminatorLogits(this.D, x, {
      dropout: training ? (this.config.dDropout ?? 0) : 0,
      center: this.config.dCenter,
      rng: this.dropRng,
    });
  }
  /** n noise vectors z ~ N(0, I) from `rng`. */
  noise(n: number, rng: Rng): tf.Tensor2D {
    return randn(rng, [n, this.noiseDim]) as tf.Tensor2D;
  }
}

/**
 * An MLP discriminator's logit, [n, 1]: the input centred to 2x - 1 when `center` (see
 * GANConfig.dCenter), and dropout at rate `dropout` after each hidden layer (0: none, as at
 * evaluation), its masks seeded from `rng` so a run is reproducible.
 */
export function discriminatorLogits(
  D: MLP,
  x: tf.Tensor2D,
  o: { dropout?: number; center?: boolean; rng: Rng },
): tf.Tensor2D {
  const p = o.dropout ?? 0;
  let h: tf.Tensor = o.center ? tf.sub(tf.mul(x, 2), 1) : x;
  const layers = D.layers;
  for (let i = 0; i < layers.length; i++) {
    h = layers[i].apply(h);
    if (p > 0 && i + 1 < layers.length)
      h = tf.dropout(h, p, undefined, Math.floor(o.rng.uniform() * 2 ** 31));
  }
  return h as tf.Tensor2D;
}

/**
 * D's loss -E[log D(x)] - E[log(1 - D(G(z)))] = mean softplus(-l_real) + mean softplus(l_fake).
 * With one-sided label smoothing (`realLabel` < 1, e.g. 0.9) the real rows' target is `realLabel`:
 * -E[t log D(x) + (1 - t) log(1 - D(x))] = mean(t softplus(-l) + (1 - t) softplus(l)).
 */
export function discriminatorLoss(
  realLogits: tf.Tensor,
  fakeLogits: tf.Tensor,
  realLabel = 1,
): tf.Scalar {
  if (!(realLabel > 0 && realLabel <= 1))
    throw new Error(`discriminatorLoss: realLabel must be in (0, 1], got ${realLabel}`);
  return tf.tidy(() => {
    const real =
      realLabel === 1
        ? tf.softplus(tf.neg(realLogits))
        : tf.add(
            tf.mul(realLabel, tf.softplus(tf.neg(realLogits))),
            tf.mul(1 - realLabel, tf.softplus(realLogits)),
          );
    return tf.add(tf.mean(real), tf.mean(tf.softplus(fakeLogits))) as tf.Scalar;
  });
}

/**
 * G's loss on D's logits of fake samples: saturating E[log(1 - D)] = -mean softplus(l), or
 * non-saturating -E[log D] = mean softplus(-l).
 */
export function generatorLoss(fakeLogits: tf.Tensor, kind: GeneratorLoss): tf.Scalar {
  return tf.tidy(() => {
    if (kind === "saturating") return tf.neg(tf.mean(tf.softplus(fakeLogits))) as tf.Scalar;
    if (kind === "nonsaturating") return tf.mean(tf.softplus(tf.neg(fakeLogits))) as tf.Scalar;
    throw new Error(
      `generatorLoss: unknown kind ${JSON.stringify(kind as string)}; use "saturating" or "nonsaturating"`,
    );
  });
}

/**
 * What the two players minimise, and with which optimisers: the standard GAN here, the WGANs in
 * lib/models/wgan.ts. trainGAN runs any objective with the same loop, snapshots and evaluation.
 */
export interface AdversarialObjective {
  /** Short name, e.g. "GAN (non-saturating)", shown in progress bars. */
  name: string;
  /**
   * Called once when training starts, with the budget in use (the objective may read its own
   * constants from it, e.g. WGAN's clip); returns the optimisers of D (or the critic) and G, which
   * trainGAN disposes.
   */
  begin(budget: GANBudget): { d: tf.Optimizer; g: tf.Optimizer };
  /**
   * D's loss on a real batch and G's samples of fresh noise (`rng` for anything random the loss
   * needs, e.g. WGAN-GP's interpolation weights). `logs`: extra scalars logged with the loss.
   */
  dLoss(
    gan: Adversary,
    real: tf.Tensor2D,
    fake: tf.Tensor2D,
    training: boolean,
    rng: Rng,
  ): { loss: tf.Scalar; logs?: Record<string, tf.Scalar> };
  /** G's loss on G's samples of fresh noise. */
  gLoss(gan: Adversary, fake: tf.Tensor2D, training: boolean): tf.Scalar;
  /** Runs after each D update (e.g. weight clipping). */
  afterD?(gan: Adversary): void;
}

/**
 * The GAN of Goodfellow et al.: cross-entropy D (real target `realLabel`), Adam(lr, beta1) for both
 * players.
 */
export function ganObjective(
  loss: GeneratorLoss = "nonsaturating",
  realLabel = 1,
): AdversarialObjective {
  return {
    name: `GAN (${loss})`,
    begin: (b) => ({ d: adam(b.lrD, b.beta1), g: adam(b.lrG, b.beta1) }),
    dLoss: (gan, real, fake, training) => ({
      loss: discriminatorLoss(gan.logits(real, training), gan.logits(fake, training), realLabel),
    }),
    gLoss: (gan, fake, training) => generatorLoss(gan.logits(fake, training), loss),
  };
}

// ---------------------------------------------------------------------------------------------
// Data samplers: a function that returns n fresh rows (n x dim, row-major), owning a seeded Rng.

/** A sampler may carry its state (its generator's), so a resumed run draws what it would have. */
export type Sampler = ((n: number) => Float32Array) & Partial<Stateful>;

/** Fresh draws from a 2-D mixture (lib/data/toys.ts) for every batch. */
export function mixtureSampler(mix: Mixture, rng: Rng): Sampler {
  return Object.assign((n: number) => sampleMixture(mix, n, rng).x, {
    getState: () => rng.getState(),
    setState: (st: unknown) => rng.setState(st as RngState),
  });
}

/** Minibatches of rows of a fixed data set (epochs of seeded shuffles). */
export function rowSampler(x: Float32Array, dim: number, rng: Rng): Sampler {
  const n = x.length / dim;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`rowSampler: ${x.length} values are not rows of ${dim}`);
  let next: BatchStream | null = null;
  let size = -1;
  const sample = (b: number) => {
    if (b !== size) {
      next = batchStream(n, b, rng);
      size = b;
    }
    return gatherRows(x, dim, next!());
  };
  return Object.assign(sample, {
    getState: () => ({ size, stream: next?.getState() ?? null, rng: rng.getState() }),
    setState: (raw: unknown) => {
      const st = raw as { size: number; stream: unknown; rng: RngState };
      size = st.size;
      next = st.stream === null ? null : batchStream(n, size, rng);
      if (next) next.setState(st.stream);
      rng.setState(st.rng);
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Training.

export interface GANBudget extends Record<string, number> {
  steps: number;
  batchSize: number;
  lrG: number;
  lrD: number;
  /** Adam's beta1 (0.5 is the DCGAN choice). */
  beta1: number;
  /** D updates per G update. */
  dSteps: number;
  /**
   * Both learning rates are multiplied by `lrDecay` over the last `decayFrac` of the steps (1: no
   * decay).
   */
  lrDecay: number;
  decayFrac: number;
  // Optional key (read with a default, so budgets without it, and weights trained before it, are
  // unchanged):
  //   realLabel: one-sided label smoothing, D's target for real rows (default 1: none; 0.9 is the
  // usual choice).
  //   dEvery: D is trained only on every dEvery-th step (default 1: every step), G on every step.
}

/** A picture of training at one step: G's samples of fixed noise and, on a 2-D grid, D(x). */
export interface GANSnapshot {
  step: number;
  /** n x dataDim, row-major. */
  samples: number[];
  /**
   * sigmoid(D logit) at each grid point (row by row), when a grid was given; the logit itself with
   * snapshots.raw (a critic).
   */
  d?: number[];
}

export interface TrainGANOptions {
  /** Where to keep a resume checkpoint (fitOrLoad passes it; see lib/training/resume.ts). */
  resume?: ResumeTarget;
  seed: number;
  /**
   * The standard GAN's generator loss (default non-saturating); ignored when `objective` is given.
   */
  loss?: GeneratorLoss;
  /** What D and G minimise (default: ganObjective(loss, budget.realLabel)). */
  objective?: AdversarialObjective;
  label?: string;
  quiet?: boolean;
  /** A history row every `logEvery` steps (default steps / 100). */
  logEvery?: number;
  /**
   * Scores samples of fixed noise at every history row; its numbers become columns of the row
   * (e.g. modes captured over training). `evalSamples` of them (default 2,500, PacGAN's count).
   */
  evaluate?: (samples: Float32Array) => Record<string, number>;
  evalSamples?: number;
  /** `frames` snapshots, evenly spaced (the first at step 0), of `n` samples and D on `grid`. */
  snapshots?: { frames: number; n: number; grid?: Grid2D; digits?: number; raw?: boolean };
}

const round = (v: ArrayLike<number>, digits: number): number[] => {
  const f = 10 ** digits;
  return Array.from(v, (x) => Math.round(x * f) / f);
};

/** Runs G on rows of noise in batches; returns n x dataDim. */
export function generateFrom(gan: Adversary, z: Float32Array, batch = 2048): Float32Array {
  const n = z.length / gan.noiseDim;
  const out = new Float32Array(n * gan.dataDim);
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const t = tf.tidy(() =>
      gan.generate(
        tf.tensor2d(z.subarray(s * gan.noiseDim, e * gan.noiseDim), [e - s, gan.noiseDim]),
      ),
    );
    out.set(t.dataSync(), s * gan.dataDim);
    t.dispose();
  }
  return out;
}

/** n samples G(z), z ~ N(0, I) from `rng`. */
export function generateSamples(gan: Adversary, n: number, rng: Rng): Float32Array {
  return generateFrom(gan, rng.normalArray(n * gan.noiseDim));
}

/**
 * D(x) = sigmoid(logit) at each row of x (n x dataDim), in batches; `raw`: the logit itself (a WGAN
 * critic's value).
 */
export function discriminate(
  gan: Adversary,
  x: Float32Array,
  batch = 4096,
  raw = false,
): Float32Array {
  const d = gan.dataDim;
  const n = x.length / d;
  const out = new Float32Array(n);
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const t = tf.tidy(() => {
      const l = gan.logits(tf.tensor2d(x.subarray(s * d, e * d), [e - s, d]));
      return raw ? l : tf.sigmoid(l);
    });
    out.set(t.dataSync(), s);
    t.dispose();
  }
  return out;
}

function snapshot(
  gan: Adversary,
  step: number,
  z: Float32Array,
  grid: Grid2D | undefined,
  digits: number,
  raw: boolean,
): GANSnapshot {
  const s: GANSnapshot = { step, samples: round(generateFrom(gan, z), digits) };
  if (grid) s.d = round(discriminate(gan, grid.points, 4096, raw), digits);
  return s;
}

/**
 * Alternating training: `dSteps` steps on D's loss, then one on G's, each on a fresh batch from
 * `data` and fresh noise, with the objective's optimisers (default: the GAN with Adam and the
 * non-saturating loss). Returns the history (columns d, g, the objective's logs and whatever
 * `evaluate` returns) and the snapshots asked for.
 */
export async function trainGAN(
  gan: Adversary,
  data: Sampler,
  budget: GANBudget,
  opts: TrainGANOptions,
): Promise<{ history: History; snapshots: GANSnapshot[] }> {
  const rng = new Rng(opts.seed);
  const noise = rng.fork("noise");
  const lossRng = rng.fork("loss");
  const dim = gan.dataDim;
  const b = budget.batchSize;
  if (!(Number.isInteger(budget.dSteps) && budget.dSteps >= 1))
    throw new Error(`trainGAN: dSteps must be a positive integer, got ${budget.dSteps}`);
  const realLabel = (budget["realLabel"] as number | undefined) ?? 1;
  const dEvery = (budget["dEvery"] as number | undefined) ?? 1;
  if (!(Number.isInteger(dEvery) && dEvery >= 1))
    throw new Error(`trainGAN: dEvery must be a positive integer, got ${dEvery}`);
  const obj = opts.objective ?? ganObjective(opts.loss ?? "nonsaturating", realLabel);
  const { d: optD, g: optG } = obj.begin(budget);
  const dVars = Object.values(gan.dParams());
  const gVars = Object.values(gan.gParams());
  const evalZ = rng.fork("eval").normalArray((opts.evalSamples ?? 2500) * gan.noiseDim);
  const snaps: GANSnapshot[] = [];
  const sn = opts.snapshots;
  const snapZ = sn ? rng.fork("snapshots").normalArray(sn.n * gan.noiseDim) : new Float32Array(0);
  const snapAt = new Set<number>();
  if (sn)
    for (let k = 0; k < sn.frames; k++)
      snapAt.add(Math.round((k * budget.steps) / Math.max(1, sn.frames - 1)));
  const take = (step: number) => {
    if (sn && snapAt.has(step))
      snaps.push(snapshot(gan, step, snapZ, sn.grid, sn.digits ?? 4, sn.raw ?? false));
  };
  take(0);
  const snapState: Stateful = {
    getState: () => snaps,
    setState: (st) => void snaps.splice(0, snaps.length, ...(st as GANSnapshot[])),
  };
  const resume = opts.resume
    ? resumeSpec(
        opts.resume,
        { d: optD, g: optG },
        { noise, lossRng, dropout: gan.dropRng, snaps: snapState },
        { data },
      )
    : undefined;
  try {
    const history = await trainLoop({
      resume,
      label: opts.label ?? `${obj.name} ${gan.name}`,
      steps: budget.steps,
      params: gan.params(),
      quiet: opts.quiet,
      logEvery: opts.logEvery ?? Math.max(1, Math.ceil(budget.steps / 100)),
      onLog: opts.evaluate
        ? (row: HistoryRow) => {
            Object.assign(row, opts.evaluate!(generateFrom(gan, evalZ)));
          }
        : undefined,
      step: (i) => {
        stepDecay(optD, budget.lrD, budget, i);
        stepDecay(optG, budget.lrG, budget, i);
        let dLoss: tf.Scalar | null = null;
        let logs: Record<string, tf.Scalar> = {};
        const dNow = i % dEvery === 0;
        for (let k = 0; k < (dNow ? budget.dSteps : 0); k++) {
          const real = tf.tensor2d(data(b), [b, dim]);
          const z = gan.noise(b, noise);
          tf.dispose([dLoss ?? [], ...Object.values(logs)]);
          logs = {};
          dLoss = optD.minimize(
            () => {
              const r = obj.dLoss(gan, real, gan.generate(z, true), true, lossRng);
              for (const [key, v] of Object.entries(r.logs ?? {})) logs[key] = tf.keep(v);
              return r.loss;
            },
            true,
            dVars,
          )!;
          obj.afterD?.(gan);
          tf.dispose([real, z]);
        }
        const z2 = gan.noise(b, noise);
        const gLoss = optG.minimize(
          () => obj.gLoss(gan, gan.generate(z2, true), true),
          true,
          gVars,
        )!;
        take(i + 1);
        // On steps without a D update, D's loss is logged on the batch G just saw (no update).
        if (!dLoss) {
          const real = tf.tensor2d(data(b), [b, dim]);
          dLoss = tf.tidy(() => {
            const r = obj.dLoss(gan, real, gan.generate(z2), false, lossRng);
            for (const [key, v] of Object.entries(r.logs ?? {})) logs[key] = tf.keep(v);
            return r.loss;
          });
          real.dispose();
        }
        z2.dispose();
        return { d: dLoss, g: gLoss, ...logs };
      },
    });
    return { history, snapshots: snaps };
  } finally {
    optD.dispose();
    optG.dispose();
  }
}

export interface FitGANOptions<A extends Adversary = GAN> {
  /** Weights file stem, e.g. "gan-ring8-s0". */
  model: string;
  /** The MLP GAN's architecture (seeded by `seed`); or `build`, for another Adversary. */
  config?: GANConfig;
  build?: () => A;
  /** Training data; created by the caller with its own seeded Rng. */
  data: Sampler;
  /** What the training data is, stored with the weights (trainingData in lib/data/mnist.ts). */
  dataName?: string;
  seed: number;
  budget: { full: GANBudget; smoke: GANBudget };
  loss?: GeneratorLoss;
  objective?: AdversarialObjective;
  evaluate?: (samples: Float32Array) => Record<string, number>;
  evalSamples?: number;
  snapshots?: TrainGANOptions["snapshots"];
  /** Numbers stored with the weights (computed after training). */
  metrics?: (gan: A) => Record<string, number>;
  label?: string;
  quiet?: boolean;
  /** No line per loaded shipped model (see FitSpec.quietLoad). */
  quietLoad?: boolean;
}

export interface FitGANResult<A extends Adversary = GAN> {
  gan: A;
  fit: FitResult;
  /**
   * Snapshots of this run, or the shipped ones (<model>.snapshots.json beside the weights); null if
   * none.
   */
  snapshots: GANSnapshot[] | null;
}

/**
 * Builds a GAN and loads its shipped weights or trains it (GENLAB_TRAIN), see
 * lib/training/weights.ts.
 */
export async function fitGAN<A extends Adversary = GAN>(
  o: FitGANOptions<A>,
): Promise<FitGANResult<A>> {
  if (!o.build && !o.config)
    throw new Error(`fitGAN ${o.model}: give a config or a build function`);
  const gan = o.build ? o.build() : (new GAN(o.model, o.config!, new Rng(o.seed)) as unknown as A);
  let snaps: GANSnapshot[] | null = null;
  const fit = await fitOrLoad({
    model: o.model,
    params: gan.params(),
    seed: o.seed,
    budget: o.budget,
    data: o.dataName,
    train: async (b, ctx) => {
      const r = await trainGAN(gan, o.data, b, {
        resume: ctx.resume,
        seed: o.seed + 1,
        loss: o.loss,
        objective: o.objective,
        label: o.label ?? o.model,
        quiet: o.quiet,
        evaluate: o.evaluate,
        evalSamples: o.evalSamples,
        snapshots: o.snapshots,
      });
      snaps = o.snapshots ? r.snapshots : null;
      return r.history;
    },
    metrics: o.metrics ? () => o.metrics!(gan) : undefined,
    quietLoad: o.quietLoad,
  });
  const file = weightsFile(o.model, trainMode()).replace(/\.safetensors$/, ".snapshots.json");
  if (fit.source === "trained" && snaps) writeJsonAtomic(file, snaps);
  else if (fit.source === "shipped" && fs.existsSync(file))
    snaps = JSON.parse(fs.readFileSync(file, "utf8")) as GANSnapshot[];
  return { gan, fit, snapshots: snaps };
}

// ---------------------------------------------------------------------------------------------
// The 2-D toys of notebook 03 (and `npm run sample`): one setup, one place.

/** The mixtures a toy GAN is trained on, by name (PacGAN's ring and grid; lib/data/toys.ts). */
export const TOY_DATASETS: Record<string, () => Mixture> = {
  ring8: () => ring8(),
  grid25: () => grid25(),
  unbalanced: () => unbalanced(),
};

/** G: 2-D noise, three hidden ReLU layers of 128; D: two hidden leaky-ReLU layers of 128. */
export const TOY_GAN_CONFIG: GANConfig = {
  dataDim: 2,
  noiseDim: 2,
  gHidden: [128, 128, 128],
  dHidden: [128, 128],
};

export const TOY_GAN_BUDGET: { full: GANBudget; smoke: GANBudget } = budgets(
  {
    steps: 5000,
    batchSize: 256,
    lrG: 1e-3,
    lrD: 1e-3,
    beta1: 0.5,
    dSteps: 1,
    lrDecay: 0.1,
    decayFrac: 0.4,
  },
  { steps: 60, batchSize: 64 },
);

/**
 * Weights file stem of the toy GAN (or `family`, e.g. "wgan-gp") trained on `dataset` with `seed`.
 */
export function toyGanModel(dataset: string, seed: number, variant = "", family = "gan"): string {
  return `${family}-${dataset}${variant ? `-${variant}` : ""}-s${seed}`;
}

/** One of TOY_DATASETS by name (an unknown name is an error listing the known ones). */
export function toyMixture(dataset: string): Mixture {
  const make = TOY_DATASETS[dataset];
  if (!make)
    throw new Error(
      `unknown toy data set ${JSON.stringify(dataset)}; known: ${Object.keys(TOY_DATASETS).join(", ")}`,
    );
  return make();
}

/**
 * Mode coverage (PacGAN protocol) as history columns: modes, hq and rkl (rkl left out when no
 * sample is HQ).
 */
export function modeColumns(mix: Mixture): (samples: Float32Array) => Record<string, number> {
  return (s) => {
    const m = modeCoverage(s, mix);
    const out: Record<string, number> = { modes: m.modesCaptured, hq: m.hqFraction };
    if (Number.isFinite(m.reverseKl)) out.rkl = m.reverseKl;
    return out;
  };
}

/**
 * A toy GAN on one of TOY_DATASETS, loaded or trained (GENLAB_TRAIN), with mode coverage logged
 * over training. `variant` names a changed setup (its budget/loss/config overrides) in the file
 * name.
 */
export async function fitToyGAN(
  dataset: string,
  seed: number,
  o: {
    variant?: string;
    /**
     * Model family in the file name (default "gan"; lib/models/wgan.ts uses "wgan-clip",
     * "wgan-gp").
     */
    family?: string;
    budget?: Partial<Record<keyof GANBudget, number>>;
    config?: Partial<GANConfig>;
    loss?: GeneratorLoss;
    objective?: AdversarialObjective;
    snapshots?: TrainGANOptions["snapshots"];
    quiet?: boolean;
    quietLoad?: boolean;
  } = {},
): Promise<FitGANResult & { mix: Mixture }> {
  const mix = toyMixture(dataset);
  const model = toyGanModel(dataset, seed, o.variant, o.family);
  const r = await fitGAN({
    model,
    config: { ...TOY_GAN_CONFIG, ...o.config },
    data: mixtureSampler(mix, new Rng(seed).fork("data")),
    seed,
    budget: {
      full: { ...TOY_GAN_BUDGET.full, ...o.budget } as GANBudget,
      smoke: {
        ...TOY_GAN_BUDGET.smoke,
        ...o.budget,
        steps: TOY_GAN_BUDGET.smoke.steps,
      } as GANBudget,
    },
    loss: o.loss,
    objective: o.objective,
    evaluate: modeColumns(mix),
    snapshots: o.snapshots,
    quiet: o.quiet,
    quietLoad: o.quietLoad,
    metrics: (gan) => modeColumns(mix)(generateSamples(gan, 2500, new Rng(seed).fork("score"))),
  });
  return { ...r, mix };
}

/**
 * PacGAN's score of a toy generator: 2,500 samples of noise seeded 1000 + `seed` (notebooks 03, 04
 * and 06 score every toy model this way, so their tables compare).
 */
export function scoreToy(gan: Adversary, mix: Mixture, seed: number): ModeCoverage {
  return modeCoverage(generateSamples(gan, PACGAN_SAMPLES, new Rng(1000 + seed)), mix);
}

/**
 * Values on a 2-D grid (row by row, as lib/display/grid.ts lays them out) read at each point by
 * nearest grid node.
 */
export function valuesAt(
  grid: Grid2D,
  values: ArrayLike<number>,
  points: ArrayLike<number>,
): Float32Array {
  const nx = grid.xs.length;
  const ny = grid.ys.length;
  if (values.length !== nx * ny)
    throw new Error(`valuesAt: ${values.length} values for a ${nx} x ${ny} grid`);
  const idx = (v: number, a: number[]) =>
    Math.min(
      a.length - 1,
      Math.max(0, Math.round(((v - a[0]) / (a[a.length - 1] - a[0])) * (a.length - 1))),
    );
  const out = new Float32Array(points.length / 2);
  for (let i = 0; i < out.length; i++)
    out[i] = values[idx(points[2 * i + 1], grid.ys) * nx + idx(points[2 * i], grid.xs)];
  return out;
}

// ---------------------------------------------------------------------------------------------
// Theory on a 1-D toy with known densities.

export interface Density1D {
  name: string;
  pdf: (x: number) => number;
  sample: (n: number, rng: Rng) => Float32Array;
}

/** A 1-D Gaussian mixture: components {mean, sd, weight} (weights normalised). */
export function gaussianMixture1D(
  name: string,
  comps: { mean: number; sd: number; weight?: number }[],
): Density1D {
  if (comps.length === 0 || comps.some((c) => !(c.sd > 0)))
    throw new Error(`gaussianMixture1D ${name}: need components with sd > 0`);
  const total = comps.reduce((s, c) => s + (c.weight ?? 1), 0);
  const w = comps.map((c) => (c.weight ?? 1) / total);
  return {
    name,
    pdf: (x) =>
      comps.reduce(
        (s, c, k) =>
          s +
          (w[k] * Math.exp(-0.5 * ((x - c.mean) / c.sd) ** 2)) / (c.sd * Math.sqrt(2 * Math.PI)),
        0,
      ),
    sample: (n, rng) => {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        let u = rng.uniform();
        let k = 0;
        while (k < w.length - 1 && u >= w[k]) u -= w[k++];
        out[i] = comps[k].mean + comps[k].sd * rng.normal();
      }
      return out;
    },
  };
}

/** A uniform density on [lo, hi]. */
export function uniform1D(name: string, lo: number, hi: number): Density1D {
  if (!(hi > lo)) throw new Error(`uniform1D ${name}: need lo < hi`);
  return {
    name,
    pdf: (x) => (x >= lo && x <= hi ? 1 / (hi - lo) : 0),
    sample: (n, rng) => rng.uniformArray(n, lo, hi),
  };
}

/** D*(x) = p_data / (p_data + p_g); 0.5 where both vanish (any value is optimal there). */
export function optimalDiscriminator(pData: Density1D, pG: Density1D, x: number): number {
  const a = pData.pdf(x);
  const b = pG.pdf(x);
  return a + b > 0 ? a / (a + b) : 0.5;
}

/** Composite Simpson rule for a function on [lo, hi] with n (made even) intervals. */
export function integrate1D(f: (x: number) => number, lo: number, hi: number, n = 20000): number {
  const m = n % 2 === 0 ? n : n + 1;
  const h = (hi - lo) / m;
  let s = f(lo) + f(hi);
  for (let i = 1; i < m; i++) s += (i % 2 === 1 ? 4 : 2) * f(lo + i * h);
  return (s * h) / 3;
}

const xlogy = (x: number, y: number) => (x === 0 ? 0 : x * Math.log(y));

/** JSD(p || q) = KL(p || m)/2 + KL(q || m)/2, m = (p + q)/2, by quadrature on [lo, hi] (nats). */
export function jsd1D(p: Density1D, q: Density1D, lo: number, hi: number, n?: number): number {
  return integrate1D(
    (x) => {
      const a = p.pdf(x);
      const b = q.pdf(x);
      const m = 0.5 * (a + b);
      return 0.5 * (xlogy(a, a / m) + xlogy(b, b / m));
    },
    lo,
    hi,
    n,
  );
}

/**
 * V(D, G) = E_{p_data}[log D] + E_{p_g}[log(1 - D)] by quadrature, for a given D(x) (default D*).
 */
export function valueFunction1D(
  pData: Density1D,
  pG: Density1D,
  lo: number,
  hi: number,
  D?: (x: number) => number,
  n?: number,
): number {
  const d = D ?? ((x: number) => optimalDiscriminator(pData, pG, x));
  return integrate1D((x) => xlogy(pData.pdf(x), d(x)) + xlogy(pG.pdf(x), 1 - d(x)), lo, hi, n);
}

/** Trains D (an MLP with one logit output) to tell `real` from `fake` rows; returns the history. */
export async function trainDiscriminator(
  D: MLP,
  real: Sampler,
  fake: Sampler,
  o: {
    steps: number;
    batchSize: number;
    lr: number;
    label?: string;
    quiet?: boolean;
    logEvery?: number;
    onLog?: (row: HistoryRow) => void;
    /** D's loss on a real and a fake batch (default: the GAN's cross-entropy on D's logits). */
    loss?: (real: tf.Tensor2D, fake: tf.Tensor2D) => tf.Scalar;
    /** Adam's beta1 and beta2 (default tfjs's 0.9, 0.999). */
    betas?: [number, number];
    /** Runs after each update (e.g. weight clipping). */
    afterStep?: () => void;
  },
): Promise<History> {
  const dim = D.sizes[0];
  const opt = o.betas ? adam(o.lr, o.betas[0], o.betas[1]) : adam(o.lr);
  const lossFn =
    o.loss ?? ((r: tf.Tensor2D, f: tf.Tensor2D) => discriminatorLoss(D.apply(r), D.apply(f)));
  const vars = Object.values(D.params());
  try {
    return await trainLoop({
      label: o.label ?? `discriminator ${D.name}`,
      steps: o.steps,
      params: D.params(),
      quiet: o.quiet,
      logEvery: o.logEvery,
      onLog: o.onLog,
      step: () => {
        const r = tf.tensor2d(real(o.batchSize), [o.batchSize, dim]);
        const f = tf.tensor2d(fake(o.batchSize), [o.batchSize, dim]);
        const loss = opt.minimize(() => lossFn(r, f), true, vars)!;
        o.afterStep?.();
        tf.dispose([r, f]);
        return { loss };
      },
    });
  } finally {
    opt.dispose();
  }
}

/** sigmoid(D logit) at each of the given 1-D points. */
export function discriminatorCurve(D: MLP, xs: ArrayLike<number>): Float32Array {
  const t = tf.tidy(() => tf.sigmoid(D.apply(tf.tensor2d(Float32Array.from(xs), [xs.length, 1]))));
  const out = t.dataSync() as Float32Array;
  t.dispose();
  return Float32Array.from(out);
}

/**
 * D's curve as a function of x (evaluated once on n points of [lo, hi], linear in between), e.g.
 * for valueFunction1D; clamped to [1e-7, 1 - 1e-7] since float32 sigmoids round to exactly 0 or 1
 * far out.
 */
export function discriminatorFunction1D(
  D: MLP,
  lo: number,
  hi: number,
  n = 4001,
): (x: number) => number {
  const xs = Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  const d = discriminatorCurve(D, xs);
  return (x) => {
    const t = Math.min(n - 1, Math.max(0, ((x - lo) / (hi - lo)) * (n - 1)));
    const i = Math.min(n - 2, Math.floor(t));
    return Math.min(1 - 1e-7, Math.max(1e-7, d[i] + (t - i) * (d[i + 1] - d[i])));
  };
}

/** What notebook 03's A9 check measures: a trained D beside D*, on the 1-D toy's grid. */
export interface DiscriminatorVsOptimal {
  D: MLP;
  /** The grid: 241 points of [-3, 3]. */
  xs: number[];
  dTrained: Float32Array;
  dStar: number[];
  /** max |D - D*| over the grid points where p_data + p_g > 0.05. */
  maxErr: number;
  /** E |D - D*| under the mixture (p_data + p_g) / 2, by the rectangle rule on the grid. */
  meanErr: number;
  /** V(trained D, G) by quadrature on [-8, 8]. */
  vTrained: number;
}

/**
 * Trains an MLP 1-64-64-1 discriminator on samples of `pData` (real) and `pG` (fake) only, with
 * Adam (lr 2e-3, batches of 512), and compares it with D* = p_data / (p_data + p_g). `seed` seeds
 * the weights, `seed + 1` the real and `seed + 2` the fake samples (notebook 03 uses seed 31).
 */
export async function discriminatorVsOptimal(
  pData: Density1D,
  pG: Density1D,
  o: { seed: number; steps: number; quiet?: boolean },
): Promise<DiscriminatorVsOptimal> {
  const D = new MLP("d1", [1, 64, 64, 1], new Rng(o.seed), "leakyRelu", "linear");
  const rD = new Rng(o.seed + 1);
  const rG = new Rng(o.seed + 2);
  await trainDiscriminator(
    D,
    (n) => pData.sample(n, rD),
    (n) => pG.sample(n, rG),
    {
      steps: o.steps,
      batchSize: 512,
      lr: 2e-3,
      label: "D on the 1-D toy",
      quiet: o.quiet,
    },
  );
  const xs = Array.from({ length: 241 }, (_, i) => -3 + i * 0.025);
  const dTrained = discriminatorCurve(D, xs);
  const dStar = xs.map((x) => optimalDiscriminator(pData, pG, x));
  let maxErr = 0;
  let meanErr = 0;
  xs.forEach((x, i) => {
    const mass = pData.pdf(x) + pG.pdf(x);
    const err = Math.abs(dTrained[i] - dStar[i]);
    if (mass > 0.05) maxErr = Math.max(maxErr, err);
    meanErr += (mass / 2) * err * 0.025;
  });
  const vTrained = valueFunction1D(pData, pG, -8, 8, discriminatorFunction1D(D, -8, 8));
  return { D, xs, dTrained, dStar, maxErr, meanErr, vTrained };
}

/** Notebook 03's 1-D toy (A9): a mixture of two Gaussians as data, one Gaussian as generator. */
export function a9Toy(): { pData: Density1D; pG: Density1D } {
  return {
    pData: gaussianMixture1D("data", [
      { mean: -1, sd: 0.4 },
      { mean: 1.5, sd: 0.3, weight: 0.5 },
    ]),
    pG: gaussianMixture1D("generator", [{ mean: 0.5, sd: 0.8 }]),
  };
}

// ---------------------------------------------------------------------------------------------
// B5: does G's gradient vanish when D is (nearly) always right?

/** sqrt of the sum of squares of every gradient tensor. */
export function globalNorm(grads: Record<string, tf.Tensor>): number {
  return tf.tidy(() =>
    Math.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))).dataSync()[0]),
  );
}

/**
 * Norm of the gradient of G's loss with respect to G's parameters, on the noise z; `shift` is added
 * to G's output. `kind`: a GAN generator loss, or any loss of D's outputs (e.g. WGAN's -mean f).
 */
export function generatorGradNorm(
  gan: GAN,
  z: tf.Tensor2D,
  kind: GeneratorLoss | ((out: tf.Tensor2D) => tf.Scalar),
  shift?: number[],
): number {
  const vars = Object.values(gan.gParams());
  const sh = shift ? tf.tensor2d([shift]) : null;
  const { value, grads } = tf.variableGrads(() => {
    const x = sh ? tf.add(gan.generate(z), sh) : gan.generate(z);
    const out = gan.logits(x as tf.Tensor2D);
    return typeof kind === "function" ? kind(out) : generatorLoss(out, kind);
  }, vars);
  const n = globalNorm(grads);
  tf.dispose([value, sh ?? [], ...Object.values(grads)]);
  return n;
}

export interface VanishingRow {
  step: number;
  /** D's accuracy on fresh real and fake batches (threshold 1/2). */
  accuracy: number;
  /** Mean D(G(z)). */
  dFake: number;
  saturating: number;
  nonsaturating: number;
}

/**
 * Holds G fixed and trains D (Adam) for `steps` steps; every `every` steps records D's accuracy
 * and the norm of G's gradient for both losses on `evalBatch` fixed noise vectors. `shift` moves
 * G's samples (e.g. far from the data, for disjoint supports).
 */
export async function vanishingGradients(
  gan: GAN,
  real: Sampler,
  o: {
    steps: number;
    every: number;
    batchSize: number;
    lr: number;
    seed: number;
    evalBatch?: number;
    shift?: number[];
    quiet?: boolean;
    label?: string;
  },
): Promise<VanishingRow[]> {
  const rng = new Rng(o.seed);
  const noise = rng.fork("noise");
  const dim = gan.dataDim;
  const shiftRow = (x: Float32Array) => {
    if (o.shift) for (let i = 0; i < x.length; i++) x[i] += o.shift[i % dim];
    return x;
  };
  const fake: Sampler = (n) => shiftRow(generateSamples(gan, n, noise));
  const m = o.evalBatch ?? 1024;
  const zEval = gan.noise(m, rng.fork("eval"));
  const realEval = real(m);
  const fakeEval = shiftRow(generateFrom(gan, zEval.dataSync() as Float32Array));
  const rows: VanishingRow[] = [];
  const measure = (step: number) => {
    const dr = discriminate(gan, realEval);
    const df = discriminate(gan, fakeEval);
    let ok = 0;
    for (let i = 0; i < m; i++) ok += (dr[i] > 0.5 ? 1 : 0) + (df[i] < 0.5 ? 1 : 0);
    rows.push({
      step,
      accuracy: ok / (2 * m),
      dFake: df.reduce((a, v) => a + v, 0) / m,
      saturating: generatorGradNorm(gan, zEval, "saturating", o.shift),
      nonsaturating: generatorGradNorm(gan, zEval, "nonsaturating", o.shift),
    });
  };
  measure(0);
  try {
    await trainDiscriminator(gan.D, real, fake, {
      steps: o.steps,
      batchSize: o.batchSize,
      lr: o.lr,
      quiet: o.quiet,
      label: o.label,
      logEvery: o.every,
      onLog: (row) => {
        if (row.step % o.every === 0) measure(row.step);
      },
    });
  } finally {
    zEval.dispose();
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// A5: GAN inversion, z* = argmin_z ||G(z) - x||^2, from several starts.

export interface Inversion {
  /**
   * Solutions, (targets * starts) x noiseDim; target t's starts are rows t*starts ..
   * t*starts+starts-1.
   */
  z: Float32Array;
  /** Mean squared error per coordinate of G(z) against its target, per row of z. */
  error: Float32Array;
  /** G(z) of each solution, (targets * starts) x dataDim. */
  x: Float32Array;
  targets: number;
  starts: number;
  seconds: number;
}

/**
 * Inverts G for each row of `targets` (m x dataDim) by Adam on z from `starts` random starts z0 ~
 * N(0, I).
 */
export function invertGenerator(
  gan: GAN,
  targets: Float32Array,
  o: { starts: number; steps: number; lr: number; seed: number },
): Inversion {
  const d = gan.dataDim;
  const L = gan.noiseDim;
  const m = targets.length / d;
  if (!Number.isInteger(m) || m < 1)
    throw new Error(`invertGenerator: ${targets.length} values are not rows of ${d}`);
  const t0 = Date.now();
  const rows = m * o.starts;
  const z = tf.variable(randn(new Rng(o.seed), [rows, L]));
  const tgt = tf.tidy(() =>
    tf.reshape(tf.tile(tf.tensor3d(targets, [m, 1, d]), [1, o.starts, 1]), [rows, d]),
  );
  const opt = adam(o.lr);
  // The sum over rows of per-row MSE: each row's gradient is independent of the others.
  const perRow = () => tf.mean(tf.square(tf.sub(gan.generate(z as tf.Tensor2D), tgt)), 1);
  for (let i = 0; i < o.steps; i++) opt.minimize(() => tf.sum(perRow()) as tf.Scalar, false, [z]);
  const err = tf.tidy(perRow);
  const xs = tf.tidy(() => gan.generate(z as tf.Tensor2D));
  const out: Inversion = {
    z: Float32Array.from(z.dataSync()),
    error: Float32Array.from(err.dataSync()),
    x: Float32Array.from(xs.dataSync()),
    targets: m,
    starts: o.starts,
    seconds: (Date.now() - t0) / 1000,
  };
  tf.dispose([z, tgt, err, xs]);
  opt.dispose();
  return out;
}

/**
 * Per target: the best error over the starts, the fraction of starts that failed (error above
 * `threshold`), and the spread of the solutions that succeeded (mean pairwise distance between
 * their z, divided by sqrt(noiseDim); 0 when fewer than two succeeded).
 */
export function inversionSummary(
  inv: Inversion,
  noiseDim: number,
  threshold: number,
): { best: number[]; failed: number[]; spread: number[] } {
  const best: number[] = [];
  const failed: number[] = [];
  const spread: number[] = [];
  for (let t = 0; t < inv.targets; t++) {
    const idx = Array.from({ length: inv.starts }, (_, k) => t * inv.starts + k);
    const errs = idx.map((i) => inv.error[i]);
    best.push(Math.min(...errs));
    const ok = idx.filter((i) => inv.error[i] <= threshold);
    failed.push((inv.starts - ok.length) / inv.starts);
    let s = 0;
    let c = 0;
    for (let a = 0; a < ok.length; a++) {
      for (let b = a + 1; b < ok.length; b++) {
        let d2 = 0;
        for (let j = 0; j < noiseDim; j++)
          d2 += (inv.z[ok[a] * noiseDim + j] - inv.z[ok[b] * noiseDim + j]) ** 2;
        s += Math.sqrt(d2);
        c++;
      }
    }
    spread.push(c ? s / c / Math.sqrt(noiseDim) : 0);
  }
  return { best, failed, spread };
}

// ---------------------------------------------------------------------------------------------
// The MNIST GAN of notebook 03: an MLP (convolutions train too slowly on one wasm thread).

/**
 * G: 64-D noise, hidden 256, 512 and 1024 (ReLU), 784 sigmoid pixels; D: 784-512-256-1 (leaky ReLU
 * 0.2) with dropout 0.3 while training, seeing pixels centred to [-1, 1]. Chosen by measurement
 * (notebook 03, section 6): with G 64-256-512-784, no dropout and no label smoothing, D wins (loss
 * ~0.02) and every sample is one digit class after 2,000 steps; with a one-layer D (784-256-1) the
 * same.
 */
export const MNIST_GAN_CONFIG: GANConfig = {
  dataDim: 784,
  noiseDim: 64,
  gHidden: [256, 512, 1024],
  dHidden: [512, 256],
  gOut: "sigmoid",
  dDropout: 0.3,
  dCenter: true,
};

/**
 * Non-saturating loss, Adam 2e-4 (beta1 0.5), batches of 64, one-sided label smoothing 0.9; ~6 min
 * on 2 cores.
 */
export const MNIST_GAN_BUDGET: { full: GANBudget; smoke: GANBudget } = budgets(
  {
    steps: 7000,
    batchSize: 64,
    lrG: 2e-4,
    lrD: 2e-4,
    beta1: 0.5,
    dSteps: 1,
    lrDecay: 1,
    decayFrac: 0,
    realLabel: 0.9,
  },
  { steps: 30 },
);

/**
 * The MNIST GAN (weights gan-mnist), trained on rows of pixels in [0, 1], with `frames` snapshots
 * of 10 digits.
 */
export function fitMnistGAN(
  x: Float32Array,
  seed = 303,
  frames = 8,
  dataName: string = trainingData(loadMnist()),
): Promise<FitGANResult> {
  return fitGAN({
    model: "gan-mnist",
    config: MNIST_GAN_CONFIG,
    data: rowSampler(x, 784, new Rng(seed).fork("data")),
    dataName,
    seed,
    budget: MNIST_GAN_BUDGET,
    snapshots: { frames, n: 10, digits: 3 },
  });
}

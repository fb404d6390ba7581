/**
 * The autoregressive family of notebook 06: MADE, the Masked Autoencoder for Distribution
 * Estimation (Germain, Gregor, Murray & Larochelle, ICML 2015), on binary vectors such as
 * binarised MNIST. The chain rule gives an exact likelihood,
 *
 *   p(x) = prod_d p(x_d | x_<d),   p(x_d = 1 | x_<d) = sigmoid(l_d(x_<d)),
 *   -log p(x) = sum_d softplus(l_d) - x_d l_d      (exact, in nats; no bound, no integral)
 *
 * and one pass of an ordinary autoencoder computes all D logits l_d at once, once its weights are
 * masked so that l_d cannot see x_d, x_d+1, ...: every unit k of hidden layer l gets a degree
 * m_l(k) (the largest input index it may depend on), drawn uniformly from
 * {min_k' m_(l-1)(k'), ..., D-1} with the input degrees m_0(d) = d (natural pixel order, 1-based),
 * and a weight is kept only where
 *
 *   hidden layer l:  M[k', k] = 1 if m_l(k) >= m_(l-1)(k')
 *   output layer:    M[k, d]  = 1 if d > m_L(k)
 *   direct (x -> l): A[d', d] = 1 if d > d'                                      (optional)
 *
 * Layers compute x (W * M) + b, so the gradient of a masked weight is exactly zero: masked
 * weights start at zero and stay there. The degrees come from a seeded Rng and are stored in the
 * weights file with the weights (int32 tensors "<name>.hN.degrees"), so a file always brings the
 * masks it was trained with.
 *
 * Sampling is sequential: D network passes, pixel by pixel (all n images in each pass).
 *
 * Published figures (Germain et al. 2015, Table 6; official binarised MNIST, 50,000 training
 * digits, early stopping on 10,000 validation digits, many epochs): MADE with one hidden layer of
 * 500 units and one mask: 88.40 nats; NADE (fixed order): 88.33 nats. See MADE_PUBLISHED.
 */
import * as tf from "@tensorflow/tfjs";
import { adam } from "../runtime/optim";
import { batchStream, binarizeDynamic, gatherRows } from "../data/batch";
import type { TrainMode } from "../runtime/env";
import { ProgressBar } from "../display/progress";
import { Rng } from "../runtime/random";
import { mean } from "../runtime/stats";
import { resumeSpec } from "../training/resume";
import { trainLoop, type History, type HistoryRow, type TrainOptions } from "../training/train";
import { fitOrLoad, type FitResult } from "../training/weights";
import { bernoulliLogLik } from "./vae";

/** Negative log-likelihoods on binarised MNIST, in nats, from the MADE paper (Table 6). */
export const MADE_PUBLISHED = {
  source: "Germain et al., MADE, ICML 2015, Table 6 (binarised MNIST, official 50k/10k/10k split)",
  made1h500: 88.4,
  nade: 88.33,
} as const;

export interface MADEConfig {
  /** Number of binary variables D (784 for MNIST). */
  inputDim: number;
  /** Hidden layer sizes (ReLU), one or more; the paper's MNIST model is [500]. */
  hidden: number[];
  /**
   * Direct input-to-output connections (a masked D x D matrix, strictly autoregressive). Default
   * false.
   */
  direct?: boolean;
}

/** The architecture in words, e.g. "1 hidden layer of 500, direct connections". */
export function describeMADE(config: MADEConfig): string {
  const h = config.hidden;
  const layers = `${h.length} hidden layer${h.length > 1 ? "s" : ""} of ${h.join(", ")}`;
  return config.direct ? `${layers}, direct connections` : layers;
}

/**
 * Degrees of the hidden units, per the paper: layer l's are uniform on
 * {min of layer l-1's degrees, ..., D-1}; the inputs have degrees 1..D (natural order).
 */
export function madeDegrees(inputDim: number, hidden: number[], rng: Rng): Int32Array[] {
  const out: Int32Array[] = [];
  let lo = 1;
  hidden.forEach((h, l) => {
    const r = rng.fork(`degrees${l}`);
    const deg = new Int32Array(h);
    for (let k = 0; k < h; k++) deg[k] = lo + r.int(inputDim - lo);
    out.push(deg);
    lo = deg.reduce((m, v) => Math.min(m, v), inputDim);
  });
  return out;
}

/** The natural-order input degrees 1..D. */
function inputDegrees(d: number): Int32Array {
  return Int32Array.from({ length: d }, (_, i) => i + 1);
}

/**
 * The masks for given hidden degrees, each row-major [in, out] (as the weights): one per hidden
 * layer, then the output layer's, and the direct connections' (strictly lower-triangular pattern).
 */
export function madeMasks(
  inputDim: number,
  degrees: Int32Array[],
): { hidden: Float32Array[]; output: Float32Array; direct: Float32Array } {
  const hidden: Float32Array[] = [];
  let prev = inputDegrees(inputDim);
  for (const deg of degrees) {
    const m = new Float32Array(prev.length * deg.length);
    for (let i = 0; i < prev.length; i++)
      for (let k = 0; k < deg.length; k++) m[i * deg.length + k] = deg[k] >= prev[i] ? 1 : 0;
    hidden.push(m);
    prev = deg;
  }
  const output = new Float32Array(prev.length * inputDim);
  for (let k = 0; k < prev.length; k++)
    for (let d = 0; d < inputDim; d++) output[k * inputDim + d] = d + 1 > prev[k] ? 1 : 0;
  const direct = new Float32Array(inputDim * inputDim);
  for (let i = 0; i < inputDim; i++)
    for (let d = i + 1; d < inputDim; d++) direct[i * inputDim + d] = 1;
  return { hidden, output, direct };
}

/** y = x (W * M) + b with a fixed 0/1 mask M; gradients reach only the kept weights. */
export class MaskedDense {
  readonly w: tf.Variable;
  readonly b: tf.Variable | null;
  private maskT: tf.Tensor2D;
  constructor(
    readonly name: string,
    readonly inDim: number,
    readonly outDim: number,
    mask: Float32Array,
    init: { std: number } | "zeros",
    rng: Rng,
    bias = true,
  ) {
    this.maskT = tf.tensor2d(mask, [inDim, outDim]);
    const values =
      init === "zeros"
        ? new Float32Array(inDim * outDim)
        : rng.normalArray(inDim * outDim, 0, init.std);
    for (let i = 0; i < values.length; i++) values[i] *= mask[i];
    this.w = tf.variable(tf.tensor2d(values, [inDim, outDim]));
    this.b = bias ? tf.variable(tf.zeros([outDim])) : null;
  }
  get mask(): tf.Tensor2D {
    return this.maskT;
  }
  /** Replaces the mask (after loading weights trained with other degrees). */
  setMask(mask: Float32Array): void {
    this.maskT.dispose();
    this.maskT = tf.tensor2d(mask, [this.inDim, this.outDim]);
  }
  /** W * M. */
  maskedWeight(): tf.Tensor2D {
    return tf.mul(this.w, this.maskT) as tf.Tensor2D;
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const y = tf.matMul(x, this.maskedWeight());
      return (this.b ? tf.add(y, this.b) : y) as tf.Tensor2D;
    });
  }
  params(): Record<string, tf.Variable> {
    return this.b
      ? { [`${this.name}.w`]: this.w, [`${this.name}.b`]: this.b }
      : { [`${this.name}.w`]: this.w };
  }
  dispose(): void {
    this.maskT.dispose();
  }
}

export class MADE {
  readonly hiddenLayers: MaskedDense[] = [];
  readonly out: MaskedDense;
  readonly direct: MaskedDense | null;
  /** Degrees of each hidden layer's units (JS copies of the int32 variables below). */
  degrees: Int32Array[];
  /**
   * The degrees as int32, non-trainable variables, so that they are saved and loaded with the
   * weights.
   */
  private readonly degreeVars: tf.Variable[];

  constructor(
    readonly name: string,
    readonly config: MADEConfig,
    rng: Rng,
  ) {
    const { inputDim: D, hidden } = config;
    if (!Number.isInteger(D) || D < 2)
      throw new Error(`MADE ${name}: inputDim must be an integer >= 2, got ${D}`);
    if (hidden.length < 1 || hidden.some((h) => !Number.isInteger(h) || h < 1)) {
      throw new Error(
        `MADE ${name}: hidden must be one or more positive integers, got [${hidden.join(", ")}]`,
      );
    }
    this.degrees = madeDegrees(D, hidden, rng.fork("masks"));
    const masks = madeMasks(D, this.degrees);
    const sizes = [D, ...hidden];
    hidden.forEach((h, l) => {
      // He initialisation scaled to the units' actual fan-in (the kept share of the mask).
      const kept = masks.hidden[l].reduce((s, v) => s + v, 0) / h;
      this.hiddenLayers.push(
        new MaskedDense(
          `${name}.h${l}`,
          sizes[l],
          h,
          masks.hidden[l],
          { std: Math.sqrt(2 / Math.max(1, kept)) },
          rng.fork(`h${l}`),
        ),
      );
    });
    const H = hidden[hidden.length - 1];
    const keptOut = masks.output.reduce((s, v) => s + v, 0) / D;
    this.out = new MaskedDense(
      `${name}.out`,
      H,
      D,
      masks.output,
      { std: Math.sqrt(1 / Math.max(1, keptOut)) },
      rng.fork("out"),
    );
    this.direct = config.direct
      ? new MaskedDense(`${name}.direct`, D, D, masks.direct, "zeros", rng.fork("direct"), false)
      : null;
    this.degreeVars = this.degrees.map((d) =>
      tf.variable(tf.tensor1d(d, "int32"), false, undefined, "int32"),
    );
  }

  get inputDim(): number {
    return this.config.inputDim;
  }

  /** Every tensor of the model, as saved: weights, biases and the hidden units' degrees. */
  params(): Record<string, tf.Variable> {
    const p: Record<string, tf.Variable> = {};
    for (const l of this.layers()) Object.assign(p, l.params());
    this.degreeVars.forEach((v, l) => (p[`${this.name}.h${l}.degrees`] = v));
    return p;
  }

  /** The trainable variables (params() without the degrees). */
  trainable(): tf.Variable[] {
    return this.layers().flatMap((l) => Object.values(l.params()));
  }

  /** Number of weights the masks keep, plus biases: the model's effective size. */
  effectiveParamCount(): number {
    let n = 0;
    for (const l of this.layers()) {
      n += tf.tidy(() => tf.sum(l.mask).dataSync()[0]);
      if (l.b) n += l.b.size;
    }
    return n;
  }

  /** The weight matrices (no biases). */
  layersWeights(): tf.Variable[] {
    return this.layers().map((l) => l.w);
  }

  private layers(): MaskedDense[] {
    return [...this.hiddenLayers, this.out, ...(this.direct ? [this.direct] : [])];
  }

  /**
   * Rebuilds the masks from the degree variables when they differ from the current ones (after
   * weights were loaded into params()); returns whether anything changed. fitMADE calls it.
   */
  syncMasks(): boolean {
    const loaded = this.degreeVars.map((v) => v.dataSync() as Int32Array);
    const same = loaded.every((d, l) => d.every((v, k) => v === this.degrees[l][k]));
    if (same) return false;
    this.degrees = loaded.map((d) => Int32Array.from(d));
    const masks = madeMasks(this.inputDim, this.degrees);
    this.hiddenLayers.forEach((l, i) => l.setMask(masks.hidden[i]));
    this.out.setMask(masks.output);
    return true;
  }

  /** Bernoulli logits l_d(x_<d) of every pixel, [n, D]. */
  logits(x: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let h: tf.Tensor2D = x;
      for (const l of this.hiddenLayers) h = tf.relu(l.apply(h));
      const out = this.out.apply(h);
      return (this.direct ? tf.add(out, this.direct.apply(x)) : out) as tf.Tensor2D;
    });
  }

  /** Exact log p(x) per row (nats): sum_d x_d l_d - softplus(l_d). */
  logProb(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => bernoulliLogLik(x, this.logits(x)));
  }

  /**
   * Exact -log p(x) per row (nats): the sum of the D sigmoid cross-entropies softplus(l_d) - x_d
   * l_d.
   */
  nll(x: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.neg(this.logProb(x)) as tf.Tensor1D);
  }

  /** The training loss: mean NLL over the batch (nats per image). */
  loss(x: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => tf.mean(this.nll(x)) as tf.Scalar);
  }

  /**
   * Sets the output biases to the logits of the pixels' mean values in `data` (rows of D values in
   * [0,1]): the model starts as the independent-pixel model of the data, not at 543 nats (D log 2).
   */
  initOutputBias(data: ArrayLike<number>): void {
    const D = this.inputDim;
    const n = data.length / D;
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`MADE ${this.name}: ${data.length} values are not rows of ${D}`);
    const mean = new Float64Array(D);
    for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) mean[d] += data[i * D + d];
    const b = Float32Array.from(mean, (s) => {
      const p = Math.min(1 - 1e-3, Math.max(1e-3, s / n));
      return Math.log(p / (1 - p));
    });
    tf.tidy(() => this.out.b!.assign(tf.tensor1d(b)));
  }

  dispose(): void {
    for (const v of Object.values(this.params())) v.dispose();
    for (const l of this.layers()) l.dispose();
  }
}

// ---------------------------------------------------------------------------------------------
// Likelihood and sampling on plain arrays.

/** Exact -log p(x) (nats) of every row of x (n x D, binary), in batches. */
export function madeNll(made: MADE, x: Float32Array, batch = 500): Float64Array {
  const D = made.inputDim;
  const n = x.length / D;
  if (!Number.isInteger(n)) throw new Error(`madeNll: ${x.length} values are not rows of ${D}`);
  const out = new Float64Array(n);
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const t = tf.tidy(() => made.nll(tf.tensor2d(x.subarray(s * D, e * D), [e - s, D])));
    out.set(t.dataSync(), s);
    t.dispose();
  }
  return out;
}

export interface SampleMADEOptions {
  /** Called after each pixel with (pixels done, D). */
  onProgress?: (done: number, total: number) => void;
  /** No progress bar. */
  quiet?: boolean;
  label?: string;
}

/**
 * n samples x ~ p(x), pixel by pixel: D passes of the network over all n images at once, pass d
 * reading the logit of pixel d given the pixels already drawn and drawing x_d ~ Bernoulli from
 * `rng` (so a seed gives the same images). Returns n x D values in {0, 1}. A progress bar (in the
 * notebook or on the terminal) shows the passes.
 */
export async function sampleMADE(
  made: MADE,
  n: number,
  rng: Rng,
  opts: SampleMADEOptions = {},
): Promise<Float32Array> {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`sampleMADE: n must be a positive integer, got ${n}`);
  const D = made.inputDim;
  const x = new Float32Array(n * D);
  const bar = opts.quiet
    ? null
    : new ProgressBar(D, opts.label ?? `sampling ${made.name} (${n} images, ${D} passes)`);
  // The masked weights once, and the output layer transposed so pass d reads one row of it.
  const w = {
    hidden: made.hiddenLayers.map((l) => l.maskedWeight()),
    outT: tf.tidy(() => tf.transpose(made.out.maskedWeight()) as tf.Tensor2D),
    directT: made.direct
      ? tf.tidy(() => tf.transpose(made.direct!.maskedWeight()) as tf.Tensor2D)
      : null,
  };
  const outB = made.out.b!.dataSync();
  let done = 0;
  try {
    for (let d = 0; d < D; d++) {
      const logit = tf.tidy(() => {
        const xt = tf.tensor2d(x, [n, D]);
        let h: tf.Tensor2D = xt;
        made.hiddenLayers.forEach(
          (l, i) => (h = tf.relu(tf.add(tf.matMul(h, w.hidden[i]), l.b!)) as tf.Tensor2D),
        );
        let l = tf.sum(tf.mul(h, tf.slice(w.outT, [d, 0], [1, -1])), 1);
        if (w.directT) l = tf.add(l, tf.sum(tf.mul(xt, tf.slice(w.directT, [d, 0], [1, -1])), 1));
        return l;
      });
      const lv = logit.dataSync();
      logit.dispose();
      for (let i = 0; i < n; i++)
        x[i * D + d] = rng.uniform() < 1 / (1 + Math.exp(-(lv[i] + outB[d]))) ? 1 : 0;
      done = d + 1;
      opts.onProgress?.(done, D);
      if (bar) await bar.update(done);
    }
    bar?.finish(D);
  } catch (err) {
    bar?.finish(done);
    throw err;
  } finally {
    tf.dispose([...w.hidden, w.outT, ...(w.directT ? [w.directT] : [])]);
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Training by exact maximum likelihood, and load-or-train.

export interface MADEBudget {
  steps: number;
  batchSize: number;
  lr: number;
  /**
   * Learning rate at the last step, reached by a cosine decay from `lr` (lrFinal = lr: constant).
   */
  lrFinal: number;
  /**
   * Decoupled weight decay (AdamW style): w <- w (1 - lr * weightDecay) after each step (default
   * 0).
   */
  weightDecay?: number;
}

/**
 * Minimises the mean exact NLL with Adam on rows of pixel probabilities in [0,1]. With
 * `binarize: "dynamic"` (the default, as trainVAE) every batch is a fresh Bernoulli draw of its
 * pixels; "none" feeds the rows as they are (they should then be binary). With `heldOut` (binary
 * rows), the mean NLL of up to `heldOutRows` of them is added to the history as `heldOut` about
 * 20 times over the run (training vs held-out curves).
 */
export async function trainMADE(
  made: MADE,
  data: Float32Array,
  budget: MADEBudget,
  opts: Omit<TrainOptions, "logEvery" | "onLog"> & {
    binarize?: "dynamic" | "none";
    heldOut?: Float32Array;
    heldOutRows?: number;
  },
): Promise<History> {
  const D = made.inputDim;
  const n = data.length / D;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`trainMADE: ${data.length} values are not rows of ${D}`);
  const rng = new Rng(opts.seed);
  const next = batchStream(n, budget.batchSize, rng.fork("batches"));
  const bin = rng.fork("binarize");
  const opt = adam(budget.lr);
  const lrFinal = budget.lrFinal;
  const vars = made.trainable();
  const weights = made.layersWeights();
  const logEvery = Math.max(1, Math.ceil(budget.steps / 200));
  const evalEvery = 10 * logEvery; // about 20 evaluations over the run
  const held = opts.heldOut
    ? opts.heldOut.subarray(0, Math.min(opts.heldOut.length / D, opts.heldOutRows ?? 1000) * D)
    : null;
  const evalHeld = (row: HistoryRow) => {
    if (held && (row.step % evalEvery === 0 || row.step === budget.steps))
      row.heldOut = mean(madeNll(made, held));
  };
  const resume = opts.resume ? resumeSpec(opts.resume, { opt }, { next, bin }) : undefined;
  try {
    return await trainLoop({
      resume,
      label: opts.label ?? `MADE ${made.name}`,
      steps: budget.steps,
      params: made.params(),
      quiet: opts.quiet,
      logEvery,
      onLog: held ? evalHeld : undefined,
      step: (i) => {
        if (lrFinal !== budget.lr) {
          // tfjs's Adam reads its learning rate at every update; the field is protected in the
          // typings.
          (opt as unknown as { learningRate: number }).learningRate =
            lrFinal +
            0.5 *
              (budget.lr - lrFinal) *
              (1 + Math.cos((Math.PI * i) / Math.max(1, budget.steps - 1)));
        }
        const picked = gatherRows(data, D, next());
        const rows =
          (opts.binarize ?? "dynamic") === "dynamic" ? binarizeDynamic(picked, bin) : picked;
        const x = tf.tensor2d(rows, [rows.length / D, D]);
        const loss = opt.minimize(() => made.loss(x), true, vars)!;
        x.dispose();
        const wd = budget.weightDecay ?? 0;
        if (wd > 0) {
          const f = 1 - (opt as unknown as { learningRate: number }).learningRate * wd;
          tf.tidy(() => weights.forEach((w) => w.assign(tf.mul(w, f))));
        }
        return { loss };
      },
    });
  } finally {
    opt.dispose();
  }
}

export interface FitMADEOptions {
  /** Weights file stem, e.g. "made-mnist". */
  model: string;
  /** Default 784. */
  inputDim?: number;
  /** Hidden layer sizes, default [500] (the paper's). */
  hidden?: readonly number[];
  direct?: boolean;
  /** Training rows, pixel probabilities in [0,1] (n x inputDim), binarised afresh every batch. */
  data: Float32Array;
  /** What the training data is, stored with the weights (trainingData in lib/data/mnist.ts). */
  dataName?: string;
  /**
   * Held-out binary rows: their mean NLL is logged during training and stored in the weights file.
   */
  heldOut?: Float32Array;
  seed: number;
  /** Full-budget steps (smoke: `smokeSteps`, default 50, about a second). */
  steps: number;
  smokeSteps?: number;
  /** Default 128. */
  batchSize?: number;
  /** Adam's learning rate at the start, default 2e-3. */
  lr?: number;
  /** Learning rate at the last step (cosine decay from lr), default 0. */
  lrFinal?: number;
  /** Decoupled weight decay (see MADEBudget), default 0.05. */
  weightDecay?: number;
  label?: string;
  /** Override GENLAB_TRAIN (tests). */
  mode?: TrainMode;
}

/**
 * The shipped MNIST model: `fitMADE({ ...MADE_MNIST, data: toFloat(mnist.train), heldOut })` with
 * heldOut = toFloat(binarizeStatic(mnist.test, 2024)) (the VAE's held-out set, so NLLs compare).
 * One hidden layer of 500 units as in the paper, plus direct input-to-output connections (a
 * masked 784 x 784 matrix, an option of the authors' code; 5.3 MB of float32). The budget is
 * 120,000 steps of 128, i.e. 256 epochs of the official 60,000 training digits (Adam 2e-3 with a
 * cosine decay to 0, decoupled weight decay 0.01). Chosen with scripts/select-made.ts on the last
 * 10,000 official training digits, the model trained on the other 50,000, never on the test set:
 * at 20,000 steps, without direct connections 97.62 nats, with them 88.93; weight decay barely
 * matters (30,000 steps without direct connections: wd 0 97.26, wd 0.01 97.18). Without direct
 * connections the full budget gave 95.27 nats on the test digits, with a training loss about as
 * high (the model underfits: early pixels see few hidden units). About 22 ms per step here (wasm
 * + OpenBLAS). The measured test NLL and wall time are in the weights file's metrics and history.
 */
export const MADE_MNIST = {
  model: "made-mnist",
  hidden: [500],
  direct: true,
  weightDecay: 0.01,
  seed: 606,
  steps: 120000,
} as const;

/**
 * Builds a MADE and loads its shipped weights or trains it (GENLAB_TRAIN), see
 * lib/training/weights.ts. Training starts from output biases set to the data's pixel means and
 * uses dynamic binarisation; the degrees (hence masks) come from the weights file when it is
 * loaded.
 */
export async function fitMADE(o: FitMADEOptions): Promise<{ made: MADE; fit: FitResult }> {
  const inputDim = o.inputDim ?? 784;
  const made = new MADE(
    o.model,
    { inputDim, hidden: [...(o.hidden ?? [500])], direct: o.direct ?? false },
    new Rng(o.seed),
  );
  const base = {
    batchSize: o.batchSize ?? 128,
    lr: o.lr ?? 2e-3,
    lrFinal: o.lrFinal ?? 0,
    weightDecay: o.weightDecay ?? 0.05,
  };
  const fit = await fitOrLoad({
    model: o.model,
    params: made.params(),
    seed: o.seed,
    mode: o.mode,
    data: o.dataName,
    budget: { full: { ...base, steps: o.steps }, smoke: { ...base, steps: o.smokeSteps ?? 50 } },
    train: (b, ctx) => {
      made.initOutputBias(o.data); // a resumed run then puts back the weights it had
      const { heldOut, label = o.model } = o;
      return trainMADE(made, o.data, b, { seed: o.seed + 1, label, heldOut, resume: ctx.resume });
    },
    metrics: o.heldOut
      ? () => ({
          heldOutNll: mean(madeNll(made, o.heldOut!)),
          heldOutRows: o.heldOut!.length / inputDim,
        })
      : undefined,
  });
  if (made.syncMasks())
    console.log(
      `${o.model}: masks rebuilt from the degrees stored in ${fit.file} (they differ from those seed ${o.seed} draws)`,
    );
  return { made, fit };
}

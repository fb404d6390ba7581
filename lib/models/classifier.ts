/**
 * Softmax classifiers trained with the shared loop: an MLP (logistic regression when it has no
 * hidden layer), used by the tour on 2-D toys and by notebook 01 as the discriminative model, and a
 * small CNN, the evaluation classifier of every notebook (./eval-classifier.ts).
 */
import * as tf from "@tensorflow/tfjs";
import { adam } from "../runtime/optim";
import { batchStream, gatherRows } from "../data/batch";
import { collectParams, Conv2D, Dense, maxPool2x2, MLP, type Activation } from "../runtime/nn";
import { Rng, type Stateful } from "../runtime/random";
import { resumeSpec } from "../training/resume";
import { trainLoop, type History, type TrainOptions } from "../training/train";

/** Features as rows: n rows of `dim` float32 values. */
export interface Features {
  x: Float32Array;
  dim: number;
}

/** A classifier of rows of `inputDim` features into `classes` classes by softmax of its logits. */
export abstract class SoftmaxClassifier {
  abstract readonly name: string;
  abstract readonly inputDim: number;
  abstract readonly classes: number;
  /** Width of the last hidden layer (what `hidden` returns). */
  abstract readonly featureDim: number;
  abstract params(): Record<string, tf.Variable>;
  /** The last hidden layer's activations of rows x ([n, inputDim]): [n, featureDim]. */
  abstract hidden(x: tf.Tensor): tf.Tensor;
  abstract logits(x: tf.Tensor): tf.Tensor;
  /** The weight matrices and kernels (not the biases), what an L2 penalty applies to. */
  abstract weights(): tf.Variable[];
  /** Class probabilities for every row, in batches (n x classes, row-major). */
  proba(f: Features, batch = 4096): Float32Array {
    return this.rows(f, batch, this.classes, (x) => tf.softmax(this.logits(x)), "proba");
  }
  /** The last hidden layer's activations for every row, in batches (n x featureDim). */
  features(f: Features, batch = 2048): Float32Array {
    return this.rows(f, batch, this.featureDim, (x) => this.hidden(x), "features");
  }
  predict(f: Features): Int32Array {
    const p = this.proba(f);
    const n = p.length / this.classes;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let k = 1; k < this.classes; k++)
        if (p[i * this.classes + k] > p[i * this.classes + best]) best = k;
      out[i] = best;
    }
    return out;
  }
  private rows(
    f: Features,
    batch: number,
    width: number,
    fn: (x: tf.Tensor2D) => tf.Tensor,
    what: string,
  ): Float32Array {
    const n = checkFeatures(f, this.inputDim, `${this.name}.${what}`);
    if (!Number.isInteger(batch) || batch < 1)
      throw new Error(`${this.name}.${what}: batch must be a positive integer, got ${batch}`);
    const out = new Float32Array(n * width);
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const p = tf.tidy(() => fn(tf.tensor2d(f.x.subarray(s * f.dim, e * f.dim), [e - s, f.dim])));
      out.set(p.dataSync(), s * width);
      p.dispose();
    }
    return out;
  }
}

export class MLPClassifier extends SoftmaxClassifier {
  readonly net: MLP;
  readonly classes: number;
  /** sizes = [input, ...hidden, classes]. */
  constructor(name: string, sizes: number[], rng: Rng, hidden: Activation = "relu") {
    super();
    this.net = new MLP(name, sizes, rng, hidden, "linear");
    this.classes = sizes[sizes.length - 1];
  }
  get name(): string {
    return this.net.name;
  }
  get inputDim(): number {
    return this.net.sizes[0];
  }
  get featureDim(): number {
    return this.net.sizes[this.net.sizes.length - 2];
  }
  params(): Record<string, tf.Variable> {
    return this.net.params();
  }
  hidden(x: tf.Tensor): tf.Tensor {
    return this.net.layers.slice(0, -1).reduce<tf.Tensor>((h, l) => l.apply(h), x);
  }
  logits(x: tf.Tensor): tf.Tensor {
    return this.net.apply(x);
  }
  weights(): tf.Variable[] {
    return this.net.layers.map((l) => l.w);
  }
}

/** A CNN classifier's shape: conv blocks (3x3 conv, ReLU, 2x2 max-pool), then one dense layer. */
export interface ConvClassifierConfig {
  height: number;
  width: number;
  /** Output channels of each conv block. */
  channels: number[];
  kernel: number;
  dense: number;
  classes: number;
}

/**
 * A small CNN on rows of height x width pixels (one channel): each block a same-padded conv with
 * ReLU and a 2x2 max-pool, then a dense ReLU layer (the features) and a linear layer to the logits.
 */
export class ConvClassifier extends SoftmaxClassifier {
  readonly convs: Conv2D[] = [];
  readonly dense: Dense;
  readonly out: Dense;
  constructor(
    readonly name: string,
    readonly config: ConvClassifierConfig,
    rng: Rng,
  ) {
    super();
    const c = config;
    let [h, w, ch] = [c.height, c.width, 1];
    c.channels.forEach((k, i) => {
      const layer = `${name}.conv${i}`;
      this.convs.push(new Conv2D(layer, ch, k, c.kernel, rng.fork(layer), "relu"));
      [h, w, ch] = [Math.floor(h / 2), Math.floor(w / 2), k];
    });
    this.dense = new Dense(`${name}.dense`, h * w * ch, c.dense, rng.fork(`${name}.dense`), "relu");
    this.out = new Dense(`${name}.out`, c.dense, c.classes, rng.fork(`${name}.out`), "linear");
  }
  get inputDim(): number {
    return this.config.height * this.config.width;
  }
  get classes(): number {
    return this.config.classes;
  }
  get featureDim(): number {
    return this.config.dense;
  }
  params(): Record<string, tf.Variable> {
    return collectParams([...this.convs, this.dense, this.out]);
  }
  hidden(x: tf.Tensor): tf.Tensor {
    const { height, width } = this.config;
    let h: tf.Tensor = tf.reshape(x, [-1, height, width, 1]);
    for (const conv of this.convs) h = maxPool2x2(conv.apply(h) as tf.Tensor4D);
    return this.dense.apply(tf.reshape(h, [h.shape[0]!, -1]));
  }
  logits(x: tf.Tensor): tf.Tensor {
    return this.out.apply(this.hidden(x));
  }
  weights(): tf.Variable[] {
    return [...this.convs.map((c) => c.w), this.dense.w, this.out.w];
  }
}

export interface ClassifierBudget {
  steps: number;
  batchSize: number;
  lr: number;
}

/** Minimises softmax cross-entropy with Adam; minibatches drawn by a seeded shuffle. */
export async function trainClassifier(
  model: SoftmaxClassifier,
  data: Features & { y: ArrayLike<number> },
  budget: ClassifierBudget,
  opts: Omit<TrainOptions, "logEvery" | "onLog"> & {
    /**
     * Transforms each minibatch's rows before the step (data augmentation); gets the step index.
     */
    augment?: (rows: Float32Array, step: number) => Float32Array;
    /** L2 penalty weight on every weight matrix (not the biases); default 0. */
    weightDecay?: number;
    /**
     * With `resume`: what else the step draws from (the generator `augment` uses) or the caller
     * keeps (the history of earlier phases), saved and put back with the checkpoint.
     */
    state?: Record<string, Stateful>;
  },
): Promise<History> {
  const n = checkFeatures(data, model.inputDim, "trainClassifier");
  if (data.y.length !== n)
    throw new Error(`trainClassifier: ${n} feature rows but ${data.y.length} labels`);
  for (let i = 0; i < n; i++) {
    const c = data.y[i];
    // tf.oneHot turns an out-of-range label into a row of zeros, which trains on nothing: refuse
    // it.
    if (!Number.isInteger(c) || c < 0 || c >= model.classes) {
      throw new Error(
        `trainClassifier: label ${c} at row ${i} is not a class of this model (0..${model.classes - 1})`,
      );
    }
  }
  const next = batchStream(n, budget.batchSize, new Rng(opts.seed).fork("batches"));
  const opt = adam(budget.lr);
  const wd = opts.weightDecay ?? 0;
  const state = { ...opts.state, next };
  const resume = opts.resume ? resumeSpec(opts.resume, { opt }, state) : undefined;
  try {
    return await trainLoop({
      resume,
      label: opts.label ?? "classifier",
      steps: budget.steps,
      params: model.params(),
      quiet: opts.quiet,
      step: (i) => {
        const idx = next();
        const rows = gatherRows(data.x, data.dim, idx);
        const x = tf.tensor2d(opts.augment ? opts.augment(rows, i) : rows, [idx.length, data.dim]);
        const y = tf.tidy(() =>
          tf.oneHot(
            tf.tensor1d(
              Array.from(idx, (k) => data.y[k]),
              "int32",
            ),
            model.classes,
          ),
        );
        const loss = opt.minimize(() => {
          const ce = tf.losses.softmaxCrossEntropy(y, model.logits(x)) as tf.Scalar;
          return wd > 0 ? (tf.add(ce, tf.mul(wd, weightPenalty(model))) as tf.Scalar) : ce;
        }, true)!;
        x.dispose();
        y.dispose();
        return { loss };
      },
    });
  } finally {
    opt.dispose();
  }
}

/** Sum of squares of the model's weight matrices (biases excluded). */
function weightPenalty(model: SoftmaxClassifier): tf.Scalar {
  return tf.addN(model.weights().map((w) => tf.sum(tf.square(w)))) as tf.Scalar;
}

/** Rows of `f`, after checking it holds whole rows of the width the model takes. */
function checkFeatures(f: Features, inputDim: number, who: string): number {
  if (f.dim !== inputDim)
    throw new Error(`${who}: features have dim ${f.dim} but the model takes ${inputDim} inputs`);
  if (f.x.length % f.dim !== 0)
    throw new Error(`${who}: ${f.x.length} values is not a whole number of rows of ${f.dim}`);
  return f.x.length / f.dim;
}

/** Fraction of predictions equal to the labels. */
export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (pred.length !== labels.length)
    throw new Error(`accuracy: ${pred.length} predictions for ${labels.length} labels`);
  if (pred.length === 0)
    throw new Error("accuracy: no predictions (the accuracy of nothing is undefined)");
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++;
  return ok / pred.length;
}

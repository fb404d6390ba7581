/**
 * A softmax MLP classifier (logistic regression when it has no hidden layer), trained with the
 * shared loop. Used by the tour on 2-D toys and by notebook 01 as the discriminative model.
 */
import * as tf from "@tensorflow/tfjs";
import { adam } from "../runtime/optim";
import { batchStream, gatherRows } from "../data/batch";
import { MLP, type Activation } from "../runtime/nn";
import { Rng, type Stateful } from "../runtime/random";
import { resumeSpec } from "../training/resume";
import { trainLoop, type History, type TrainOptions } from "../training/train";

/** Features as rows: n rows of `dim` float32 values. */
export interface Features {
  x: Float32Array;
  dim: number;
}

export class MLPClassifier {
  readonly net: MLP;
  readonly classes: number;
  /** sizes = [input, ...hidden, classes]. */
  constructor(name: string, sizes: number[], rng: Rng, hidden: Activation = "relu") {
    this.net = new MLP(name, sizes, rng, hidden, "linear");
    this.classes = sizes[sizes.length - 1];
  }
  params(): Record<string, tf.Variable> {
    return this.net.params();
  }
  logits(x: tf.Tensor): tf.Tensor {
    return this.net.apply(x);
  }
  /** Class probabilities for every row, in batches (n x classes, row-major). */
  proba(f: Features, batch = 4096): Float32Array {
    const n = checkFeatures(f, this.net.sizes[0], `${this.net.name}.proba`);
    if (!Number.isInteger(batch) || batch < 1)
      throw new Error(`${this.net.name}.proba: batch must be a positive integer, got ${batch}`);
    const out = new Float32Array(n * this.classes);
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const p = tf.tidy(() =>
        tf.softmax(this.logits(tf.tensor2d(f.x.subarray(s * f.dim, e * f.dim), [e - s, f.dim]))),
      );
      out.set(p.dataSync(), s * this.classes);
      p.dispose();
    }
    return out;
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
}

export interface ClassifierBudget {
  steps: number;
  batchSize: number;
  lr: number;
}

/** Minimises softmax cross-entropy with Adam; minibatches drawn by a seeded shuffle. */
export async function trainClassifier(
  model: MLPClassifier,
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
  const n = checkFeatures(data, model.net.sizes[0], "trainClassifier");
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
function weightPenalty(model: MLPClassifier): tf.Scalar {
  return tf.addN(model.net.layers.map((l) => tf.sum(tf.square(l.w)))) as tf.Scalar;
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

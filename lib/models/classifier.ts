/**
 * A softmax MLP classifier (logistic regression when it has no hidden layer), trained with the
 * shared loop. Used by the tour on 2-D toys and by notebook 01 as the discriminative model.
 */
import * as tf from "@tensorflow/tfjs";
import { batchStream, gatherRows } from "../data/batch";
import { MLP, type Activation } from "../nn";
import { Rng } from "../random";
import { trainLoop, type History } from "../train";

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
    const n = f.x.length / f.dim;
    const out = new Float32Array(n * this.classes);
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const p = tf.tidy(() => tf.softmax(this.logits(tf.tensor2d(f.x.subarray(s * f.dim, e * f.dim), [e - s, f.dim]))));
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
      for (let k = 1; k < this.classes; k++) if (p[i * this.classes + k] > p[i * this.classes + best]) best = k;
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
  opts: { seed: number; label?: string; quiet?: boolean },
): Promise<History> {
  const n = data.x.length / data.dim;
  if (data.y.length !== n) throw new Error(`trainClassifier: ${n} feature rows but ${data.y.length} labels`);
  const next = batchStream(n, budget.batchSize, new Rng(opts.seed).fork("batches"));
  const opt = tf.train.adam(budget.lr);
  try {
    return await trainLoop({
      label: opts.label ?? "classifier",
      steps: budget.steps,
      params: model.params(),
      quiet: opts.quiet,
      step: () => {
        const idx = next();
        const x = tf.tensor2d(gatherRows(data.x, data.dim, idx), [idx.length, data.dim]);
        const y = tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from(idx, (i) => data.y[i]), "int32"), model.classes));
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.logits(x)) as tf.Scalar, true)!;
        x.dispose();
        y.dispose();
        return { loss };
      },
    });
  } finally {
    opt.dispose();
  }
}

/** Fraction of predictions equal to the labels. */
export function accuracy(pred: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (pred.length !== labels.length) throw new Error(`accuracy: ${pred.length} predictions for ${labels.length} labels`);
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === labels[i]) ok++;
  return ok / pred.length;
}

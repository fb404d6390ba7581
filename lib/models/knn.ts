/**
 * k-nearest-neighbour classification (Euclidean): the discriminative model with no training at
 * all, it keeps the training set and votes among the k closest rows. Distances go through tfjs
 * (|a|^2 - 2 a.b + |b|^2 as one matMul per batch of queries), the vote in plain TS; a tie
 * between classes goes to the class of the nearest neighbour among the tied ones.
 */
import * as tf from "@tensorflow/tfjs";
import { rowCount } from "../runtime/linalg";
import type { Classifier, LabeledRows } from "./generative-classifiers";

export class KNNClassifier implements Classifier {
  private readonly train: tf.Tensor2D;
  private readonly trainSq: tf.Tensor1D;
  private readonly labels: Int32Array;
  constructor(
    data: LabeledRows,
    readonly classes: number,
    readonly k: number,
  ) {
    const n = rowCount(data.x, data.dim, "KNNClassifier");
    if (!Number.isInteger(k) || k < 1 || k > n)
      throw new Error(`KNNClassifier: k must be an integer in 1..${n}, got ${k}`);
    this.labels = Int32Array.from(data.y as ArrayLike<number>);
    this.train = tf.tensor2d(data.x, [n, data.dim]);
    this.trainSq = tf.tidy(() => tf.sum(tf.square(this.train), 1)) as tf.Tensor1D;
  }

  /** Vote fraction of each class among the k nearest rows: n x classes, row-major. */
  proba(x: Float32Array): Float32Array {
    const idx = this.neighbours(x);
    const n = idx.length / this.k;
    const out = new Float32Array(n * this.classes);
    for (let i = 0; i < n; i++)
      for (let r = 0; r < this.k; r++)
        out[i * this.classes + this.labels[idx[i * this.k + r]]] += 1 / this.k;
    return out;
  }

  predict(x: Float32Array): Int32Array {
    const idx = this.neighbours(x);
    const n = idx.length / this.k;
    const out = new Int32Array(n);
    const votes = new Float64Array(this.classes);
    const first = new Int32Array(this.classes);
    for (let i = 0; i < n; i++) {
      votes.fill(0);
      first.fill(this.k);
      for (let r = 0; r < this.k; r++) {
        const l = this.labels[idx[i * this.k + r]];
        votes[l]++;
        if (first[l] === this.k) first[l] = r;
      }
      let best = 0;
      for (let c = 1; c < this.classes; c++)
        if (votes[c] > votes[best] || (votes[c] === votes[best] && first[c] < first[best]))
          best = c;
      out[i] = best;
    }
    return out;
  }

  /** Indices of the k nearest training rows of every query, nearest first: n x k. */
  neighbours(x: Float32Array, batch = 500): Int32Array {
    const d = this.train.shape[1];
    const n = rowCount(x, d, "KNNClassifier");
    const out = new Int32Array(n * this.k);
    for (let s = 0; s < n; s += batch) {
      const e = Math.min(n, s + batch);
      const idxT = tf.tidy(() => {
        const q = tf.tensor2d(x.subarray(s * d, e * d), [e - s, d]);
        const d2 = tf.add(
          tf.sub(this.trainSq, tf.mul(2, tf.matMul(q, this.train, false, true))),
          tf.sum(tf.square(q), 1, true),
        );
        return tf.topk(tf.neg(d2), this.k).indices;
      });
      out.set(idxT.dataSync(), s * this.k);
      idxT.dispose();
    }
    return out;
  }

  dispose(): void {
    this.train.dispose();
    this.trainSq.dispose();
  }
}

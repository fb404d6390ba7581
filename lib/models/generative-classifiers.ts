/**
 * Generative classifiers: a model of p(x | y) for every class and the class prior p(y); Bayes'
 * rule turns them into p(y | x), and the same model also gives p(x) = sum_y p(x | y) p(y) and
 * samples new x for a chosen class.
 *
 * - GaussianClassifier: p(x | y = c) = N(mu_c, Sigma_c) with a covariance that is per class
 *   ("full", quadratic discriminant analysis), shared by all classes ("shared", linear
 *   discriminant analysis) or diagonal per class ("diagonal", Gaussian naive Bayes), each plus a
 *   ridge lambda I (regularisation: in pixel space many pixels never vary within a class).
 * - BernoulliNaiveBayes: p(x | y = c) = prod_j theta_cj^x_j (1 - theta_cj)^(1 - x_j) over binary
 *   pixels, theta estimated with Laplace smoothing alpha.
 *
 * Fitting and the d x d algebra run in Float64 (../runtime/linalg.ts); the n x d x d products of
 * scoring go through tfjs matMul (float32), which keeps scoring thousands of 784-pixel images in
 * seconds.
 */
import * as tf from "@tensorflow/tfjs";
import {
  cholesky,
  invertLower,
  logDetFromCholesky,
  meanRows,
  rowCount,
  symmetrizeUpper,
} from "../runtime/linalg";
import { Rng } from "../runtime/random";

/** Rows x (n x dim, row-major) with a label in 0..classes-1 each. */
export interface LabeledRows {
  x: Float32Array;
  dim: number;
  y: ArrayLike<number>;
}

export type CovarianceKind = "full" | "shared" | "diagonal";

const LOG_2PI = Math.log(2 * Math.PI);

function indicesByClass(y: ArrayLike<number>, classes: number, who: string): Int32Array[] {
  const lists: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < y.length; i++) {
    const c = y[i];
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      throw new Error(`${who}: label ${c} at row ${i} is not in 0..${classes - 1}`);
    lists[c].push(i);
  }
  lists.forEach((l, c) => {
    if (l.length === 0) throw new Error(`${who}: class ${c} has no training rows`);
  });
  return lists.map((l) => Int32Array.from(l));
}

/** Row-wise log-sum-exp of an n x k matrix. */
export function logSumExpRows(a: ArrayLike<number>, k: number): Float64Array {
  const n = a.length / k;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, a[i * k + c]);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(a[i * k + c] - m);
    out[i] = m + Math.log(s);
  }
  return out;
}

/** Row-wise argmax of an n x k matrix. */
export function argmaxRows(a: ArrayLike<number>, k: number): Int32Array {
  const n = a.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (a[i * k + c] > a[i * k + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** What every classifier of notebook 01 offers. */
export interface Classifier {
  readonly classes: number;
  predict(x: Float32Array): Int32Array;
}

/** A classifier that models p(x, y): it also scores log p(x) and samples x for a class. */
export interface GenerativeClassifier extends Classifier {
  /** log p(x, y = c) for every row and class: n x classes, row-major. */
  logJoint(x: Float32Array): Float64Array;
  /** log p(x) = log sum_c p(x, y = c), one per row. */
  logDensity(x: Float32Array): Float64Array;
  /** n new rows from p(x | y = c). */
  sample(c: number, n: number, rng: Rng): Float32Array;
}

abstract class BayesRule implements GenerativeClassifier {
  abstract readonly classes: number;
  /** log p(y = c). */
  abstract readonly logPriors: Float64Array;
  abstract logJoint(x: Float32Array): Float64Array;
  abstract sample(c: number, n: number, rng: Rng): Float32Array;
  predict(x: Float32Array): Int32Array {
    return argmaxRows(this.logJoint(x), this.classes);
  }
  logDensity(x: Float32Array): Float64Array {
    return logSumExpRows(this.logJoint(x), this.classes);
  }
  /** n draws from the joint p(x, y): y from the prior, then x from p(x | y). Rows in draw order. */
  sampleJoint(n: number, rng: Rng): { x: Float32Array; y: Int32Array } {
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const u = rng.uniform();
      let acc = 0;
      let c = 0;
      for (; c < this.classes - 1; c++) if (u < (acc += Math.exp(this.logPriors[c]))) break;
      y[i] = c;
    }
    const parts: Float32Array[] = [];
    let dim = 0;
    for (let i = 0; i < n; i++) {
      const row = this.sample(y[i], 1, rng);
      dim = row.length;
      parts.push(row);
    }
    const x = new Float32Array(n * dim);
    parts.forEach((row, i) => x.set(row, i * dim));
    return { x, y };
  }

  /** p(y | x) by Bayes' rule: n x classes. */
  posterior(x: Float32Array): Float64Array {
    const lj = this.logJoint(x);
    const lse = logSumExpRows(lj, this.classes);
    for (let i = 0; i < lse.length; i++)
      for (let c = 0; c < this.classes; c++)
        lj[i * this.classes + c] = Math.exp(lj[i * this.classes + c] - lse[i]);
    return lj;
  }
}

export class GaussianClassifier extends BayesRule {
  /** (L_c^{-1})^T as float32, computed on first use. */
  private whitenersT?: Float32Array[];
  private constructor(
    readonly dim: number,
    readonly classes: number,
    readonly kind: CovarianceKind,
    readonly ridge: number,
    readonly means: Float64Array[],
    readonly logPriors: Float64Array,
    /** Cholesky factors L_c of Sigma_c + ridge I (one for "shared"). */
    readonly chol: Float64Array[],
    /** log det (Sigma_c + ridge I). */
    readonly logDets: Float64Array,
  ) {
    super();
  }

  /**
   * Maximum-likelihood means and priors; covariance of the chosen kind plus `ridge` on the
   * diagonal.
   */
  static fit(
    data: LabeledRows,
    classes: number,
    opts: { covariance: CovarianceKind; ridge: number },
  ): GaussianClassifier {
    return GaussianClassifier.fitRidges(data, classes, {
      covariance: opts.covariance,
      ridges: [opts.ridge],
    })[0];
  }

  /**
   * One classifier per ridge value, sharing the (expensive) covariance estimate: for choosing the
   * ridge on a validation split. The scatter matrices go through tfjs matMul (float32 products,
   * summed in float32 over at most n rows); everything after is Float64.
   */
  static fitRidges(
    data: LabeledRows,
    classes: number,
    opts: { covariance: CovarianceKind; ridges: number[] },
  ): GaussianClassifier[] {
    const { x, dim } = data;
    const n = rowCount(x, dim, "GaussianClassifier.fit");
    if (data.y.length !== n)
      throw new Error(`GaussianClassifier.fit: ${n} rows but ${data.y.length} labels`);
    for (const r of opts.ridges)
      if (!(r >= 0)) throw new Error(`GaussianClassifier.fit: ridge must be >= 0, got ${r}`);
    const byClass = indicesByClass(data.y, classes, "GaussianClassifier.fit");
    const means = byClass.map((idx) => meanRows(x, dim, idx));
    const logPriors = Float64Array.from(byClass, (idx) => Math.log(idx.length / n));
    const scatter = (idx: Int32Array, mu: Float64Array): Float64Array => {
      const xc = new Float32Array(idx.length * dim);
      idx.forEach((i, r) => {
        for (let p = 0; p < dim; p++) xc[r * dim + p] = x[i * dim + p] - mu[p];
      });
      if (opts.covariance === "diagonal") {
        const s = new Float64Array(dim * dim);
        for (let r = 0; r < idx.length; r++)
          for (let p = 0; p < dim; p++) s[p * dim + p] += xc[r * dim + p] ** 2;
        return s;
      }
      const g = tf.tidy(() => {
        const t = tf.tensor2d(xc, [idx.length, dim]);
        return tf.matMul(t, t, true, false);
      });
      const out = Float64Array.from(g.dataSync());
      g.dispose();
      return out;
    };
    let covs: Float64Array[];
    if (opts.covariance === "shared") {
      const pooled = new Float64Array(dim * dim);
      byClass.forEach((idx, c) => scatter(idx, means[c]).forEach((v, i) => (pooled[i] += v)));
      covs = [pooled.map((v) => v / n)];
    } else {
      covs = byClass.map((idx, c) => scatter(idx, means[c]).map((v) => v / idx.length));
    }
    // Exact symmetry (float32 products may differ in the last bit between (p,q) and (q,p)).
    for (const s of covs) symmetrizeUpper(s, dim);
    return opts.ridges.map((ridge) => {
      const chol: Float64Array[] = [];
      const logDets = new Float64Array(covs.length);
      covs.forEach((s, c) => {
        const a = Float64Array.from(s);
        for (let p = 0; p < dim; p++) a[p * dim + p] += ridge;
        chol.push(cholesky({ d: dim, a }));
        logDets[c] = logDetFromCholesky(chol[c], dim);
      });
      return new GaussianClassifier(
        dim,
        classes,
        opts.covariance,
        ridge,
        means,
        logPriors,
        chol,
        logDets,
      );
    });
  }

  /** The covariance (with ridge) of class c, from its Cholesky factor. */
  covariance(c: number): Float64Array {
    const L = this.chol[this.kind === "shared" ? 0 : c];
    const d = this.dim;
    const s = new Float64Array(d * d);
    for (let i = 0; i < d; i++)
      for (let j = 0; j <= i; j++) {
        let v = 0;
        for (let k = 0; k <= j; k++) v += L[i * d + k] * L[j * d + k];
        s[i * d + j] = s[j * d + i] = v;
      }
    return s;
  }

  logJoint(x: Float32Array, batch = 2048): Float64Array {
    const d = this.dim;
    const n = rowCount(x, d, "GaussianClassifier.logJoint");
    const k = this.classes;
    const out = new Float64Array(n * k);
    this.whitenersT ??= this.chol.map((L) => {
      const inv = invertLower(L, d);
      // (x - mu) L^{-T}: rows of x times the transpose of L^{-1}.
      const t = new Float32Array(d * d);
      for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) t[j * d + i] = inv[i * d + j];
      return t;
    });
    const whiteners = this.whitenersT.map((t) => tf.tensor2d(t, [d, d]));
    try {
      for (let c = 0; c < k; c++) {
        const g = this.kind === "shared" ? 0 : c;
        const mu = tf.tensor1d(Float32Array.from(this.means[c]));
        for (let s = 0; s < n; s += batch) {
          const e = Math.min(n, s + batch);
          const maha = tf.tidy(() => {
            const z = tf.matMul(
              tf.sub(tf.tensor2d(x.subarray(s * d, e * d), [e - s, d]), mu),
              whiteners[g],
            );
            return tf.sum(tf.square(z), 1);
          });
          const m = maha.dataSync();
          maha.dispose();
          const konst = this.logPriors[c] - 0.5 * (d * LOG_2PI + this.logDets[g]);
          for (let i = 0; i < e - s; i++) out[(s + i) * k + c] = konst - 0.5 * m[i];
        }
        mu.dispose();
      }
    } finally {
      for (const w of whiteners) w.dispose();
    }
    return out;
  }

  /** x = mu_c + L_c z with z ~ N(0, I) from `rng`. */
  sample(c: number, n: number, rng: Rng): Float32Array {
    const d = this.dim;
    const L = this.chol[this.kind === "shared" ? 0 : c];
    const mu = this.means[c];
    const out = new Float32Array(n * d);
    const z = new Float64Array(d);
    for (let m = 0; m < n; m++) {
      for (let p = 0; p < d; p++) z[p] = rng.normal();
      for (let i = 0; i < d; i++) {
        let v = mu[i];
        for (let j = 0; j <= i; j++) v += L[i * d + j] * z[j];
        out[m * d + i] = v;
      }
    }
    return out;
  }
}

export class BernoulliNaiveBayes extends BayesRule {
  private constructor(
    readonly dim: number,
    readonly classes: number,
    /** theta[c * dim + j] = p(x_j = 1 | y = c). */
    readonly theta: Float64Array,
    readonly logPriors: Float64Array,
  ) {
    super();
  }

  /**
   * Rows must hold 0 and 1 (binarised pixels); alpha is the Laplace smoothing count (default 1).
   */
  static fit(
    data: LabeledRows,
    classes: number,
    opts: { alpha?: number } = {},
  ): BernoulliNaiveBayes {
    const { x, dim } = data;
    const n = rowCount(x, dim, "BernoulliNaiveBayes.fit");
    if (data.y.length !== n)
      throw new Error(`BernoulliNaiveBayes.fit: ${n} rows but ${data.y.length} labels`);
    const alpha = opts.alpha ?? 1;
    if (!(alpha > 0)) throw new Error(`BernoulliNaiveBayes.fit: alpha must be > 0, got ${alpha}`);
    const byClass = indicesByClass(data.y, classes, "BernoulliNaiveBayes.fit");
    const theta = new Float64Array(classes * dim);
    byClass.forEach((idx, c) => {
      for (const i of idx) {
        for (let j = 0; j < dim; j++) {
          const v = x[i * dim + j];
          if (v !== 0 && v !== 1)
            throw new Error(
              `BernoulliNaiveBayes.fit: value ${v} at row ${i}, column ${j}; binarise the data first`,
            );
          theta[c * dim + j] += v;
        }
      }
      for (let j = 0; j < dim; j++)
        theta[c * dim + j] = (theta[c * dim + j] + alpha) / (idx.length + 2 * alpha);
    });
    const logPriors = Float64Array.from(byClass, (idx) => Math.log(idx.length / n));
    return new BernoulliNaiveBayes(dim, classes, theta, logPriors);
  }

  logJoint(x: Float32Array): Float64Array {
    const d = this.dim;
    const k = this.classes;
    const n = rowCount(x, d, "BernoulliNaiveBayes.logJoint");
    const w = new Float64Array(k * d);
    const b = new Float64Array(k);
    for (let c = 0; c < k; c++) {
      b[c] = this.logPriors[c];
      for (let j = 0; j < d; j++) {
        const t = this.theta[c * d + j];
        b[c] += Math.log(1 - t);
        w[c * d + j] = Math.log(t) - Math.log(1 - t);
      }
    }
    const out = new Float64Array(n * k);
    for (let i = 0; i < n; i++) {
      for (let c = 0; c < k; c++) {
        let s = b[c];
        for (let j = 0; j < d; j++) {
          const v = x[i * d + j];
          if (v !== 0) s += v * w[c * d + j];
        }
        out[i * k + c] = s;
      }
    }
    return out;
  }

  /** n binary rows from p(x | y = c): each pixel on with probability theta_cj. */
  sample(c: number, n: number, rng: Rng): Float32Array {
    const d = this.dim;
    const out = new Float32Array(n * d);
    for (let m = 0; m < n; m++)
      for (let j = 0; j < d; j++) out[m * d + j] = rng.uniform() < this.theta[c * d + j] ? 1 : 0;
    return out;
  }
}

/**
 * Frechet distance between two sets of feature vectors, each summarised by a Gaussian (mean and
 * covariance), as in the FID of Heusel et al. (2017) but on the features of genlab's own MNIST
 * classifier (../models/eval-classifier.ts), not Inception's:
 *
 *   d^2 = ||mu1 - mu2||^2 + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2})
 *
 * (tr (S1 S2)^{1/2} = tr (S1^{1/2} S2 S1^{1/2})^{1/2}, whose argument is symmetric PSD, so one
 * symmetric square root routine, Jacobi-based, does all the work in Float64.)
 */
import {
  covRows,
  matMulSquare,
  meanRows,
  rowCount,
  sqrtmSymmetric,
  trace,
} from "../runtime/linalg";

export interface GaussianStats {
  dim: number;
  mean: Float64Array;
  /** Row-major dim x dim, unbiased (divided by n - 1). */
  cov: Float64Array;
  n: number;
}

/** Mean and covariance of n feature rows (x is n x dim, row-major). */
export function gaussianStats(x: ArrayLike<number>, dim: number): GaussianStats {
  const n = rowCount(x, dim, "gaussianStats");
  if (n < 2) throw new Error(`gaussianStats: need at least 2 rows, got ${n}`);
  const mean = meanRows(x, dim);
  return { dim, mean, cov: covRows(x, dim, mean), n };
}

/** Squared Frechet distance between two Gaussians. */
export function frechetFromStats(a: GaussianStats, b: GaussianStats): number {
  if (a.dim !== b.dim)
    throw new Error(`frechetFromStats: dimensions differ (${a.dim} vs ${b.dim})`);
  const d = a.dim;
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (a.mean[i] - b.mean[i]) ** 2;
  const s1h = sqrtmSymmetric({ d, a: a.cov });
  const m = matMulSquare(matMulSquare(s1h, b.cov, d), s1h, d);
  // Symmetrise away rounding before the second square root.
  for (let i = 0; i < d; i++)
    for (let j = i + 1; j < d; j++)
      m[i * d + j] = m[j * d + i] = 0.5 * (m[i * d + j] + m[j * d + i]);
  const cross = trace(sqrtmSymmetric({ d, a: m }), d);
  const v = meanTerm + trace(a.cov, d) + trace(b.cov, d) - 2 * cross;
  return Math.max(0, v);
}

/**
 * Squared Frechet distance between the Gaussians fitted to two sets of feature rows (both n_i x
 * dim).
 */
export function frechetDistance(x: ArrayLike<number>, y: ArrayLike<number>, dim: number): number {
  return frechetFromStats(gaussianStats(x, dim), gaussianStats(y, dim));
}

/**
 * Small dense linear algebra in plain TypeScript with Float64 arrays (row-major d x d), for the
 * evaluation toolkit and the Gaussian classifiers: mean and covariance of rows, Cholesky, the
 * eigen-decomposition of a symmetric matrix (cyclic Jacobi) and the matrix square root built on
 * it. Sizes up to a few hundred rows/columns; no tfjs, so results do not depend on the backend.
 */

/** A row-major d x d matrix. */
export interface SquareMatrix {
  d: number;
  a: Float64Array;
}

function checkSquare(m: SquareMatrix, who: string): void {
  if (!Number.isInteger(m.d) || m.d < 1 || m.a.length !== m.d * m.d) {
    throw new Error(
      `${who}: expected a ${m.d} x ${m.d} matrix (${m.d * m.d} values), got ${m.a.length} values`,
    );
  }
}

/** Number of rows of a row-major matrix with `dim` columns, checked. */
export function rowCount(x: ArrayLike<number>, dim: number, who: string): number {
  if (!Number.isInteger(dim) || dim < 1)
    throw new Error(`${who}: dim must be a positive integer, got ${dim}`);
  if (x.length % dim !== 0)
    throw new Error(`${who}: ${x.length} values is not a whole number of rows of ${dim}`);
  return x.length / dim;
}

/** Column means of the rows `idx` (default all) of x (n x dim). */
export function meanRows(x: ArrayLike<number>, dim: number, idx?: ArrayLike<number>): Float64Array {
  const n = rowCount(x, dim, "meanRows");
  const m = idx ? idx.length : n;
  if (m === 0) throw new Error("meanRows: no rows");
  const mu = new Float64Array(dim);
  for (let j = 0; j < m; j++) {
    const r = (idx ? idx[j] : j) * dim;
    for (let p = 0; p < dim; p++) mu[p] += x[r + p];
  }
  for (let p = 0; p < dim; p++) mu[p] /= m;
  return mu;
}

/**
 * Covariance of the rows `idx` (default all) around `mean`, divided by (m - ddof): ddof 1 gives
 * the unbiased estimate, 0 the maximum-likelihood one. Accumulates into an existing matrix when
 * `into` is given (for pooled covariances), without the division.
 */
export function covRows(
  x: ArrayLike<number>,
  dim: number,
  mean: ArrayLike<number>,
  opts: { idx?: ArrayLike<number>; ddof?: number; into?: Float64Array } = {},
): Float64Array {
  const n = rowCount(x, dim, "covRows");
  const m = opts.idx ? opts.idx.length : n;
  const c = opts.into ?? new Float64Array(dim * dim);
  const v = new Float64Array(dim);
  for (let j = 0; j < m; j++) {
    const r = (opts.idx ? opts.idx[j] : j) * dim;
    for (let p = 0; p < dim; p++) v[p] = x[r + p] - mean[p];
    for (let p = 0; p < dim; p++) {
      const vp = v[p];
      if (vp === 0) continue;
      const row = p * dim;
      for (let q = p; q < dim; q++) c[row + q] += vp * v[q];
    }
  }
  if (opts.into) return c;
  const div = m - (opts.ddof ?? 1);
  if (!(div > 0)) throw new Error(`covRows: ${m} rows are too few for ddof ${opts.ddof ?? 1}`);
  symmetrizeUpper(c, dim, 1 / div);
  return c;
}

/** Copies the upper triangle to the lower one and scales the whole matrix by `scale`. */
export function symmetrizeUpper(c: Float64Array, dim: number, scale = 1): void {
  for (let p = 0; p < dim; p++) {
    for (let q = p; q < dim; q++) {
      const v = c[p * dim + q] * scale;
      c[p * dim + q] = v;
      c[q * dim + p] = v;
    }
  }
}

/**
 * Cholesky factor L (lower triangular, row-major) with A = L L^T. Throws when A is not
 * positive definite (add a ridge to the diagonal first).
 */
export function cholesky(m: SquareMatrix): Float64Array {
  checkSquare(m, "cholesky");
  const { d, a } = m;
  const L = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    for (let j = 0; j <= i; j++) {
      const rj = j * d;
      let s = a[ri + j];
      for (let k = 0; k < j; k++) s -= L[ri + k] * L[rj + k];
      if (i === j) {
        if (!(s > 0))
          throw new Error(
            `cholesky: the matrix is not positive definite (pivot ${i} is ${s}); add a ridge to the diagonal`,
          );
        L[ri + i] = Math.sqrt(s);
      } else {
        L[ri + j] = s / L[rj + j];
      }
    }
  }
  return L;
}

/** log det A from its Cholesky factor: 2 * sum log L_ii. */
export function logDetFromCholesky(L: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += Math.log(L[i * d + i]);
  return 2 * s;
}

/** Inverse of a lower-triangular matrix (lower triangular), by forward substitution row by row. */
export function invertLower(L: Float64Array, d: number): Float64Array {
  const inv = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < d; i++) {
    // Row i of L^{-1}: inv[i, j] = -(sum_{k=j}^{i-1} L[i,k] inv[k,j]) / L[i,i] for j < i.
    row.fill(0, 0, i);
    for (let k = 0; k < i; k++) {
      const lik = L[i * d + k];
      if (lik === 0) continue;
      const rk = k * d;
      for (let j = 0; j <= k; j++) row[j] += lik * inv[rk + j];
    }
    const lii = L[i * d + i];
    for (let j = 0; j < i; j++) inv[i * d + j] = -row[j] / lii;
    inv[i * d + i] = 1 / lii;
  }
  return inv;
}

/**
 * Eigen-decomposition of a symmetric matrix by the cyclic Jacobi method: A = V diag(values) V^T.
 * `vectors` holds the eigenvectors as COLUMNS (row-major d x d). Values are not sorted.
 * Converges quadratically; stops when the off-diagonal mass is below tol relative to the total.
 */
export function symmetricEigen(
  m: SquareMatrix,
  opts: { tol?: number; maxSweeps?: number } = {},
): { values: Float64Array; vectors: Float64Array } {
  checkSquare(m, "symmetricEigen");
  const { d } = m;
  const a = Float64Array.from(m.a);
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) {
      const diff = Math.abs(a[i * d + j] - a[j * d + i]);
      if (diff > 1e-8 * (Math.abs(a[i * d + j]) + Math.abs(a[j * d + i]) + 1e-300)) {
        throw new Error(
          `symmetricEigen: the matrix is not symmetric (entry ${i},${j}: ${a[i * d + j]} vs ${a[j * d + i]})`,
        );
      }
    }
  }
  const v = new Float64Array(d * d);
  for (let i = 0; i < d; i++) v[i * d + i] = 1;
  const tol = opts.tol ?? 1e-14;
  const maxSweeps = opts.maxSweeps ?? 60;
  let total = 0;
  for (let i = 0; i < d * d; i++) total += a[i] * a[i];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += a[p * d + q] * a[p * d + q];
    if (off <= tol * tol * total || off === 0) break;
    for (let p = 0; p < d - 1; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = a[p * d + q];
        if (apq === 0) continue;
        const app = a[p * d + p];
        const aqq = a[q * d + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        // A <- J^T A J, rows/columns p and q only.
        for (let k = 0; k < d; k++) {
          const akp = a[k * d + p];
          const akq = a[k * d + q];
          a[k * d + p] = c * akp - s * akq;
          a[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = a[p * d + k];
          const aqk = a[q * d + k];
          a[p * d + k] = c * apk - s * aqk;
          a[q * d + k] = s * apk + c * aqk;
        }
        a[p * d + q] = 0;
        a[q * d + p] = 0;
        for (let k = 0; k < d; k++) {
          const vkp = v[k * d + p];
          const vkq = v[k * d + q];
          v[k * d + p] = c * vkp - s * vkq;
          v[k * d + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(d);
  for (let i = 0; i < d; i++) values[i] = a[i * d + i];
  return { values, vectors: v };
}

/**
 * The symmetric positive semi-definite square root S of a symmetric PSD matrix (S S = A), via
 * the eigen-decomposition; eigenvalues that come out slightly negative by rounding are set to 0.
 */
export function sqrtmSymmetric(m: SquareMatrix): Float64Array {
  const { d } = m;
  const { values, vectors } = symmetricEigen(m);
  const scale = Math.max(...Array.from(values, Math.abs), 0);
  const out = new Float64Array(d * d);
  for (let k = 0; k < d; k++) {
    let lam = values[k];
    if (lam < 0) {
      if (lam < -1e-8 * Math.max(scale, 1e-300))
        throw new Error(
          `sqrtmSymmetric: the matrix has a negative eigenvalue ${lam}; it is not positive semi-definite`,
        );
      lam = 0;
    }
    const s = Math.sqrt(lam);
    if (s === 0) continue;
    for (let i = 0; i < d; i++) {
      const vi = vectors[i * d + k] * s;
      if (vi === 0) continue;
      for (let j = 0; j < d; j++) out[i * d + j] += vi * vectors[j * d + k];
    }
  }
  return out;
}

/** C = A B for row-major d x d matrices. */
export function matMulSquare(A: Float64Array, B: Float64Array, d: number): Float64Array {
  const C = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let k = 0; k < d; k++) {
      const aik = A[i * d + k];
      if (aik === 0) continue;
      for (let j = 0; j < d; j++) C[i * d + j] += aik * B[k * d + j];
    }
  }
  return C;
}

/** Trace of a row-major d x d matrix. */
export function trace(A: Float64Array, d: number): number {
  let s = 0;
  for (let i = 0; i < d; i++) s += A[i * d + i];
  return s;
}

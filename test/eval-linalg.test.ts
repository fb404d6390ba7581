import { test } from "node:test";
import assert from "node:assert/strict";
import {
  cholesky,
  covRows,
  invertLower,
  logDetFromCholesky,
  matMulSquare,
  meanRows,
  sqrtmSymmetric,
  symmetricEigen,
  trace,
} from "../lib/runtime/linalg";
import { Rng } from "../lib/runtime/random";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

/** A random symmetric positive definite d x d matrix B B^T + eps I. */
function randomSpd(d: number, rng: Rng, eps = 0.1): Float64Array {
  const b = Float64Array.from({ length: d * d }, () => rng.normal());
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += b[i * d + k] * b[j * d + k];
      a[i * d + j] = s + (i === j ? eps : 0);
    }
  return a;
}

test("mean and covariance of rows match hand-computed values", () => {
  const x = [1, 2, 3, 6, 5, 10]; // 3 rows of 2
  const mu = meanRows(x, 2);
  assert.deepEqual(Array.from(mu), [3, 6]);
  const c = covRows(x, 2, mu); // ddof 1
  assert.deepEqual(Array.from(c), [4, 8, 8, 16]);
  assert.deepEqual(Array.from(covRows(x, 2, mu, { idx: [0, 2], ddof: 0 })), [4, 8, 8, 16]);
  assert.throws(() => meanRows([1, 2, 3], 2), /whole number of rows/);
});

test("cholesky: L L^T = A, log det, inverse of L; non-PD is an error", () => {
  const d = 12;
  const a = randomSpd(d, new Rng(1));
  const L = cholesky({ d, a });
  const lt = new Float64Array(d * d);
  for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) lt[i * d + j] = L[j * d + i];
  const back = matMulSquare(L, lt, d);
  for (let i = 0; i < d * d; i++) close(back[i], a[i], 1e-9, `entry ${i}`);
  const inv = invertLower(L, d);
  const id = matMulSquare(inv, L, d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) close(id[i * d + j], i === j ? 1 : 0, 1e-9, `L^-1 L ${i},${j}`);
  const { values } = symmetricEigen({ d, a });
  close(
    logDetFromCholesky(L, d),
    values.reduce((s, v) => s + Math.log(v), 0),
    1e-8,
    "log det vs eigenvalues",
  );
  assert.throws(
    () => cholesky({ d: 2, a: Float64Array.from([1, 2, 2, 1]) }),
    /not positive definite/,
  );
});

test("symmetricEigen: known 2x2 and 3x3 spectra, A V = V diag(values), orthonormal V", () => {
  const two = symmetricEigen({ d: 2, a: Float64Array.from([2, 1, 1, 2]) });
  assert.deepEqual(
    Array.from(two.values)
      .sort()
      .map((v) => +v.toFixed(12)),
    [1, 3],
  );
  // Tridiagonal [2 -1 0; -1 2 -1; 0 -1 2]: eigenvalues 2 - sqrt2, 2, 2 + sqrt2.
  const three = symmetricEigen({ d: 3, a: Float64Array.from([2, -1, 0, -1, 2, -1, 0, -1, 2]) });
  const sorted = Array.from(three.values).sort((p, q) => p - q);
  [2 - Math.SQRT2, 2, 2 + Math.SQRT2].forEach((v, i) =>
    close(sorted[i], v, 1e-12, `eigenvalue ${i}`),
  );
  const d = 30;
  const a = randomSpd(d, new Rng(2));
  const { values, vectors: v } = symmetricEigen({ d, a });
  const av = matMulSquare(a, v, d);
  for (let i = 0; i < d; i++)
    for (let k = 0; k < d; k++)
      close(
        av[i * d + k],
        v[i * d + k] * values[k],
        1e-8 * (1 + Math.abs(values[k])),
        `AV ${i},${k}`,
      );
  for (let p = 0; p < d; p++)
    for (let q = 0; q < d; q++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += v[i * d + p] * v[i * d + q];
      close(s, p === q ? 1 : 0, 1e-10, `V^T V ${p},${q}`);
    }
  close(
    values.reduce((s, x) => s + x, 0),
    trace(a, d),
    1e-8,
    "sum of eigenvalues = trace",
  );
  assert.throws(
    () => symmetricEigen({ d: 2, a: Float64Array.from([1, 2, 3, 4]) }),
    /not symmetric/,
  );
});

test("sqrtmSymmetric: S S = A for an SPD matrix, exact on a diagonal one, rejects a clearly negative eigenvalue", () => {
  const d = 25;
  const a = randomSpd(d, new Rng(3));
  const s = sqrtmSymmetric({ d, a });
  const ss = matMulSquare(s, s, d);
  for (let i = 0; i < d * d; i++) close(ss[i], a[i], 1e-8 * (1 + Math.abs(a[i])), `S S entry ${i}`);
  assert.deepEqual(
    Array.from(sqrtmSymmetric({ d: 2, a: Float64Array.from([4, 0, 0, 9]) })).map(
      (x) => +x.toFixed(12),
    ),
    [2, 0, 0, 3],
  );
  // Rank-deficient PSD: [1 1; 1 1] = 2 u u^T with u = (1,1)/sqrt2 -> sqrt = sqrt2 u u^T.
  const r = sqrtmSymmetric({ d: 2, a: Float64Array.from([1, 1, 1, 1]) });
  Array.from(r).forEach((x) => close(x, Math.SQRT1_2, 1e-12, "rank-1 sqrt"));
  assert.throws(
    () => sqrtmSymmetric({ d: 2, a: Float64Array.from([1, 0, 0, -1]) }),
    /negative eigenvalue/,
  );
});

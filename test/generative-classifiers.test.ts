import { test } from "node:test";
import assert from "node:assert/strict";
import { initBackend } from "../lib/runtime/backend";
import {
  BernoulliNaiveBayes,
  GaussianClassifier,
  logSumExpRows,
} from "../lib/models/generative-classifiers";
import { KNNClassifier } from "../lib/models/knn";
import { Rng } from "../lib/runtime/random";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

/** Two labelled 2-D point clouds with known means. */
const toy = () => ({
  x: Float32Array.from([0, 0, 2, 0, 0, 2, 2, 2, 10, 10, 12, 10, 10, 14]),
  dim: 2,
  y: [0, 0, 0, 0, 1, 1, 1],
});

test("Gaussian classifier: ML means, priors and covariances; log p(x, y) equals the bivariate normal formula", async () => {
  await initBackend({ quiet: true });
  const data = toy();
  const full = GaussianClassifier.fit(data, 2, { covariance: "full", ridge: 0.5 });
  assert.deepEqual(Array.from(full.means[0]), [1, 1]);
  assert.deepEqual(Array.from(full.means[1]), [32 / 3, 34 / 3]);
  close(Math.exp(full.logPriors[0]), 4 / 7, 1e-12, "prior");
  // Class 0: ML covariance diag(1, 1) (points at +-1 around the mean), plus ridge 0.5.
  const s0 = full.covariance(0);
  [1.5, 0, 0, 1.5].forEach((v, i) => close(s0[i], v, 1e-12, `cov0[${i}]`));
  const q = Float32Array.from([0.5, 2]);
  const expected =
    Math.log(4 / 7) - Math.log(2 * Math.PI * 1.5) - ((0.5 - 1) ** 2 + (2 - 1) ** 2) / (2 * 1.5);
  close(full.logJoint(q)[0], expected, 1e-5, "log p(x, y=0)");
  // Shared: pooled ML covariance over both classes.
  const shared = GaussianClassifier.fit(data, 2, { covariance: "shared", ridge: 0 });
  const s1 = full.covariance(1);
  const pooled = shared.covariance(0);
  for (let i = 0; i < 4; i++)
    close(
      pooled[i],
      (4 * (s0[i] - (i % 3 === 0 ? 0.5 : 0)) + 3 * (s1[i] - (i % 3 === 0 ? 0.5 : 0))) / 7,
      1e-9,
      `pooled[${i}]`,
    );
  assert.deepEqual(
    Array.from(full.predict(Float32Array.from([1, 1, 11, 11, 5, 4]))).slice(0, 2),
    [0, 1],
  );
  const diag = GaussianClassifier.fit(data, 2, { covariance: "diagonal", ridge: 0.1 });
  assert.equal(diag.covariance(1)[1], 0);
});

test("Gaussian classifier: p(x) integrates to 1 over the plane, posteriors sum to 1, samples have the fitted moments", async () => {
  await initBackend({ quiet: true });
  const rng = new Rng(1);
  const n = 400;
  const x = new Float32Array(2 * n);
  const y: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 2;
    x[2 * i] = c * 3 + rng.normal();
    x[2 * i + 1] = c + 0.5 * rng.normal() + 0.3 * x[2 * i];
    y.push(c);
  }
  const g = GaussianClassifier.fit({ x, dim: 2, y }, 2, { covariance: "full", ridge: 0.01 });
  const h = 0.05;
  const pts: number[] = [];
  for (let a = -8; a <= 11; a += h) for (let b = -8; b <= 10; b += h) pts.push(a, b);
  const ld = g.logDensity(Float32Array.from(pts));
  close(ld.reduce((s, v) => s + Math.exp(v), 0) * h * h, 1, 2e-3, "integral of p(x)");
  const post = g.posterior(Float32Array.from([0, 0, 3, 1]));
  close(post[0] + post[1], 1, 1e-12, "posterior row 0");
  assert.ok(post[0] > 0.5 && post[3] > 0.5);
  const s = g.sample(1, 20000, new Rng(2));
  let m0 = 0;
  let m1 = 0;
  for (let i = 0; i < 20000; i++) {
    m0 += s[2 * i] / 20000;
    m1 += s[2 * i + 1] / 20000;
  }
  close(m0, g.means[1][0], 0.03, "sample mean x");
  close(m1, g.means[1][1], 0.03, "sample mean y");
});

test("Bernoulli naive Bayes: Laplace-smoothed theta, log p(x, y) by hand, p(x) sums to 1 over all binary vectors", () => {
  const x = Float32Array.from([1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 1]); // 3 rows of 4
  const nb = BernoulliNaiveBayes.fit({ x, dim: 4, y: [0, 0, 1] }, 2, { alpha: 1 });
  assert.deepEqual(Array.from(nb.theta), [3 / 4, 1 / 4, 2 / 4, 2 / 4, 1 / 3, 2 / 3, 1 / 3, 2 / 3]);
  const lj = nb.logJoint(Float32Array.from([1, 0, 0, 1]));
  close(
    lj[0],
    Math.log(2 / 3) + Math.log(3 / 4) + Math.log(3 / 4) + Math.log(1 / 2) + Math.log(1 / 2),
    1e-12,
    "log p(x, y=0)",
  );
  close(
    lj[1],
    Math.log(1 / 3) + Math.log(1 / 3) + Math.log(1 / 3) + Math.log(2 / 3) + Math.log(2 / 3),
    1e-12,
    "log p(x, y=1)",
  );
  const all: number[] = [];
  for (let v = 0; v < 16; v++) for (let j = 0; j < 4; j++) all.push((v >> j) & 1);
  close(
    nb.logDensity(Float32Array.from(all)).reduce((s, l) => s + Math.exp(l), 0),
    1,
    1e-12,
    "sum over {0,1}^4",
  );
  const s = nb.sample(1, 30000, new Rng(3));
  const mean2 = s.reduce((acc, v, i) => acc + (i % 4 === 2 ? v : 0), 0) / 30000;
  close(mean2, 1 / 3, 0.01, "sampled pixel frequency");
  assert.throws(
    () => BernoulliNaiveBayes.fit({ x: Float32Array.from([0.5, 1]), dim: 2, y: [0] }, 1),
    /binarise/,
  );
  assert.throws(
    () => BernoulliNaiveBayes.fit({ x: Float32Array.from([0, 1]), dim: 2, y: [0] }, 2),
    /class 1 has no training rows/,
  );
});

test("sampleJoint draws classes by the prior and rows from their class", async () => {
  await initBackend({ quiet: true });
  const data = { x: Float32Array.from([0, 0, 0, 0, 0, 0, 10, 10]), dim: 2, y: [0, 0, 0, 1] };
  const g = GaussianClassifier.fit(data, 2, { covariance: "diagonal", ridge: 0.01 });
  const { x, y } = g.sampleJoint(4000, new Rng(5));
  const ones = y.reduce((a, b) => a + b, 0);
  close(ones / 4000, 0.25, 0.02, "share of class 1");
  for (let i = 0; i < 4000; i++)
    assert.ok(Math.abs(x[2 * i] - (y[i] === 1 ? 10 : 0)) < 1, `row ${i} lies at its class mean`);
});

test("logSumExpRows is stable for large magnitudes", () => {
  const r = logSumExpRows([1000, 1000, -1000, -1000 + Math.log(3)], 2);
  close(r[0], 1000 + Math.log(2), 1e-9, "large");
  close(r[1], -1000 + Math.log(4), 1e-9, "small");
});

test("k-NN: majority of the k nearest, ties to the class of the nearer neighbour", async () => {
  await initBackend({ quiet: true });
  const data = { x: Float32Array.from([0, 0, 1, 0, 5, 5, 6, 5, 5, 6]), dim: 2, y: [0, 0, 1, 1, 1] };
  const knn3 = new KNNClassifier(data, 2, 3);
  assert.deepEqual(
    Array.from(knn3.predict(Float32Array.from([0.2, 0, 5.2, 5.1, 3, 2.8]))),
    [0, 1, 1],
  );
  const knn2 = new KNNClassifier(data, 2, 2);
  // (2.9, 2.6): nearest (5,5) (class 1, distance 3.19), then (1,0) (class 0, 3.22): a 1-1 tie goes
  // to class 1.
  assert.deepEqual(Array.from(knn2.predict(Float32Array.from([2.9, 2.6]))), [1]);
  knn3.dispose();
  knn2.dispose();
  assert.throws(() => new KNNClassifier(data, 2, 6), /k must be an integer in 1..5/);
});

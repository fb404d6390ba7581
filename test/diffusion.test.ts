/**
 * lib/models/diffusion.ts: the schedule's closed forms against simulated chains and Gaussian
 * conditioning, the KL terms against Monte Carlo, the samplers against an exact denoiser, the
 * network's gradients against finite differences, and a short training run.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { Rng } from "../lib/runtime/random";
import { ring8 } from "../lib/data/toys";
import {
  NoiseSchedule,
  TimeMLP,
  ddimSteps,
  gaussianKL1,
  mixtureNoise,
  noiseLoss,
  qSample,
  sampleDiffusion,
  simulateForward,
  timeEmbedding,
  trainDiffusion,
  vlbTerms,
  type Denoiser,
} from "../lib/models/diffusion";
import { klMonteCarlo, posteriorCheck } from "../lib/lessons/07_diffusion";

test("the linear schedule is Ho et al.'s at T = 1000 and keeps its total noise at other T", () => {
  const s = new NoiseSchedule({ T: 1000, kind: "linear" });
  assert.ok(Math.abs(s.beta[1] - 1e-4) < 1e-15 && Math.abs(s.beta[1000] - 0.02) < 1e-15);
  assert.ok(s.alphaBar[1000] > 1e-5 && s.alphaBar[1000] < 1e-4, `${s.alphaBar[1000]}`);
  const short = new NoiseSchedule({ T: 100, kind: "linear" });
  assert.ok(Math.abs(short.beta[1] - 1e-3) < 1e-15 && Math.abs(short.beta[100] - 0.2) < 1e-12);
  const c = new NoiseSchedule({ T: 100, kind: "cosine" });
  for (let t = 1; t <= 100; t++) {
    assert.ok(c.alphaBar[t] < c.alphaBar[t - 1] && c.beta[t] <= 0.999);
  }
  assert.throws(() => new NoiseSchedule({ T: 1, kind: "linear" }), /T must be an integer >= 2/);
  assert.throws(() => new NoiseSchedule({ T: 20, kind: "linear" }), /too small.*beta_T >= 1/);
  assert.throws(
    () => new NoiseSchedule({ T: 10, kind: "quadratic" as "linear" }),
    /kind must be "linear" or "cosine"/,
  );
  assert.throws(() => s.posterior(0), /step 0 is outside 1..1000/);
});

test("q(x_t | x_0) in closed form matches chains simulated step by step", () => {
  const s = new NoiseSchedule({ T: 100, kind: "linear" });
  const rng = new Rng(1);
  const n = 20000;
  const x0 = 0.7;
  for (const t of [1, 10, 50, 100]) {
    const { mean: m, variance: v } = simulateForward(s, x0, t, n, rng);
    const vTrue = 1 - s.alphaBar[t];
    const se = Math.sqrt(vTrue / n);
    assert.ok(Math.abs(m - Math.sqrt(s.alphaBar[t]) * x0) < 4 * se, `t ${t}: mean ${m}`);
    assert.ok(Math.abs(v - vTrue) < 4 * vTrue * Math.sqrt(2 / n), `t ${t}: var ${v} vs ${vTrue}`);
  }
});

test("the posterior q(x_{t-1} | x_t, x_0) is Gaussian conditioning of the two steps", () => {
  for (const kind of ["linear", "cosine"] as const) {
    const s = new NoiseSchedule({ T: 200, kind });
    for (const t of [2, 3, 50, 199, 200]) {
      // prior x_{t-1} ~ N(sqrt(abar_{t-1}) x0, 1 - abar_{t-1});
      // likelihood x_t ~ N(sqrt(a) x_{t-1}, b)
      const a = 1 - s.beta[t];
      const v0 = 1 - s.alphaBar[t - 1];
      const precision = 1 / v0 + a / s.beta[t];
      const q = s.posterior(t);
      assert.ok(Math.abs(q.variance - 1 / precision) < 1e-12 * Math.max(1, 1 / precision));
      assert.ok(Math.abs(q.c0 - Math.sqrt(s.alphaBar[t - 1]) / v0 / precision) < 1e-9);
      assert.ok(Math.abs(q.ct - Math.sqrt(a) / s.beta[t] / precision) < 1e-9);
    }
    assert.ok(posteriorCheck(s, [2, 3, 50, 199, 200]) < 1e-9, "the lesson's check agrees");
    assert.equal(s.reverseVariance(1, "posterior"), s.posterior(2).variance);
    assert.equal(s.reverseVariance(7, "beta"), s.beta[7]);
  }
});

test("gaussianKL1 agrees with a Monte Carlo average of log q - log p", () => {
  const k = klMonteCarlo(0.3, 0.5, -0.4, 1.7, 200000, new Rng(2));
  assert.ok(Math.abs(k.closedForm - k.monteCarlo) < 4 * k.standardError, JSON.stringify(k));
  assert.equal(gaussianKL1(1, 2, 1, 2), 0);
});

test("qSample and timeEmbedding: values of the closed form and of sin / cos", async () => {
  await initBackend({ quiet: true });
  const s = new NoiseSchedule({ T: 50, kind: "linear" });
  const x0 = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const eps = tf.tensor2d([
    [0.5, -1],
    [0, 2],
  ]);
  const xt = qSample(s, x0, [1, 50], eps).arraySync();
  const [a1, a10] = [s.alphaBar[1], s.alphaBar[50]];
  assert.ok(Math.abs(xt[0][1] - (Math.sqrt(a1) * 2 - Math.sqrt(1 - a1))) < 1e-6);
  assert.ok(Math.abs(xt[1][1] - (Math.sqrt(a10) * 4 + 2 * Math.sqrt(1 - a10))) < 1e-6);
  const e = timeEmbedding([0, 3], 4).arraySync();
  assert.deepEqual(e[0], [0, 0, 1, 1]);
  assert.ok(Math.abs(e[1][0] - Math.sin(3)) < 1e-6 && Math.abs(e[1][3] - Math.cos(0.03)) < 1e-6);
  assert.throws(() => timeEmbedding([1], 3), /even integer/);
  tf.dispose([x0, eps]);
});

test("TimeMLP: the gradient of the noise loss matches finite differences", async () => {
  await initBackend({ quiet: true });
  const net = new TimeMLP("fd", { dim: 2, hidden: [5, 4], embed: 4 }, new Rng(3));
  const s = new NoiseSchedule({ T: 50, kind: "linear" });
  const x0 = tf.tensor2d([
    [0.5, -0.2],
    [1, 0.3],
    [-0.7, 0.9],
  ]);
  const eps = tf.tensor2d([
    [0.1, 0.4],
    [-1.2, 0.8],
    [0.3, -0.5],
  ]);
  const t = [1, 7, 50];
  const vars = net.params();
  const { grads } = tf.variableGrads(() => noiseLoss(net, s, x0, t, eps), Object.values(vars));
  const h = 1e-3;
  for (const name of ["fd.h0.w", "fd.t1.w", "fd.embed.b", "fd.out.w"]) {
    const v = vars[name];
    const g = grads[v.name].dataSync();
    const base = v.dataSync().slice();
    for (const j of [0, base.length - 1]) {
      const at = (delta: number) => {
        const w = base.slice();
        w[j] += delta;
        v.assign(tf.tensor(w, v.shape));
        return noiseLoss(net, s, x0, t, eps).dataSync()[0];
      };
      const fd = (at(h) - at(-h)) / (2 * h);
      v.assign(tf.tensor(base, v.shape));
      assert.ok(
        Math.abs(fd - g[j]) < 2e-3 + 2e-2 * Math.abs(fd),
        `${name}[${j}]: ${g[j]} vs ${fd}`,
      );
    }
  }
  tf.dispose([x0, eps, ...Object.values(grads), ...Object.values(vars)]);
});

/**
 * The exact denoiser of data that are one point c: E[eps | x_t] = (x_t - sqrt(abar) c) /
 * sqrt(1 - abar).
 */
function pointDenoiser(s: NoiseSchedule, c: number[]): Denoiser {
  return {
    name: "point",
    dim: c.length,
    params: () => ({}),
    predictNoise: (xt, t) =>
      tf.tidy(() => {
        const ab = Float32Array.from(t, (u) => s.alphaBar[u]);
        const sq = tf.tensor2d(ab.map(Math.sqrt), [t.length, 1]);
        const sd = tf.tensor2d(
          ab.map((a) => Math.sqrt(1 - a)),
          [t.length, 1],
        );
        return tf.div(tf.sub(xt, tf.mul(sq, tf.tensor2d([c]))), sd) as tf.Tensor2D;
      }),
  };
}

test("with the exact denoiser, DDIM returns the data point and ancestral sampling lands on it", async () => {
  await initBackend({ quiet: true });
  const s = new NoiseSchedule({ T: 100, kind: "linear" });
  const model = pointDenoiser(s, [0.5, -1.5]);
  const ddim = sampleDiffusion(model, s, 50, new Rng(4), { sampler: "ddim", steps: 10 }).x;
  for (let i = 0; i < 50; i++) {
    assert.ok(Math.abs(ddim[2 * i] - 0.5) < 1e-4 && Math.abs(ddim[2 * i + 1] + 1.5) < 1e-4);
  }
  const anc = sampleDiffusion(model, s, 400, new Rng(5), { keep: [100, 50, 0] });
  let err = 0;
  for (let i = 0; i < 400; i++) err = Math.max(err, Math.abs(anc.x[2 * i] - 0.5));
  assert.ok(err < 1e-3, `ancestral samples off by ${err}`);
  assert.deepEqual(
    Object.keys(anc.chain)
      .map(Number)
      .sort((a, b) => a - b),
    [0, 50, 100],
  );
  assert.deepEqual(Array.from(anc.chain[0]), Array.from(anc.x));
  const again = sampleDiffusion(model, s, 400, new Rng(5));
  assert.deepEqual(Array.from(again.x), Array.from(anc.x), "same seed, same samples");
  assert.deepEqual(ddimSteps(100, 4), [100, 67, 34, 1]);
  assert.deepEqual(ddimSteps(5, 1), [5]);
  assert.throws(() => ddimSteps(5, 6), /integer in 1..5/);
});

test("mixtureNoise is E[eps | x_t]: it lowers L_simple below any other predictor tried", async () => {
  await initBackend({ quiet: true });
  const s = new NoiseSchedule({ T: 100, kind: "linear" });
  const mix = ring8();
  const rng = new Rng(6);
  const n = 4000;
  const t = 30;
  const x0 = new Float32Array(2 * n);
  const eps = rng.normalArray(2 * n);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(rng.uniform() * 8);
    x0[2 * i] = mix.means[k][0] + mix.sigma * rng.normal();
    x0[2 * i + 1] = mix.means[k][1] + mix.sigma * rng.normal();
  }
  const ab = s.alphaBar[t];
  const xt = x0.map((v, i) => Math.sqrt(ab) * v + Math.sqrt(1 - ab) * eps[i]);
  const mse = (pred: ArrayLike<number>) =>
    eps.reduce((a, e, i) => a + (e - pred[i]) ** 2, 0) / eps.length;
  const best = mse(mixtureNoise(mix, s, xt, t));
  // the one-Gaussian predictor (data treated as N(0, I)) and a scaled copy of the best
  const gauss = xt.map((v) => Math.sqrt(1 - ab) * v);
  const scaled = mixtureNoise(mix, s, xt, t).map((v) => 0.9 * v);
  assert.ok(best < mse(gauss) && best < mse(scaled) && best < 1, `${best}`);
});

test("the bound on -log p(x_0) of Gaussian data with the exact denoiser is above the truth", async () => {
  await initBackend({ quiet: true });
  // data: the single point c; the exact denoiser; the bound is >= -log p for any model, and
  // here the model's p(x_0) is concentrated near c, so the density bound is very negative
  const s = new NoiseSchedule({ T: 50, kind: "linear" });
  const model = pointDenoiser(s, [0.2]);
  const x0 = new Float32Array(64).fill(0.2);
  const v = vlbTerms(model, s, x0, new Rng(7));
  assert.ok(v.prior > 0 && v.prior < 0.1, `L_T ${v.prior}`);
  for (let t = 2; t <= 50; t++) assert.ok(v.steps[t] >= -1e-6, `L_${t - 1} = ${v.steps[t]}`);
  const sigma1 = Math.sqrt(s.reverseVariance(1, "posterior"));
  assert.ok(v.decoder < Math.log(sigma1 * Math.sqrt(2 * Math.PI)) + 0.5 + 1e-3);
  const sum = v.prior + v.steps.reduce((a, b) => a + b, 0) + v.decoder;
  assert.ok(Math.abs(v.total - sum) < 1e-9);
});

test("trainDiffusion lowers L_simple on the ring, deterministically, without leaking tensors", async () => {
  await initBackend({ quiet: true });
  const s = new NoiseSchedule({ T: 100, kind: "linear" });
  const mix = ring8();
  const rng = new Rng(8);
  const data = new Float32Array(2 * 2000);
  for (let i = 0; i < 2000; i++) {
    const k = i % 8;
    data[2 * i] = mix.means[k][0] + mix.sigma * rng.normal();
    data[2 * i + 1] = mix.means[k][1] + mix.sigma * rng.normal();
  }
  const run = async () => {
    const net = new TimeMLP("tr", { dim: 2, hidden: [32, 32], embed: 16 }, new Rng(9));
    const before = tf.memory().numTensors;
    const budget = { steps: 300, batchSize: 128, lr: 3e-3 };
    const h = await trainDiffusion(net, s, data, budget, { seed: 10, quiet: true });
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    const w = Array.from(net.params()["tr.out.w"].dataSync());
    tf.dispose(Object.values(net.params()));
    return { first: h.rows[0].loss, last: h.tailMean("loss", 20), w };
  };
  const a = await run();
  assert.ok(a.last < 0.8 * a.first, `loss ${a.first} -> ${a.last}`);
  const b = await run();
  assert.deepEqual(b.w, a.w, "same seed, same weights");
});

import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { Rng, randn } from "../lib/runtime/random";
import {
  VAE,
  activeUnits,
  aggregatePosterior,
  bernoulliLogLik,
  exactBounds1D,
  gaussianKL,
  gaussHermite,
  gradientEstimators,
  iwaeLogLik,
  klCheck,
  logNormalDiag,
  trainVAE,
} from "../lib/models/vae";

test("closed-form Gaussian KL matches a Monte Carlo estimate", async () => {
  await initBackend({ quiet: true });
  const mu = tf.tensor2d([[0.5, -1.0, 0.2]]);
  const logvar = tf.tensor2d([[-0.5, 0.3, -1.2]]);
  const kl = gaussianKL(mu, logvar).dataSync()[0];
  // E_q[log q(z) - log p(z)] with 200k samples
  const rng = new Rng(7);
  const n = 200000;
  const eps = randn(rng, [n, 3]) as tf.Tensor2D;
  const mc = tf.tidy(() => {
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logvar)), eps)) as tf.Tensor2D;
    return tf.mean(
      tf.sub(
        logNormalDiag(
          z,
          tf.tile(mu, [n, 1]) as tf.Tensor2D,
          tf.tile(logvar, [n, 1]) as tf.Tensor2D,
        ),
        logNormalDiag(z),
      ),
    );
  });
  const mcv = mc.dataSync()[0];
  const direct =
    0.5 *
    [
      [0.5, -0.5],
      [-1.0, 0.3],
      [0.2, -1.2],
    ].reduce((s, [m, lv]) => s + m * m + Math.exp(lv) - 1 - lv, 0);
  assert.ok(Math.abs(kl - direct) < 1e-5, `closed form ${kl} vs hand ${direct}`);
  assert.ok(Math.abs(mcv - kl) < 0.02, `MC ${mcv} vs closed form ${kl}`);
  tf.dispose([mu, logvar, eps, mc]);
  const c = klCheck([0.5, -1.0, 0.2], [-0.5, 0.3, -1.2], 100000, new Rng(2));
  assert.ok(Math.abs(c.closedForm - direct) < 1e-12);
  assert.ok(
    Math.abs(c.monteCarlo - c.closedForm) < 4 * c.standardError,
    `klCheck: ${c.monteCarlo} +- ${c.standardError} vs ${c.closedForm}`,
  );
});

test("Bernoulli log-likelihood equals the direct formula and is stable for large logits", async () => {
  await initBackend({ quiet: true });
  const x = tf.tensor2d([[1, 0, 1, 0]]);
  const l = tf.tensor2d([[2.0, -1.0, 0.0, 30.0]]);
  const got = bernoulliLogLik(x, l).dataSync()[0];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  // log(1 - sigmoid(30)) ~ -30
  const want = Math.log(sig(2)) + Math.log(1 - sig(-1)) + Math.log(sig(0)) + -30;
  assert.ok(Math.abs(got - want) < 1e-4, `${got} vs ${want}`);
  tf.dispose([x, l]);
});

test("ELBO <= IWAE_k <= log p(x), and IWAE_k approaches log p(x) as k grows (1-D latent, exact integral)", async () => {
  await initBackend({ quiet: true });
  const vae = new VAE("tiny", { inputDim: 6, hidden: [8], latent: 1 }, new Rng(3));
  const xRow = new Float32Array([1, 0, 1, 1, 0, 0]);
  const exact = exactBounds1D(vae, xRow);
  const logpx = exact.logpx[0],
    elbo = exact.elbo[0];
  // Brute force over all 2^6 binary x: p(x) must sum to 1.
  const all = new Float32Array(64 * 6).map((_, i) => (Math.floor(i / 6) >> (i % 6)) & 1);
  const total = exactBounds1D(vae, all).logpx.reduce((s, v) => s + Math.exp(v), 0);
  assert.ok(Math.abs(total - 1) < 1e-4, `sum over all x of p(x) = ${total}`);
  const opt = exact.elboOptimal[0];
  assert.ok(
    elbo <= opt + 1e-9 && opt <= logpx + 1e-6,
    `ELBO ${elbo} <= best-Gaussian ELBO ${opt} <= log p(x) ${logpx}`,
  );
  const rng = new Rng(11);
  /** Mean of `reps` IWAE_k estimates and its standard error. */
  const estimate = (k: number, reps: number) => {
    const v = Array.from({ length: reps }, () => iwaeLogLik(vae, xRow, k, rng)[0]);
    const m = v.reduce((a, b) => a + b, 0) / reps;
    return { m, se: Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (reps - 1) / reps) };
  };
  const e1 = estimate(1, 4000),
    e10 = estimate(10, 400);
  const i1 = e1.m,
    i10 = e10.m,
    i1000 = estimate(1000, 5).m,
    i50k = estimate(50000, 2).m;
  assert.ok(elbo < logpx, `ELBO ${elbo} should be below log p(x) ${logpx}`);
  assert.ok(
    Math.abs(i1 - elbo) < 4 * e1.se,
    `IWAE_1 averages to the ELBO: ${i1} +- ${e1.se} vs ${elbo}`,
  );
  assert.ok(
    logpx - elbo > 0.5 && i10 - i1 > 4 * Math.hypot(e1.se, e10.se),
    `the gap must be visible: ELBO ${elbo}, IWAE_10 ${i10}, log p(x) ${logpx}`,
  );
  assert.ok(
    i1 < i10 && i10 < i1000 && i1000 < i50k + 1e-3,
    `IWAE_k increases with k: ${i1}, ${i10}, ${i1000}, ${i50k}`,
  );
  assert.ok(i50k <= logpx + 0.01, `IWAE_50000 ${i50k} must not exceed log p(x) ${logpx}`);
  assert.ok(
    logpx - i50k < 0.3 * (logpx - i1000) + 0.01,
    `the gap shrinks: log p(x) - IWAE_1000 = ${logpx - i1000}, - IWAE_50000 = ${logpx - i50k}`,
  );
  for (const v of Object.values(vae.params())) v.dispose();
});

test("the loss gradient matches finite differences (fixed noise)", async () => {
  await initBackend({ quiet: true });
  const vae = new VAE("fd", { inputDim: 5, hidden: [4], latent: 2 }, new Rng(5));
  const x = tf.tensor2d([
    [1, 0, 1, 0, 1],
    [0, 0, 1, 1, 1],
  ]);
  const eps = randn(new Rng(9), [2, 2]) as tf.Tensor2D;
  const p = vae.params();
  const name = "fd.enc.0.w";
  const { grads } = tf.variableGrads(() => vae.loss(x, eps, 1), [p[name]]);
  const g = grads[p[name].name].dataSync();
  const w = p[name];
  const base = w.dataSync().slice();
  const h = 1e-2;
  for (const idx of [0, 3, 7, 13]) {
    const f = (d: number) => {
      const v = base.slice();
      v[idx] += d;
      w.assign(tf.tensor(v, w.shape));
      return vae.loss(x, eps, 1).dataSync()[0];
    };
    const fd = (f(h) - f(-h)) / (2 * h);
    assert.ok(
      Math.abs(fd - g[idx]) < 2e-2 * Math.max(1, Math.abs(fd)),
      `d loss / d w[${idx}]: autodiff ${g[idx]} vs finite difference ${fd}`,
    );
  }
  tf.dispose([x, eps, ...Object.values(grads)]);
});

test("trainVAE lowers the loss on toy binary data without leaking tensors", async () => {
  await initBackend({ quiet: true });
  const rng = new Rng(1);
  // Two prototypes of 20 pixels; data are noisy copies.
  const protos = [
    Array.from({ length: 20 }, (_, i) => (i < 10 ? 0.95 : 0.05)),
    Array.from({ length: 20 }, (_, i) => (i % 2 ? 0.95 : 0.05)),
  ];
  const data = new Float32Array(400 * 20);
  for (let r = 0; r < 400; r++) for (let j = 0; j < 20; j++) data[r * 20 + j] = protos[r % 2][j];
  const vae = new VAE("toy", { inputDim: 20, hidden: [16], latent: 2 }, rng);
  const before = tf.memory().numTensors;
  const h1 = await trainVAE(
    vae,
    data,
    { steps: 20, batchSize: 32, lr: 5e-3, beta: 1 },
    { seed: 2, quiet: true },
  );
  const mid = tf.memory().numTensors;
  const h2 = await trainVAE(
    vae,
    data,
    { steps: 300, batchSize: 32, lr: 5e-3, beta: 1 },
    { seed: 3, quiet: true },
  );
  assert.equal(tf.memory().numTensors, mid, "tensors leaked during training");
  assert.ok(mid - before <= 0, `tensors left after training: ${mid - before}`);
  const first = h1.rows[0].loss,
    last = h2.tailMean("loss", 20);
  assert.ok(last < 0.6 * first, `loss ${first} -> ${last}`);
  assert.ok(h2.keys().includes("kl") && h2.keys().includes("recon"));
  for (const v of Object.values(vae.params())) v.dispose();
});

test("iwaeTerms: the IWAE bound of one row is iwaeLogLik's for the same draws, above its ELBO terms", async () => {
  await initBackend({ quiet: true });
  const vae = new VAE("iw", { inputDim: 12, hidden: [8], latent: 3 }, new Rng(5));
  const xRow = new Rng(6).uniformArray(12).map((u) => (u < 0.5 ? 1 : 0));
  const k = 7;
  const direct = iwaeLogLik(vae, xRow, k, new Rng(8))[0];
  const x = tf.tensor2d(xRow, [1, 12]);
  const eps = randn(new Rng(8), [k, 3]) as tf.Tensor2D;
  const t = vae.iwaeTerms(x, eps, k);
  const bound = t.bound.dataSync()[0];
  assert.ok(Math.abs(bound - direct) < 1e-4, `iwaeTerms ${bound} vs iwaeLogLik ${direct}`);
  // Jensen: log of the mean weight >= mean of the log weights = recon - kl.
  const elbo = t.recon.dataSync()[0] - t.kl.dataSync()[0];
  assert.ok(bound >= elbo - 1e-5, `bound ${bound} < ELBO estimate ${elbo}`);
  assert.throws(() => vae.iwaeTerms(x, eps, 2), /expected k \* n = 2/);
  tf.dispose([x, eps, t.bound, t.recon, t.kl]);
  for (const v of Object.values(vae.params())) v.dispose();
});

test("trainVAE with k = 5 trains the IWAE bound (loss falls) and refuses beta != 1", async () => {
  await initBackend({ quiet: true });
  const data = new Float32Array(200 * 10);
  for (let r = 0; r < 200; r++) for (let j = 0; j < 10; j++) data[r * 10 + j] = (r + j) % 2;
  const vae = new VAE("iwk", { inputDim: 10, hidden: [16], latent: 2 }, new Rng(1));
  const before = tf.memory().numTensors;
  const budget = { steps: 200, batchSize: 32, lr: 5e-3, beta: 1, k: 5 };
  const h = await trainVAE(vae, data, budget, { seed: 2, quiet: true });
  assert.equal(tf.memory().numTensors, before, "tensors leaked during IWAE training");
  const first = h.rows[0].loss;
  const last = h.tailMean("loss", 20);
  assert.ok(last < 0.5 * first, `IWAE loss ${first} -> ${last}`);
  await assert.rejects(
    trainVAE(vae, data, { ...budget, beta: 0.5 }, { seed: 2, quiet: true }),
    /beta 1 and no warm-up/,
  );
  for (const v of Object.values(vae.params())) v.dispose();
});

test("activeUnits counts the latent axes whose posterior mean varies over the data", () => {
  const rng = new Rng(3);
  const n = 2000;
  const mu = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    mu[i * 3] = rng.normal(); // variance 1: active
    mu[i * 3 + 1] = 0.05 * rng.normal() + 2; // variance 0.0025: inactive, whatever its mean
    mu[i * 3 + 2] = 0.2 * rng.normal(); // variance 0.04: active
  }
  assert.equal(activeUnits(mu, 3), 2);
  assert.equal(activeUnits(mu, 3, 0.05), 1);
});

test("aggregatePosterior: KL to the prior is ~0 when q(z) is the prior, and positive otherwise", () => {
  const rng = new Rng(4);
  const n = 20000,
    L = 3,
    s2 = 0.25;
  // mu ~ N(0, (1 - s2) I) and sigma^2 = s2 make the mixture of q(z|x) exactly N(0, I).
  const mu = rng.normalArray(n * L, 0, Math.sqrt(1 - s2));
  const logvar = new Float32Array(n * L).fill(Math.log(s2));
  const good = aggregatePosterior(mu, logvar, L);
  assert.ok(good.klToPrior < 0.01, `KL ${good.klToPrior}`);
  const shifted = aggregatePosterior(
    mu.map((v) => v + 1),
    logvar,
    L,
  );
  assert.ok(
    Math.abs(shifted.klToPrior - 1.5) < 0.05,
    `a unit shift in 3 dims costs 1.5 nats: ${shifted.klToPrior}`,
  );
});

test("reparameterisation and score-function gradients agree in mean; reparameterisation has the lower variance", async () => {
  await initBackend({ quiet: true });
  const vae = new VAE("ge", { inputDim: 6, hidden: [8], latent: 1 }, new Rng(8));
  const x = new Float32Array([1, 1, 0, 1, 0, 0]);
  const { reparam, reinforce } = gradientEstimators(vae, x, 0.3, 0.8, 20000, new Rng(9));
  const stats = (v: Float64Array) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    return { m, v: v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1) };
  };
  const a = stats(reparam),
    b = stats(reinforce);
  const se = Math.sqrt(b.v / reinforce.length);
  assert.ok(
    Math.abs(a.m - b.m) < 4 * se + 4 * Math.sqrt(a.v / reparam.length),
    `means ${a.m} vs ${b.m} (se ${se})`,
  );
  assert.ok(a.v < b.v / 5, `variance reparam ${a.v} vs REINFORCE ${b.v}`);
});

test("Gauss-Hermite rule integrates Gaussian moments exactly", () => {
  const { nodes, weights } = gaussHermite(20);
  const moment = (p: number) => nodes.reduce((s, t, k) => s + weights[k] * t ** p, 0);
  assert.ok(Math.abs(moment(0) - 1) < 1e-10, `weights sum ${moment(0)}`);
  assert.ok(
    Math.abs(moment(1)) < 1e-10 &&
      Math.abs(moment(2) - 1) < 1e-9 &&
      Math.abs(moment(4) - 3) < 1e-8 &&
      Math.abs(moment(6) - 15) < 1e-7,
    `moments ${[1, 2, 4, 6].map(moment)}`,
  );
});

test("exact bounds stay ordered for a sharply peaked posterior", async () => {
  await initBackend({ quiet: true });
  // A decoder with large weights makes p(x|z) very peaked in z: posteriors far narrower than a grid
  // step of 0.005.
  const vae = new VAE("sharp", { inputDim: 40, hidden: [16], latent: 1 }, new Rng(12));
  for (const [k, v] of Object.entries(vae.params()))
    if (k.includes("dec")) tf.tidy(() => v.assign(tf.mul(v, 8)));
  const x = new Float32Array(3 * 40).map((_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
  const r = exactBounds1D(vae, x);
  for (let i = 0; i < 3; i++) {
    assert.ok(
      r.elbo[i] <= r.elboOptimal[i] + 1e-9 && r.elboOptimal[i] <= r.logpx[i] + 1e-6,
      `digit ${i}: ELBO ${r.elbo[i]}, best ${r.elboOptimal[i]}, log p(x) ${r.logpx[i]}`,
    );
    // Brute force: a uniform grid of 400,001 points (dz = 5e-5) over [-10, 10].
    const G = 400001,
      zs = Float32Array.from({ length: G }, (_, k) => -10 + (20 * k) / (G - 1));
    const joint = tf.tidy(() => {
      const z = tf.tensor2d(zs, [G, 1]);
      return tf.add(
        bernoulliLogLik(
          tf.tile(tf.tensor2d(x.subarray(i * 40, (i + 1) * 40), [1, 40]), [G, 1]) as tf.Tensor2D,
          vae.decodeLogits(z),
        ),
        logNormalDiag(z),
      );
    });
    const jv = joint.dataSync();
    joint.dispose();
    let mx = -Infinity;
    for (const v of jv) mx = Math.max(mx, v);
    let sum = 0;
    for (const v of jv) sum += Math.exp(v - mx);
    const brute = mx + Math.log(sum * (20 / (G - 1)));
    assert.ok(
      Math.abs(brute - r.logpx[i]) < 1e-3,
      `adaptive log p(x) ${r.logpx[i]} vs brute force ${brute}`,
    );
  }
});

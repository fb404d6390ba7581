import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { collectParams } from "../lib/runtime/nn";
import { Rng, randn } from "../lib/runtime/random";
import { VAEGAN, trainVAEGAN, type VAEGANBudget, type VAEGANConfig } from "../lib/models/vaegan";

const cfg: VAEGANConfig = {
  vae: { inputDim: 16, hidden: [8], latent: 2 },
  dHidden: [8],
  dDropout: 0,
};
const budget: VAEGANBudget = {
  steps: 5,
  batchSize: 8,
  lr: 1e-2,
  lrD: 1e-2,
  beta1D: 0.5,
  gamma: 3,
  realLabel: 0.9,
};
const data = (n: number, rng: Rng) => Float32Array.from({ length: n * 16 }, () => rng.uniform());
const snapshot = (p: Record<string, tf.Variable>) =>
  Object.fromEntries(Object.entries(p).map(([k, v]) => [k, Array.from(v.dataSync())]));

test("with gamma = 0 the hybrid's loss is the VAE's negative ELBO on the same noise (closed form)", async () => {
  await initBackend({ quiet: true });
  const m = new VAEGAN("t0", cfg, new Rng(1));
  const rng = new Rng(2);
  const x = tf.tensor2d(
    data(6, rng).map((p) => (p < 0.5 ? 0 : 1)),
    [6, 16],
  );
  const eps = randn(rng, [6, 2]) as tf.Tensor2D,
    zp = randn(rng, [6, 2]) as tf.Tensor2D;
  const t = m.vaeLoss(x, eps, zp, 0, false);
  const ref = m.vae.loss(x, eps);
  assert.ok(
    Math.abs(t.total.dataSync()[0] - ref.dataSync()[0]) < 1e-4,
    `${t.total.dataSync()[0]} vs ${ref.dataSync()[0]}`,
  );
  assert.ok(t.adv.dataSync()[0] > 0, "the non-saturating loss is positive");
  tf.dispose([x, eps, zp, t.total, t.recon, t.kl, t.adv, ref]);
});

test("the adversarial term's gradient in a decoder weight matches finite differences", async () => {
  await initBackend({ quiet: true });
  const m = new VAEGAN("t1", cfg, new Rng(3));
  const rng = new Rng(4);
  const x = tf.tensor2d(
    data(5, rng).map((p) => (p < 0.5 ? 0 : 1)),
    [5, 16],
  );
  const eps = randn(rng, [5, 2]) as tf.Tensor2D,
    zp = randn(rng, [5, 2]) as tf.Tensor2D;
  const [name, w] = Object.entries(m.vae.params()).find(
    ([k, v]) => k.includes(".dec.") && k.endsWith("b") && v.size === 16,
  )!;
  const f = () => tf.tidy(() => m.vaeLoss(x, eps, zp, 7, false).adv.dataSync()[0]);
  const g = tf.variableGrads(() => m.vaeLoss(x, eps, zp, 7, false).adv, [w]);
  const grad = g.grads[w.name].dataSync();
  const v0 = w.dataSync().slice();
  const h = 1e-3; // small: D's leaky ReLU kinks are within reach of larger steps
  for (const j of [0, 7, 15]) {
    const at = (d: number) => {
      const v = v0.slice();
      v[j] += d;
      w.assign(tf.tensor(v, w.shape));
      return f();
    };
    const fd = (at(h) - at(-h)) / (2 * h);
    w.assign(tf.tensor(v0, w.shape));
    assert.ok(
      Math.abs(fd - grad[j]) < 2e-4 + 0.02 * Math.abs(fd),
      `${name}[${j}]: autodiff ${grad[j]} vs finite difference ${fd}`,
    );
  }
  tf.dispose([x, eps, zp, g.value, ...Object.values(g.grads)]);
});

test("each step updates D from D's loss and the VAE from its own: with the VAE's learning rate 0 only D moves", async () => {
  await initBackend({ quiet: true });
  const m = new VAEGAN("t2", cfg, new Rng(5));
  const before = { vae: snapshot(m.vae.params()), D: snapshot(collectParams([m.D])) };
  const h = await trainVAEGAN(
    m,
    data(32, new Rng(6)),
    { ...budget, lr: 0 },
    { seed: 7, quiet: true },
  );
  assert.deepEqual(snapshot(m.vae.params()), before.vae);
  assert.notDeepEqual(snapshot(collectParams([m.D])), before.D);
  for (const k of ["loss", "d", "recon", "kl", "adv"])
    assert.ok(Number.isFinite(h.last()![k]), `history column ${k}`);
  const m2 = new VAEGAN("t3", cfg, new Rng(5));
  const d0 = snapshot(collectParams([m2.D]));
  await trainVAEGAN(m2, data(32, new Rng(6)), { ...budget, lrD: 0 }, { seed: 7, quiet: true });
  assert.deepEqual(snapshot(collectParams([m2.D])), d0);
});

test("training lowers the VAE's loss, and a run is reproducible from its seed", async () => {
  await initBackend({ quiet: true });
  const x = data(64, new Rng(8));
  const run = async () => {
    const m = new VAEGAN("t4", cfg, new Rng(9));
    return (await trainVAEGAN(m, x, { ...budget, steps: 60 }, { seed: 10, quiet: true })).rows;
  };
  const a = await run(),
    b = await run();
  assert.ok(a[a.length - 1].recon < a[0].recon, `recon ${a[0].recon} -> ${a[a.length - 1].recon}`);
  assert.deepEqual(
    a.map((r) => r.loss),
    b.map((r) => r.loss),
  );
});

test("bad settings are clear errors", async () => {
  await initBackend({ quiet: true });
  assert.throws(() => new VAEGAN("b", { ...cfg, dDropout: 1 }, new Rng(1)), /dDropout/);
  assert.throws(
    () => new VAEGAN("b", { ...cfg, vae: { ...cfg.vae, likelihood: "gaussian" } }, new Rng(1)),
    /Bernoulli/,
  );
  await assert.rejects(
    () =>
      trainVAEGAN(
        new VAEGAN("b", cfg, new Rng(1)),
        data(4, new Rng(1)),
        { ...budget, gamma: -1 },
        { seed: 1, quiet: true },
      ),
    /gamma/,
  );
  await assert.rejects(
    () =>
      trainVAEGAN(new VAEGAN("b", cfg, new Rng(1)), new Float32Array(17), budget, {
        seed: 1,
        quiet: true,
      }),
    /rows of 16/,
  );
});

/**
 * PacGAN (lib/models/pacgan.ts) and its layers (lib/runtime/nn.ts): maxout and batch
 * normalisation against their closed forms and finite differences, packing (a pack's logit sees
 * its own m samples and nothing else, and the gradient reaches every one of them), the paper's
 * parameter counts, and a short, reproducible, smoke-mode fit that loads back.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { BatchNorm, Maxout, countParams } from "../lib/runtime/nn";
import { Rng } from "../lib/runtime/random";
import { fitPacGAN, PacGAN, pacganConfig } from "../lib/models/pacgan";
import { tempEnv } from "./support/temp-env";

test("maxout: each unit is the largest of its pieces; its gradient matches finite differences", async () => {
  await initBackend({ quiet: true });
  const m = new Maxout("mx", 3, 2, 3, new Rng(1), { std: 1 });
  const x = [0.3, -1.2, 0.7, 1.5, 0.1, -0.4];
  const xt = tf.tensor2d(x, [2, 3]);
  const y = m.apply(xt).arraySync() as number[][];
  const w = m.linear.w.arraySync() as number[][];
  const b = m.linear.b.arraySync() as number[];
  for (let r = 0; r < 2; r++)
    for (let j = 0; j < 2; j++) {
      const pieces = [0, 1, 2].map(
        (k) => b[j * 3 + k] + [0, 1, 2].reduce((s, i) => s + x[r * 3 + i] * w[i][j * 3 + k], 0),
      );
      assert.ok(Math.abs(y[r][j] - Math.max(...pieces)) < 1e-5, `row ${r} unit ${j}`);
    }
  const f = (t: tf.Tensor) => tf.sum(tf.square(m.apply(t)));
  const g = tf.grad(f)(xt).dataSync();
  const h = 1e-2;
  for (let i = 0; i < x.length; i++) {
    const at = (d: number) =>
      f(
        tf.tensor2d(
          x.map((v, k) => (k === i ? v + d : v)),
          [2, 3],
        ),
      ).dataSync()[0];
    const fd = (at(h) - at(-h)) / (2 * h);
    assert.ok(
      Math.abs(g[i] - fd) < 2e-2 * Math.max(1, Math.abs(fd)),
      `input ${i}: ${g[i]} vs ${fd}`,
    );
  }
});

test("batch norm: batch statistics in training (and running averages moved), running ones else", async () => {
  await initBackend({ quiet: true });
  const bn = new BatchNorm("bn", 2, 0.05, 0);
  const x = tf.tensor2d([1, 10, 3, 20, 5, 30, 7, 40], [4, 2]);
  const y = bn.apply(x, true);
  const { mean, variance } = tf.moments(y, 0);
  assert.ok(Array.from(mean.dataSync()).every((v) => Math.abs(v) < 1e-5));
  assert.ok(Array.from(variance.dataSync()).every((v) => Math.abs(v - 1) < 1e-4));
  // batch means 4 and 25, variances 5 and 125: running = 0.95 * (0, 1) + 0.05 * batch
  const rm = Array.from(bn.runMean.dataSync());
  const rv = Array.from(bn.runVar.dataSync());
  assert.deepEqual(
    rm.map((v) => +v.toFixed(4)),
    [0.2, 1.25],
  );
  assert.deepEqual(
    rv.map((v) => +v.toFixed(4)),
    [1.2, 7.2],
  );
  const z = bn.apply(tf.tensor2d([0.2, 1.25], [1, 2])).dataSync();
  assert.ok(Math.abs(z[0]) < 1e-5 && Math.abs(z[1]) < 1e-5, "the running mean maps to beta = 0");
  assert.deepEqual(Object.keys(bn.trainable()), ["bn.gamma", "bn.beta"]);
  assert.equal(Object.keys(bn.params()).length, 4);
});

describe("PacGAN", () => {
  test("the paper's networks: parameter counts, and running averages saved but not trained", async () => {
    await initBackend({ quiet: true });
    for (const m of [1, 4]) {
      const gan = new PacGAN(`p${m}`, pacganConfig(m), new Rng(m));
      const dWant = 2 * m * 1000 + 1000 + 2 * (200 * 1000 + 1000) + 201;
      assert.equal(countParams(gan.dParams()), dWant);
      // G: dense 2->400 and 3 x 400->400 (biases at 0, kept), BN gamma and beta, output 400->2
      const gWant = 2 * 400 + 400 + 3 * (400 * 400 + 400) + 4 * 800 + 400 * 2 + 2;
      assert.equal(countParams(gan.gParams()), gWant);
      assert.equal(countParams(gan.params()), gWant + dWant + 4 * 800);
      const w = Array.from(gan.gLayers[1].w.dataSync());
      const sd = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
      assert.ok(Math.abs(sd - 0.02) < 0.001, `initial weights N(0, 0.02): sd ${sd}`);
    }
  });

  test("a pack's logit depends on its own m samples only, and its gradient reaches each", async () => {
    await initBackend({ quiet: true });
    const m = 3;
    const gan = new PacGAN("p3", pacganConfig(m), new Rng(5));
    const x = new Rng(6).normalArray(4 * m * 2);
    const logits = (v: Float32Array) => gan.logits(tf.tensor2d(v, [4 * m, 2])).dataSync();
    assert.equal(logits(x).length, 4);
    const moved = Float32Array.from(x);
    moved[2 * 4 + 1] += 0.5; // row 4, in the second pack
    const d = Array.from(logits(moved), (v, k) => Math.abs(v - logits(x)[k]));
    assert.ok(d[1] > 1e-6 && d[0] === 0 && d[2] === 0 && d[3] === 0, `changes ${d}`);
    const g = tf
      .grad((t: tf.Tensor) => tf.sum(gan.logits(t as tf.Tensor2D)))(tf.tensor2d(x, [4 * m, 2]))
      .arraySync() as number[][];
    assert.ok(
      g.every((row) => Math.hypot(...row) > 0),
      "every sample of every pack gets a gradient",
    );
    assert.throws(
      () => gan.logits(tf.zeros([4, 2]) as tf.Tensor2D),
      /4 rows do not make packs of 3/,
    );
  });

  describe("fitPacGAN", () => {
    const tmp = tempEnv("genlab-pacgan-", (d) => ({
      GENLAB_DATA: path.join(d, "data"),
      GENLAB_OUT: path.join(d, "out"),
      GENLAB_TRAIN: "smoke",
    }));
    test("smoke mode: the same seed gives the same weights; the model loads back", async () => {
      await initBackend({ quiet: true });
      const a = await fitPacGAN(2, "ring8", 0, { quiet: true });
      assert.equal(a.fit.source, "trained");
      assert.equal(
        a.fit.file,
        path.join(tmp.dir, "out", "weights", "pacgan2-ring8-s0.safetensors"),
      );
      const rows = a.fit.history!.rows;
      assert.ok(rows.every((r) => Number.isFinite(r.d) && Number.isFinite(r.g)));
      assert.equal(a.fit.meta.budget.batchSize, 200, "100 packs of 2 samples");
      const b = await fitPacGAN(2, "ring8", 0, { quiet: true });
      const same = Object.entries(a.gan.params()).every(([k, v]) => {
        const u = b.gan.params()[k.replace(a.gan.name, b.gan.name)];
        return u && tf.max(tf.abs(tf.sub(v, u))).dataSync()[0] === 0;
      });
      assert.ok(same, "two smoke runs with seed 0 train the same weights");
    });
  });
});

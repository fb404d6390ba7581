import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { twoMoons } from "../lib/data/toys";
import { ConvClassifier, MLPClassifier, accuracy, trainClassifier } from "../lib/models/classifier";
import { countParams, disposeParams, maxOfPieces, maxPool2x2 } from "../lib/runtime/nn";
import { Rng } from "../lib/runtime/random";

/** n points in [-2, 2]^2, label 1 above the line x + 2y = 0.5, none within 0.3 of it. */
function separable(n: number, rng: Rng): { x: Float32Array; y: Int32Array } {
  const x = new Float32Array(2 * n);
  const y = new Int32Array(n);
  for (let i = 0; i < n;) {
    const a = 4 * rng.uniform() - 2;
    const b = 4 * rng.uniform() - 2;
    const s = a + 2 * b - 0.5;
    if (Math.abs(s) < 0.3) continue;
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = s > 0 ? 1 : 0;
    i++;
  }
  return { x, y };
}

test("logistic regression (no hidden layer) separates linearly separable data: 100% train accuracy", async () => {
  await initBackend({ quiet: true });
  const { x, y } = separable(400, new Rng(1));
  const model = new MLPClassifier("logreg", [2, 2], new Rng(2));
  assert.equal(model.net.layers.length, 1, "no hidden layer");
  const before = tf.memory().numTensors;
  const h = await trainClassifier(
    model,
    { x, dim: 2, y },
    { steps: 200, batchSize: 64, lr: 0.05 },
    { seed: 3, quiet: true },
  );
  assert.equal(
    tf.memory().numTensors,
    before,
    "training leaves no tensor behind (optimizer disposed)",
  );
  assert.equal(h.last()!.step, 200);
  assert.ok(h.tailMean("loss", 5) < h.rows[0].loss, "the loss went down");
  assert.equal(accuracy(model.predict({ x, dim: 2 }), y), 1);
  // The learned boundary is the true one up to scale: w1 - w0 is parallel to (1, 2).
  const w = model.net.layers[0].w.arraySync() as number[][];
  const d = [w[0][1] - w[0][0], w[1][1] - w[1][0]];
  const cos = (d[0] * 1 + d[1] * 2) / (Math.hypot(d[0], d[1]) * Math.hypot(1, 2));
  assert.ok(cos > 0.98, `boundary normal ${d} vs (1, 2): cos ${cos}`);
  disposeParams(model.params());
});

test("an MLP learns two moons: > 95% on held-out points within 200 steps", async () => {
  await initBackend({ quiet: true });
  const train = twoMoons(600, new Rng(10), 0.1);
  const held = twoMoons(1000, new Rng(11), 0.1);
  const model = new MLPClassifier("moons", [2, 32, 32, 2], new Rng(12));
  // Logistic regression cannot do it: the moons are not linearly separable (baseline for the
  // claim).
  const linear = new MLPClassifier("moons-lin", [2, 2], new Rng(12));
  await trainClassifier(
    linear,
    { x: train.x, dim: 2, y: train.labels },
    { steps: 200, batchSize: 64, lr: 0.02 },
    { seed: 13, quiet: true },
  );
  const linAcc = accuracy(linear.predict({ x: held.x, dim: 2 }), held.labels);
  await trainClassifier(
    model,
    { x: train.x, dim: 2, y: train.labels },
    { steps: 200, batchSize: 64, lr: 0.02 },
    { seed: 13, quiet: true },
  );
  const acc = accuracy(model.predict({ x: held.x, dim: 2 }), held.labels);
  assert.ok(acc > 0.95, `held-out accuracy ${acc}`);
  assert.ok(linAcc < 0.92, `a linear model should not reach that: ${linAcc}`);
  disposeParams(model.params());
  disposeParams(linear.params());
});

test("proba: rows are distributions, independent of the batch size; predict is their argmax; nothing leaks", async () => {
  await initBackend({ quiet: true });
  const model = new MLPClassifier("p", [3, 8, 4], new Rng(5));
  const x = new Rng(6).normalArray(3 * 50, 0, 2);
  const before = tf.memory().numTensors;
  const p = model.proba({ x, dim: 3 });
  const pSmall = model.proba({ x, dim: 3 }, 7); // 50 rows in batches of 7: a short last batch
  const pred = model.predict({ x, dim: 3 });
  assert.equal(tf.memory().numTensors, before, "proba and predict dispose what they make");
  assert.equal(p.length, 50 * 4);
  assert.equal(pred.length, 50);
  for (let i = 0; i < 50; i++) {
    const row = Array.from(p.subarray(4 * i, 4 * i + 4));
    assert.ok(row.every((v) => v >= 0 && v <= 1));
    assert.ok(
      Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5,
      `row ${i} sums to ${row.reduce((a, b) => a + b, 0)}`,
    );
    assert.equal(pred[i], row.indexOf(Math.max(...row)));
    for (let k = 0; k < 4; k++) assert.ok(Math.abs(p[4 * i + k] - pSmall[4 * i + k]) < 1e-6);
  }
  // Softmax of the logits, checked in float64.
  const logits = tf.tidy(() => model.logits(tf.tensor2d(x.subarray(0, 3), [1, 3])).dataSync());
  const m = Math.max(...logits);
  const z = Array.from(logits).reduce((s, l) => s + Math.exp(l - m), 0);
  for (let k = 0; k < 4; k++) assert.ok(Math.abs(p[k] - Math.exp(logits[k] - m) / z) < 1e-6);
  assert.equal(
    model.proba({ x: new Float32Array(0), dim: 3 }).length,
    0,
    "no rows, no probabilities",
  );
  disposeParams(model.params());
});

test("accuracy: the fraction equal; length mismatch and empty input are errors", () => {
  assert.equal(accuracy([0, 1, 1, 2], [0, 1, 2, 2]), 0.75);
  assert.equal(accuracy(new Int32Array([3, 3]), [3, 3]), 1);
  assert.equal(accuracy([1], [0]), 0);
  assert.throws(() => accuracy([0, 1, 1], [0, 1]), /accuracy: 3 predictions for 2 labels/);
  assert.throws(() => accuracy([], []), /accuracy: no predictions/);
});

test("bad features and labels are refused before any training", async () => {
  await initBackend({ quiet: true });
  const model = new MLPClassifier("bad", [2, 3], new Rng(1));
  const budget = { steps: 5, batchSize: 4, lr: 0.1 };
  const x = new Float32Array([0, 0, 1, 1, 2, 2]);
  await assert.rejects(
    trainClassifier(model, { x, dim: 2, y: [0, 1] }, budget, { seed: 1, quiet: true }),
    /trainClassifier: 3 feature rows but 2 labels/,
  );
  await assert.rejects(
    trainClassifier(model, { x, dim: 2, y: [0, 1, 3] }, budget, { seed: 1, quiet: true }),
    /label 3 at row 2 is not a class of this model \(0\.\.2\)/,
  );
  await assert.rejects(
    trainClassifier(model, { x, dim: 2, y: [0, -1, 1] }, budget, { seed: 1, quiet: true }),
    /label -1 at row 1/,
  );
  await assert.rejects(
    trainClassifier(model, { x, dim: 3, y: [0, 1] }, budget, { seed: 1, quiet: true }),
    /features have dim 3 but the model takes 2 inputs/,
  );
  assert.throws(
    () => model.proba({ x: new Float32Array(5), dim: 2 }),
    /bad\.proba: 5 values is not a whole number of rows of 2/,
  );
  assert.throws(() => model.predict({ x, dim: 1 }), /features have dim 1 but the model takes 2/);
  assert.throws(() => model.proba({ x, dim: 2 }, 0), /batch must be a positive integer, got 0/);
  disposeParams(model.params());
});

test("maxPool2x2: tf.maxPool's values; its gradient equals tf.maxPool's and finite differences", async () => {
  await initBackend({ quiet: true });
  const x = tf.tensor4d(new Rng(4).normalArray(2 * 4 * 6 * 3), [2, 4, 6, 3]);
  const ref = tf.maxPool(x, 2, 2, "valid");
  assert.deepEqual(Array.from(maxPool2x2(x).dataSync()), Array.from(ref.dataSync()));
  const wts = tf.tensor4d(new Rng(5).normalArray(ref.size), ref.shape);
  const f = (pool: (t: tf.Tensor4D) => tf.Tensor) => (t: tf.Tensor) =>
    tf.sum(tf.mul(tf.square(pool(t as tf.Tensor4D)), wts));
  const ours = tf.grad(f(maxPool2x2))(x).dataSync();
  // tfjs's cpu backend as the reference: tfjs-backend-wasm 4.22's MaxPoolGrad drops the gradient
  // of some windows (4 of these 48; finite differences side with cpu and with maxPool2x2).
  const backend = tf.getBackend();
  await tf.setBackend("cpu");
  const theirs = tf
    .grad(f((t) => tf.maxPool(t, 2, 2, "valid")))(x)
    .dataSync();
  await tf.setBackend(backend);
  for (let i = 0; i < ours.length; i++)
    assert.ok(Math.abs(ours[i] - theirs[i]) < 1e-5, `x[${i}]: ${ours[i]} vs cpu ${theirs[i]}`);
  const xs = x.dataSync();
  const at = (i: number, d: number) => {
    const v = Float32Array.from(xs);
    v[i] += d;
    return f(maxPool2x2)(tf.tensor4d(v, x.shape)).dataSync()[0];
  };
  for (const i of [0, 7, 40, 100, 143]) {
    const fd = (at(i, 1e-3) - at(i, -1e-3)) / 2e-3;
    assert.ok(
      Math.abs(ours[i] - fd) < 1e-2 * Math.max(1, Math.abs(fd)),
      `x[${i}]: ${ours[i]} vs ${fd}`,
    );
  }
  assert.throws(() => maxPool2x2(tf.zeros([1, 3, 4, 1]) as tf.Tensor4D), /must be even, got 3x4/);
});

test("maxOfPieces: tf.max's values and gradient over the last axis, without its broadcast mask", async () => {
  await initBackend({ quiet: true });
  const h = tf.tensor3d(new Rng(6).normalArray(5 * 4 * 3), [5, 4, 3]);
  const wts = tf.tensor2d(new Rng(7).normalArray(20), [5, 4]);
  const f = (mx: (t: tf.Tensor3D) => tf.Tensor) => (t: tf.Tensor) =>
    tf.sum(tf.mul(mx(t as tf.Tensor3D), wts));
  assert.deepEqual(Array.from(maxOfPieces(h).dataSync()), Array.from(tf.max(h, 2).dataSync()));
  const ours = tf.grad(f(maxOfPieces))(h).dataSync();
  const theirs = tf
    .grad(f((t) => tf.max(t, 2)))(h)
    .dataSync();
  assert.deepEqual(Array.from(ours), Array.from(theirs));
});

test("ConvClassifier: shapes, features, and it learns to tell bright-left from bright-right", async () => {
  await initBackend({ quiet: true });
  const config = { height: 8, width: 8, channels: [4, 8], kernel: 3, dense: 16, classes: 2 };
  const model = new ConvClassifier("cnn", config, new Rng(8));
  assert.equal(model.inputDim, 64);
  assert.equal(model.featureDim, 16);
  // conv 3*3*1*4 + 4, conv 3*3*4*8 + 8, dense (2*2*8)*16 + 16, out 16*2 + 2
  assert.equal(countParams(model.params()), 40 + 296 + 528 + 34);
  const rng = new Rng(9);
  const n = 256;
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = i % 2;
    for (let p = 0; p < 64; p++) {
      const left = p % 8 < 4;
      x[i * 64 + p] = 0.3 * rng.uniform() + (left === (y[i] === 1) ? 0.5 : 0);
    }
  }
  await trainClassifier(
    model,
    { x, dim: 64, y },
    { steps: 60, batchSize: 32, lr: 3e-3 },
    { seed: 1, quiet: true },
  );
  assert.ok(accuracy(model.predict({ x, dim: 64 }), y) > 0.95);
  assert.equal(model.features({ x, dim: 64 }).length, n * 16);
  assert.equal(model.proba({ x, dim: 64 }, 100).length, n * 2, "in batches of 100");
});

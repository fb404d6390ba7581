import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import {
  Dense,
  MLP,
  activate,
  leakyReluComposite,
  collectParams,
  countParams,
  disposeParams,
  type Activation,
  Conv2D,
} from "../lib/runtime/nn";
import { Rng } from "../lib/runtime/random";

function std(xs: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / xs.length) };
}

/**
 * Runs `fn` on each backend that starts here (the cpu one and whatever initBackend chose), then
 * restores it.
 */
async function onBackends(fn: (backend: string) => void | Promise<void>): Promise<void> {
  const info = await initBackend({ quiet: true });
  const names = [...new Set([info.tfBackend, "cpu"])];
  try {
    for (const b of names) {
      assert.ok(await tf.setBackend(b), `backend ${b} starts`);
      await fn(b);
    }
  } finally {
    await tf.setBackend(info.tfBackend);
  }
}

test("Dense and MLP: parameter shapes, output shapes and the forward pass in closed form", async () => {
  await initBackend({ quiet: true });
  const rng = new Rng(1);
  const net = new MLP("m", [4, 8, 6, 3], rng, "tanh", "linear");
  assert.equal(net.layers.length, 3);
  assert.deepEqual(
    net.layers.map((l) => l.w.shape),
    [
      [4, 8],
      [8, 6],
      [6, 3],
    ],
  );
  assert.deepEqual(
    net.layers.map((l) => l.b.shape),
    [[8], [6], [3]],
  );
  assert.deepEqual(
    net.layers.map((l) => l.act),
    ["tanh", "tanh", "linear"],
  );
  assert.equal(countParams(net.params()), 4 * 8 + 8 + 8 * 6 + 6 + 6 * 3 + 3);
  // Give the biases values so they matter, then compare with a forward pass done by hand in
  // float64.
  net.layers.forEach((l, i) =>
    tf.tidy(() =>
      l.b.assign(tf.tensor1d(Array.from({ length: l.outDim }, (_, k) => 0.1 * (k - i)))),
    ),
  );
  const xv = new Rng(2).normalArray(5 * 4);
  const y = tf.tidy(() => net.apply(tf.tensor2d(xv, [5, 4])));
  assert.deepEqual(y.shape, [5, 3]);
  const got = y.dataSync();
  y.dispose();
  let h: number[][] = Array.from({ length: 5 }, (_, r) =>
    Array.from(xv.subarray(4 * r, 4 * r + 4)),
  );
  for (const l of net.layers) {
    const w = l.w.arraySync() as number[][];
    const b = l.b.arraySync() as number[];
    h = h.map((row) =>
      b.map((bk, k) => {
        const z = row.reduce((s, xj, j) => s + xj * w[j][k], bk);
        return l.act === "tanh" ? Math.tanh(z) : z;
      }),
    );
  }
  h.flat().forEach((v, i) =>
    assert.ok(Math.abs(v - got[i]) < 1e-5, `output ${i}: ${got[i]} vs ${v}`),
  );
  disposeParams(net.params());
});

test("He and Glorot initial weights have the formula's standard deviation; biases start at zero", async () => {
  await initBackend({ quiet: true });
  const rng = new Rng(3);
  // 400 x 300 = 120,000 draws: the sample std is within 0.3% (one standard error) of the truth.
  const cases: {
    act: Activation;
    init?: "he" | "glorot" | "zeros" | { std: number };
    want: number;
  }[] = [
    { act: "relu", want: Math.sqrt(2 / 400) }, // default for relu: He
    { act: "leakyRelu", want: Math.sqrt(2 / 400) }, // default for leakyRelu: He
    { act: "tanh", want: Math.sqrt(2 / 700) }, // default otherwise: Glorot (normal)
    { act: "linear", want: Math.sqrt(2 / 700) },
    { act: "tanh", init: "he", want: Math.sqrt(2 / 400) },
    { act: "relu", init: "glorot", want: Math.sqrt(2 / 700) },
    { act: "linear", init: { std: 0.5 }, want: 0.5 },
    { act: "linear", init: "zeros", want: 0 },
  ];
  for (const c of cases) {
    const d = new Dense("d", 400, 300, rng.fork(JSON.stringify(c)), c.act, c.init);
    const s = std(d.w.dataSync());
    assert.ok(
      Math.abs(s.std - c.want) <= 0.015 * c.want,
      `${JSON.stringify(c)}: std ${s.std}, want ${c.want}`,
    );
    assert.ok(Math.abs(s.mean) <= 0.02 * c.want + 1e-12, `${JSON.stringify(c)}: mean ${s.mean}`);
    assert.ok(d.b.dataSync().every((v) => v === 0));
    disposeParams(d.params());
  }
});

test("parameter names: unique, stable across constructions, same seed same values", async () => {
  await initBackend({ quiet: true });
  const a = new MLP("enc", [5, 7, 2], new Rng(4));
  const b = new MLP("enc", [5, 7, 2], new Rng(4));
  const c = new MLP("enc", [5, 7, 2], new Rng(5));
  const names = Object.keys(a.params());
  assert.deepEqual(names, ["enc.0.w", "enc.0.b", "enc.1.w", "enc.1.b"]);
  assert.deepEqual(Object.keys(b.params()), names);
  for (const n of names) {
    assert.deepEqual(a.params()[n].dataSync(), b.params()[n].dataSync(), `${n} same seed`);
    assert.notEqual(a.params()[n], b.params()[n], "separate variables");
  }
  assert.notDeepEqual(a.params()["enc.0.w"].dataSync(), c.params()["enc.0.w"].dataSync());
  // Layers draw from their own forks: layer 1's weights do not depend on layer 0's size.
  const d = new MLP("enc", [9, 7, 2], new Rng(4));
  assert.deepEqual(d.params()["enc.1.w"].dataSync(), a.params()["enc.1.w"].dataSync());
  const all = collectParams([a, new MLP("dec", [2, 7, 5], new Rng(4))]);
  assert.equal(Object.keys(all).length, 8);
  assert.deepEqual(
    Object.keys(all).filter((k) => k.startsWith("dec.")),
    ["dec.0.w", "dec.0.b", "dec.1.w", "dec.1.b"],
  );
  for (const m of [all, b.params(), c.params(), d.params()]) disposeParams(m);
});

test("collectParams refuses a repeated name, naming it", async () => {
  await initBackend({ quiet: true });
  const a = new MLP("g", [2, 3], new Rng(1));
  const b = new MLP("g", [2, 3], new Rng(2));
  assert.throws(() => collectParams([a, b]), /two parameters share the name g\.0\.w/);
  assert.throws(() => collectParams([a, a]), /share the name g\.0\.w/);
  disposeParams(a.params());
  disposeParams(b.params());
});

test("bad layer sizes, init and activation are refused with clear messages", async () => {
  await initBackend({ quiet: true });
  const before = tf.memory().numTensors;
  assert.throws(
    () => new MLP("m", [3], new Rng(1)),
    /MLP m: sizes must be at least two positive integers, got \[3\]/,
  );
  assert.throws(() => new MLP("m", [3, 0, 2], new Rng(1)), /got \[3, 0, 2\]/);
  assert.throws(() => new MLP("m", [3, 2.5], new Rng(1)), /got \[3, 2.5\]/);
  assert.throws(
    () => new Dense("d", 0, 3, new Rng(1)),
    /Dense d: inDim and outDim must be positive integers, got 0 and 3/,
  );
  assert.throws(() => new Dense("d", 3, NaN, new Rng(1)), /got 3 and NaN/);
  assert.throws(
    () => new Dense("d", 3, 3, new Rng(1), "linear", { std: -1 }),
    /init std must be a finite number >= 0, got -1/,
  );
  const x = tf.zeros([2, 2]);
  assert.throws(
    () => activate(x, "gelu" as Activation),
    /unknown activation "gelu": use linear, relu/,
  );
  x.dispose();
  assert.equal(tf.memory().numTensors, before, "a refused layer leaves no variable behind");
});

test("re-creating a model with the same names does not clash (tfjs variable names are global)", async () => {
  await initBackend({ quiet: true });
  const nets: MLP[] = [];
  for (let i = 0; i < 3; i++) nets.push(new MLP("disc", [2, 4, 1], new Rng(1)));
  const ids = new Set(nets.flatMap((n) => Object.values(n.params()).map((v) => v.name)));
  assert.equal(ids.size, 3 * 4, "every variable has its own tfjs name");
  for (const n of nets) disposeParams(n.params());
});

test("building, applying and disposing a model leaks no tensor", async () => {
  await initBackend({ quiet: true });
  const before = tf.memory().numTensors;
  const bytes = tf.memory().numBytes;
  const net = new MLP("leak", [6, 16, 16, 2], new Rng(7), "leakyRelu", "sigmoid");
  assert.equal(tf.memory().numTensors, before + 6, "exactly one tensor per variable");
  const y = tf.tidy(() => net.apply(tf.ones([3, 6])));
  y.dispose();
  const g = tf.tidy(
    () => tf.variableGrads(() => net.apply(tf.ones([3, 6])).sum() as tf.Scalar).value,
  );
  g.dispose();
  disposeParams(net.params());
  assert.equal(tf.memory().numTensors, before);
  assert.equal(tf.memory().numBytes, bytes);
});

test("leakyRelu: values equal tf.leakyRelu and the gradient is 1 or alpha", async () => {
  await onBackends((backend) => {
    const xs = [-3, -1, -0.25, -1e-3, 1e-3, 0.5, 2, 7];
    for (const alpha of [0.2, 0.01]) {
      const x = tf.tensor1d(xs);
      const y = activate(x, "leakyRelu", alpha);
      const ref = tf.leakyRelu(x, alpha);
      const gy = tf.grad((t: tf.Tensor) => activate(t, "leakyRelu", alpha).sum())(x);
      const yv = y.dataSync();
      const rv = ref.dataSync();
      const gv = gy.dataSync();
      xs.forEach((v, i) => {
        assert.ok(Math.abs(yv[i] - rv[i]) < 1e-6, `${backend}: value at ${v}`);
        assert.ok(
          Math.abs(yv[i] - (v > 0 ? v : alpha * v)) < 1e-6,
          `${backend}: closed form at ${v}`,
        );
        assert.ok(
          Math.abs(gv[i] - (v > 0 ? 1 : alpha)) < 1e-6,
          `${backend}: gradient at ${v} is ${gv[i]}`,
        );
      });
      tf.dispose([x, y, ref, gy]);
    }
  });
});

test("leakyRelu: the one-kernel form (where the backend has LeakyReluGrad) and relu(x) - a relu(-x) give the same bits, values and gradients", async () => {
  await onBackends(() => {
    const x = tf.tensor2d(new Rng(31).normalArray(256 * 128), [256, 128]),
      w = tf.tensor2d(new Rng(32).normalArray(256 * 128), [256, 128]);
    const both = (f: (t: tf.Tensor) => tf.Tensor) => [
      f(x).dataSync(),
      tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x)
        .dataSync(),
    ];
    const [y1, g1] = tf.tidy(() => both((t) => activate(t, "leakyRelu", 0.2)));
    const [y2, g2] = tf.tidy(() => both((t) => leakyReluComposite(t, 0.2)));
    assert.equal(
      y1.findIndex((v, i) => v !== y2[i]),
      -1,
      "values",
    );
    assert.equal(
      g1.findIndex((v, i) => v !== g2[i]),
      -1,
      "gradients",
    );
    tf.dispose([x, w]);
  });
});

/**
 * The gradient penalty of WGAN-GP: mean over the batch of |d D(x) / dx|^2, for the critic
 * D = out(h2(h1(x))) with leaky ReLU layers. Its gradient with respect to the weights is a
 * gradient of a gradient.
 */
function gradientPenalty(net: MLP, x: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const gx = tf.grad((t: tf.Tensor) => net.apply(t).sum())(x);
    return gx.square().sum(1).mean() as tf.Scalar;
  });
}

test("leakyRelu's second-order gradient (gradient of the gradient norm) matches finite differences", async () => {
  await onBackends((backend) => {
    const before = tf.memory().numTensors;
    const net = new MLP("critic", [3, 6, 5, 1], new Rng(23), "leakyRelu", "linear");
    const params = net.params();
    // Biases away from zero so that every layer's bias is a real parameter of the network.
    net.layers.forEach((l, i) =>
      tf.tidy(() => l.b.assign(tf.tensor1d(new Rng(30 + i).uniformArray(l.outDim, -0.3, 0.3)))),
    );
    const x = tf.tensor2d(new Rng(27).normalArray(8 * 3), [8, 3]);
    // Finite differences are exact for this piecewise-quadratic function as long as no unit changes
    // sign: check every pre-activation is well away from zero.
    tf.tidy(() => {
      let h: tf.Tensor = x;
      for (const l of net.layers.slice(0, -1)) {
        const z = tf.add(tf.matMul(h as tf.Tensor2D, l.w as tf.Tensor2D), l.b);
        const minAbs = tf.min(tf.abs(z)).dataSync()[0];
        assert.ok(minAbs > 0.05, `${backend}: a pre-activation is ${minAbs}, too close to a kink`);
        h = activate(z, "leakyRelu");
      }
    });
    const { value, grads } = tf.variableGrads(() => gradientPenalty(net, x), Object.values(params));
    assert.ok(value.dataSync()[0] > 0.01);
    const eps = 1e-3;
    let checked = 0;
    let nonZero = 0;
    for (const [name, v] of Object.entries(params)) {
      // The output bias does not enter d D / dx at all: tfjs returns no gradient for it, i.e. zero.
      const analytic = grads[v.name] ? grads[v.name].dataSync() : new Float32Array(v.size);
      if (!grads[v.name]) assert.equal(name, "critic.2.b", `${backend}: no gradient for ${name}`);
      const base = v.dataSync().slice();
      for (let i = 0; i < base.length; i++) {
        const at = (d: number) => {
          const p = base.slice();
          p[i] += d;
          tf.tidy(() => v.assign(tf.tensor(p, v.shape)));
          const gp = gradientPenalty(net, x);
          const r = gp.dataSync()[0];
          gp.dispose();
          return r;
        };
        const fd = (at(eps) - at(-eps)) / (2 * eps);
        tf.tidy(() => v.assign(tf.tensor(base, v.shape)));
        assert.ok(
          Math.abs(analytic[i] - fd) <= 2e-3 * Math.max(1, Math.abs(fd)),
          `${backend}: d GP / d ${name}[${i}]: autodiff ${analytic[i]}, finite difference ${fd}`,
        );
        checked++;
        if (Math.abs(fd) > 1e-3) nonZero++;
      }
    }
    assert.equal(checked, countParams(params));
    // Every weight matrix enters the penalty; the test must not pass on zeros alone.
    assert.ok(nonZero >= 3 * 6 + 6 * 5 + 5, `${backend}: only ${nonZero} non-zero derivatives`);
    tf.dispose([value, ...Object.values(grads), x]);
    disposeParams(params);
    assert.equal(
      tf.memory().numTensors,
      before,
      `${backend}: the second-order gradient leaks no tensor`,
    );
  });
});

test("Conv2D: 'same' padding keeps the size; a centre-one kernel with zero bias is the identity; bad sizes and init are refused", async () => {
  await initBackend({ quiet: true });
  const c = new Conv2D("cv", 2, 2, 3, new Rng(1));
  assert.deepEqual(c.w.shape, [3, 3, 2, 2]);
  assert.deepEqual(Object.keys(c.params()), ["cv.w", "cv.b"]);
  const k = new Float32Array(3 * 3 * 2 * 2);
  for (let ch = 0; ch < 2; ch++) k[((1 * 3 + 1) * 2 + ch) * 2 + ch] = 1;
  c.w.assign(tf.tensor4d(k, [3, 3, 2, 2]));
  const x = tf.tensor4d(new Rng(2).normalArray(2 * 5 * 4 * 2), [2, 5, 4, 2]);
  const y = c.apply(x);
  assert.deepEqual(y.shape, [2, 5, 4, 2]);
  assert.ok(Array.from(y.dataSync()).every((v, i) => Math.abs(v - x.dataSync()[i]) < 1e-6));
  assert.throws(
    () => new Conv2D("bad", 0, 2, 3, new Rng(1)),
    /inChannels must be a positive integer/,
  );
  assert.throws(
    () => new Conv2D("bad", 1, 2, 3, new Rng(1), "relu", { std: -1 }),
    /Conv2D bad: init std/,
  );
  tf.dispose([x, y]);
  disposeParams(c.params());
});

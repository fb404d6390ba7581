/**
 * lib/runtime/optim.ts's adam() against tf.train.adam: parameters after 200 steps of a small MLP
 * (with a variable of odd size, a scalar variable, and the learning rate changed mid-run) on the
 * wasm backend (one FusedAdam kernel call per variable, lib/runtime/wasm-kernels.ts) and on cpu
 * (tfjs's ops); no tensor or wasm-memory leak; dispose frees the moments; a NaN gradient propagates
 * as in tfjs.
 */
import { afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { Rng } from "../lib/runtime/random";
import { FusedAdam, adam, stepDecay } from "../lib/runtime/optim";
import { FUSED_ADAM, registerWasmKernels, restoreWasmKernels } from "../lib/runtime/wasm-kernels";

type Backend = "wasm" | "cpu";
type MakeOpt = (lr: number) => tf.Optimizer;
const tfjsAdam =
  (b1?: number, b2?: number, eps?: number): MakeOpt =>
  (lr) =>
    tf.train.adam(lr, b1, b2, eps);
const fusedAdam =
  (b1?: number, b2?: number, eps?: number): MakeOpt =>
  (lr) =>
    adam(lr, b1, b2, eps);

before(async () => {
  await tf.setBackend("wasm");
  registerWasmKernels();
});

afterEach(async () => {
  await tf.setBackend("wasm");
  registerWasmKernels();
});

/** Initial values of the problem's parameters, the same for every run (seeded). */
function problem() {
  const rng = new Rng(7);
  const shapes: Record<string, number[]> = {
    w1: [7, 13], // 91 elements: odd
    b1: [13],
    w2: [13, 3],
    b2: [3],
    scale: [], // a scalar variable
    odd: [101], // odd size, fitted on its own term
  };
  const init = Object.fromEntries(
    Object.entries(shapes).map(([k, s]) => [
      k,
      rng.normalArray(
        s.reduce((a, b) => a * b, 1),
        0,
        0.5,
      ),
    ]),
  );
  const x = rng.normalArray(64 * 7);
  const y = rng.normalArray(64 * 3);
  const t = rng.normalArray(101, 2, 1);
  return { shapes, init, x, y, t };
}

interface Run {
  params: Record<string, Float32Array>;
  losses: number[];
  opt: tf.Optimizer;
  vars: tf.Variable[];
}

/**
 * Trains the MLP for `steps` steps with one optimiser on one backend; the learning rate goes from
 * lr to lr/4 at step `switchAt` (written to `learningRate`, as lib/models/gan.ts does).
 */
async function train(
  backend: Backend,
  make: MakeOpt,
  steps = 200,
  lr = 0.01,
  switchAt = 100,
  keep = false,
): Promise<Run> {
  await tf.setBackend(backend);
  const p = problem();
  const vars = tf.tidy(() =>
    Object.fromEntries(
      Object.entries(p.shapes).map(([k, s]) => [k, tf.variable(tf.tensor(p.init[k], s))]),
    ),
  );
  const x = tf.tensor2d(p.x, [64, 7]);
  const y = tf.tensor2d(p.y, [64, 3]);
  const t = tf.tensor1d(p.t);
  const opt = make(lr);
  const list = Object.values(vars);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    if (i === switchAt) (opt as unknown as { learningRate: number }).learningRate = lr / 4;
    const cost = opt.minimize(
      () => {
        const h = tf.tanh(tf.add(tf.matMul(x, vars.w1 as tf.Tensor2D), vars.b1));
        const out = tf.mul(tf.add(tf.matMul(h, vars.w2 as tf.Tensor2D), vars.b2), vars.scale);
        const fit = tf.mean(tf.square(tf.sub(out, y)));
        return tf.add(fit, tf.mean(tf.square(tf.sub(tf.exp(vars.odd), t)))) as tf.Scalar;
      },
      true,
      list,
    )!;
    losses.push(cost.dataSync()[0]);
    cost.dispose();
  }
  const params = Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [k, v.dataSync() as Float32Array]),
  );
  tf.dispose([x, y, t]);
  if (!keep) {
    opt.dispose();
    tf.dispose(list);
  }
  return { params, losses, opt, vars: list };
}

/** Every element within `rel` of the reference, relative (NaN where the reference has NaN). */
function assertClose(
  got: Float32Array,
  want: Float32Array,
  rel: number,
  what: string,
): { identical: number } {
  assert.equal(got.length, want.length, `${what}: length`);
  let identical = 0;
  for (let i = 0; i < want.length; i++) {
    if (Number.isNaN(want[i]) || Number.isNaN(got[i])) {
      assert.ok(
        Number.isNaN(want[i]) && Number.isNaN(got[i]),
        `${what}[${i}]: ${got[i]} against ${want[i]}`,
      );
      identical++;
      continue;
    }
    const err = Math.abs(got[i] - want[i]);
    assert.ok(
      err <= rel * Math.max(Math.abs(want[i]), 1e-6),
      `${what}[${i}]: ${got[i]} against ${want[i]} (relative ${err / Math.abs(want[i])})`,
    );
    if (got[i] === want[i]) identical++;
  }
  return { identical };
}

function compareRuns(got: Run, want: Run, what: string): string {
  let identical = 0;
  let n = 0;
  for (const k of Object.keys(want.params)) {
    identical += assertClose(got.params[k], want.params[k], 1e-5, `${what} ${k}`).identical;
    n += want.params[k].length;
  }
  return `${identical}/${n} parameters bit-identical`;
}

describe("adam() against tf.train.adam", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    test(`${backend}: 200 steps of an MLP (odd-size and scalar variables, learning rate changed at step 100)`, async (t) => {
      for (const [b1, b2, eps] of [
        [undefined, undefined, undefined],
        [0.5, 0.9, undefined],
        [0.5, 0.999, 1e-4],
      ] as const) {
        const want = await train(backend, tfjsAdam(b1, b2, eps));
        const got = await train(backend, fusedAdam(b1, b2, eps));
        assert.ok(
          want.losses[199] < want.losses[0] / 2,
          `the problem trains (${want.losses[0]} -> ${want.losses[199]})`,
        );
        t.diagnostic(
          `betas ${b1 ?? 0.9}, ${b2 ?? 0.999}, epsilon ${eps ?? "default"}: ${compareRuns(got, want, backend)}`,
        );
        assertClose(
          Float32Array.from(got.losses),
          Float32Array.from(want.losses),
          1e-5,
          `${backend} losses`,
        );
      }
    });
  }

  test("wasm: the update is one FusedAdam call per variable; without genlab's kernels it runs op by op, same result", async () => {
    const want = await train("wasm", tfjsAdam(0.5, 0.9), 30);
    const fused = await train("wasm", fusedAdam(0.5, 0.9), 30, 0.01, 100, true);
    assert.deepEqual((fused.opt as FusedAdam).lastStep, { fused: 6, unfused: 0 });
    fused.opt.dispose();
    tf.dispose(fused.vars);
    restoreWasmKernels();
    assert.equal(tf.getKernel(FUSED_ADAM, "wasm"), undefined);
    assert.equal(FusedAdam.fusedAvailable(), false);
    const plain = await train("wasm", fusedAdam(0.5, 0.9), 30, 0.01, 100, true);
    assert.deepEqual((plain.opt as FusedAdam).lastStep, { fused: 0, unfused: 6 });
    plain.opt.dispose();
    tf.dispose(plain.vars);
    // (the reference again, since genlab's matmul kernels round differently from wasm's own)
    const wantPlain = await train("wasm", tfjsAdam(0.5, 0.9), 30);
    compareRuns(fused, want, "fused");
    compareRuns(plain, wantPlain, "op by op");
  });

  test("cpu: no kernel of its own, the update runs as tfjs's ops", async () => {
    const run = await train("cpu", fusedAdam(), 3, 0.01, 100, true);
    assert.deepEqual((run.opt as FusedAdam).lastStep, { fused: 0, unfused: 6 });
    run.opt.dispose();
    tf.dispose(run.vars);
  });
});

describe("drop-in use", () => {
  test("is a tf.Optimizer with tfjs's defaults; applyGradients takes a map or a list", async () => {
    await tf.setBackend("wasm");
    const o = adam();
    assert.ok(o instanceof tf.Optimizer);
    assert.deepEqual(o.getConfig(), {
      learningRate: 0.001,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: tf.backend().epsilon(),
    });
    const a = tf.variable(tf.tensor1d([1, 2, 3]));
    const b = tf.variable(tf.tensor1d([1, 2, 3]));
    const ref: tf.Optimizer = tf.train.adam();
    const g = tf.tensor1d([0.5, -1, 2]);
    for (let i = 0; i < 3; i++) {
      o.applyGradients(i % 2 ? { [a.name]: g } : [{ name: a.name, tensor: g }]);
      ref.applyGradients({ [b.name]: g });
    }
    assert.equal(o.iterations, 3);
    assertClose(a.dataSync() as Float32Array, b.dataSync() as Float32Array, 1e-6, "applyGradients");
    o.dispose();
    ref.dispose();
    tf.dispose([a, b, g]);
  });

  test("minimize without a variable list trains every trainable variable; returnCost false returns null", async () => {
    await tf.setBackend("wasm");
    const a = tf.variable(tf.scalar(3));
    const frozen = tf.variable(tf.scalar(5), false);
    const o = adam(0.1);
    assert.equal(
      o.minimize(() => tf.square(tf.mul(a, frozen)) as tf.Scalar),
      null,
    );
    assert.ok(a.dataSync()[0] < 3);
    assert.equal(frozen.dataSync()[0], 5);
    o.dispose();
    tf.dispose([a, frozen]);
  });
});

describe("memory", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    test(`${backend}: tensor count stable over steps (and wasm memory), dispose frees the moments`, async () => {
      await tf.setBackend(backend);
      const vars = tf.tidy(() => [
        tf.variable(tf.randomNormal([17, 9])),
        tf.variable(tf.scalar(1)),
        tf.variable(tf.randomNormal([5])),
      ]);
      const x = tf.randomNormal([8, 17]);
      const start = tf.memory().numTensors;
      const o = adam(0.01);
      const step = () =>
        o.minimize(
          () =>
            tf.sum(
              tf.square(
                tf.add(tf.mul(tf.matMul(x, vars[0] as tf.Tensor2D), vars[1]), tf.sum(vars[2])),
              ),
            ) as tf.Scalar,
          false,
          vars,
        );
      step(); // makes the moments
      const withState = tf.memory().numTensors;
      assert.equal(withState, start + 2 * vars.length, "two moments per variable");
      assert.equal((o as FusedAdam).numStateTensors, 2 * vars.length);
      const ids = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      const ids0 = ids();
      for (let i = 0; i < 50; i++) step();
      assert.equal(tf.memory().numTensors, withState, "tensors leaked by the steps");
      assert.equal(ids(), ids0, "backend data leaked by the steps");
      o.dispose();
      assert.equal(tf.memory().numTensors, start, "dispose frees the moments");
      assert.equal((o as FusedAdam).numStateTensors, 0);
      tf.dispose([...vars, x]);
    });
  }
});

describe("NaN", () => {
  for (const backend of ["wasm", "cpu"] as const) {
    test(`${backend}: a NaN gradient propagates as with tf.train.adam (no silent fix)`, async () => {
      await tf.setBackend(backend);
      const init = [0.5, -1, 2, 3, 0];
      const a = tf.variable(tf.tensor1d(init));
      const b = tf.variable(tf.tensor1d(init));
      const o = adam(0.01);
      const ref: tf.Optimizer = tf.train.adam(0.01);
      const grads = [
        [0.1, 0.2, 0.3, 0.4, 0.5],
        [0.1, NaN, 0.3, 0.4, 0.5],
        [0.1, 0.2, 0.3, Infinity, 0.5],
        [0.1, 0.2, 0.3, 0.4, 0.5],
      ];
      for (const gv of grads) {
        const g = tf.tensor1d(gv);
        o.applyGradients({ [a.name]: g });
        ref.applyGradients({ [b.name]: g });
        g.dispose();
        assertClose(
          a.dataSync() as Float32Array,
          b.dataSync() as Float32Array,
          1e-6,
          `${backend} after gradient ${gv}`,
        );
      }
      const got = a.dataSync();
      assert.ok(Number.isNaN(got[1]), "the NaN gradient's element is NaN");
      assert.ok(Number.isNaN(got[3]), "an infinite gradient gives NaN (inf/inf), as in tfjs");
      assert.ok(
        [0, 2, 4].every((i) => Number.isFinite(got[i])),
        "the other elements are untouched by it",
      );
      o.dispose();
      ref.dispose();
      tf.dispose([a, b]);
    });
  }
});

describe("FusedAdam kernel", () => {
  test("equals tfjs's op sequence bit for bit on random inputs (sizes 0 to 65537, SIMD body and scalar tail, special values)", async () => {
    await tf.setBackend("wasm");
    const rng = new Rng(11);
    const a = {
      lr: 0.003,
      beta1: 0.5,
      beta2: 0.9,
      epsilon: 1e-7,
      oneMinusAccBeta1: Math.fround(1 - 0.5 ** 3),
      oneMinusAccBeta2: Math.fround(1 - 0.9 ** 3),
    };
    for (const n of [0, 1, 3, 4, 5, 1003, 65537]) {
      const xs = rng.normalArray(n, 0, 2);
      const ms = rng.normalArray(n, 0, 0.1);
      const vs = rng.normalArray(n, 0, 0.1).map((u) => u * u);
      const gs = rng.normalArray(n, 0, 1);
      const special = [0, -0, 1e-30, 1e30, -1e30, NaN, Infinity, 1e-40];
      special.forEach((val, k) => {
        if (k < n) gs[(k * 7919) % n] = val;
      });
      const ids = (tf.backend() as unknown as { numDataIds(): number }).numDataIds();
      const [got, want] = tf.tidy(() => {
        const [x, m, v, g] = [xs, ms, vs, gs].map((d) => tf.tensor1d(d));
        const fused = tf
          .engine()
          .runKernel(FUSED_ADAM, { x, m, v, g }, a as unknown as tf.NamedAttrMap) as tf.Tensor[];
        const m1 = tf.add(tf.mul(m, a.beta1), tf.mul(g, 1 - a.beta1));
        const v1 = tf.add(tf.mul(v, a.beta2), tf.mul(tf.square(g), 1 - a.beta2));
        const x1 = tf.add(
          tf.mul(
            tf.div(
              tf.div(m1, a.oneMinusAccBeta1),
              tf.add(tf.sqrt(tf.div(v1, a.oneMinusAccBeta2)), a.epsilon),
            ),
            -a.lr,
          ),
          x,
        );
        return [fused.map((t) => t.dataSync()), [x1, m1, v1].map((t) => t.dataSync())];
      });
      assert.equal(
        (tf.backend() as unknown as { numDataIds(): number }).numDataIds(),
        ids,
        "the kernel's outputs are freed with their tensors",
      );
      ["x", "m", "v"].forEach((name, k) => {
        for (let i = 0; i < n; i++) {
          assert.ok(
            Object.is(got[k][i], want[k][i]) ||
              (Number.isNaN(got[k][i]) && Number.isNaN(want[k][i])),
            `n ${n}: ${name}[${i}] ${got[k][i]} against tfjs's ${want[k][i]}`,
          );
        }
      });
    }
  });

  test("rejects tensors that are not float32 or not of one size", async () => {
    await tf.setBackend("wasm");
    const x = tf.zeros([3]);
    const long = tf.zeros([4]);
    const int = tf.zeros([3], "int32");
    const attrs = {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      epsilon: 1e-7,
      oneMinusAccBeta1: 0.1,
      oneMinusAccBeta2: 0.001,
    };
    assert.throws(
      () => tf.engine().runKernel(FUSED_ADAM, { x, m: x, v: x, g: long }, attrs),
      /g has shape \[4\]/,
    );
    assert.throws(
      () => tf.engine().runKernel(FUSED_ADAM, { x, m: x, v: x, g: int }, attrs),
      /float32.*g is int32/,
    );
    tf.dispose([x, long, int]);
  });
});

test("stepDecay sets lr * lrDecay at step round(steps * (1 - decayFrac)) and only there", () => {
  const opt = adam(0.01);
  const b = { steps: 100, lrDecay: 0.1, decayFrac: 0.25 };
  for (let i = 0; i < 75; i++) stepDecay(opt, 0.01, b, i);
  assert.equal(opt.learningRate, 0.01);
  stepDecay(opt, 0.01, b, 75);
  assert.ok(Math.abs(opt.learningRate - 0.001) < 1e-15);
  const flat = adam(0.01);
  stepDecay(flat, 0.01, { steps: 100 }, 100);
  assert.equal(flat.learningRate, 0.01);
  opt.dispose();
  flat.dispose();
});

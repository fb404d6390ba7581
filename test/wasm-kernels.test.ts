/**
 * Every kernel lib/runtime/wasm-kernels.ts adds to or wraps on the wasm backend, against the cpu
 * backend's result on random inputs (edge cases: batch 1, odd sizes, strides 1-3 and mixed,
 * 'same'/'valid'/explicit padding, filters smaller than the stride), plus the gradients of a small
 * conv net, and a check that the kernels free every temporary they make.
 * Dilation: tfjs has no gradient for dilated convs (conv2d's gradient asserts dilation 1), so the
 * backprop kernels never see one; Conv2DBackpropFilter uses a dilated wasm Conv2D internally,
 * which the stride > 1 cases exercise.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { close, on } from "./support/compare-backends";
import "@tensorflow/tfjs-backend-wasm";
import { Rng } from "../lib/runtime/random";
import {
  WASM_KERNEL_PATCHES,
  activeWasmKernels,
  leakyReluGrad,
  leakyReluGradReady,
  registerWasmKernels,
  restoreWasmKernels,
} from "../lib/runtime/wasm-kernels";

const rng = new Rng(42);
const rand = (shape: number[]) => rng.normalArray(shape.reduce((a, b) => a * b, 1));
const T = (v: Float32Array, shape: number[]): tf.Tensor => tf.tensor(v, shape);

/** Same computation on cpu and on patched wasm; also checks wasm frees all temporaries. */
async function same(what: string, f: () => tf.Tensor | tf.Tensor[], tol = 1e-4): Promise<void> {
  const ref = await on("cpu", f);
  await tf.setBackend("wasm");
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const ids = backend.numDataIds();
  const got = await on("wasm", f);
  assert.equal(backend.numDataIds(), ids, `${what}: the wasm kernels leaked data`);
  close(got, ref, tol, what);
}

before(async () => {
  await tf.setBackend("wasm");
  registerWasmKernels();
});

describe("wasm kernel registry", () => {
  test("registers every patch, restores the originals, and registers again", () => {
    assert.deepEqual(activeWasmKernels(), [...WASM_KERNEL_PATCHES]);
    assert.ok(tf.getKernel("Conv2DBackpropFilter", "wasm"));
    restoreWasmKernels();
    assert.deepEqual(activeWasmKernels(), []);
    assert.equal(
      tf.getKernel("Conv2DBackpropFilter", "wasm"),
      undefined,
      "wasm has no Conv2DBackpropFilter of its own",
    );
    registerWasmKernels({ only: ["BatchMatMul"] });
    assert.deepEqual(activeWasmKernels(), ["BatchMatMul"]);
    registerWasmKernels();
    assert.deepEqual(activeWasmKernels(), [...WASM_KERNEL_PATCHES]);
  });
});

describe("BatchMatMul", () => {
  const cases: [number[], number[], boolean, boolean][] = [
    [[1, 1, 7], [1, 7, 5], false, false],
    [[3, 5, 7], [3, 7, 4], true, false].map((v, i) => (i === 0 ? [3, 7, 5] : v)) as [
      number[],
      number[],
      boolean,
      boolean,
    ],
    [[2, 5, 7], [2, 4, 7], false, true],
    [[2, 7, 5], [2, 4, 7], true, true],
    [[1, 33, 17], [1, 33, 9], true, false],
    [[1, 64, 129], [1, 64, 3], true, false],
  ];
  for (const [as, bs, ta, tb] of cases) {
    test(`a ${as} b ${bs} transposeA ${ta} transposeB ${tb}`, async () => {
      const a = rand(as);
      const b = rand(bs);
      await same("matMul", () =>
        tf.matMul(T(a, as) as tf.Tensor3D, T(b, bs) as tf.Tensor3D, ta, tb),
      );
    });
  }
  test("the same data reshaped as the right operand (stale XNNPACK operator cache)", async () => {
    const a = rand([4, 6]);
    const b = rand([6, 6]);
    await same("reshaped b", () => {
      const bt = tf.tensor(b, [6, 6]);
      const r1 = tf.matMul(tf.tensor(a, [4, 6]), bt);
      const r2 = tf.matMul(tf.tensor(a, [12, 2]), tf.reshape(bt, [2, 18]));
      const r3 = tf.fused.matMul({
        a: tf.tensor(a, [4, 6]),
        b: bt,
        bias: tf.ones([6]),
        activation: "relu",
      });
      const r4 = tf.fused.matMul({
        a: tf.tensor(a, [8, 3]),
        b: tf.reshape(bt, [3, 12]),
        bias: tf.ones([12]),
        activation: "relu",
      });
      return [r1, r2, r3, r4];
    });
  });
  test("fused matMul with bias and activation, transposed", async () => {
    const a = rand([5, 7]);
    const b = rand([3, 5]);
    await same("fused", () => [
      tf.fused.matMul({
        a: tf.tensor(a, [5, 7]),
        b: tf.tensor(b, [3, 5]),
        transposeA: true,
        transposeB: true,
        bias: tf.ones([3]),
        activation: "relu",
      }),
      tf.grad((x: tf.Tensor) =>
        tf.sum(
          tf.fused.matMul({
            a: x as tf.Tensor2D,
            b: tf.tensor(b, [3, 5]),
            transposeB: true,
            bias: tf.ones([3]),
            activation: "relu",
          }),
        ),
      )(tf.tensor(a, [7, 5])),
    ]);
  });
  test("dense layer gradients (every transposed case)", async () => {
    const x = rand([6, 5]);
    const w = rand([5, 3]);
    await same("dense grads", () =>
      tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D))),
      )([tf.tensor(x, [6, 5]), tf.tensor(w, [5, 3])]),
    );
  });
});

type Pad =
  "same" | "valid" | [[number, number], [number, number], [number, number], [number, number]];
const convCases: { x: number[]; f: number[]; s: number | [number, number]; p: Pad }[] = [
  { x: [1, 5, 5, 1], f: [3, 3, 1, 2], s: 1, p: "same" },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 5], s: 2, p: "same" },
  { x: [2, 9, 9, 3], f: [3, 3, 3, 5], s: 2, p: "valid" },
  { x: [1, 28, 28, 1], f: [5, 5, 1, 4], s: 2, p: "valid" }, // rows the forward conv never reads
  { x: [3, 8, 7, 2], f: [4, 4, 2, 3], s: 2, p: "same" }, // DCGAN-like, odd width
  { x: [2, 10, 10, 2], f: [3, 3, 2, 2], s: 3, p: "valid" },
  { x: [2, 10, 11, 2], f: [3, 2, 2, 2], s: [2, 3], p: "same" }, // mixed strides
  { x: [1, 7, 7, 2], f: [1, 1, 2, 3], s: 2, p: "valid" }, // filter smaller than the stride
  {
    x: [2, 6, 6, 3],
    f: [3, 3, 3, 4],
    s: 1,
    p: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  }, // explicit
];

describe("Conv2DBackpropFilter (added) and Conv2DBackpropInput (replaced)", () => {
  for (const c of convCases) {
    test(`x ${c.x} filter ${c.f} stride ${c.s} pad ${JSON.stringify(c.p)}`, async () => {
      await tf.setBackend("cpu");
      const yShape = tf.tidy(
        () =>
          tf.conv2d(
            T(new Float32Array(c.x.reduce((a, b) => a * b, 1)), c.x) as tf.Tensor4D,
            T(new Float32Array(c.f.reduce((a, b) => a * b, 1)), c.f) as tf.Tensor4D,
            c.s,
            c.p,
          ).shape,
      );
      const x = rand(c.x);
      const f = rand(c.f);
      const dy = rand(yShape);
      // d/dfilter and d/dx of sum(conv(x, f) * dy): Conv2DBackpropFilter and Conv2DBackpropInput
      await same("conv grads", () =>
        tf.grads((xx: tf.Tensor, ff: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.conv2d(xx as tf.Tensor4D, ff as tf.Tensor4D, c.s, c.p),
              tf.tensor(dy, yShape),
            ),
          ),
        )([tf.tensor(x, c.x), tf.tensor(f, c.f)]),
      );
      // conv2dTranspose runs Conv2DBackpropInput forward
      await same("conv2dTranspose", () =>
        tf.conv2dTranspose(
          T(dy, yShape) as tf.Tensor4D,
          T(f, c.f) as tf.Tensor4D,
          c.x as [number, number, number, number],
          c.s,
          c.p,
        ),
      );
    });
  }
});

describe("Slice, Tile, Identity", () => {
  test("slice: ranks 1-5, -1 sizes, full and empty slices, int32 and bool", async () => {
    const x = rand([3, 4, 5, 2, 3]);
    await same("slice", () => {
      const t = tf.tensor(x, [3, 4, 5, 2, 3]);
      return [
        tf.slice(t, [1, 0, 2, 0, 1], [2, -1, 3, 2, 2]),
        tf.slice(t, [0, 0, 0, 0, 0], [3, 4, 5, 2, 3]),
        tf.slice(t, [2, 3, 4, 1, 2], [1, 1, 1, 1, 1]),
        tf.slice(t, [0, 1, 0, 0, 0], [3, 0, 5, 2, 3]),
        tf.slice(tf.reshape(t, [360]), [7], [101]),
        tf.slice(tf.reshape(t, [12, 30]), [0, 5], [12, 7]),
        tf.slice(tf.cast(tf.mul(tf.reshape(t, [12, 30]), 100), "int32"), [3, 0], [5, 30]),
        tf.cast(tf.slice(tf.greater(tf.reshape(t, [12, 30]), 0), [1, 2], [5, 9]), "int32"),
      ];
    });
  });
  test("tile: broadcast-like and repeated dims, ranks 1-4, int32", async () => {
    const a = rand([1, 1, 1, 5]);
    const b = rand([2, 3, 1]);
    await same("tile", () => [
      tf.tile(tf.tensor(a, [1, 1, 1, 5]), [2, 3, 4, 1]),
      tf.tile(tf.tensor(b, [2, 3, 1]), [3, 1, 4]),
      tf.tile(tf.tensor(b, [2, 3, 1]), [1, 1, 1]),
      tf.tile(tf.tensor1d([1, 2, 3], "int32"), [4]),
      tf.tile(tf.tensor(b, [6]), [0]),
    ]);
  });
  test("batchNorm gradients (which tile)", async () => {
    const x = rand([4, 3, 3, 5]);
    const g = rand([5]);
    await same("batchNorm grads", () =>
      tf.grads((xx: tf.Tensor, gg: tf.Tensor) => {
        const { mean, variance } = tf.moments(xx, [0, 1, 2]);
        return tf.sum(
          tf.square(
            tf.batchNorm(xx, mean, variance, tf.zeros([5]) as tf.Tensor1D, gg as tf.Tensor1D, 1e-5),
          ),
        );
      })([tf.tensor(x, [4, 3, 3, 5]), tf.tensor(g, [5])]),
    );
  });
  test("identity shares data and survives disposing the source", async () => {
    await tf.setBackend("wasm");
    const a = tf.tensor([1, 2, 3]);
    const b = tf.clone(a);
    a.dispose();
    assert.deepEqual([...b.dataSync()], [1, 2, 3]);
    const v = tf.variable(b);
    b.dispose();
    v.assign(tf.tensor([4, 5, 6]));
    assert.deepEqual([...v.dataSync()], [4, 5, 6]);
    v.dispose();
  });
});

describe("Sum, Mean, LeakyRelu", () => {
  test("sum and mean over leading axes (matmul path), other axes (wasm path), keepDims, int32", async () => {
    const x = rand([3, 5, 7, 2]);
    await same("reductions", () => {
      const t = tf.tensor(x, [3, 5, 7, 2]);
      return [
        tf.sum(t, [0, 1, 2]),
        tf.sum(t, 0),
        tf.sum(t, [1, 0], true),
        tf.mean(t, [0, 1, 2]),
        tf.mean(t, [0, 1], true),
        tf.sum(t, [1, 3]),
        tf.mean(t, -1),
        tf.sum(t),
        tf.sum(tf.cast(tf.mul(t, 10), "int32"), [0, 1]),
        tf.sum(tf.tensor(x.subarray(0, 1), [1, 1]), 0),
      ];
    });
  });
  test("leakyRelu: odd sizes, rank 1, several alphas, and its gradient", async () => {
    const x = rand([3, 7, 5]);
    await same("leakyRelu", () => {
      const t = tf.tensor(x, [3, 7, 5]);
      return [
        tf.leakyRelu(t, 0.2),
        tf.leakyRelu(tf.reshape(t, [105]), 0.01),
        tf.leakyRelu(t, 1.5),
        tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, 0.2), v)))(t),
      ];
    });
  });
});

describe("LeakyReluGrad", () => {
  const specials = [0, -0, NaN, Infinity, -Infinity, 1e-40, -1e-40, 3.4e38, -3.4e38];
  const inputs = (n: number) => {
    const x = rand([n]),
      dy = rand([n]);
    specials.forEach((v, i) => {
      if (i < n) x[i] = v;
      if (i + 3 < n) dy[i + 3] = v;
    });
    return { x, dy };
  };
  test("equals tfjs's where(x > 0, dy, dy * alpha) bit for bit (sizes 1 to 32771, SIMD body and scalar tail, special values)", async () => {
    await tf.setBackend("wasm");
    for (const n of [1, 3, 4, 5, 17, 256 * 128, 256 * 128 + 3])
      for (const alpha of [0.2, 0.01, 1.5]) {
        const { x, dy } = inputs(n);
        const got = tf.tidy(() =>
          leakyReluGrad(tf.tensor(dy), tf.tensor(x), alpha).dataSync().slice(),
        );
        const ref = tf.tidy(() => {
          const xt = tf.tensor(x),
            d = tf.tensor(dy);
          return tf.where(tf.greater(xt, 0), d, tf.mul(d, alpha)).dataSync().slice();
        });
        const bad = Array.from(got).findIndex((v, i) => !Object.is(v, ref[i]));
        assert.equal(
          bad,
          -1,
          `n ${n}, alpha ${alpha}: element ${bad}: x ${x[bad]}, dy ${dy[bad]}: ${got[bad]} vs ${ref[bad]}`,
        );
      }
    const empty = leakyReluGrad(tf.tensor([]), tf.tensor([]), 0.2);
    assert.deepEqual(empty.shape, [0]);
    empty.dispose();
  });
  test("is LeakyRelu's gradient on wasm (same as cpu's, no temporaries leaked) and rejects what it cannot take", async () => {
    const x = rand([7, 9]);
    await same(
      "leakyRelu gradient",
      () =>
        tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.leakyRelu(v, 0.2), tf.sin(v))))(
          tf.tensor(x, [7, 9]),
        ),
      1e-6,
    );
    await tf.setBackend("wasm");
    assert.throws(() => leakyReluGrad(tf.tensor([1, 2]), tf.tensor([1, 2, 3]), 0.2), /shape/);
    assert.throws(
      () => leakyReluGrad(tf.tensor([1, 2], [2], "int32"), tf.tensor([1, 2]), 0.2),
      /float32/,
    );
  });
  test("gives tf.leakyRelu a correct second derivative through x, as a gradient penalty needs (closed form); tfjs's own has none", async () => {
    const x = rand([64]),
      w0 = rand([64]);
    // p(w) = sum((d/dx sum(leakyRelu(w * x)))^2) = sum((w s)^2), s = (w x > 0 ? 1 : alpha): dp/dw =
    // 2 w s^2.
    const penaltyGrad = () =>
      tf.grad((w: tf.Tensor) =>
        tf.sum(
          tf.square(
            tf.grad((v: tf.Tensor) => tf.sum(tf.leakyRelu(tf.mul(v, w), 0.2)))(tf.tensor(x)),
          ),
        ),
      )(tf.tensor(w0));
    await tf.setBackend("wasm");
    const got = tf.tidy(() => penaltyGrad().dataSync().slice());
    for (let i = 0; i < 64; i++) {
      const sgn = Math.fround(w0[i] * x[i]) > 0 ? 1 : 0.2,
        want = 2 * w0[i] * sgn * sgn;
      assert.ok(
        Math.abs(got[i] - want) <= 1e-6 * Math.max(1, Math.abs(want)),
        `element ${i}: ${got[i]} vs ${want}`,
      );
    }
    await tf.setBackend("cpu");
    assert.throws(
      () => tf.tidy(penaltyGrad),
      /gradient function not found for Greater/,
      "tfjs's own LeakyRelu gradient (cpu) has no second derivative through x",
    );
    await tf.setBackend("wasm");
  });
  test("survives a second copy of tfjs-core re-registering tfjs's gradients (danfojs-node brings one; lib/display/table.ts loads it)", async () => {
    await tf.setBackend("wasm");
    assert.ok(leakyReluGradReady());
    const ours = tf.getGradient("LeakyRelu");
    await import("danfojs-node");
    const penalty = () =>
      tf.tidy(() =>
        tf
          .grad((w: tf.Tensor) =>
            tf.sum(
              tf.square(
                tf.grad((v: tf.Tensor) => tf.sum(tf.leakyRelu(tf.mul(v, w), 0.2)))(
                  tf.tensor([1, -2]),
                ),
              ),
            ),
          )(tf.tensor([0.5, 1.5]))
          .dataSync()
          .slice(),
      );
    if (tf.getGradient("LeakyRelu") !== ours)
      assert.throws(penalty, /Greater/, "tfjs's own gradient is back, without a second derivative");
    assert.ok(leakyReluGradReady());
    assert.equal(tf.getGradient("LeakyRelu"), ours);
    const g = penalty();
    assert.ok(
      Math.abs(g[0] - 1) < 1e-6 && Math.abs(g[1] - 2 * 1.5 * 0.04) < 1e-6,
      `${Array.from(g)}`,
    );
  });
});

describe("a small conv net", () => {
  test("all gradients on wasm match cpu (conv s2, leakyRelu, convT, batchNorm, dense)", async () => {
    const B = 3;
    const xs = rand([B, 8, 8, 2]);
    const w1 = rand([3, 3, 2, 4]);
    const w2 = rand([4, 4, 2, 4]); // conv2dTranspose filter [kh, kw, out, in]
    const w3 = rand([8 * 8 * 2, 3]);
    const gamma = rand([2]);
    await same(
      "conv net grads",
      () => {
        const x = tf.tensor(xs, [B, 8, 8, 2]);
        const params = [
          tf.tensor(w1, [3, 3, 2, 4]),
          tf.tensor(w2, [4, 4, 2, 4]),
          tf.tensor(w3, [128, 3]),
          tf.tensor(gamma, [2]),
        ];
        return tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, g: tf.Tensor) => {
          let h: tf.Tensor = tf.leakyRelu(
            tf.conv2d(x as tf.Tensor4D, a as tf.Tensor4D, 2, "same"),
            0.2,
          ); // [B,4,4,4]
          // [B,8,8,2]
          h = tf.conv2dTranspose(h as tf.Tensor4D, b as tf.Tensor4D, [B, 8, 8, 2], 2, "same");
          const { mean, variance } = tf.moments(h, [0, 1, 2]);
          h = tf.relu(
            tf.batchNorm(h, mean, variance, tf.zeros([2]) as tf.Tensor1D, g as tf.Tensor1D, 1e-5),
          );
          return tf.mean(tf.square(tf.matMul(tf.reshape(h, [B, 128]), c as tf.Tensor2D)));
        })(params);
      },
      5e-4,
    );
  });
});

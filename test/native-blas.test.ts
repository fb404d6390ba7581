/**
 * The optional native BLAS path of lib/runtime/wasm-kernels.ts (the genlab-blas addon in native/,
 * OpenBLAS sgemm on 1 thread): BatchMatMul and _FusedMatMul on wasm against the cpu backend on
 * random inputs (batch 1, odd sizes, every transpose combination, batched and broadcast 3-D/4-D
 * matmuls, fused bias + every activation, gradients), Conv2D as im2col + sgemm (strides 1-3 and
 * mixed, 'same'/'valid'/explicit padding, dilation, 1x1, one input channel) with the conv gradients
 * and conv2dTranspose built on it, a check that the native path really ran and frees nothing it
 * should keep, the addon's own argument checks, and the fallback: switched off at run time, and
 * GENLAB_NATIVE_BLAS=0 in a child process. When the addon is not built (it is optional) the
 * native-path tests are skipped with the reason; the fallback tests still run.
 */
import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { close, on } from "./support/compare-backends";
import "@tensorflow/tfjs-backend-wasm";
import { Rng } from "../lib/runtime/random";
import {
  nativeBlasCalls,
  nativeBlasInfo,
  registerWasmKernels,
  setNativeBlas,
} from "../lib/runtime/wasm-kernels";

const rng = new Rng(7);
const rand = (shape: number[]) => rng.normalArray(shape.reduce((a, b) => a * b, 1));
const T = (v: Float32Array, shape: number[]): tf.Tensor => tf.tensor(v, shape);

/**
 * f on cpu and on wasm; checks equal results, that wasm freed its temporaries, and that the
 * native path ran (at least `minCalls` matmuls) or, with minCalls 0, did not run at all.
 */
async function same(
  what: string,
  f: () => tf.Tensor | tf.Tensor[],
  minCalls = 1,
  tol = 1e-4,
): Promise<void> {
  const ref = await on("cpu", f);
  await tf.setBackend("wasm");
  const backend = tf.backend() as unknown as { numDataIds(): number };
  const ids = backend.numDataIds();
  const calls = nativeBlasCalls();
  const got = await on("wasm", f);
  assert.equal(backend.numDataIds(), ids, `${what}: the wasm kernels leaked data`);
  const ran = nativeBlasCalls() - calls;
  if (minCalls > 0)
    assert.ok(ran >= minCalls, `${what}: ${ran} matmuls ran natively, expected >= ${minCalls}`);
  else assert.equal(ran, 0, `${what}: the native path ran although it is off`);
  close(got, ref, tol, what);
}

const info = nativeBlasInfo();
const skip = info.loaded ? false : `genlab-blas not loaded: ${info.reason}`;

before(async () => {
  await tf.setBackend("wasm");
  registerWasmKernels();
  setNativeBlas(true, { minFlops: 0 });
});

describe("native BLAS addon", { skip }, () => {
  test("loads with OpenBLAS on one thread", () => {
    const i = nativeBlasInfo();
    assert.equal(i.on, true);
    assert.equal(i.threads, 1);
    assert.match(i.config ?? "", /OpenBLAS/);
  });
  test("checks its arguments before writing anything", () => {
    const blas = require(path.join(__dirname, "..", "native")) as {
      sgemm: (...a: unknown[]) => void;
    };
    const A = new Float32Array(6);
    const B = new Float32Array(6);
    const C = new Float32Array(4);
    blas.sgemm(false, false, 2, 2, 3, A.fill(1), B.fill(2), C, 1, 0, 0, 0);
    assert.deepEqual([...C], [6, 6, 6, 6]);
    assert.throws(
      () => blas.sgemm(false, false, 2, 2, 4, A, B, C, 1, 0, 0, 0),
      RangeError,
      "A too short",
    );
    assert.throws(
      () => blas.sgemm(false, false, 2, 2, 3, A, B, new Float32Array(3), 1, 0, 0, 0),
      RangeError,
      "C too short",
    );
    assert.throws(
      () => blas.sgemm(false, false, 2, 2, 3, A, B, C, 2, 0, 0, 4),
      RangeError,
      "second batch of C out of bounds",
    );
    assert.throws(
      () => blas.sgemm(false, false, 2, 2, 3, A, B, new Float64Array(4), 1, 0, 0, 0),
      TypeError,
    );
    assert.throws(
      () => blas.sgemm(false, false, 2, 2, 3, A, B, C, 1, 0, 0, 0, new Float32Array(3)),
      RangeError,
      "bias length",
    );
    assert.throws(() => blas.sgemm(false, false, -1, 2, 3, A, B, C, 1, 0, 0, 0), TypeError);
  });
});

describe("BatchMatMul through native BLAS", { skip }, () => {
  const tr: [boolean, boolean][] = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  // [M, K, N]: batch-1-like row vectors, odd sizes, K < 4 (stays on wasm), a larger product.
  const sizes: [number, number, number][] = [
    [1, 7, 5],
    [5, 1, 9],
    [13, 17, 11],
    [33, 65, 3],
    [128, 96, 40],
  ];
  for (const [M, K, N] of sizes) {
    for (const [ta, tb] of tr) {
      test(`2-D ${M}x${K} @ ${K}x${N} transposeA ${ta} transposeB ${tb}`, async () => {
        const as = ta ? [K, M] : [M, K];
        const bs = tb ? [N, K] : [K, N];
        const a = rand(as);
        const b = rand(bs);
        await same(
          "matMul",
          () => tf.matMul(T(a, as) as tf.Tensor2D, T(b, bs) as tf.Tensor2D, ta, tb),
          K >= 4 ? 1 : 0,
        );
      });
    }
  }
  // batched: equal batches, broadcast a or b (stride 0, and the one-tall-GEMM case), 4-D.
  const batched: [number[], number[], number, number, number][] = [
    [[3], [3], 5, 7, 4],
    [[1], [1], 6, 9, 5],
    [[1], [4], 5, 6, 7],
    [[4], [1], 5, 6, 7],
    [[2, 3], [2, 3], 4, 5, 6],
    [[2, 3], [1], 4, 5, 6],
  ];
  for (const [oa, ob, M, K, N] of batched) {
    for (const [ta, tb] of tr) {
      test(`batched [${oa}] x [${ob}] ${M}x${K}x${N} transposeA ${ta} transposeB ${tb}`, async () => {
        const as = [...oa, ...(ta ? [K, M] : [M, K])];
        const bs = [...ob, ...(tb ? [N, K] : [K, N])];
        const a = rand(as);
        const b = rand(bs);
        await same("batched matMul", () => tf.matMul(T(a, as), T(b, bs), ta, tb));
      });
    }
  }
  test("dense layer gradients (both transposed cases in backward)", async () => {
    const x = rand([9, 13]);
    const w = rand([13, 7]);
    await same(
      "dense grads",
      () => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D))),
        );
        return g([T(x, [9, 13]), T(w, [13, 7])]);
      },
      3,
    );
  });
  test("the same data reshaped as the right operand", async () => {
    const a = rand([4, 6]);
    const b = rand([6, 6]);
    await same(
      "reshaped b",
      () => {
        const bt = tf.tensor(b, [6, 6]);
        return [
          tf.matMul(tf.tensor(a, [4, 6]), bt),
          tf.matMul(tf.tensor(a, [2, 12]), tf.reshape(bt, [12, 3])),
          tf.matMul(tf.tensor(a, [12, 2]), tf.reshape(bt, [2, 18])),
        ];
      },
      2,
    );
  });
});

describe("_FusedMatMul through native BLAS", { skip }, () => {
  const acts: ("linear" | "relu" | "relu6" | "elu" | "leakyrelu" | "sigmoid")[] = [
    "linear",
    "relu",
    "relu6",
    "elu",
    "leakyrelu",
    "sigmoid",
  ];
  for (const activation of acts) {
    for (const [ta, tb] of [
      [false, false],
      [true, true],
    ] as [boolean, boolean][]) {
      test(`bias [N] + ${activation}, transposeA ${ta} transposeB ${tb}`, async () => {
        const [M, K, N] = [11, 9, 7];
        const as = ta ? [K, M] : [M, K];
        const bs = tb ? [N, K] : [K, N];
        const a = rand(as);
        const b = rand(bs);
        const bias = rand([N]);
        await same(`fused ${activation}`, () =>
          tf.fused.matMul({
            a: T(a, as) as tf.Tensor2D,
            b: T(b, bs) as tf.Tensor2D,
            transposeA: ta,
            transposeB: tb,
            bias: T(bias, [N]),
            activation,
            leakyreluAlpha: 0.15,
          }),
        );
      });
    }
  }
  test("no bias, batch 1 row, relu", async () => {
    const a = rand([1, 31]);
    const b = rand([31, 17]);
    await same("fused no bias", () =>
      tf.fused.matMul({
        a: T(a, [1, 31]) as tf.Tensor2D,
        b: T(b, [31, 17]) as tf.Tensor2D,
        activation: "relu",
      }),
    );
  });
  test("batched 3-D with a scalar bias and a per-element [M, N] bias", async () => {
    const a = rand([3, 5, 8]);
    const b = rand([3, 8, 6]);
    const full = rand([5, 6]);
    await same(
      "fused batched",
      () => [
        tf.fused.matMul({
          a: T(a, [3, 5, 8]) as tf.Tensor3D,
          b: T(b, [3, 8, 6]) as tf.Tensor3D,
          bias: tf.scalar(0.5),
          activation: "elu",
        }),
        tf.fused.matMul({
          a: T(a, [3, 5, 8]) as tf.Tensor3D,
          b: T(b.subarray(0, 48), [1, 8, 6]) as tf.Tensor3D,
          bias: T(full, [5, 6]),
          activation: "relu",
        }),
      ],
      2,
    );
  });
  test("prelu takes the wasm path and is still right", async () => {
    const a = rand([6, 8]);
    const b = rand([8, 5]);
    const alpha = rand([5]);
    await same(
      "fused prelu",
      () =>
        tf.fused.matMul({
          a: T(a, [6, 8]) as tf.Tensor2D,
          b: T(b, [8, 5]) as tf.Tensor2D,
          bias: tf.ones([5]),
          activation: "prelu",
          preluActivationWeights: T(alpha, [5]),
        }),
      0,
    );
  });
  test("gradients of a fused dense layer (bias and relu)", async () => {
    const x = rand([10, 12]);
    const w = rand([12, 6]);
    const bb = rand([6]);
    await same(
      "fused grads",
      () => {
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(
            tf.square(
              tf.fused.matMul({
                a: a as tf.Tensor2D,
                b: b as tf.Tensor2D,
                bias: c,
                activation: "relu",
              }),
            ),
          ),
        );
        return g([T(x, [10, 12]), T(w, [12, 6]), T(bb, [6])]);
      },
      3,
    );
  });
});

describe(
  "Conv2D through native BLAS (im2col + sgemm), and the backprop kernels built on it",
  { skip },
  () => {
    // [x shape, filter shape, strides, pad, dilations]
    const cases: [
      number[],
      number[],
      number | [number, number],
      "same" | "valid" | number,
      number | [number, number],
    ][] = [
      [[1, 9, 9, 3], [3, 3, 3, 5], 1, "same", 1],
      [[2, 9, 7, 3], [3, 3, 3, 4], 2, "same", 1],
      [[2, 10, 11, 4], [4, 4, 4, 6], 2, "valid", 1],
      [[1, 13, 13, 2], [5, 3, 2, 3], [3, 2], "same", 1],
      [[2, 8, 8, 5], [3, 3, 5, 4], 1, "valid", 2],
      [[1, 11, 9, 3], [3, 3, 3, 2], 1, "same", [2, 3]],
      [[3, 7, 7, 6], [1, 1, 6, 5], 1, "valid", 1],
      [[2, 6, 6, 1], [4, 4, 1, 8], 2, "same", 1],
      [[1, 9, 9, 3], [3, 3, 3, 5], 1, 1, 1],
    ];
    for (const [xs, fs, st, pad, dil] of cases) {
      test(`conv2d x ${xs} filter ${fs} strides ${st} pad ${pad} dilations ${dil}`, async () => {
        const x = rand(xs);
        const f = rand(fs);
        await same("conv2d", () =>
          tf.conv2d(T(x, xs) as tf.Tensor4D, T(f, fs) as tf.Tensor4D, st, pad, "NHWC", dil),
        );
      });
    }
    for (const [xs, fs, st, pad] of [
      [[2, 9, 7, 3], [3, 3, 3, 4], 2, "same"],
      [[1, 10, 11, 4], [4, 4, 4, 6], 2, "valid"],
      [[2, 8, 8, 3], [5, 5, 3, 2], 1, "same"],
    ] as [number[], number[], number, "same" | "valid"][]) {
      test(`gradients of conv2d x ${xs} filter ${fs} stride ${st} ${pad}`, async () => {
        const x = rand(xs);
        const f = rand(fs);
        await same(
          "conv grads",
          () => {
            const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
              tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, st, pad))),
            );
            return g([T(x, xs), T(f, fs)]);
          },
          3,
        );
      });
    }
    test("conv2dTranspose (DCGAN's generator layer, odd batch) and its gradients", async () => {
      const x = rand([3, 7, 7, 8]);
      const f = rand([4, 4, 5, 8]);
      await same(
        "conv2dTranspose",
        () => {
          const y = tf.conv2dTranspose(
            T(x, [3, 7, 7, 8]) as tf.Tensor4D,
            T(f, [4, 4, 5, 8]) as tf.Tensor4D,
            [3, 14, 14, 5],
            2,
            "same",
          );
          const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
            tf.sum(
              tf.square(
                tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, [3, 14, 14, 5], 2, "same"),
              ),
            ),
          );
          return [y, ...g([T(x, [3, 7, 7, 8]), T(f, [4, 4, 5, 8])])];
        },
        3,
      );
    });
  },
);

describe("fallback without native BLAS", () => {
  test("switched off at run time: same results on the wasm path, the addon never called", async () => {
    const old = setNativeBlas(false);
    try {
      assert.equal(nativeBlasInfo().on, false);
      const a = rand([3, 9, 7]);
      const b = rand([3, 5, 7]);
      const bias = rand([5]);
      await same(
        "off",
        () => [
          tf.matMul(T(a, [3, 9, 7]), T(b, [3, 5, 7]), false, true),
          tf.fused.matMul({
            a: T(a, [3, 9, 7]) as tf.Tensor3D,
            b: T(b, [3, 5, 7]) as tf.Tensor3D,
            transposeB: true,
            bias: T(bias, [5]),
            activation: "relu",
          }),
          tf.fused.matMul({
            a: T(a, [3, 9, 7]) as tf.Tensor3D,
            b: T(b, [3, 5, 7]) as tf.Tensor3D,
            transposeB: true,
            bias: T(bias, [5]),
            activation: "leakyrelu",
            leakyreluAlpha: 0.1,
          }),
          tf.fused.matMul({
            a: T(a, [3, 9, 7]) as tf.Tensor3D,
            b: T(b, [3, 5, 7]) as tf.Tensor3D,
            transposeB: true,
            activation: "sigmoid",
          }),
          tf.fused.matMul({
            a: T(a, [3, 9, 7]) as tf.Tensor3D,
            b: T(b, [3, 5, 7]) as tf.Tensor3D,
            transposeB: true,
            bias: T(bias, [5]),
            activation: "prelu",
            preluActivationWeights: T(bias, [5]),
          }),
          tf.fused.matMul({
            a: T(a.subarray(0, 63), [1, 9, 7]) as tf.Tensor3D,
            b: T(b, [3, 5, 7]) as tf.Tensor3D,
            transposeB: true,
            bias: T(bias, [5]),
            activation: "elu",
          }),
          tf.fused.matMul({
            a: T(a.subarray(0, 63), [9, 7]) as tf.Tensor2D,
            b: T(b.subarray(0, 35), [5, 7]) as tf.Tensor2D,
            transposeB: true,
            bias: T(bias, [5]),
            activation: "relu6",
          }),
        ],
        0,
      );
    } finally {
      setNativeBlas(old.on, { minFlops: old.minFlops });
    }
  });
  test("GENLAB_NATIVE_BLAS=0: the backend says so and matmuls work", async () => {
    const code = `
      const tf = require("@tensorflow/tfjs");
      const { initBackend } = require("./lib/runtime/backend");
      const { nativeBlasInfo, nativeBlasCalls } = require("./lib/runtime/wasm-kernels");
      initBackend().then(() => {
        const y = tf.fused.matMul({ a: tf.ones([64, 32]), b: tf.ones([32, 16]), transposeB: false, bias: tf.ones([16]), activation: "relu" });
        const g = tf.grad((w) => tf.sum(tf.matMul(tf.ones([8, 32]), w)))(tf.ones([32, 16]));
        console.log("result=" + y.dataSync()[0] + "," + g.dataSync()[0] + " on=" + nativeBlasInfo().on + " calls=" + nativeBlasCalls());
      });`;
    const r = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const p = spawn(process.execPath, ["--import", "tsx", "-e", code], {
        cwd: path.join(__dirname, ".."),
        env: { ...process.env, GENLAB_BACKEND: "wasm", GENLAB_NATIVE_BLAS: "0" },
      });
      let out = "";
      let err = "";
      p.stdout.on("data", (d) => (out += d));
      p.stderr.on("data", (d) => (err += d));
      p.on("close", (c) => resolve({ code: c, out, err }));
    });
    assert.equal(r.code, 0, r.err);
    assert.match(
      r.out,
      /^backend: wasm \(tfjs [\d.]+, wasm, 1 thread\) - forced by GENLAB_BACKEND$/m,
    );
    assert.match(
      r.out,
      /^ {2}accelerator: none \(native BLAS off: switched off by GENLAB_NATIVE_BLAS=0\)$/m,
    );
    assert.match(r.out, /result=33,8 on=false calls=0/);
  });
});

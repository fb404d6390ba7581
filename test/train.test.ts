import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { MLP, countParams } from "../lib/runtime/nn";
import { Rng, randn } from "../lib/runtime/random";
import { History, NonFiniteLossError, trainLoop } from "../lib/training/train";

test("trainLoop fits a linear map, logs a history and leaks no tensor", async () => {
  await initBackend({ quiet: true });
  const rng = new Rng(1);
  const net = new MLP("f", [3, 1], rng, "relu", "linear");
  const params = net.params();
  assert.equal(countParams(params), 4);
  const wTrue = tf.tensor2d([[1], [-2], [0.5]]);
  const opt = tf.train.adam(0.05);
  const step = () => {
    const x = randn(rng, [32, 3]);
    const y = tf.matMul(x as tf.Tensor2D, wTrue);
    const loss = opt.minimize(
      () => tf.losses.meanSquaredError(y, net.apply(x)) as tf.Scalar,
      true,
    )!;
    x.dispose();
    y.dispose();
    return { mse: loss };
  };
  const before = tf.memory().numTensors;
  const history = await trainLoop({
    label: "linear",
    steps: 300,
    params,
    logEvery: 10,
    quiet: true,
    step,
  });
  // Adam's slots are made on the first step; after that nothing may accumulate.
  const afterFirst = tf.memory().numTensors;
  await trainLoop({
    label: "more",
    steps: 200,
    params,
    logEvery: 10,
    quiet: true,
    history,
    step,
  });
  assert.equal(tf.memory().numTensors, afterFirst, "tensor count grew over 200 steps");
  assert.ok(
    afterFirst - before <= 2 * 4 + 2,
    `unexpected tensors kept after the first run: ${afterFirst - before}`,
  );
  assert.equal(history.rows.length, 30 + 20);
  assert.equal(history.last()!.step, 500);
  assert.ok(history.rows[0].mse > 10 * history.last()!.mse, "loss did not fall");
  assert.ok(history.last()!.mse < 1e-3, `final mse ${history.last()!.mse}`);
  const w = Array.from(params["f.0.w"].dataSync());
  assert.ok(
    Math.abs(w[0] - 1) < 0.05 && Math.abs(w[1] + 2) < 0.05 && Math.abs(w[2] - 0.5) < 0.05,
    `w = ${w}`,
  );
  const round = History.fromJSON(JSON.parse(JSON.stringify(history)));
  assert.deepEqual(round.column("mse"), history.column("mse"));
});

test("a NaN loss stops training with a clear error and restores the last good weights", async () => {
  await initBackend({ quiet: true });
  const v = tf.variable(tf.scalar(1));
  const before = tf.memory().numTensors;
  await assert.rejects(
    trainLoop({
      label: "nan",
      steps: 100,
      params: { v },
      guardEvery: 5,
      quiet: true,
      step: (i) => {
        tf.tidy(() => v.assign(tf.scalar(i + 2))); // the weights after step i are i + 2
        return { loss: tf.scalar(i === 12 ? NaN : 1) };
      },
    }),
    (err: unknown) => {
      assert.ok(err instanceof NonFiniteLossError);
      assert.equal(err.step, 13);
      assert.match(err.message, /step 13: loss = NaN/);
      assert.equal(err.restoredFromStep, 11);
      return true;
    },
  );
  // The snapshot was taken before step 11 (index 10), when the weights were those after index 9:
  // 11.
  assert.equal(v.dataSync()[0], 11);
  assert.equal(tf.memory().numTensors, before, "snapshots leaked");
  v.dispose();
});

test("bad options are refused", async () => {
  await assert.rejects(
    trainLoop({ label: "x", steps: -1, step: () => ({}) }),
    /steps must be a whole number/,
  );
});

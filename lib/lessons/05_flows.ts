/**
 * Notebook 05 (normalizing flows): the figures, tables and bookkeeping its cells show, so that a
 * cell is a few lines. Section by section: the 1-D change of variables against a histogram, the
 * Jacobian of one coupling and the random 6-D log-det checks, NICE against RealNVP on the 2-D toys
 * (densities, held-out NLL, A12's numbers, the layer-by-layer pushforward), the two MNIST flows
 * (training curves, bits/dim metrics, the comparison with published numbers), exact inference in
 * 784-D (round trip, log-det, interpolation, temperatures) and the likelihood as an outlier score.
 */
import { boundsOf, grid2d } from "../display/grid";
import {
  animation,
  heatmap2d,
  lineChart,
  pointsFrame,
  scatter2d,
  subplots,
  type Figure,
  type LineSeries,
} from "../display/plot";
import type { Row } from "../display/table";
import type { Results } from "../claims/results";
import { mixtureLogDensity } from "../data/toys";
import { trainedOn, type Dataset } from "../data/mnist";
import { rocAuc } from "../eval/roc";
import {
  flowDecode,
  flowEncode,
  flowLogProb,
  flowSample,
  imageBitsPerDim,
  type Flow,
  type FlowModel,
  type LogitPreprocess,
} from "../models/flow";
import { FLOW_TOY_MIXTURES, maxAbsDiff, type FlowToy, type ToyFlowPair } from "../models/flow-toys";
import { mnistFlowBitsPerDim, type MlpFlowRun } from "../models/mnist-zoo";
import type { FitResult } from "../training/weights";
import type { RunOutcome } from "../storage/runs";
import { Rng } from "../runtime/random";
import { maxAbs, mean } from "../runtime/stats";

// ---------------------------------------------------------------------------------------------
// 1 · Change of variables in 1-D

/** What changeOfVariables1D returns: bin centres, histogram density and formula density. */
export interface Cov1D {
  centers: number[];
  histogram: number[];
  formula: number[];
}

/** max over bins of |formula - histogram|: how far the change-of-variables formula is off. */
export function covError(cov: Cov1D): number {
  return maxAbs(cov.formula.map((p, i) => p - cov.histogram[i]));
}

/** N(log x; 0, 1) without the 1/x Jacobian factor: the wrong density, for contrast. */
export function withoutJacobian(x: number): number {
  return Math.exp(-0.5 * Math.log(x) ** 2) / Math.sqrt(2 * Math.PI);
}

/** Histogram of n draws of e^z against the formula and against the formula without 1/x. */
export function covFigure(cov: Cov1D, n: number, err: number): Figure {
  const x = cov.centers;
  return lineChart(
    [
      { name: `histogram of e^z, ${n} draws`, x, y: cov.histogram },
      { name: "N(log x) / x (change of variables)", x, y: cov.formula },
      { name: "N(log x), without the Jacobian factor", x, y: x.map(withoutJacobian) },
    ],
    {
      title: `x = exp(z), z ~ N(0,1): max |histogram - formula| = ${err.toFixed(4)}`,
      xTitle: "x",
      yTitle: "density",
    },
  );
}

// ---------------------------------------------------------------------------------------------
// 2 · Coupling layers and their log-determinant

/** |dz_i/dx_j| of a d x d Jacobian (row i = output) as a heatmap, row 1 at the top. */
export function jacobianFigure(J: Float64Array, d: number): Figure {
  const ij = Array.from({ length: d }, (_, i) => i + 1);
  return heatmap2d({
    x: ij,
    y: ij,
    z: Array.from(J, (v) => Math.abs(v)),
    xTitle: "input j",
    yTitle: "output i",
    title: "|dz_i/dx_j| of one affine coupling (row i = output): lower block triangular",
    layout: { yaxis: { autorange: "reversed" } },
  });
}

/** One random flow's log-det check (randomFlowLogdetChecks). */
export interface LogdetCheck {
  kind: string;
  layers: Float64Array;
  bruteForce: Float64Array;
  maxAbsError: number;
}

/** The table of the random 6-D flows: first input's log-dets and the worst difference. */
export function randomLogdetRows(checks: readonly LogdetCheck[]): Row[] {
  return checks.map((r) => ({
    coupling: r.kind,
    "log|det J| (layers), first input": r.layers[0],
    "brute force": r.bruteForce[0],
    "max |difference| over 20 inputs": r.maxAbsError,
  }));
}

// ---------------------------------------------------------------------------------------------
// 3 · NICE against RealNVP on the 2-D toys

const FLOW_KINDS = ["nice", "real"] as const;
const KIND_NAME = { nice: "NICE", real: "RealNVP" } as const;

/** One toy's row of panels: the data, then NICE's and RealNVP's density with 300 samples. */
function toyPanels(toy: FlowToy, pair: ToyFlowPair): Figure[] {
  const g = grid2d(boundsOf(toy.train.x, 0.15), 90);
  const dens = (f: Flow) => Array.from(flowLogProb(f, g.points, 4096), Math.exp);
  const data = scatter2d(toy.train.x.subarray(0, 2000), {
    title: `${toy.name}: data`,
    markerSize: 2,
  });
  const models = FLOW_KINDS.map((k) =>
    heatmap2d({
      x: g.xs,
      y: g.ys,
      z: dens(pair[k]),
      samples: flowSample(pair[k], 300, new Rng(40)),
      title: `${toy.name}: ${KIND_NAME[k]} density + samples`,
    }),
  );
  return [data, ...models];
}

/** The grid of panels: one row per toy (data, NICE, RealNVP). */
export function toyDensityFigure(toys: FlowToy[], flows: Record<string, ToyFlowPair>): Figure {
  return subplots(
    toys.flatMap((t) => toyPanels(t, flows[t.name])),
    {
      cols: 3,
      rowHeight: 320,
      title: "Data, NICE (volume preserving) and RealNVP (affine) at equal parameter count",
    },
  );
}

/** A row of the held-out NLL table (nats; the KL columns only for the two mixtures). */
export type ToyNllRow = {
  data: string;
  "NICE -log p": number;
  "RealNVP -log p": number;
  "true -log p (mixtures)": number | null;
  "KL NICE": number | null;
  "KL RealNVP": number | null;
  "train s NICE / RealNVP": string;
};

/** Mean -log p over the toy's test points under each flow and, for a mixture, the true density. */
export function toyNllRow(toy: FlowToy, pair: ToyFlowPair): ToyNllRow {
  const mix = FLOW_TOY_MIXTURES[toy.name];
  const nllNice = -mean(flowLogProb(pair.nice, toy.test.x));
  const nllReal = -mean(flowLogProb(pair.real, toy.test.x));
  const hTrue = mix ? -mean(mixtureLogDensity(mix, toy.test.x)) : NaN;
  const s = pair.seconds;
  return {
    data: toy.name,
    "NICE -log p": nllNice,
    "RealNVP -log p": nllReal,
    "true -log p (mixtures)": mix ? hTrue : null,
    "KL NICE": mix ? nllNice - hTrue : null,
    "KL RealNVP": mix ? nllReal - hTrue : null,
    "train s NICE / RealNVP": `${s.nice.toFixed(0)} / ${s.real.toFixed(0)}`,
  };
}

/** The held-out NLL table, one row per toy. */
export function toyNllRows(toys: FlowToy[], flows: Record<string, ToyFlowPair>): ToyNllRow[] {
  return toys.map((t) => toyNllRow(t, flows[t.name]));
}

/** The a12_toy_nll metric: { moons_nice, moons_realnvp, ring_nice, ... }. */
export function toyNllMetric(rows: readonly ToyNllRow[]): Record<string, number> {
  return Object.fromEntries(
    rows.flatMap((r) => [
      [`${r.data}_nice`, r["NICE -log p"]],
      [`${r.data}_realnvp`, r["RealNVP -log p"]],
    ]),
  );
}

/**
 * A12's numbers: on how many toys RealNVP has the lower NLL, and the mean NLL gap NICE - RealNVP.
 */
export function a12Numbers(rows: readonly ToyNllRow[]): { toysWon: number; meanNllGap: number } {
  return {
    toysWon: rows.filter((r) => r["RealNVP -log p"] < r["NICE -log p"]).length,
    meanNllGap: mean(rows.map((r) => r["NICE -log p"] - r["RealNVP -log p"])),
  };
}

// ---------------------------------------------------------------------------------------------
// 4 · The pushforward, layer by layer

/** Frame names of a flow trace: the data, after each coupling, after the scaling layer. */
export function traceFrameNames(couplings: number): string[] {
  const after = Array.from({ length: couplings }, (_, k) => `after coupling ${k + 1}`);
  return ["data x", ...after, "after scaling = z"];
}

/** One frame: the points (x, y interleaved) coloured by their two-moons label. */
function traceFrame(name: string, p: Float32Array, labels: Int32Array) {
  return pointsFrame(name, p, labels, {
    colorscale: [
      [0, "#1f77b4"],
      [1, "#ff7f0e"],
    ],
  });
}

/** The animation of flowTrace's stages, from data to N(0, I), coloured by `labels`. */
export function pushforwardAnimation(
  stages: Float32Array[],
  labels: Int32Array,
  couplings: number,
): Figure {
  const names = traceFrameNames(couplings);
  return animation(
    stages.map((p, k) => traceFrame(names[k], p, labels)),
    {
      title: "RealNVP on two moons: the pushforward from data to N(0, I)",
      prefix: "",
      layout: { yaxis: { scaleanchor: "x" } },
    },
  );
}

// ---------------------------------------------------------------------------------------------
// 6 · MNIST: the two flows' bits/dim

/** The prose's sizes: the MLP flow has 11x the parameters, 2.9M = 11.8 MB of float32. */
export function sizesMatchProse(mlpParams: number, convParams: number): boolean {
  return Math.round(mlpParams / convParams) === 11 && ((mlpParams * 4) / 1e6).toFixed(1) === "11.8";
}

/** Training steps -> epochs over `nTrain` digits. */
export function toEpochs(steps: readonly number[], batch: number, nTrain: number): number[] {
  return steps.map((st) => (st * batch) / nTrain);
}

/** Both training curves (bits/dim of the training batches) against epochs of their own data. */
export function bpdCurvesFigure(mlp: MlpFlowRun, fit: FitResult, convParams: number): Figure {
  const curves: LineSeries[] = [];
  if (mlp.history)
    curves.push({
      name: `MLP couplings (${(mlp.params / 1e6).toFixed(2)}M parameters)`,
      x: toEpochs(mlp.history.step, mlp.batchSize, trainedOn(mlp.weights).n),
      y: mlp.history.bpd,
    });
  if (fit.history)
    curves.push({
      name: `convolutional, multi-scale (${(convParams / 1e6).toFixed(2)}M)`,
      x: toEpochs(
        fit.history.column("step"),
        Number(fit.meta.budget.batchSize),
        trainedOn(fit.meta).n,
      ),
      y: fit.history.column("bpd"),
    });
  const title = "Training bits/dim (dequantised training batches)";
  return lineChart(curves, { title, xTitle: "epoch", yTitle: "bits/dim" });
}

/** The convolutional flow's bits/dim and training budget. */
export interface ConvFlowResult {
  /** Bits/dim of every held-out digit. */
  test: Float64Array;
  bpdTest: number;
  bpdTrain: number;
  steps: number;
  epochs: number;
  minutes: number;
  backend: string;
  /** The weights' record of their training data (trainedOn reads it). */
  trained: { data?: string };
}

/** Scores the convolutional flow (mnistFlowBitsPerDim) and reads its budget from the weights. */
export function convFlowResult(
  flow: FlowModel,
  pre: LogitPreprocess,
  fit: FitResult,
  mnist: Dataset,
  nTrainEval: number,
): ConvFlowResult {
  const b = mnistFlowBitsPerDim(flow, pre, mnist, nTrainEval);
  const steps = Number(fit.meta.budget.steps);
  return {
    test: b.test,
    bpdTest: b.bpdTest,
    bpdTrain: b.bpdTrain,
    steps,
    epochs: (steps * Number(fit.meta.budget.batchSize)) / trainedOn(fit.meta).n,
    minutes: (fit.history?.last()?.seconds ?? NaN) / 60,
    backend: fit.meta.backend,
    trained: { data: fit.meta.data },
  };
}

type MlpOutcome = RunOutcome<{ steps: number; nTrainEval: number }, MlpFlowRun>;

/** Records the MNIST metrics: both flows' bits/dim and the convolutional flow's training time. */
export function recordMnistMetrics(
  results: Results,
  conv: ConvFlowResult,
  mlpRun: MlpOutcome,
  mnist: Dataset,
  nTrainEval: number,
): void {
  const bits = { unit: "bits/dim" };
  const what = "convolutional RealNVP";
  const nTest = mnist.test.n;
  results.metric("mnist_bpd_test", conv.bpdTest, {
    ...bits,
    note: `${what}, ${nTest} held-out digits, one dequantisation draw each`,
  });
  results.metric("mnist_bpd_train", conv.bpdTrain, {
    ...bits,
    note: `${what}, first ${nTrainEval} training digits`,
  });
  results.metric("mnist_train_minutes", conv.minutes, {
    unit: "min",
    note: `${conv.steps} steps, ${conv.epochs.toFixed(0)} epochs`,
  });
  const mlp = mlpRun.record.result;
  const created = mlpRun.record.createdAt.slice(0, 10);
  results.metric(
    "mnist_mlp_flow_bpd",
    { test: mlp.bpdTest, train: mlp.bpdTrain },
    { ...bits, note: `MLP couplings, run record ${mlpRun.source} (${created})` },
  );
}

/** "4000 steps = 32 epochs, 10.5 min (backend wasm)". */
export function trainingText(
  steps: number,
  epochs: number,
  minutes: number,
  backend: string,
): string {
  const time = `${minutes.toFixed(1)} min (backend ${backend})`;
  return `${steps} steps = ${epochs.toFixed(0)} epochs, ${time}`;
}

/** Published MNIST bits/dim that the text compares with. */
export const PUBLISHED_BPD: readonly Row[] = [
  {
    model: "NICE (Dinh et al. 2014)",
    data: "60,000 / 10,000 (official)",
    training: "GPU",
    "bits/dim": 4.36,
  },
  {
    model: "RealNVP (as reported in later papers)",
    data: "official MNIST",
    training: "GPU, multi-scale conv",
    "bits/dim": 1.06,
  },
  {
    model: "UvA DL tutorial 11, multi-scale flow",
    data: "official MNIST",
    training: "200 epochs, GPU",
    "bits/dim": 1.08,
  },
];

/** This run's two flows, then the published numbers. */
export function bpdComparisonRows(conv: ConvFlowResult, mlp: MlpFlowRun, mnist: Dataset): Row[] {
  const convOn = trainedOn(conv.trained);
  const mlpOn = trainedOn(mlp.weights);
  // The conv flow is scored here, on this run's test digits; the MLP flow's record holds the
  // numbers measured when it was trained, on the test split of its own data.
  const convData = `${convOn.n} train (${convOn.split}) / ${mnist.test.n} test`;
  const mlpData = `${mlpOn.n} train / its split's test digits (${mlpOn.split})`;
  const mlpEpochs = (mlp.steps * mlp.batchSize) / mlpOn.n;
  const mlpMinutes = mlp.trainMinutes ?? NaN;
  return [
    {
      model: "this run: RealNVP, convolutional, multi-scale",
      data: convData,
      training: trainingText(conv.steps, conv.epochs, conv.minutes, conv.backend),
      "bits/dim": conv.bpdTest,
      "training digits": conv.bpdTrain,
    },
    {
      model: "this run: RealNVP, MLP couplings",
      data: mlpData,
      training: trainingText(mlp.steps, mlpEpochs, mlpMinutes, mlp.weights.backend),
      "bits/dim": mlp.bpdTest,
      "training digits": mlp.bpdTrain,
    },
    ...PUBLISHED_BPD,
  ];
}

// ---------------------------------------------------------------------------------------------
// 7 · Inference is the forward pass

/** Image size of an MNIST digit, for showImageGrid: `{ ...DIGIT_GRID, cols, title }`. */
export const DIGIT_GRID = { h: 28, w: 28 } as const;

/** A digit round trip x -> z -> x: flow inputs, the errors, and the images to show. */
export interface RoundTrip {
  /** The dequantised, logit-transformed digits (the flow's inputs). */
  x: Float32Array;
  /** max |x - f^-1(f(x))| in logit space. */
  errLogit: number;
  /** The same in pixels (intensities in [0, 1]). */
  errPix: number;
  /** Three rows: the digits, their codes z (clipped to +-3, grey = 0), the decoded digits. */
  grid: Float32Array;
}

/** Encodes grey-level digits (dequantised with `rng`), decodes them, and measures the error. */
export function mnistRoundTrip(
  flow: FlowModel,
  pre: LogitPreprocess,
  levels: ArrayLike<number>,
  rng: Rng,
): RoundTrip {
  const d = flow.dim;
  const x = pre.encode(levels, d, rng).x;
  const z = flowEncode(flow, x);
  const back = flowDecode(flow, z);
  const errLogit = maxAbsDiff(back, x);
  const yIn = pre.decode(x, d);
  const yBack = pre.decode(back, d);
  const errPix = maxAbsDiff(yBack, yIn);
  const zImg = pre.toPixelOrder(
    z.map((v) => 0.5 + Math.max(-3, Math.min(3, v)) / 6),
    d,
  );
  return { x, errLogit, errPix, grid: new Float32Array([...yIn, ...zImg, ...yBack]) };
}

/** |layers - brute force| / max(1, |layers|) for each input of a log-det check. */
export function relativeErrors(ld: { layers: Float64Array; bruteForce: Float64Array }): number[] {
  return Array.from(ld.layers, (v, i) => Math.abs(v - ld.bruteForce[i]) / Math.max(1, Math.abs(v)));
}

/** The 784-D log-det table: one row per digit. */
export function logdetRows(ld: { layers: Float64Array; bruteForce: Float64Array }): Row[] {
  const rel = relativeErrors(ld);
  return Array.from(ld.layers, (v, i) => ({
    digit: i,
    "log|det J| from the layers": v,
    "brute force (784x784)": ld.bruteForce[i],
    "relative error": rel[i],
  }));
}

/** `n` samples at each temperature, each row from a fresh Rng(seed), decoded to pixels. */
export function temperatureSamples(
  flow: FlowModel,
  pre: LogitPreprocess,
  temps: readonly number[],
  n: number,
  seed: number,
): Float32Array {
  const row = (T: number) =>
    Array.from(pre.decode(flowSample(flow, n, new Rng(seed), T), flow.dim));
  return new Float32Array(temps.flatMap(row));
}

// ---------------------------------------------------------------------------------------------
// 8 · The likelihood as an outlier score

/**
 * Bits/dim of the first n Fashion-MNIST images (Rng(80)) and of n uniform-noise images (81, 82).
 */
export function outlierBitsPerDim(
  flow: FlowModel,
  pre: LogitPreprocess,
  fashionPixels: Uint8Array,
  n: number,
): { fashion: Float64Array; noise: Float64Array } {
  const d = flow.dim;
  const fashion = imageBitsPerDim(flow, pre, fashionPixels.subarray(0, n * d), new Rng(80));
  const rNoise = new Rng(81);
  const noiseLevels = Float32Array.from({ length: n * d }, () => rNoise.int(256));
  return { fashion, noise: imageBitsPerDim(flow, pre, noiseLevels, new Rng(82)) };
}

/** The share of values below `t`. */
export function shareBelow(v: ArrayLike<number>, t: number): number {
  return mean(Array.from(v, (x) => (x < t ? 1 : 0)));
}

/** The outlier table: mean bits/dim, ROC AUC against the digits, share more likely than a digit. */
export function outlierRows(digits: Float64Array, outliers: Record<string, Float64Array>): Row[] {
  const share = "share scored more likely than the average digit";
  const avg = mean(digits);
  const first: Row = {
    data: "MNIST held out (in-distribution)",
    "mean bits/dim": avg,
    "ROC AUC": null,
    [share]: null,
  };
  const rest = Object.entries(outliers).map(([data, v]) => ({
    data,
    "mean bits/dim": mean(v),
    "ROC AUC": rocAuc(v, digits),
    [share]: shareBelow(v, avg),
  }));
  return [first, ...rest];
}

/** Shares of `v` in `bins` equal bins over [lo, hi) (values outside are left out). */
export function binShares(v: ArrayLike<number>, lo: number, hi: number, bins: number): number[] {
  const c = new Array<number>(bins).fill(0);
  for (const x of Array.from(v)) {
    const b = Math.floor(((x - lo) / (hi - lo)) * bins);
    if (b >= 0 && b < bins) c[b]++;
  }
  return c.map((k) => k / v.length);
}

/** Histograms of the digits' and Fashion-MNIST's bits/dim (40 bins); noise's mean in the title. */
export function outlierHistogramFigure(
  digits: Float64Array,
  fashion: Float64Array,
  noise: Float64Array,
): Figure {
  const bins = 40;
  const lo = Math.min(...digits, ...fashion) - 0.1;
  const hi = Math.max(...digits, ...fashion) + 0.1;
  const x = Array.from({ length: bins }, (_, k) => lo + ((k + 0.5) * (hi - lo)) / bins);
  const noiseMean = `uniform noise: ${mean(noise).toFixed(2)} on average`;
  return lineChart(
    [
      { name: "MNIST held out", x, y: binShares(digits, lo, hi, bins) },
      { name: "Fashion-MNIST", x, y: binShares(fashion, lo, hi, bins) },
    ],
    {
      title: `Bits/dim under the MNIST flow (${noiseMean}, off the chart)`,
      xTitle: "bits/dim",
      yTitle: "fraction of images",
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Verdict numbers

/** A10's numbers: both flows' bits/dim, the pixel round trip, the 784-D log-det, the minutes. */
export function a10Numbers(
  conv: ConvFlowResult,
  mlp: MlpFlowRun,
  roundTripPixel: number,
  logdetRelError: number,
): Record<string, number> {
  return {
    bpdTest: conv.bpdTest,
    bpdTrain: conv.bpdTrain,
    mlpBpdTest: mlp.bpdTest,
    roundTripPixel,
    logdetRelError,
    trainMinutes: conv.minutes,
  };
}

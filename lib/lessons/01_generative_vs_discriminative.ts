/**
 * Notebook 01 (generative vs discriminative models): the classifiers it fits on the two moons and
 * on MNIST, its tables of accuracies, the ridge search of the Gaussian models, the learning-curve
 * experiment of Ng & Jordan, the samples and their measures, the mode-coverage reference points,
 * the outlier scores, and the sentences and verdict numbers that quote them.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../runtime/random";
import { disposeParams } from "../runtime/nn";
import { gatherRows } from "../data/batch";
import { sampleMixture, type Mixture, type Toy2D } from "../data/toys";
import { pct, sentence } from "../display/format";
import { lineChart, type Figure } from "../display/plot";
import type { Row } from "../display/table";
import { History } from "../training/train";
import { fitOrLoad, type FitResult } from "../training/weights";
import { classHistogram, klFromUniform } from "../eval/classes";
import { frechetFromStats, gaussianStats } from "../eval/frechet";
import { crossover, type CurvePoint } from "../eval/learning-curve";
import { PACGAN_SAMPLES, PACGAN_TABLE1, type ModeCoverage } from "../eval/modes";
import { rocAuc, rocCurve } from "../eval/roc";
import { sharpness } from "../eval/sharpness";
import { MLPClassifier, accuracy, trainClassifier } from "../models/classifier";
import type { EvalClassifier } from "../models/eval-classifier";
import {
  argmaxRows,
  BernoulliNaiveBayes,
  GaussianClassifier,
  type CovarianceKind,
  type LabeledRows,
} from "../models/generative-classifiers";
import { KNNClassifier } from "../models/knn";

export { posteriorHeatmap } from "./00_tour";

/**
 * The name of a model or data set as part of a results key: "MLP 784-256-10" -> "MLP_784_256_10".
 */
export function metricKey(name: string): string {
  return name.replace(/[^A-Za-z0-9]+/g, "_");
}

// ---------------------------------------------------------------------------------------------
// Softmax classifiers (logistic regression and MLPs), trained or loaded

/** A softmax classifier of the notebook: weights file, layer sizes, seed and full budget. */
export interface SoftmaxSpec {
  model: string;
  sizes: number[];
  seed: number;
  full: { steps: number; batchSize: number; lr: number };
}

/** Logistic regression on the two moons. */
export const MOONS_LOGREG: SoftmaxSpec = {
  model: "nb01-moons-logreg",
  sizes: [2, 2],
  seed: 13,
  full: { steps: 1000, batchSize: 64, lr: 0.02 },
};

/** The MLP 2-32-32-2 on the two moons. */
export const MOONS_MLP: SoftmaxSpec = {
  model: "nb01-moons-mlp",
  sizes: [2, 32, 32, 2],
  seed: 14,
  full: { steps: 2000, batchSize: 64, lr: 0.01 },
};

/** Logistic regression on MNIST pixels. */
export const MNIST_LOGREG: SoftmaxSpec = {
  model: "nb01-mnist-logreg",
  sizes: [784, 10],
  seed: 21,
  full: { steps: 1500, batchSize: 128, lr: 0.003 },
};

/** The MLP 784-256-10 on MNIST pixels. */
export const MNIST_MLP: SoftmaxSpec = {
  model: "nb01-mnist-mlp",
  sizes: [784, 256, 10],
  seed: 22,
  full: { steps: 2500, batchSize: 128, lr: 0.001 },
};

/**
 * A softmax MLP (logistic regression without hidden layers), trained or loaded through
 * fitOrLoad; smoke mode trains 30 steps of the same budget.
 */
export async function fitSoftmax(
  spec: SoftmaxSpec,
  data: LabeledRows,
  test: LabeledRows,
  /** What `data` is, for the weights file (trainingData(mnist)); toys leave it out. */
  about?: string,
): Promise<MLPClassifier> {
  const { model, seed, full } = spec;
  const clf = new MLPClassifier(model, spec.sizes, new Rng(seed));
  await fitOrLoad({
    model,
    params: clf.params(),
    seed,
    budget: { full, smoke: { ...full, steps: 30 } },
    data: about,
    train: (b) => trainClassifier(clf, data, b, { seed: seed + 1, label: model }),
    metrics: () => ({ testAccuracy: accuracy(clf.predict(test), test.y) }),
  });
  return clf;
}

// ---------------------------------------------------------------------------------------------
// Section 1: the two moons

/** A classifier of section 1: its name, its kind, and its class probabilities for 2-D points. */
export interface MoonModel {
  name: string;
  kind: "discriminative" | "generative";
  proba: (x: Float32Array) => ArrayLike<number>;
}

/** A Gaussian class model of the two moons (ridge 1e-3) with the given covariance. */
export function moonGaussian(train: LabeledRows, covariance: CovarianceKind): GaussianClassifier {
  return GaussianClassifier.fit(train, 2, { covariance, ridge: 1e-3 });
}

/**
 * The six classifiers of section 1, fitted to the moons: logistic regression, the MLP and
 * 15-nearest neighbours (discriminative), and the Gaussian class models with shared, per-class
 * and diagonal covariance (generative, their posterior by Bayes' rule).
 */
export async function moonClassifiers(train: LabeledRows, test: LabeledRows): Promise<MoonModel[]> {
  const lr = await fitSoftmax(MOONS_LOGREG, train, test);
  const mlp = await fitSoftmax(MOONS_MLP, train, test);
  const knn = new KNNClassifier(train, 2, 15);
  const gauss = (c: CovarianceKind) => moonGaussian(train, c);
  const [lda, qda, gnb] = [gauss("shared"), gauss("full"), gauss("diagonal")];
  const disc = "discriminative" as const;
  const gen = "generative" as const;
  return [
    { name: "logistic regression", kind: disc, proba: (x) => lr.proba({ x, dim: 2 }) },
    { name: "MLP 2-32-32-2", kind: disc, proba: (x) => mlp.proba({ x, dim: 2 }) },
    { name: "15-nearest neighbours", kind: disc, proba: (x) => knn.proba(x) },
    { name: "Gaussian, shared cov. (LDA)", kind: gen, proba: (x) => lda.posterior(x) },
    { name: "Gaussian, per-class cov. (QDA)", kind: gen, proba: (x) => qda.posterior(x) },
    { name: "Gaussian naive Bayes", kind: gen, proba: (x) => gnb.posterior(x) },
  ];
}

/** Test accuracy of each two-class model, by the argmax of its probabilities. */
export function moonAccuracyRows(models: readonly MoonModel[], test: LabeledRows) {
  return models.map((m) => ({
    model: m.name,
    kind: m.kind,
    "test accuracy": accuracy(argmaxRows(m.proba(test.x), 2), test.y),
  }));
}

// ---------------------------------------------------------------------------------------------
// Section 2: MNIST, the ridge of the Gaussian models and the accuracies

/** The ridges tried, in this order; a budget's `ridges` says how many of them. */
export const RIDGE_GRID = [0.03, 0.1, 0.01, 0.3];

type RidgeVars = Record<"full" | "shared", tf.Variable>;

/** Validation accuracy of each ridge of RIDGE_GRID (the first `count`) for one covariance kind. */
export function ridgeAccuracies(
  fit: LabeledRows,
  val: { x: Float32Array; y: ArrayLike<number> },
  covariance: CovarianceKind,
  count: number,
): number[] {
  const ridges = RIDGE_GRID.slice(0, count);
  return GaussianClassifier.fitRidges(fit, 10, { covariance, ridges }).map((m) =>
    accuracy(m.predict(val.x), val.y),
  );
}

/** The search: for each kind, a history row per ridge and the best ridge into its variable. */
async function ridgeSearch(
  x: Float32Array,
  y: Uint8Array,
  b: { ridges: number; validation: number },
  vars: RidgeVars,
): Promise<History> {
  const rows = y.length;
  const nFit = rows - b.validation;
  const fit = { x: x.subarray(0, nFit * 784), dim: 784, y: y.subarray(0, nFit) };
  const val = { x: x.subarray(nFit * 784, rows * 784), y: y.subarray(nFit, rows) };
  const h = new History();
  const t0 = Date.now();
  for (const kind of ["full", "shared"] as const) {
    const accs = ridgeAccuracies(fit, val, kind, b.ridges);
    accs.forEach((a, i) =>
      h.push({
        step: h.rows.length + 1,
        seconds: (Date.now() - t0) / 1000,
        [`val_acc_${kind}`]: a,
        ridge: RIDGE_GRID[i],
      }),
    );
    vars[kind].assign(tf.tensor1d([RIDGE_GRID[accs.indexOf(Math.max(...accs))]]));
  }
  return h;
}

/**
 * The ridges of the per-class and the shared-covariance Gaussian, fitted on the training digits
 * but the last `validation` (10,000; smoke 1,000), chosen on those, and stored like weights
 * (data/weights/nb01-gaussian-ridge), so shipped runs skip it.
 */
export async function searchRidges(
  x: Float32Array,
  y: Uint8Array,
  /** What x is, for the weights file (trainingData(mnist)). */
  about?: string,
): Promise<{ fit: FitResult; ridge: { full: number; shared: number } }> {
  const vars: RidgeVars = {
    full: tf.variable(tf.tensor1d([0.03])),
    shared: tf.variable(tf.tensor1d([0.03])),
  };
  const fit = await fitOrLoad({
    model: "nb01-gaussian-ridge",
    params: { "ridge.full": vars.full, "ridge.shared": vars.shared },
    seed: 0,
    budget: { full: { ridges: 4, validation: 10000 }, smoke: { ridges: 2, validation: 1000 } },
    data: about,
    train: (b) => ridgeSearch(x, y, b, vars),
  });
  const read = (v: tf.Variable) => +v.dataSync()[0].toPrecision(6);
  return { fit, ridge: { full: read(vars.full), shared: read(vars.shared) } };
}

/** The ridge search's history as a table: validation accuracy by ridge, one column per kind. */
export function ridgeRows(h: History): Row[] {
  return h.rows.map((r) => ({
    ridge: r.ridge,
    "validation accuracy, per-class cov.": r.val_acc_full ?? null,
    "validation accuracy, shared cov.": r.val_acc_shared ?? null,
  }));
}

/** A model of the MNIST accuracy table: name, kind and held-out accuracy. */
export interface AccuracyRow {
  model: string;
  kind: "generative" | "discriminative";
  acc: number;
}

/** The six MNIST classifiers of section 2. */
export interface MnistModels {
  qda: GaussianClassifier;
  lda: GaussianClassifier;
  bnb: BernoulliNaiveBayes;
  logreg: MLPClassifier;
  mlp: MLPClassifier;
  knn: KNNClassifier;
}

/**
 * Held-out accuracy of each MNIST classifier (`test.binary`: the binarised test digits naive
 * Bayes sees), and last the evaluation classifier's, measured when it was trained.
 */
export function mnistAccuracyRows(
  m: MnistModels,
  test: { x: Float32Array; binary: Float32Array; y: ArrayLike<number> },
  evalAccuracy: number,
): AccuracyRow[] {
  const acc = (predicted: ArrayLike<number>) => accuracy(predicted, test.y);
  const rows = { x: test.x, dim: 784 };
  const gen = "generative" as const;
  const disc = "discriminative" as const;
  return [
    { model: "Gaussian, per-class cov. (QDA)", kind: gen, acc: acc(m.qda.predict(test.x)) },
    { model: "Gaussian, shared cov. (LDA)", kind: gen, acc: acc(m.lda.predict(test.x)) },
    { model: "Bernoulli naive Bayes (binarised)", kind: gen, acc: acc(m.bnb.predict(test.binary)) },
    { model: "logistic regression", kind: disc, acc: acc(m.logreg.predict(rows)) },
    { model: "MLP 784-256-10", kind: disc, acc: acc(m.mlp.predict(rows)) },
    { model: "3-nearest neighbours", kind: disc, acc: acc(m.knn.predict(test.x)) },
    { model: "evaluation classifier (CNN + shifts)", kind: disc, acc: evalAccuracy },
  ];
}

/**
 * Published test accuracies on the same official split, without distortions (LeCun et al. 1998, as
 * listed on the MNIST page with their error rates): the rows printed beside ours.
 */
export const LECUN_1998: readonly AccuracyRow[] = [
  { model: "40 PCA + quadratic classifier", kind: "generative", acc: 1 - 0.033 },
  { model: "linear classifier (1-layer NN)", kind: "discriminative", acc: 1 - 0.12 },
  { model: "2-layer NN, 300 hidden units (MSE)", kind: "discriminative", acc: 1 - 0.047 },
  { model: "K-nearest neighbours, Euclidean", kind: "discriminative", acc: 1 - 0.05 },
  { model: "LeNet-5 (convolutional)", kind: "discriminative", acc: 1 - 0.0095 },
];

/** Section 2's table: this run's classifiers, then the published ones, each row saying whose. */
export function accuracyTable(rows: readonly AccuracyRow[]): Row[] {
  const line = (r: AccuracyRow, source: string) => ({
    source,
    model: r.model,
    kind: r.kind,
    "test accuracy": r.acc,
  });
  return [
    ...rows.map((r) => line(r, "this run")),
    ...LECUN_1998.map((r) => line(r, "LeCun et al. 1998")),
  ];
}

/** The most accurate model of one kind, leaving out the evaluation classifier (trained apart). */
export function bestOf(rows: readonly AccuracyRow[], kind: AccuracyRow["kind"]): AccuracyRow {
  return rows
    .filter((r) => r.kind === kind && !r.model.startsWith("evaluation"))
    .reduce((a, b) => (b.acc > a.acc ? b : a));
}

// ---------------------------------------------------------------------------------------------
// Section 3: the learning curve of Ng & Jordan

/** Binary pixels and labels. */
export interface BinaryDigits {
  x: Float32Array;
  y: ArrayLike<number>;
}

/** Logistic regression trained on one subset, scored on the test digits; its weights disposed. */
async function logregOnSubset(
  data: LabeledRows,
  test: BinaryDigits,
  steps: number,
  seed: number,
): Promise<number> {
  const m = new MLPClassifier("lc", [784, 10], new Rng(100 + seed));
  const budget = { steps, batchSize: Math.min(100, data.y.length), lr: 0.01 };
  await trainClassifier(m, data, budget, { seed, quiet: true, weightDecay: 1e-4 });
  const a = accuracy(m.predict({ x: test.x, dim: 784 }), test.y);
  disposeParams(m.params());
  return a;
}

/** How long logistic regression trains on n examples: `epochs` passes of batches of 100, at least
 * `min` steps (a fixed number of steps would leave the large subsets under-trained). */
export function logregSteps(n: number, budget: { epochs: number; min: number }): number {
  return Math.max(budget.min, Math.ceil((budget.epochs * n) / 100));
}

/**
 * The two models of the learning curve, as learningCurves takes them (a training subset and a
 * seed -> test accuracy): Bernoulli naive Bayes, and logistic regression trained logregSteps.
 */
export function ngJordanModels(
  train: BinaryDigits,
  test: BinaryDigits,
  budget: { epochs: number; min: number },
) {
  const sub = (idx: Int32Array): LabeledRows => ({
    x: gatherRows(train.x, 784, idx),
    dim: 784,
    y: Array.from(idx, (i) => train.y[i]),
  });
  return {
    "naive Bayes (generative)": (idx: Int32Array) =>
      accuracy(BernoulliNaiveBayes.fit(sub(idx), 10).predict(test.x), test.y),
    "logistic regression (discriminative)": (idx: Int32Array, seed: number) =>
      logregOnSubset(sub(idx), test, logregSteps(idx.length, budget), seed),
  };
}

/** Mean test accuracy against training-set size, one line per model, ± std error bars. */
export function learningCurveFigure(curves: Record<string, CurvePoint[]>, seeds: number): Figure {
  const names = Object.keys(curves);
  const fig = lineChart(
    names.map((n) => ({
      name: n,
      x: curves[n].map((p) => p.size),
      y: curves[n].map((p) => p.mean),
    })),
    {
      title: `Test accuracy vs training-set size (mean ± std over ${seeds} seeds)`,
      xTitle: "training examples (log scale)",
      yTitle: "test accuracy",
      logX: true,
      mode: "lines+markers",
    },
  );
  fig.data.forEach((t, i) =>
    Object.assign(t, {
      error_y: { type: "data", array: curves[names[i]].map((p) => p.std), visible: true },
    }),
  );
  return fig;
}

/** The two curves as a table: one row per training size, mean and std of each model. */
export function learningCurveRows(curves: Record<string, CurvePoint[]>): Row[] {
  const [a, b] = Object.keys(curves);
  return curves[a].map((p, i) => ({
    "training examples": p.size,
    [a]: p.mean,
    [`${a} std`]: p.std,
    [b]: curves[b][i].mean,
    [`${b} std`]: curves[b][i].std,
  }));
}

/** The smallest training size whose mean accuracy is within `tol` of the curve's last value. */
export function sizeToAsymptote(c: readonly CurvePoint[], tol = 0.02): number {
  return c.find((p) => p.mean >= c[c.length - 1].mean - tol)!.size;
}

/** What the notebook reads off the two curves (naive Bayes first, logistic regression second). */
export interface NgJordan {
  nb: CurvePoint[];
  lr: CurvePoint[];
  /** Where logistic regression overtakes naive Bayes for good, or null. */
  cross: ReturnType<typeof crossover>;
  /** sizeToAsymptote of each curve. */
  nbNear: number;
  lrNear: number;
}

/** The crossover and the sizes to within 2 points of the final accuracy, of the two curves. */
export function ngJordan(curves: Record<string, CurvePoint[]>): NgJordan {
  const [nb, lr] = Object.values(curves);
  return {
    nb,
    lr,
    cross: crossover(nb, lr),
    nbNear: sizeToAsymptote(nb),
    lrNear: sizeToAsymptote(lr),
  };
}

/** The learning-curve numbers recorded in the results, by results key. */
export function curveMetrics(r: NgJordan): Record<string, number | number[]> {
  return {
    lc_sizes: r.nb.map((p) => p.size),
    lc_naive_bayes_mean: r.nb.map((p) => p.mean),
    lc_logreg_mean: r.lr.map((p) => p.mean),
    ...(r.cross ? { lc_crossover_examples: r.cross.size } : {}),
  };
}

/** The paragraph under the learning curves: who leads where, and who converges faster. */
export function learningCurveText(r: NgJordan): string {
  const { nb, lr, cross } = r;
  const [first, nbLast, lrLast] = [nb[0], nb[nb.length - 1], lr[lr.length - 1]];
  const ahead = lr.every((p, i) => p.mean >= nb[i].mean);
  const lead = cross
    ? sentence`Naive Bayes leads at the smallest size (${first.size} examples:
        ${pct(first.mean)} vs ${pct(lr[0].mean)}); logistic regression overtakes it between
        **${cross.below} and ${cross.above}** examples (about **${Math.round(cross.size)}**,
        interpolated in log size) and ends ahead at ${lrLast.size}: ${pct(lrLast.mean)} vs
        ${pct(nbLast.mean)}.`
    : sentence`**No crossover in this run**: logistic regression is
        ${ahead ? "ahead at every size" : "not behind at the end"},
        from ${pct(lr[0].mean)} vs ${pct(first.mean)} at ${first.size} examples to
        ${pct(lrLast.mean)} vs ${pct(nbLast.mean)} at ${nbLast.size}.`;
  const half = sentence`The other half of Ng & Jordan's result does show: naive Bayes is within
    2 points of its final accuracy from **${r.nbNear}** examples on, logistic regression only
    from **${r.lrNear}**.`;
  const tail = cross
    ? ""
    : ", but to an asymptote so much lower (its pixels-are-independent assumption is badly " +
      "wrong for digits) that it never gets ahead";
  return `${lead} ${half} The generative model converges faster${tail}.`;
}

/** The learning-curve sentence of the A1 verdict's summary. */
export function curveClause(r: NgJordan): string {
  return r.cross
    ? sentence`Learning curve: naive Bayes ahead up to ~${Math.round(r.cross.size)} examples,
        logistic regression ahead after (Ng & Jordan).`
    : sentence`Learning curve: no crossover, logistic regression ahead at every size; naive
        Bayes nears its (lower) asymptote sooner (${r.nbNear} vs ${r.lrNear} examples to within
        2 points).`;
}

// ---------------------------------------------------------------------------------------------
// Section 4: samples and their measures

/**
 * `perClass` samples of each of the 10 classes, drawn by `draw(c, n)`, laid out one sample per
 * class in each row (row r holds the r-th sample of classes 0..9), pixels clipped to [0, 1].
 */
export function samplesByClass(
  perClass: number,
  draw: (c: number, n: number) => Float32Array,
): Float32Array {
  const parts = Array.from({ length: 10 }, (_, c) => draw(c, perClass));
  const out = new Float32Array(10 * perClass * 784);
  for (let r = 0; r < perClass; r++)
    for (let c = 0; c < 10; c++)
      out.set(parts[c].subarray(r * 784, (r + 1) * 784), (r * 10 + c) * 784);
  return out.map((v) => Math.min(1, Math.max(0, v)));
}

/** Rows of equal length, one after the other in one Float32Array (e.g. the class means). */
export function stackRows(rows: readonly ArrayLike<number>[]): Float32Array {
  const d = rows.length ? rows[0].length : 0;
  const out = new Float32Array(rows.length * d);
  rows.forEach((r, i) => out.set(r, i * d));
  return out;
}

/** A named set of digits with the class each was drawn for (or is). */
export interface DigitSet {
  name: string;
  x: Float32Array;
  labels: ArrayLike<number>;
}

/** The measures of one set of digits. */
export type SampleRow = {
  set: string;
  n: number;
  "recognised as their class": number;
  "KL(class hist. || uniform)": number;
  "Laplacian variance": number;
  "gradient magnitude": number;
  "Fréchet distance to test digits": number;
};

/** Measures each set: the evaluation classifier's labels, sharpness, Fréchet distance to `real`. */
export function measureSamples(
  clf: EvalClassifier,
  sets: readonly DigitSet[],
  real: Float32Array,
): SampleRow[] {
  const stats = (x: Float32Array) => gaussianStats(clf.features(x), clf.featureDim);
  const realStats = stats(real);
  return sets.map((s) => {
    const pred = clf.predict(s.x);
    const sh = sharpness(s.x, 28, 28);
    return {
      set: s.name,
      n: s.x.length / 784,
      "recognised as their class": accuracy(pred, s.labels),
      "KL(class hist. || uniform)": klFromUniform(classHistogram(pred, 10)),
      "Laplacian variance": sh.laplacianVar,
      "gradient magnitude": sh.gradMag,
      "Fréchet distance to test digits": frechetFromStats(stats(s.x), realStats),
    };
  });
}

/** The measures of one set as recorded in the results. */
export function sampleMetrics(r: SampleRow): Record<string, number> {
  return {
    recognised: r["recognised as their class"],
    klUniform: r["KL(class hist. || uniform)"],
    laplacianVar: r["Laplacian variance"],
    gradMag: r["gradient magnitude"],
    frechet: r["Fréchet distance to test digits"],
  };
}

/** The paragraph under the sample table; rows: real, blurred, Gaussian, naive Bayes. */
export function sampleQualityText(rows: readonly SampleRow[]): string {
  const [real, blur, gauss, nb] = rows;
  const rec = (r: SampleRow) => pct(r["recognised as their class"]);
  const fd = (r: SampleRow, digits: number) => r["Fréchet distance to test digits"].toFixed(digits);
  const lap = (r: SampleRow) => r["Laplacian variance"].toFixed(3);
  return [
    sentence`The evaluation classifier recognises **${rec(gauss)}** of the Gaussian samples and
      **${rec(nb)}** of the naive Bayes samples as the class they were drawn for (real digits:
      ${rec(real)}).`,
    sentence`Their Fréchet distances to the test digits, ${fd(gauss, 1)} and ${fd(nb, 1)}, are far
      above the real-vs-real floor of ${fd(real, 2)}: recognisable, but not realistic.`,
    sentence`Sampling noise makes both *sharper* by the Laplacian than real digits (${lap(gauss)}
      and ${lap(nb)} vs ${lap(real)}; blurred: ${lap(blur)}): a sharpness measure alone does not
      tell quality, which is why the course always reports it next to the Fréchet distance.`,
  ].join(" ");
}

// ---------------------------------------------------------------------------------------------
// Mode coverage: reference points on the 8-Gaussian ring

/**
 * PACGAN_SAMPLES points from each reference model of the ring: the mixture itself, a Gaussian per
 * mode fitted to the labelled `data` (sampled through y ~ p(y), x ~ p(x | y)), and one Gaussian
 * fitted to the whole ring.
 */
export function ringSamples(ring: Mixture, data: Toy2D): Record<string, Float32Array> {
  const labelled: LabeledRows = { x: data.x, dim: 2, y: data.labels };
  const oneClass = { ...labelled, y: new Int32Array(data.labels.length) };
  const fit = (d: LabeledRows, k: number) =>
    GaussianClassifier.fit(d, k, { covariance: "full", ridge: 1e-9 });
  const perMode = fit(labelled, ring.means.length);
  return {
    "true mixture": sampleMixture(ring, PACGAN_SAMPLES, new Rng(52)).x,
    "Gaussian per mode (generative, fitted)": perMode.sampleJoint(PACGAN_SAMPLES, new Rng(53)).x,
    "one Gaussian for the whole ring": fit(oneClass, 1).sampleJoint(PACGAN_SAMPLES, new Rng(54)).x,
  };
}

/** The mode-coverage table: one row per scored set, and PacGAN's published plain-GAN row. */
export function coverageRows(coverage: readonly (ModeCoverage & { name: string })[]): Row[] {
  const gan = PACGAN_TABLE1.ring8.GAN;
  const row = (samples: string, modes: number, hq: number, rkl: number): Row => ({
    samples,
    "modes captured (of 8)": modes,
    "high-quality fraction": hq,
    "reverse KL": rkl,
  });
  return [
    ...coverage.map((c) => row(c.name, c.modesCaptured, c.hqFraction, c.reverseKl)),
    row("PacGAN Table 1: plain GAN (10 trials, published)", gan.modes, gan.hq, gan.rkl),
  ];
}

// ---------------------------------------------------------------------------------------------
// Section 5: outlier scores and their ROC AUCs

/** An outlier score: one number per image (n x 784 rows), higher = more likely an outlier. */
export type Scorer = (x: Float32Array) => ArrayLike<number>;

/** Scores by scorer name, for one set of images. */
export type Scores = Record<string, ArrayLike<number>>;

/** Minus the largest entry of each row of an n x k matrix (minus a classifier's confidence). */
export function negMaxRows(p: Float32Array, k: number): number[] {
  return Array.from({ length: p.length / k }, (_, i) => -Math.max(...p.subarray(i * k, i * k + k)));
}

/** Every scorer's scores of the images `x`, in the scorers' order. */
export function scoreAll(scorers: Record<string, Scorer>, x: Float32Array): Scores {
  return Object.fromEntries(Object.entries(scorers).map(([s, f]) => [s, f(x)]));
}

/** scoreAll for each named set of outliers, in the sets' order. */
export function scoreOutliers(
  scorers: Record<string, Scorer>,
  sets: Record<string, Float32Array>,
): Record<string, Scores> {
  return Object.fromEntries(Object.entries(sets).map(([o, x]) => [o, scoreAll(scorers, x)]));
}

/** One row per set of outliers: the ROC AUC of each scorer against the inliers. */
export function aucRows(
  outliers: Record<string, Scores>,
  inliers: Scores,
): Record<string, number | string>[] {
  return Object.entries(outliers).map(([o, scores]) => ({
    outliers: o,
    ...Object.fromEntries(Object.keys(inliers).map((s) => [s, rocAuc(scores[s], inliers[s])])),
  }));
}

/** The AUC of scorer `s` on outliers `o`. */
export type AucLookup = (o: string, s: string) => number;

/** A lookup of the AUC table by set of outliers and scorer. */
export function aucLookup(rows: readonly Record<string, number | string>[]): AucLookup {
  return (o, s) => rows.find((r) => r.outliers === o)![s] as number;
}

/** The ROC curve of scorer `s` for each set of outliers, its AUC in the legend. */
export function rocFigure(
  outliers: Record<string, Scores>,
  inliers: Scores,
  s: string,
  auc: AucLookup,
): Figure {
  return lineChart(
    Object.entries(outliers).map(([o, scores]) => {
      const { fpr, tpr } = rocCurve(scores[s], inliers[s]);
      return { name: `${o} (AUC ${auc(o, s).toFixed(3)})`, x: fpr, y: tpr };
    }),
    {
      title: "ROC curves of -log p(x) under the per-class Gaussian model",
      xTitle: "false positive rate (MNIST flagged)",
      yTitle: "true positive rate (outliers flagged)",
    },
  );
}

/**
 * The paragraph under the AUC table; `scorers`: the Gaussian density, naive Bayes and the MLP's
 * confidence, in this order.
 */
export function outlierText(auc: AucLookup, sets: readonly string[], scorers: string[]): string {
  const [g, nb, msp] = scorers;
  const list = (s: string, bold = false) =>
    sets.map((o) => (bold ? `${o} **${auc(o, s).toFixed(3)}**` : `${o} ${auc(o, s).toFixed(3)}`));
  const worst = sets.reduce((a, b) => (auc(b, g) < auc(a, g) ? b : a));
  const wrong =
    auc("uniform noise", msp) < 0.9
      ? ": a discriminative model can be confidently wrong far from its data, where it never " +
        "had to decide anything"
      : "";
  return (
    sentence`By $-\\log p(x)$ of the per-class Gaussian, the AUCs are ${list(g, true).join(", ")};
      naive Bayes gives ${list(nb).join(", ")}. The hardest case for the Gaussian density is
      *${worst}*. The MLP's confidence, which is not a density, gives ${list(msp).join(", ")}` +
    `${wrong}.`
  );
}

// ---------------------------------------------------------------------------------------------
// Verdict on A1

/** The numbers the A1 verdict quotes; `gaussAuc`: the per-class Gaussian's AUC by outlier set. */
export function a1Numbers(
  bestGen: AccuracyRow,
  bestDisc: AccuracyRow,
  recognised: number,
  gaussAuc: Record<string, number>,
  cross: NgJordan["cross"],
): Record<string, number> {
  return {
    bestGenerativeAcc: bestGen.acc,
    bestDiscriminativeAcc: bestDisc.acc,
    sampleRecognised: recognised,
    aucFashion: gaussAuc["Fashion-MNIST"],
    aucNoise: gaussAuc["uniform noise"],
    aucRotated: gaussAuc["MNIST rotated 90°"],
    ...(cross ? { crossoverExamples: cross.size } : {}),
  };
}

/** One scorer's column of the AUC table: AUC by set of outliers. */
export function aucColumn(
  rows: readonly Record<string, number | string>[],
  s: string,
): Record<string, number> {
  return Object.fromEntries(rows.map((r) => [r.outliers as string, r[s] as number]));
}

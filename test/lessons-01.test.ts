import { test } from "node:test";
import * as assert from "node:assert/strict";
import { pct } from "../lib/display/format";
import { grid2d } from "../lib/display/grid";
import type { CurvePoint } from "../lib/eval/learning-curve";
import type { ModeCoverage } from "../lib/eval/modes";
import { History } from "../lib/training/train";
import type { Dataset, ImageSet } from "../lib/data/mnist";
import { classOneColumn, datasetCountRows, posteriorHeatmap } from "../lib/lessons/00_tour";
import {
  a1Numbers,
  accuracyTable,
  logregSteps,
  aucColumn,
  aucLookup,
  aucRows,
  bestOf,
  coverageRows,
  curveClause,
  curveMetrics,
  learningCurveRows,
  learningCurveText,
  metricKey,
  moonAccuracyRows,
  negMaxRows,
  ngJordan,
  outlierText,
  ridgeRows,
  sampleMetrics,
  sampleQualityText,
  samplesByClass,
  scoreAll,
  scoreOutliers,
  sizeToAsymptote,
  stackRows,
  type AccuracyRow,
  type SampleRow,
} from "../lib/lessons/01_generative_vs_discriminative";

const point = (size: number, mean: number, std = 0): CurvePoint => ({
  size,
  mean,
  std,
  min: mean,
  max: mean,
  values: [mean],
});
const curve = (sizes: number[], means: number[]) => sizes.map((s, i) => point(s, means[i]));

function imageSet(labels: number[], classNames: string[]): ImageSet {
  return {
    name: "t",
    split: "train",
    n: labels.length,
    height: 1,
    width: 1,
    pixels: new Uint8Array(labels.length),
    labels: Uint8Array.from(labels),
    classNames,
  };
}

test("lesson 00: dataset counts side by side and the class-1 posterior map", () => {
  const ds = (train: number[], test: number[], names: string[]): Dataset => ({
    name: "d",
    source: "s",
    split: "official",
    train: imageSet(train, names),
    test: imageSet(test, names),
  });
  const rows = datasetCountRows(ds([0, 1, 1], [1], ["0", "1"]), ds([1, 1, 1], [0], ["T", "S"]));
  assert.deepEqual(rows[1], {
    class: "1",
    "MNIST train": 2,
    "MNIST test": 1,
    "Fashion class": "S",
    "Fashion train": 3,
    "Fashion test": 0,
  });
  assert.deepEqual(classOneColumn([0.9, 0.1, 0.25, 0.75]), [0.1, 0.75]);
  const g = grid2d({ x: [0, 1], y: [0, 1] }, 2, 2);
  const h = posteriorHeatmap(g, [1, 0, 0, 1, 0.5, 0.5, 0.2, 0.8], [0, 0], "t");
  assert.deepEqual(h.z, [0, 1, 0.5, 0.8]);
  assert.equal(h.zmax, 1);
  assert.equal(h.colorscale, "RdBu");
});

test("lesson 01: keys, best models and the accuracy of two-class models", () => {
  assert.equal(metricKey("MLP 784-256-10"), "MLP_784_256_10");
  assert.equal(metricKey("Gaussian, per-class cov. (QDA)"), "Gaussian_per_class_cov_QDA_");
  const rows: AccuracyRow[] = [
    { model: "a", kind: "generative", acc: 0.8 },
    { model: "b", kind: "generative", acc: 0.85 },
    { model: "c", kind: "discriminative", acc: 0.9 },
    { model: "evaluation classifier", kind: "discriminative", acc: 0.99 },
  ];
  assert.equal(bestOf(rows, "generative").model, "b");
  assert.equal(bestOf(rows, "discriminative").model, "c");
  const always1 = { name: "one", kind: "generative" as const, proba: () => [0.2, 0.8, 0.4, 0.6] };
  const test = { x: new Float32Array(4), dim: 2, y: [1, 0] };
  assert.deepEqual(moonAccuracyRows([always1], test), [
    { model: "one", kind: "generative", "test accuracy": 0.5 },
  ]);
  const h = new History();
  h.push({ step: 1, seconds: 0, val_acc_full: 0.9, ridge: 0.03 });
  h.push({ step: 2, seconds: 0, val_acc_shared: 0.8, ridge: 0.03 });
  assert.deepEqual(ridgeRows(h)[1], {
    ridge: 0.03,
    "validation accuracy, per-class cov.": null,
    "validation accuracy, shared cov.": 0.8,
  });
});

/** The learning-curve paragraph as notebook 01 wrote it inline before it moved to the lesson. */
function originalCurveText(nbCurve: CurvePoint[], lrCurve: CurvePoint[]): string {
  const r = ngJordan({ nb: nbCurve, lr: lrCurve });
  const { cross, nbNear, lrNear } = r;
  return (
    (cross
      ? `Naive Bayes leads at the smallest size (${nbCurve[0].size} examples: ${pct(nbCurve[0].mean)} vs ${pct(lrCurve[0].mean)}); logistic regression overtakes it between **${cross.below} and ${cross.above}** examples (about **${Math.round(cross.size)}**, interpolated in log size) and ends ahead at ${lrCurve.at(-1)!.size}: ${pct(lrCurve.at(-1)!.mean)} vs ${pct(nbCurve.at(-1)!.mean)}. `
      : `**No crossover in this run**: logistic regression is ${lrCurve.every((p, i) => p.mean >= nbCurve[i].mean) ? "ahead at every size" : "not behind at the end"}, from ${pct(lrCurve[0].mean)} vs ${pct(nbCurve[0].mean)} at ${nbCurve[0].size} examples to ${pct(lrCurve.at(-1)!.mean)} vs ${pct(nbCurve.at(-1)!.mean)} at ${nbCurve.at(-1)!.size}. `) +
    `The other half of Ng & Jordan's result does show: naive Bayes is within 2 points of its final accuracy from **${nbNear}** examples on, logistic regression only from **${lrNear}**. ` +
    `The generative model converges faster${cross ? "" : ", but to an asymptote so much lower (its pixels-are-independent assumption is badly wrong for digits) that it never gets ahead"}.`
  );
}

test("lesson 01: the learning curves read off, in both cases, as the notebook printed them", () => {
  const sizes = [10, 100, 1000];
  const nbC = curve(sizes, [0.5, 0.7, 0.71]);
  const crossing = curve(sizes, [0.3, 0.6, 0.9]);
  const behind = curve(sizes, [0.55, 0.65, 0.7]);
  assert.equal(sizeToAsymptote(nbC), 100);
  assert.equal(sizeToAsymptote(crossing), 1000);
  const r = ngJordan({ nb: nbC, lr: crossing });
  assert.equal(r.cross!.below, 100);
  assert.equal(r.cross!.above, 1000);
  // diff -0.1 at 100, +0.19 at 1000: t = 0.1 / 0.29 of the way in log size.
  assert.ok(Math.abs(r.cross!.size - Math.exp(Math.log(100) + (0.1 / 0.29) * Math.log(10))) < 1e-9);
  assert.equal(learningCurveText(r), originalCurveText(nbC, crossing));
  const none = ngJordan({ nb: nbC, lr: behind });
  assert.equal(none.cross, null);
  assert.equal(learningCurveText(none), originalCurveText(nbC, behind));
  const ahead = curve(sizes, [0.6, 0.8, 0.9]);
  assert.match(learningCurveText(ngJordan({ nb: nbC, lr: ahead })), /is ahead at every size, from/);
  assert.equal(
    curveClause(r),
    `Learning curve: naive Bayes ahead up to ~${Math.round(r.cross!.size)} examples, logistic regression ahead after (Ng & Jordan).`,
  );
  assert.equal(
    curveClause(none),
    "Learning curve: no crossover, logistic regression ahead at every size; naive Bayes nears its (lower) asymptote sooner (100 vs 1000 examples to within 2 points).",
  );
  assert.deepEqual(curveMetrics(none), {
    lc_sizes: sizes,
    lc_naive_bayes_mean: [0.5, 0.7, 0.71],
    lc_logreg_mean: [0.55, 0.65, 0.7],
  });
  assert.equal(curveMetrics(r).lc_crossover_examples, r.cross!.size);
  const table = learningCurveRows({ a: curve([1], [0.5]), b: [point(1, 0.25, 0.1)] });
  assert.deepEqual(table, [{ "training examples": 1, a: 0.5, "a std": 0, b: 0.25, "b std": 0.1 }]);
});

test("lesson 01: samples laid out one per class in each row, clipped; rows stacked", () => {
  // class c's k-th sample: every pixel (c + 10 k) / 10 - 0.5, so that clipping shows at both ends.
  const draw = (c: number, n: number) => {
    const out = new Float32Array(n * 784);
    for (let k = 0; k < n; k++) out.fill((c + 10 * k) / 10 - 0.5, k * 784, (k + 1) * 784);
    return out;
  };
  const s = samplesByClass(2, draw);
  const at = (row: number, c: number) => s[(row * 10 + c) * 784 + 783];
  assert.equal(s.length, 20 * 784);
  assert.equal(at(0, 0), 0); // -0.5, clipped
  assert.ok(Math.abs(at(0, 7) - 0.2) < 1e-6);
  assert.ok(Math.abs(at(1, 3) - 0.8) < 1e-6);
  assert.equal(at(1, 9), 1); // 1.4, clipped
  assert.deepEqual(Array.from(stackRows([[1, 2], new Float64Array([3, 4])])), [1, 2, 3, 4]);
  assert.equal(stackRows([]).length, 0);
});

const sampleRow = (set: string, rec: number, fd: number, lap: number): SampleRow => ({
  set,
  n: 10,
  "recognised as their class": rec,
  "KL(class hist. || uniform)": 0.01,
  "Laplacian variance": lap,
  "gradient magnitude": 0.2,
  "Fréchet distance to test digits": fd,
});

test("lesson 01: the sample measures as recorded and as the paragraph quotes them", () => {
  const rows = [
    sampleRow("real", 0.99, 1.234, 0.05),
    sampleRow("blur", 0.9, 30, 0.01),
    sampleRow("gauss", 0.7, 101.26, 0.1234),
    sampleRow("nb", 0.6, 150.04, 0.2),
  ];
  assert.deepEqual(sampleMetrics(rows[2]), {
    recognised: 0.7,
    klUniform: 0.01,
    laplacianVar: 0.1234,
    gradMag: 0.2,
    frechet: 101.26,
  });
  assert.equal(
    sampleQualityText(rows),
    "The evaluation classifier recognises **70.0%** of the Gaussian samples and **60.0%** of the naive Bayes samples as the class they were drawn for (real digits: 99.0%). " +
      "Their Fréchet distances to the test digits, 101.3 and 150.0, are far above the real-vs-real floor of 1.23: recognisable, but not realistic. " +
      "Sampling noise makes both *sharper* by the Laplacian than real digits (0.123 and 0.200 vs 0.050; blurred: 0.010): a sharpness measure alone does not tell quality, which is why the course always reports it next to the Fréchet distance.",
  );
});

test("lesson 01: mode-coverage rows end with PacGAN's published GAN row", () => {
  const cov = { modesCaptured: 8, modes: 8, hqFraction: 0.9, reverseKl: 0.01 } as ModeCoverage;
  const rows = coverageRows([{ ...cov, name: "x" }]);
  assert.deepEqual(rows[0], {
    samples: "x",
    "modes captured (of 8)": 8,
    "high-quality fraction": 0.9,
    "reverse KL": 0.01,
  });
  assert.deepEqual(rows[1], {
    samples: "PacGAN Table 1: plain GAN (10 trials, published)",
    "modes captured (of 8)": 6.3,
    "high-quality fraction": 0.982,
    "reverse KL": 0.45,
  });
});

test("lesson 01: outlier scores, their AUC table and the paragraph", () => {
  assert.deepEqual(negMaxRows(new Float32Array([0.25, 0.75, 0.5, 0.5]), 2), [-0.75, -0.5]);
  const scorers = { id: (x: Float32Array) => x, neg: (x: Float32Array) => x.map((v) => -v) };
  const inliers = scoreAll(scorers, new Float32Array([0, 1]));
  assert.deepEqual(Object.keys(inliers), ["id", "neg"]);
  const outliers = scoreOutliers(scorers, { far: new Float32Array([5, 6]) });
  const rows = aucRows(outliers, inliers);
  // far scores above every inlier by "id" (AUC 1) and below every one by "neg" (AUC 0).
  assert.deepEqual(rows, [{ outliers: "far", id: 1, neg: 0 }]);
  assert.equal(aucLookup(rows)("far", "neg"), 0);
  assert.deepEqual(aucColumn(rows, "id"), { far: 1 });
  const table: Record<string, Record<string, number>> = {
    "Fashion-MNIST": { G: 0.95, NB: 0.9, M: 0.8 },
    "uniform noise": { G: 1, NB: 0.99, M: 0.5 },
    rotated: { G: 0.7, NB: 0.75, M: 0.6 },
  };
  const auc = (o: string, s: string) => table[o][s];
  const sets = Object.keys(table);
  const expected = (wrong: string) =>
    "By $-\\log p(x)$ of the per-class Gaussian, the AUCs are Fashion-MNIST **0.950**, uniform noise **1.000**, rotated **0.700**; " +
    "naive Bayes gives Fashion-MNIST 0.900, uniform noise 0.990, rotated 0.750. " +
    "The hardest case for the Gaussian density is *rotated*. The MLP's confidence, which is not a density, gives " +
    `Fashion-MNIST 0.800, uniform noise ${wrong}, rotated 0.600`;
  assert.equal(
    outlierText(auc, sets, ["G", "NB", "M"]),
    expected("0.500") +
      ": a discriminative model can be confidently wrong far from its data, where it never had to decide anything.",
  );
  table["uniform noise"].M = 0.95;
  assert.equal(outlierText(auc, sets, ["G", "NB", "M"]), expected("0.950") + ".");
});

test("lesson 01: the A1 verdict's numbers, with the crossover only when there is one", () => {
  const gen: AccuracyRow = { model: "g", kind: "generative", acc: 0.9 };
  const disc: AccuracyRow = { model: "d", kind: "discriminative", acc: 0.97 };
  const aucs = { "Fashion-MNIST": 0.95, "uniform noise": 1, "MNIST rotated 90°": 0.7 };
  const expected = {
    bestGenerativeAcc: 0.9,
    bestDiscriminativeAcc: 0.97,
    sampleRecognised: 0.6,
    aucFashion: 0.95,
    aucNoise: 1,
    aucRotated: 0.7,
  };
  assert.deepEqual(a1Numbers(gen, disc, 0.6, aucs, null), expected);
  assert.deepEqual(a1Numbers(gen, disc, 0.6, aucs, { size: 42, below: 30, above: 100 }), {
    ...expected,
    crossoverExamples: 42,
  });
  assert.deepEqual(Object.keys(a1Numbers(gen, disc, 0.6, aucs, null)), Object.keys(expected));
});

test("accuracyTable puts LeCun et al.'s published rows after ours, each row naming its source", () => {
  const ours = [{ model: "logistic regression", kind: "discriminative" as const, acc: 0.9243 }];
  const t = accuracyTable(ours);
  assert.deepEqual(t[0], {
    source: "this run",
    model: "logistic regression",
    kind: "discriminative",
    "test accuracy": 0.9243,
  });
  const lenet = t.find((r) => String(r.model).startsWith("LeNet-5"))!;
  assert.equal(lenet.source, "LeCun et al. 1998");
  assert.ok(Math.abs(Number(lenet["test accuracy"]) - 0.9905) < 1e-12);
  assert.equal(t.filter((r) => r.source === "LeCun et al. 1998").length, 5);
});

test("logregSteps: epochs of the subset in batches of 100, never fewer than the minimum", () => {
  assert.equal(logregSteps(54000, { epochs: 20, min: 200 }), 10800);
  assert.equal(logregSteps(10, { epochs: 20, min: 200 }), 200);
  assert.equal(logregSteps(1001, { epochs: 1, min: 5 }), 11);
});

/**
 * Notebook 02 (the variational autoencoder): the tables, figures and bookkeeping its cells show,
 * assembled from models/vae and the eval and display folders, so that each cell is a few lines.
 *
 *   §2 KL check        showKlCheck
 *   §2 gradients       gradientVariances, showGradientTable
 *   §4 bound tightness bounds1D, showBounds1D, iwaeGapChart
 *   §5 MNIST VAEs      showTrainingCurves, heldOutNll, showNllTable,
 *                      trainingBudget, storedNll, showPublishedComparison,
 *                      iwaePairRows, showIwaePair (A11: training the IWAE bound)
 *   §6-7 pictures      latentScatter, interpolationRows, posteriorDrawsFigure
 *   §8 B2              betaPanels, sampleScore, showPriorSampleTable
 *   §9 B10             latentSweep, sweepRows, showSweepTable, reconErrorChart, showReconDiffs,
 *                      b10Numbers
 *   §10 B7             sharpnessRows, showSharpnessTable
 *   §11 A6             outlierScores, showOutlierTable
 *   shared             keyed, meanPosteriorStd
 */
import { trainedOn } from "../data/mnist";
import type { FitResult } from "../training/weights";
import {
  VAE,
  encodeAll,
  interpolate,
  iwaeLogLik,
  klRows,
  reconError,
  reconstruct,
} from "../models/vae";
import { fitLessonVAE, type IwaePairModel } from "../models/mnist-zoo";
import type { EvalClassifier } from "../models/eval-classifier";
import { frechetDistance } from "../eval/frechet";
import { classHistogram, klFromUniform } from "../eval/classes";
import { sharpness } from "../eval/sharpness";
import { Rng } from "../runtime/random";
import { mean, sampleVariance } from "../runtime/stats";
import { lineChart, scatter2d, show, subplots, type Figure } from "../display/plot";
import { showTable, type Row } from "../display/table";
import { showDigits } from "./common";

const PIXELS = 784;

// ---------------------------------------------------------------------------------------------
// Shared bookkeeping

/** Named numbers for a results metric: keyed("k", [1, 10], [a, b]) -> { k1: a, k10: b }. */
export function keyed(
  prefix: string,
  keys: readonly (number | string)[],
  values: readonly number[],
): Record<string, number> {
  return Object.fromEntries(keys.map((k, i) => [`${prefix}${k}`, values[i]]));
}

/** Mean posterior standard deviation exp(logvar / 2) over all digits and latent axes. */
export function meanPosteriorStd(logvar: Float32Array): number {
  return mean(Array.from(logvar, (v) => Math.exp(0.5 * v)));
}

// ---------------------------------------------------------------------------------------------
// §2 · The ELBO, step by step

/** The closed-form KL against its Monte Carlo estimate as a table; returns |difference| / s.e. */
export function showKlCheck(kl: {
  closedForm: number;
  monteCarlo: number;
  standardError: number;
}): number {
  const z = Math.abs(kl.monteCarlo - kl.closedForm) / kl.standardError;
  const row = {
    "closed form": kl.closedForm,
    "Monte Carlo (200,000 draws)": kl.monteCarlo,
    "standard error": kl.standardError,
    "|difference| / s.e.": z,
  };
  showTable([row], { title: "KL(q || p), 4-D example", digits: 5 });
  return z;
}

/**
 * The gradient estimators' means and variances, and the score function's variance over the other's.
 */
export interface GradientVariances {
  reparam: { mean: number; variance: number };
  reinforce: { mean: number; variance: number };
  ratio: number;
}

/** Mean and variance of each estimator's draws (see gradientEstimators in models/vae). */
export function gradientVariances(ge: {
  reparam: Float64Array;
  reinforce: Float64Array;
}): GradientVariances {
  const reparam = sampleVariance(ge.reparam);
  const reinforce = sampleVariance(ge.reinforce);
  return { reparam, reinforce, ratio: reinforce.variance / reparam.variance };
}

/** The two gradient estimators side by side, n draws each. */
export function showGradientTable(g: GradientVariances, n: number): void {
  const row = (estimator: string, s: { mean: number; variance: number }) => ({
    estimator,
    mean: s.mean,
    variance: s.variance,
  });
  const title =
    `d/dmu E_q[log p(x|z)] for one test digit, ${n} draws; ` +
    `variance ratio ${g.ratio.toFixed(0)}x`;
  showTable(
    [row("reparameterisation", g.reparam), row("score function (REINFORCE)", g.reinforce)],
    {
      title,
      digits: 4,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// §4 · How tight is the bound?

/** Mean bounds of the 1-D-latent VAE over the test digits, and the gaps between them (nats). */
export interface Bounds1D {
  ks: number[];
  /** Mean IWAE_k bound for each k of `ks`. */
  iwae: number[];
  logpx: number;
  elbo: number;
  /** The best ELBO a Gaussian q fitted to each digit on its own reaches. */
  elboOptimal: number;
  /** log p(x) - ELBO = approximation + amortisation. */
  gap: number;
  approximation: number;
  amortisation: number;
  /** log p(x) - IWAE_k for the largest k. */
  lastGap: number;
}

/** Averages the per-digit exact bounds (exactBounds1D) and collects the IWAE means per k. */
export function bounds1D(
  exact: { logpx: ArrayLike<number>; elbo: ArrayLike<number>; elboOptimal: ArrayLike<number> },
  ks: number[],
  iwae: number[],
): Bounds1D {
  const logpx = mean(exact.logpx);
  const elbo = mean(exact.elbo);
  const elboOptimal = mean(exact.elboOptimal);
  return {
    ks,
    iwae,
    logpx,
    elbo,
    elboOptimal,
    gap: logpx - elbo,
    approximation: logpx - elboOptimal,
    amortisation: elboOptimal - elbo,
    lastGap: logpx - iwae[iwae.length - 1],
  };
}

/** Whether ELBO <= log p(x) (+ tol) for every digit. */
export function elboBelowLogpx(
  exact: { logpx: ArrayLike<number>; elbo: ArrayLike<number> },
  tol = 1e-6,
): boolean {
  return Array.from(exact.elbo).every((e, i) => e <= exact.logpx[i] + tol);
}

/** Whether a series never falls by more than `tol` from one value to the next. */
export function nonDecreasing(v: readonly number[], tol: number): boolean {
  return v.every((x, i) => i === 0 || x >= v[i - 1] - tol);
}

/** The bounds of the 1-D-latent VAE as a table, mean over n test digits. */
export function showBounds1D(b: Bounds1D, n: number): void {
  const rows = [
    { quantity: "log p(x), exact (quadrature)", nats: b.logpx },
    { quantity: "ELBO, exact", nats: b.elbo },
    { quantity: "best Gaussian q per digit, exact ELBO", nats: b.elboOptimal },
    ...b.ks.map((k, i) => ({ quantity: `IWAE bound, k = ${k} (Monte Carlo)`, nats: b.iwae[i] })),
  ];
  showTable(rows, { title: `1-D latent VAE, mean over ${n} test digits`, digits: 5 });
}

/** log p(x) - IWAE_k against k. */
export function iwaeGapChart(b: Bounds1D): Figure {
  const y = b.iwae.map((v) => b.logpx - v);
  return lineChart([{ name: "log p(x) - IWAE_k", x: b.ks, y }], {
    title: "The gap to the true log-likelihood shrinks as k grows",
    xTitle: "k (importance samples)",
    yTitle: "nats",
    logX: true,
    mode: "lines+markers",
  });
}

// ---------------------------------------------------------------------------------------------
// §5 · VAEs on MNIST

/** The training curves (-ELBO = recon + KL) of the fits that have a history, side by side. */
export function showTrainingCurves(fits: readonly { vae: VAE; fit: FitResult }[]): void {
  const curves = fits
    .filter((m) => m.fit.history)
    .map((m) =>
      lineChart(m.fit.history!.toColumns(), {
        columns: ["loss", "recon", "kl"],
        title: `${m.vae.name}: -ELBO = recon + KL (nats)`,
        xTitle: "step",
      }),
    );
  if (curves.length) show(subplots(curves, { cols: 2, title: "Training curves" }));
}

/** One held-out estimate of -log p(x): -IWAE_k, mean over the first n test digits. */
export interface NllEstimate {
  k: number;
  n: number;
  nats: number;
}

/**
 * -IWAE_k on the first n rows of x for each k (seed 100 + k), the largest k on the first nBig
 * rows only (it is the expensive one).
 */
export function heldOutNll(
  vae: VAE,
  x: Float32Array,
  ks: readonly number[],
  n: number,
  nBig: number,
): NllEstimate[] {
  const kMax = Math.max(...ks);
  return ks.map((k) => {
    const m = k === kMax ? nBig : n;
    const nats = -mean(iwaeLogLik(vae, x.subarray(0, m * PIXELS), k, new Rng(100 + k)));
    return { k, n: m, nats };
  });
}

/** The held-out estimates of the latent-20 VAE as a table. */
export function showNllTable(nll: readonly NllEstimate[]): void {
  const rows = nll.map((r) => ({
    estimate: r.k === 1 ? "-ELBO (k = 1)" : `-IWAE_${r.k}`,
    "test digits": r.n,
    nats: r.nats,
  }));
  const title = "vae-mnist-z20: held-out negative log-likelihood estimates (lower is better)";
  showTable(rows, { title, digits: 5 });
}

/** What a fit's training cost: steps, epochs over the digits it trained on, minutes, backend. */
export interface TrainingBudget {
  steps: number;
  epochs: number;
  minutes: number;
  backend: string;
  /** The training digits and their split, from the weights' metadata (trainedOn). */
  trainSize: number;
  split: string;
}

/** The training budget recorded with a fit (minutes NaN when it has no history). */
export function trainingBudget(fit: FitResult): TrainingBudget {
  const { n, split } = trainedOn(fit.meta);
  const steps = Number(fit.meta.budget.steps);
  const epochs = (steps * Number(fit.meta.budget.batchSize)) / n;
  const minutes = fit.history ? (fit.history.last()?.seconds ?? NaN) / 60 : NaN;
  return { steps, epochs, minutes, backend: fit.meta.backend, trainSize: n, split };
}

/**
 * Burda et al. 2015, Table 1 (MNIST, one stochastic layer of 50 units, 784-200-200 tanh, 3,280
 * epochs): -log p(x) by IWAE-5000 in nats, trained on the ELBO and on the IWAE bound (k = 5, 50).
 */
export const BURDA_2015 = { vae: 86.76, iwae5: 85.54, iwae50: 84.78 } as const;

/** An estimate of -log p(x) by IWAE-5000: its value and how many test digits it averages. */
export interface Nll5000 {
  nats: number;
  digits: number;
}

/**
 * The IWAE-5000 estimate stored with a fit's weights when it was trained (vaeNllMetrics of
 * lib/models/mnist-zoo.ts: all 10,000 test digits), or null for weights without it.
 */
export function storedNll(fit: FitResult): Nll5000 | null {
  const m = fit.meta.metrics ?? {};
  const nats = m.nllIwae5000;
  const digits = m.nllTestDigits;
  return Number.isFinite(nats) && Number.isFinite(digits) ? { nats, digits } : null;
}

/** "213 epochs (100000 steps of 128), 41.2 min on wasm" */
function budgetText(b: TrainingBudget): string {
  return (
    `${b.epochs.toFixed(0)} epochs (${b.steps} steps), ` +
    `${b.minutes.toFixed(1)} min (backend ${b.backend})`
  );
}

/** This run's IWAE-5000 estimate next to Burda et al.'s (2015, Table 1). */
export function showPublishedComparison(b: TrainingBudget, est: Nll5000): void {
  const rows = [
    {
      setup: "this run (vae-mnist-z20): 784-200-200-20 ReLU",
      data: `${b.trainSize} train (${b.split}) / first ${est.digits} official test digits`,
      training: budgetText(b),
      "-log p(x), IWAE-5000": est.nats,
    },
    {
      setup: "Burda et al. 2015, VAE: 784-200-200-50 tanh",
      data: "60,000 / 10,000 (official)",
      training: "3,280 epochs (GPU)",
      "-log p(x), IWAE-5000": BURDA_2015.vae,
    },
  ];
  showTable(rows, { title: "Ours vs published: same data and estimator, different budget" });
}

/** One model of the VAE / IWAE pair, as a table row. */
export type IwaePairRow = {
  model: string;
  "trained on": string;
  training: string;
  "-log p(x), IWAE-5000": number;
  "test digits": number;
  "active units": number;
};

/** The pair's run record (mnistIwaeRun of lib/models/mnist-zoo.ts) as table rows. */
export function iwaePairRows(models: readonly IwaePairModel[]): IwaePairRow[] {
  return models.map((m) => ({
    model: m.model,
    "trained on": m.k === 1 ? "ELBO (k = 1)" : `IWAE bound, k = ${m.k}`,
    training:
      `${((m.steps * m.batchSize) / m.trainDigits).toFixed(0)} epochs (${m.steps} steps), ` +
      `${(m.trainMinutes ?? NaN).toFixed(1)} min (backend ${m.weights.backend})`,
    "-log p(x), IWAE-5000": m.nllIwae5000,
    "test digits": m.testDigits,
    "active units": m.activeUnits,
  }));
}

/** The pair beside Burda et al.'s Table 1 (one stochastic layer, 50 latent units, tanh). */
export function showIwaePair(rows: readonly IwaePairRow[]): void {
  const published = [
    ["VAE, k = 1", BURDA_2015.vae],
    ["IWAE, k = 5", BURDA_2015.iwae5],
    ["IWAE, k = 50", BURDA_2015.iwae50],
  ] as const;
  const paper = published.map(([what, nats]) => ({
    model: `Burda et al. 2015: ${what}`,
    "trained on": what.startsWith("VAE") ? "ELBO (k = 1)" : `IWAE bound, ${what.slice(6)}`,
    training: "3,280 epochs (GPU), 784-200-200-50 tanh",
    "-log p(x), IWAE-5000": nats,
    "test digits": 10000,
    "active units": NaN,
  }));
  showTable([...rows, ...paper], { title: "Training the tighter bound: ours and published" });
}

// ---------------------------------------------------------------------------------------------
// §6-7 · Pictures and inference

/** Points of a 2-D latent (n x 2), coloured by label, equal axes. */
export function latentScatter(
  mu: Float32Array,
  labels: ArrayLike<number>,
  title: string,
  markerSize: number,
): Figure {
  return scatter2d(mu, { labels, title, markerSize, equalAspect: true, gl: true });
}

/**
 * `pairs` rows of `steps` decodes each: row i interpolates between the posterior means of rows
 * 3i and 3i + 1 of x.
 */
export function interpolationRows(
  vae: VAE,
  x: Float32Array,
  pairs: number,
  steps: number,
): Float32Array {
  const row = (i: number) => x.subarray(i * PIXELS, (i + 1) * PIXELS);
  const rows = Array.from({ length: pairs }, (_, i) =>
    Array.from(interpolate(vae, row(3 * i), row(3 * i + 1), steps)),
  );
  return new Float32Array(rows.flat());
}

/** Draws from q(z|x) of the picked test digits (posteriorSamples), one colour per digit. */
export function posteriorDrawsFigure(
  ps: { z: Float32Array; labels: Int32Array },
  picks: readonly number[],
  digitLabels: ArrayLike<number>,
): Figure {
  return scatter2d(ps.z, {
    labels: ps.labels,
    labelNames: picks.map((i) => `q(z|x) of test digit ${i} (a ${digitLabels[i]})`),
    title: "Posterior draws for six digits",
    markerSize: 3,
    equalAspect: true,
  });
}

// ---------------------------------------------------------------------------------------------
// §8 · The post's loss has no KL term (B2)

/** One panel of the beta comparison: a latent-2 VAE's posterior means and its aggregate KL. */
export interface BetaPanel {
  beta: number;
  mu: Float32Array;
  kl: number;
}

/** The posterior means of the test digits for each beta, side by side. */
export function betaPanels(labels: ArrayLike<number>, panels: readonly BetaPanel[]): Figure {
  const figs = panels.map((p) =>
    latentScatter(p.mu, labels, `beta = ${p.beta}: KL(q(z) || N(0,I)) = ${p.kl.toFixed(2)}`, 2),
  );
  const title = "Posterior means of the test digits, with and without the KL term";
  return subplots(figs, { cols: 2, title });
}

/** Frechet distance to real digits' features and class KL from uniform of a set of images. */
export interface SampleScore {
  fd: number;
  klu: number;
}

/** Scores images by the evaluation classifier against the real digits' features `realFeat`. */
export function sampleScore(
  ec: EvalClassifier,
  realFeat: Float32Array,
  imgs: Float32Array,
): SampleScore {
  return {
    fd: frechetDistance(ec.features(imgs), realFeat, ec.featureDim),
    klu: klFromUniform(classHistogram(ec.predict(imgs), 10)),
  };
}

/** The prior samples of the beta = 1 and beta = 0 VAEs (n each), scored, as a table. */
export function showPriorSampleTable(
  rows: readonly { model: string; kl: number; score: SampleScore }[],
  n: number,
  accuracy: number,
): void {
  const table = rows.map((r) => ({
    model: r.model,
    "KL(q(z) || N(0,I))": r.kl,
    "Frechet to real": r.score.fd,
    "class KL from uniform": r.score.klu,
  }));
  const title =
    `Prior samples (${n} each); evaluation classifier held-out accuracy ` +
    `${(100 * accuracy).toFixed(1)}%`;
  showTable(table, { title, digits: 4 });
}

// ---------------------------------------------------------------------------------------------
// §9 · What the Gaussian prior loses (B10)

/** A VAE of the latent-size sweep. */
export interface SweepModel {
  latent: number;
  vae: VAE;
}

/**
 * The latent-size sweep at one budget: the given VAEs where there is one (latent 2 is fitted),
 * otherwise fitLessonVAE "vae-sweep-z<L>" (4,000 steps, seed 200 + L), in the order of `sizes`.
 */
export async function latentSweep(
  data: Float32Array,
  sizes: readonly number[],
  fitted: Record<number, VAE>,
): Promise<SweepModel[]> {
  const sweep: SweepModel[] = [];
  for (const L of sizes) {
    const vae = fitted[L] ?? (await fitLessonVAE(data, `vae-sweep-z${L}`)).vae;
    sweep.push({ latent: L, vae });
  }
  return sweep;
}

/** One row of the sweep table. */
export interface SweepRow {
  latent: number;
  "recon error (nats)": number;
  "sharpness (Laplacian var)": number;
  "sharpness / real": number;
  "KL per digit (nats)": number;
}

/**
 * Reconstruction error, sharpness (also relative to `realSharp`) and KL of each sweep model on x.
 */
export function sweepRows(
  sweep: readonly SweepModel[],
  x: Float32Array,
  realSharp: number,
): SweepRow[] {
  return sweep.map(({ latent, vae }) => {
    const rec = reconstruct(vae, x);
    const e = encodeAll(vae, x);
    const sharp = sharpness(rec, 28, 28).laplacianVar;
    return {
      latent,
      "recon error (nats)": reconError(x, rec, PIXELS),
      "sharpness (Laplacian var)": sharp,
      "sharpness / real": sharp / realSharp,
      "KL per digit (nats)": mean(klRows(e.mu, e.logvar, latent)),
    };
  });
}

/** The sweep as a table, n test digits. */
export function showSweepTable(rows: readonly SweepRow[], n: number, realSharp: number): void {
  const title =
    `Test digits (${n}); real grey-level digits have Laplacian variance ` +
    `${realSharp.toFixed(4)}`;
  showTable(rows as unknown as Row[], { title, digits: 4 });
}

/** Reconstruction error against latent size. */
export function reconErrorChart(rows: readonly SweepRow[]): Figure {
  const series = {
    name: "recon error",
    x: rows.map((r) => r.latent),
    y: rows.map((r) => r["recon error (nats)"]),
  };
  return lineChart([series], {
    title: "Reconstruction error against latent size",
    xTitle: "latent size",
    yTitle: "nats per digit",
    logX: true,
    mode: "lines+markers",
  });
}

/** |a - b| pixel by pixel. */
export function absDiff(a: Float32Array, b: Float32Array): Float32Array {
  return a.map((v, i) => Math.abs(v - b[i]));
}

/** Rows: digits x; `small`'s mean decode and its |difference|; the same for `big`. */
export function showReconDiffs(x: Float32Array, small: VAE, big: VAE, cols: number): void {
  const rs = reconstruct(small, x);
  const rb = reconstruct(big, x);
  const title =
    `Rows: test digits; latent ${small.latent} reconstruction; |difference|; ` +
    `latent ${big.latent} reconstruction; |difference|`;
  const rows = [...x, ...rs, ...absDiff(x, rs), ...rb, ...absDiff(x, rb)];
  showDigits(new Float32Array(rows), cols, title);
}

/** B10's verdict numbers from the sweep's recon errors and sharpness ratios (first and last). */
export function b10Numbers(
  recs: readonly number[],
  ratios: readonly number[],
): { reconZ2: number; reconZ50: number; sharpRatioZ2: number; sharpRatioZ50: number } {
  return {
    reconZ2: recs[0],
    reconZ50: recs[recs.length - 1],
    sharpRatioZ2: ratios[0],
    sharpRatioZ50: ratios[ratios.length - 1],
  };
}

// ---------------------------------------------------------------------------------------------
// §10 · Sharpness and Frechet distance (B7)

/** One row of the B7 table. */
export interface SharpnessRow {
  images: string;
  "Laplacian variance": number;
  "mean gradient": number;
  "Frechet to real": number;
}

/** Sharpness and Frechet distance to the real digits' features of each named set of images. */
export function sharpnessRows(
  sets: Record<string, Float32Array>,
  ec: EvalClassifier,
  realFeat: Float32Array,
): SharpnessRow[] {
  return Object.entries(sets).map(([images, imgs]) => {
    const s = sharpness(imgs, 28, 28);
    return {
      images,
      "Laplacian variance": s.laplacianVar,
      "mean gradient": s.gradMag,
      "Frechet to real": frechetDistance(ec.features(imgs), realFeat, ec.featureDim),
    };
  });
}

/** The B7 table: n images each against nRef other real test digits. */
export function showSharpnessTable(rows: readonly SharpnessRow[], n: number, nRef: number): void {
  const title =
    `${n} images each, latent 20; Frechet distance to ${nRef} other real test digits ` +
    `(grey levels)`;
  showTable(rows as unknown as Row[], { title, digits: 4 });
}

/** One column of the B7 table keyed by image set, for a results metric. */
export function byImages(
  rows: readonly SharpnessRow[],
  column: "Laplacian variance" | "Frechet to real",
): Record<string, number> {
  return Object.fromEntries(rows.map((r) => [r.images, r[column]]));
}

// ---------------------------------------------------------------------------------------------
// §11 · A density flags outliers (A6)

/** The outlier score of each row of x: the IWAE-10 estimate of -log p(x), seeded. */
export function outlierScores(vae: VAE, x: Float32Array, seed: number): number[] {
  return Array.from(iwaeLogLik(vae, x, 10, new Rng(seed)), (v) => -v);
}

/** Mean score and ROC AUC of each outlier set against the in-distribution digits, n inputs each. */
export function showOutlierTable(
  inDist: readonly number[],
  outliers: Record<string, { scores: readonly number[]; auc: number }>,
  n: number,
): void {
  const rows: Row[] = Object.entries(outliers).map(([name, o]) => ({
    outliers: name,
    "mean -log p(x)": mean(o.scores),
    "ROC AUC": o.auc,
  }));
  rows.push({ outliers: "(MNIST test digits)", "mean -log p(x)": mean(inDist), "ROC AUC": null });
  const title = `VAE (latent 20) -log p(x) as an outlier score, ${n} inputs each`;
  showTable(rows, { title, digits: 4 });
}

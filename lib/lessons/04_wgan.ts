/**
 * Notebook 04 (the Wasserstein GAN): the tables, figures and bookkeeping its cells show, so that a
 * cell is the experiment's few lines. Sections: the parallel lines (1), the critics' slopes (2), an
 * optimal critic against a fixed generator (3), GAN, WGAN and WGAN-GP on PacGAN's toys and the
 * authors' wide networks on the grid (4), how the loss curve tracks sample quality (5), MNIST (6)
 * and the verdicts' numbers (7).
 */
import { fitAll, runOf, type TypedRun } from "../training/parallel";
import {
  GAN,
  TOY_GAN_CONFIG,
  fitToyGAN,
  generateSamples,
  mixtureSampler,
  scoreToy,
  type FitGANResult,
  type GANSnapshot,
  type Sampler,
  type VanishingRow,
} from "../models/gan";
import {
  criticGradNorms,
  criticGradients,
  fitToyWGAN,
  trackingCorrelation,
  wganToySnapshots,
  type CriticGradientRow,
  type ParallelLinesRow,
  type WideGridRun,
  type WideGridSeed,
} from "../models/wgan";
import { coverageSummary, type CoverageSummary, type ModeCoverage } from "../eval/modes";
import { coverageRow, pacganRow, type QualityRow } from "./common";
import { ring8, type Mixture } from "../data/toys";
import { Rng } from "../runtime/random";
import { endOverStart, maxAbs, mean, median } from "../runtime/stats";
import type { Results } from "../claims/results";
import type { FitResult } from "../training/weights";
import type { History, HistoryRow } from "../training/train";
import {
  animation,
  heatmap2d,
  lineChart,
  scatter2d,
  show,
  showImageGrid,
  subplots,
  type Figure,
} from "../display/plot";
import { showTable, type Row } from "../display/table";
import { pct, pm } from "../display/format";

// ---------------------------------------------------------------------------------------------
// 1 · The parallel lines

/** JS and W1 against θ: closed forms next to the estimates from samples and the critic's. */
export function parallelLinesFigure(lines: readonly ParallelLinesRow[]): Figure {
  const x = lines.map((r) => r.theta);
  const js = lineChart(
    [
      { name: "JS, closed form", x, y: lines.map((r) => r.jsExact) },
      { name: "JS, histograms of samples", x, y: lines.map((r) => r.jsSamples) },
    ],
    { title: "Jensen-Shannon (nats)", xTitle: "θ", mode: "lines+markers" },
  );
  const w1 = lineChart(
    [
      { name: "W1, closed form |θ|", x, y: lines.map((r) => r.w1Exact) },
      { name: "W1 between the samples", x, y: lines.map((r) => r.w1Samples) },
      { name: "critic's estimate", x, y: lines.map((r) => r.w1Critic ?? NaN) },
    ],
    { title: "Wasserstein-1", xTitle: "θ", mode: "lines+markers" },
  );
  const title = "Parallel lines: JS is flat at log 2, W1 grows with the distance";
  return subplots([js, w1], { cols: 2, title });
}

/** One table row per θ: JS, KL and W1, exact and estimated. */
export function parallelLinesRows(lines: readonly ParallelLinesRow[]): Row[] {
  return lines.map((r) => ({
    θ: r.theta,
    "JS exact": r.jsExact,
    "JS samples": r.jsSamples,
    "KL exact": String(r.klExact),
    "KL samples": String(r.klSamples),
    "W1 exact": r.w1Exact,
    "W1 samples": r.w1Samples,
    "W1 critic": r.w1Critic,
  }));
}

/** Section 1's figure and table. */
export function showParallelLines(lines: readonly ParallelLinesRow[]): void {
  show(parallelLinesFigure(lines));
  showTable(parallelLinesRows(lines), { digits: 4 });
}

/** How far the estimates are from the closed forms, as the checks of A4 read them. */
export interface ParallelLinesErrors {
  /** max over θ ≠ 0 of |JS from samples - log 2|. */
  js: number;
  /** max over θ of |W1 between the samples - |θ||. */
  w1: number;
  /** max over θ of |critic's estimate - |θ|| (NaN when a θ had no critic). */
  critic: number;
  /** Whether KL from samples is infinite at every θ ≠ 0. */
  klInfinite: boolean;
}

/** The errors of section 1's estimates (see ParallelLinesErrors). */
export function parallelLinesErrors(lines: readonly ParallelLinesRow[]): ParallelLinesErrors {
  const off = lines.filter((r) => r.theta !== 0);
  return {
    js: maxAbs(off.map((r) => r.jsSamples - Math.log(2))),
    w1: maxAbs(lines.map((r) => r.w1Samples - r.w1Exact)),
    critic: maxAbs(lines.map((r) => (r.w1Critic ?? NaN) - r.w1Exact)),
    klInfinite: off.every((r) => r.klSamples === Infinity),
  };
}

// ---------------------------------------------------------------------------------------------
// 2 · The critic's slope

/** The upper of the two middle values (the middle one for an odd count) of a sorted copy. */
export function upperMedian(a: Float32Array): number {
  const s = Float32Array.from(a).sort();
  return s[Math.floor(s.length / 2)];
}

/** Median and largest |∇f| of a critic at points between real and generated samples. */
export interface CriticSlope {
  median: number;
  max: number;
}

/** |∇f| of a ring critic at 2,000 points between ring data (seed 42) and G's samples (seed 43). */
export function criticSlope(gan: GAN): CriticSlope {
  const norms = criticGradNorms(gan, mixtureSampler(ring8(), new Rng(42)), 2000, new Rng(43));
  return { median: upperMedian(norms), max: Math.max(...norms) };
}

/** Section 2's table: the clipped critic's slope against the gradient-penalty critic's. */
export function showCriticSlopes(clip: CriticSlope, gp: CriticSlope): void {
  const row = (critic: string, s: CriticSlope) => ({
    critic,
    "median |∇f|": s.median,
    "max |∇f|": s.max,
  });
  const title =
    "Gradient norm of the trained ring critics at 2,000 points between real and generated " +
    "samples";
  showTable([row("WGAN, clipping c = 0.01", clip), row("WGAN-GP", gp)], { title, digits: 4 });
}

// ---------------------------------------------------------------------------------------------
// 3 · An optimal critic against a fixed generator

/** Section 3's two critics and their constraint: gradient penalty λ = 10, clipping c = 0.01. */
export const B5_CRITICS = {
  "gradient penalty": { lambda: 10 },
  clipping: { clip: 0.01 },
} as const;

/** Training options of a critic against the fixed generator (the run's label is added). */
export type B5Options = Omit<Parameters<typeof criticGradients>[2], "label">;

/**
 * Notebook 03's fixed generator (TOY_GAN_CONFIG, seed 51), named `name`, and ring data (seed 52).
 */
export function fixedShiftedG(name: string): { gan: GAN; real: Sampler } {
  return {
    gan: new GAN(name, TOY_GAN_CONFIG, new Rng(51)),
    real: mixtureSampler(ring8(), new Rng(52)),
  };
}

/** Trains critic `name` (options `o`, with its constraint) against the fixed generator. */
export async function criticVsFixedG(name: string, o: B5Options): Promise<CriticGradientRow[]> {
  const fixed = fixedShiftedG(`b5w-${name.slice(0, 4)}`);
  return criticGradients(fixed.gan, fixed.real, { ...o, label: `critic (${name}) vs fixed G` });
}

/** G's gradient norm and the critic's W1 estimate against the critic's steps, one line a critic. */
export function showCriticGradients(critics: Record<string, CriticGradientRow[]>): void {
  const curves = (y: (r: CriticGradientRow) => number) =>
    Object.entries(critics).map(([k, rows]) => ({
      name: k,
      x: rows.map((r) => r.step),
      y: rows.map(y),
    }));
  const grad = lineChart(
    curves((r) => r.wgan),
    {
      title: "|grad_θ| of G's loss -E f(G(z))",
      xTitle: "critic steps",
      logY: true,
    },
  );
  const w1 = lineChart(
    curves((r) => r.w1),
    { title: "critic's W1 estimate", xTitle: "critic steps" },
  );
  const title = "Disjoint supports: the critic trains, the generator's gradient stays";
  show(subplots([grad, w1], { cols: 2, title }));
}

/**
 * How much G's gradient changed over the training of each critic and of the GAN's discriminator.
 */
export interface B5Ratios {
  /** end / start of G's WGAN gradient, gradient-penalty critic and clipped critic. */
  gp: number;
  clip: number;
  /** end / start of the GAN's saturating and non-saturating generator gradients. */
  ganSat: number;
  ganNonSat: number;
}

/** The end-over-start ratios of section 3 (B5Ratios). */
export function b5Ratios(
  critics: Record<string, CriticGradientRow[]>,
  gan: VanishingRow[],
): B5Ratios {
  return {
    gp: endOverStart(critics["gradient penalty"].map((r) => r.wgan)),
    clip: endOverStart(critics["clipping"].map((r) => r.wgan)),
    ganSat: endOverStart(gan.map((r) => r.saturating)),
    ganNonSat: endOverStart(gan.map((r) => r.nonsaturating)),
  };
}

/** The B5 verdict's numbers, under the names the results JSON keeps. */
export function b5Numbers(r: B5Ratios): Record<string, number> {
  return {
    gpRatio: r.gp,
    clipRatio: r.clip,
    ganSaturatingRatio: r.ganSat,
    ganNonSaturatingRatio: r.ganNonSat,
  };
}

/** The metric b5_wgan_grad_ratio: both critics' ratios and the penalty critic's final W1. */
export function b5Metric(
  critics: Record<string, CriticGradientRow[]>,
  r: B5Ratios,
): Record<string, number> {
  const gp = critics["gradient penalty"];
  return { gradientPenalty: r.gp, clipping: r.clip, gpW1End: gp[gp.length - 1].w1 };
}

/** Section 3's table: G's gradient, end over start, for both critics and both GAN losses. */
export function showB5Table(
  critics: Record<string, CriticGradientRow[]>,
  gan: VanishingRow[],
): void {
  const r = b5Ratios(critics, gan);
  const ganRow = (loss: string, ratio: number) => ({
    loss,
    "|grad| end / start": ratio,
    "W1 estimate at the end": null,
  });
  const rows = [
    ...Object.entries(critics).map(([k, rows]) => ({
      loss: `WGAN, critic with ${k}`,
      "|grad| end / start": endOverStart(rows.map((x) => x.wgan)),
      "W1 estimate at the end": rows[rows.length - 1].w1,
    })),
    ganRow("GAN, saturating log(1 - D(G(z)))", r.ganSat),
    ganRow("GAN, non-saturating -log D(G(z))", r.ganNonSat),
  ];
  const title =
    "Generator gradient after the discriminator/critic trained against a fixed G on disjoint " +
    "supports (all in this run)";
  showTable(rows, { title, digits: 4 });
}

// ---------------------------------------------------------------------------------------------
// 4 · GAN, WGAN and WGAN-GP on the toys

/** One toy model: the fit, its mixture, its PacGAN score (scoreToy) and its seed. */
export type ToyRun = FitGANResult & { mix: Mixture; cov: ModeCoverage; seed: number };

/** The toy runs by family ("GAN", "WGAN (clipping)", "WGAN-GP"), then data set, then seed. */
export type ToyRuns = Record<string, Record<string, ToyRun[]>>;

/** No line per loaded model: the cell prints one summary line (fitSources) instead. */
const quietLoad = { quietLoad: true };

/** How section 4 fits each family: notebook 03's GAN, the clipped WGAN, WGAN-GP. */
const TOY_RUNS: Record<string, (d: string, s: number) => TypedRun<ToyFitResult>> = {
  GAN: (d, s) => runOf("lib/models/gan", fitToyGAN, [d, s, quietLoad]),
  "WGAN (clipping)": (d, s) => runOf("lib/models/wgan", fitToyWGAN, ["clip", d, s, quietLoad]),
  "WGAN-GP": (d, s) => runOf("lib/models/wgan", fitToyWGAN, ["gp", d, s, quietLoad]),
};
type ToyFitResult = Awaited<ReturnType<typeof fitToyGAN>>;

/**
 * Loads (or trains: on every core, lib/training/parallel.ts) every family on every data set and
 * seed, in that order, and scores each.
 */
export async function fitToyFamilies(
  seeds: readonly number[],
  data: readonly string[],
): Promise<ToyRuns> {
  const runs = Object.entries(TOY_RUNS).flatMap(([fam, run]) =>
    data.flatMap((d) => seeds.map((s) => ({ fam, d, s, spec: run(d, s) }))),
  );
  const label = `${runs.length} toy GANs and WGANs`;
  const fits = await fitAll(
    runs.map((r) => r.spec),
    { label },
  );
  const toy: ToyRuns = {};
  runs.forEach(({ fam, d, s }, i) => {
    const r = fits[i];
    ((toy[fam] ??= {})[d] ??= []).push({ ...r, cov: scoreToy(r.gan, r.mix, s), seed: s });
  });
  return toy;
}

/** Every run's fit, family by family, data set by data set (for fitSources). */
export function allFits(toy: ToyRuns): FitResult[] {
  return Object.values(toy).flatMap((byData) =>
    Object.values(byData).flatMap((runs) => runs.map((r) => r.fit)),
  );
}

/** The mode-coverage table: our three families, then PacGAN's GAN and PacGAN4, per data set. */
export function coverageTableRows(toy: ToyRuns, data: readonly ("ring8" | "grid25")[]): Row[] {
  return data.flatMap((d) => [
    ...Object.entries(toy).map(([fam, byData]) => ({
      data: d,
      model: `${fam} (ours, ${byData[d].length} seeds)`,
      ...coverageRow(byData[d].map((r) => r.cov)),
    })),
    ...(["GAN", "PacGAN4"] as const).map((k) => ({
      data: d,
      model: `${k} (PacGAN Table 1, 10 trials)`,
      ...pacganRow(d, k),
    })),
  ]);
}

/** Section 4's coverage table. */
export function showCoverage(toy: ToyRuns, data: readonly ("ring8" | "grid25")[]): void {
  const title =
    "Mode coverage: GAN vs WGAN vs WGAN-GP (ours: one setup; PacGAN's: their setup, see " +
    "notebook 03)";
  showTable(coverageTableRows(toy, data), { title });
}

/** The slider: the WGAN-GP critic f(x) on the ring (colour) and G's samples over training. */
export function showRingCritic(snaps: readonly GANSnapshot[]): void {
  if (!snaps.length) return;
  const grid = wganToySnapshots("ring8").grid!;
  const frame = (s: GANSnapshot) =>
    heatmap2d({
      x: grid.xs,
      y: grid.ys,
      z: s.d!,
      samples: s.samples,
      samplesName: "G(z)",
      zTitle: "f(x)",
    });
  const range = [-1.6, 1.6];
  const layout = { xaxis: { range }, yaxis: { range, scaleanchor: "x" }, height: 560 };
  show(
    animation(
      snaps.map((s) => ({ name: String(s.step), data: frame(s).data })),
      {
        title: "WGAN-GP on the ring: critic f(x) (colour) and G(z) (points) over training",
        fixedAxes: false,
        layout,
      },
    ),
  );
}

/** 1,500 samples (noise seed 44) of seed 0 of each family on each data set. */
export function showSeedZeroSamples(toy: ToyRuns, data: readonly string[]): void {
  const panels = data.flatMap((d) =>
    Object.entries(toy).map(([fam, byData]) =>
      scatter2d(generateSamples(byData[d][0].gan, 1500, new Rng(44)), {
        title: `${fam}, ${d}, seed 0`,
        markerSize: 2,
        equalAspect: true,
      }),
    ),
  );
  show(subplots(panels, { cols: 3, rowHeight: 300, title: "Samples of seed 0 of each model" }));
}

/** Mode coverage of family `fam` on data set `d`, over its seeds. */
export function coverageOf(toy: ToyRuns, fam: string, d: string): CoverageSummary {
  return coverageSummary(toy[fam][d].map((r) => r.cov));
}

/**
 * Records metric modes_<family>_<data> (mean modes, spread, HQ, reverse KL) for every toy setup.
 */
export function recordToyModes(results: Results, toy: ToyRuns, data: readonly string[]): void {
  for (const [fam, byData] of Object.entries(toy))
    for (const d of data) {
      const c = coverageOf(toy, fam, d);
      results.metric(`modes_${fam.replace(/[^A-Za-z]+/g, "_")}_${d}`, {
        modesMean: c.modesMean,
        modesSd: c.modesSd,
        hq: c.hqMean,
        rkl: c.rklMean,
        allModes: c.allModes,
        runs: byData[d].length,
      });
    }
}

// ---------------------------------------------------------------------------------------------
// 4 · The authors' 512-unit networks on the grid

/** Mean of the last 10 values (all of them when fewer): a count that flickers, smoothed. */
export function lastRowsMean(values: readonly number[]): number {
  return mean(values.slice(-10));
}

/** Grid modes over the last 10 log rows, averaged over notebook 03-sized WGAN-GP runs. */
export function lateModes128(runs: readonly ToyRun[]): number {
  const logged = runs.filter((r) => r.fit.history);
  return mean(logged.map((r) => lastRowsMean(r.fit.history!.rows.map((x) => x.modes))));
}

/** The same for the wide runs' logs. */
export function lateModes512(seeds: readonly WideGridSeed[]): number {
  return mean(seeds.filter((s) => s.history).map((s) => lastRowsMean(s.history!.modes)));
}

/** One width's grid result: coverage at the end and modes over the last 10 log rows. */
export interface WidthResult {
  cov: CoverageSummary;
  late: number;
}

/** The table row of one width. */
function wideRow(label: string, r: WidthResult): Row {
  return {
    "WGAN-GP on the grid": label,
    "modes captured (end)": pm(r.cov.modesMean, r.cov.modesSd),
    "modes, mean of the last 10 log rows": r.late.toFixed(1),
    "HQ fraction": pct(r.cov.hqMean),
    "reverse KL": r.cov.rklMean.toFixed(2),
    "per seed": r.cov.perRun.join(", "),
  };
}

/** The 128-unit networks against the 512-unit ones; the title names the wide models' provenance. */
export function showWideTable(
  narrow: WidthResult,
  wide: WidthResult,
  seeds: readonly WideGridSeed[],
): void {
  const models = seeds
    .map((s) => `seed ${s.seed} ${s.weights.mode}, code ${s.weights.codeVersion}`)
    .join("; ");
  showTable(
    [
      wideRow(`notebook 03's networks (128 units), ${narrow.cov.runs} seeds`, narrow),
      wideRow(`the authors' networks (512 units, ReLU), ${wide.cov.runs} seeds`, wide),
    ],
    { title: `Grid, 5,000 generator steps each (wide models: ${models})` },
  );
}

/** Grid modes over training for both widths, next to the samples of the first wide seed. */
export function showWideCurves(narrow: readonly ToyRun[], wide: WideGridRun): void {
  const curves = [
    ...narrow
      .filter((r) => r.fit.history)
      .map((r) => ({
        name: `128 units, seed ${r.seed}`,
        x: r.fit.history!.rows.map((x) => x.step),
        y: r.fit.history!.rows.map((x) => x.modes),
      })),
    ...wide.perSeed
      .filter((s) => s.history)
      .map((s) => ({ name: `512 units, seed ${s.seed}`, x: s.history!.step, y: s.history!.modes })),
  ];
  const modes = lineChart(curves, {
    title: "Grid modes captured during training (2,500 samples of fixed noise per log row)",
    xTitle: "generator step",
  });
  const samples = scatter2d(wide.samples, {
    title: `512 units, seed ${wide.perSeed[0].seed}: 1,500 samples`,
    markerSize: 2,
    equalAspect: true,
  });
  show(subplots([modes, samples], { cols: 2, rowHeight: 420 }));
}

/** The metric modes_WGAN_GP_w512_grid25: the wide runs' coverage and both widths' late modes. */
export function wideMetric(wide: WidthResult, late128: number): Record<string, number> {
  return {
    modesMean: wide.cov.modesMean,
    modesLast10Rows: wide.late,
    modesLast10Rows128: late128,
    modesSd: wide.cov.modesSd,
    hq: wide.cov.hqMean,
    rkl: wide.cov.rklMean,
    allModes: wide.cov.allModes,
    runs: wide.cov.runs,
  };
}

// ---------------------------------------------------------------------------------------------
// 5 · Does the loss curve track sample quality?

/** The loss-curve quantity of a family: the GAN's JS estimate (log 4 - D's loss) / 2, else W1. */
export function estimateOf(fam: string): string | ((r: HistoryRow) => number) {
  return fam === "GAN" ? (r: HistoryRow) => (Math.log(4) - r.d) / 2 : "w1";
}

/** One toy run's Spearman ρ between its loss-curve estimate and reverse KL, and 1 - HQ. */
export interface TrackedRun {
  fam: string;
  d: string;
  seed: number;
  rkl: { rho: number; n: number } | null;
  notHq: { rho: number; n: number } | null;
}

/** ρ for every toy run, skipping each run's first 5 log rows (null without a log). */
export function trackRuns(toy: ToyRuns, data: readonly string[]): TrackedRun[] {
  const notHq = (r: HistoryRow) => 1 - r.hq;
  return Object.entries(toy).flatMap(([fam, byData]) =>
    data.flatMap((d) =>
      byData[d].map((r) => {
        const rows = r.fit.history?.rows;
        const rho = (q: string | ((r: HistoryRow) => number)) =>
          rows ? trackingCorrelation(rows, estimateOf(fam), q, 5) : null;
        return { fam, d, seed: r.seed, rkl: rho("rkl"), notHq: rho(notHq) };
      }),
    ),
  );
}

/** The finite ρ of family `fam` on data set `d` (every data set when null), by quality `key`. */
export function trackRhos(
  track: readonly TrackedRun[],
  fam: string,
  d: string | null,
  key: "rkl" | "notHq",
): number[] {
  return track
    .filter((t) => t.fam === fam && (d === null || t.d === d))
    .map((t) => t[key]?.rho)
    .filter((rho): rho is number => rho !== undefined && Number.isFinite(rho));
}

/** Section 5's table: median ρ per family and data set, and how many runs exceed 0.5. */
export function trackingRows(track: readonly TrackedRun[]): Row[] {
  const fams = [...new Set(track.map((t) => t.fam))];
  const data = [...new Set(track.map((t) => t.d))];
  return fams.flatMap((fam) =>
    data.map((d) => {
      const hq = trackRhos(track, fam, d, "notHq");
      return {
        model: fam,
        data: d,
        estimate: fam === "GAN" ? "JS estimate from D's loss" : "critic's W1 estimate",
        "median ρ with 1 - HQ": median(hq),
        "runs with ρ > 0.5 (1 - HQ)": `${hq.filter((v) => v > 0.5).length}/${hq.length}`,
        "median ρ with reverse KL": median(trackRhos(track, fam, d, "rkl")),
      };
    }),
  );
}

/** Section 5's table, shown. */
export function showTracking(track: readonly TrackedRun[]): void {
  const title =
    "Does the loss curve track sample quality? (ρ > 0: the estimate falls as the reverse KL falls)";
  showTable(trackingRows(track), { title, digits: 3 });
}

/** The ring's seed 0: WGAN-GP's W1 estimate and the GAN's JS estimate next to the reverse KL. */
export function showTrackingCurves(toy: ToyRuns): void {
  const h0 = toy["WGAN-GP"].ring8[0].fit.history;
  const g0 = toy.GAN.ring8[0].fit.history;
  if (!h0 || !g0) return;
  const wgan = lineChart(h0.toColumns(), {
    columns: ["w1", "rkl"],
    title: "WGAN-GP, ring, seed 0: W1 estimate and reverse KL",
    xTitle: "step",
    logY: true,
  });
  const js = {
    step: g0.column("step"),
    "JS estimate": g0.rows.map((r) => (Math.log(4) - r.d) / 2),
    rkl: g0.column("rkl"),
  };
  const gan = lineChart(js, {
    columns: ["JS estimate", "rkl"],
    title: "GAN, ring, seed 0: JS estimate and reverse KL",
    xTitle: "step",
    logY: true,
  });
  show(subplots([wgan, gan], { cols: 2 }));
}

/**
 * Median ρ over all toy runs (both data sets) of WGAN-GP and the GAN, with 1 - HQ and reverse KL.
 */
export interface TrackingMedians {
  gpHq: number;
  gpRkl: number;
  ganHq: number;
  ganRkl: number;
}

/** The medians the B6 verdict quotes (TrackingMedians). */
export function trackingMedians(track: readonly TrackedRun[]): TrackingMedians {
  return {
    gpHq: median(trackRhos(track, "WGAN-GP", null, "notHq")),
    gpRkl: median(trackRhos(track, "WGAN-GP", null, "rkl")),
    ganHq: median(trackRhos(track, "GAN", null, "notHq")),
    ganRkl: median(trackRhos(track, "GAN", null, "rkl")),
  };
}

// ---------------------------------------------------------------------------------------------
// 6 · MNIST

/** The WGAN-GP's snapshots over training, then 36 samples each of it and of notebook 03's GAN. */
export function showMnistSamples(wgan: FitGANResult, gan: FitGANResult): void {
  const digit = { h: 28, w: 28 };
  const snaps = wgan.snapshots;
  if (snaps)
    showImageGrid(new Float32Array(snaps.flatMap((s) => s.samples)), {
      ...digit,
      cols: 10,
      title: `WGAN-GP, rows: the same 10 z at steps ${snaps.map((s) => s.step).join(", ")}`,
    });
  const both = [
    ...generateSamples(wgan.gan, 36, new Rng(9)),
    ...generateSamples(gan.gan, 36, new Rng(9)),
  ];
  showImageGrid(new Float32Array(both), {
    ...digit,
    cols: 12,
    title: "Top three rows: WGAN-GP samples; bottom three: the GAN of notebook 03",
  });
}

/** Spearman ρ between the critic's W1 estimate and the Fréchet distance over MNIST training. */
export interface MnistTracking {
  /** Over the first 20 log rows. */
  early: { rho: number; n: number } | null;
  /** After the first 5 log rows (the number B6 checks). */
  after5: { rho: number; n: number } | null;
  /** After the first 20 log rows. */
  late: { rho: number; n: number } | null;
}

/** MnistTracking of a training log (all null without one). */
export function mnistTracking(h: History | null): MnistTracking {
  if (!h) return { early: null, after5: null, late: null };
  return {
    early: trackingCorrelation(h.rows.slice(0, 20), "w1", "fd"),
    after5: trackingCorrelation(h.rows, "w1", "fd", 5),
    late: trackingCorrelation(h.rows, "w1", "fd", 20),
  };
}

/**
 * The W1 estimate and the Fréchet distance over training, ρ after the first 5 rows in the title.
 */
export function showMnistTracking(h: History | null, t: MnistTracking): void {
  if (!h) return;
  const rho = t.after5?.rho.toFixed(2);
  show(
    lineChart(h.toColumns(), {
      columns: ["w1", "fd"],
      title: `MNIST WGAN-GP: critic's W1 estimate and Fréchet distance to real digits (Spearman ρ = ${rho})`,
      xTitle: "step",
      logY: true,
    }),
  );
}

/** The sample-quality numbers a results metric keeps for one set of digits. */
export function qualityNumbers(r: QualityRow): Record<string, number> {
  return { frechet: r.frechet, classKl: r.classKl, laplacianVar: r.laplacianVar };
}

// ---------------------------------------------------------------------------------------------
// 7 · Success counts and the verdicts' numbers

/** A toy run succeeds when it captures every mode and at least half its samples are HQ. */
export function succeeds(c: ModeCoverage): boolean {
  return c.modesCaptured === c.modes && c.hqFraction >= 0.5;
}

/** The fraction of seeds that succeed, keyed "<family> <data>" (notebook 06 reads it for B11). */
export function successFractions(toy: ToyRuns, data: readonly string[]): Record<string, number> {
  return Object.fromEntries(
    Object.entries(toy).flatMap(([fam, byData]) =>
      data.map((d) => [
        `${fam} ${d}`,
        byData[d].filter((r) => succeeds(r.cov)).length / byData[d].length,
      ]),
    ),
  );
}

/** The success fractions as a table. */
export function showSuccess(success: Record<string, number>): void {
  showTable(
    Object.entries(success).map(([k, v]) => ({
      "model, data": k,
      "fraction of seeds that succeed": v,
    })),
    { digits: 2 },
  );
}

/** Everything the B6 verdict quotes, from the sections above. */
export interface B6Inputs {
  toy: ToyRuns;
  gpWide: CoverageSummary;
  rho: TrackingMedians;
  mnist: MnistTracking;
  /** Sample quality of the GAN's and of WGAN-GP's digits. */
  gan: QualityRow;
  gp: QualityRow;
}

/** The B6 verdict's numbers, under the names the results JSON keeps. */
export function b6Numbers(x: B6Inputs): Record<string, number> {
  const gpRing = coverageOf(x.toy, "WGAN-GP", "ring8");
  const gpGrid = coverageOf(x.toy, "WGAN-GP", "grid25");
  return {
    gpRingModes: gpRing.modesMean,
    gpGridModes: gpGrid.modesMean,
    gpRingHq: gpRing.hqMean,
    gpGridHq: gpGrid.hqMean,
    gpWideGridModes: x.gpWide.modesMean,
    gpWideGridHq: x.gpWide.hqMean,
    ganRingModes: coverageOf(x.toy, "GAN", "ring8").modesMean,
    ganGridModes: coverageOf(x.toy, "GAN", "grid25").modesMean,
    trackingRhoToys: x.rho.gpHq,
    trackingRhoToysRkl: x.rho.gpRkl,
    ganTrackingRhoToys: x.rho.ganHq,
    trackingRhoMnist: x.mnist.after5?.rho ?? NaN,
    frechetWganGp: x.gp.frechet,
    frechetGan: x.gan.frechet,
  };
}

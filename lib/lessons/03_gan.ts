/**
 * Notebook 03 (the GAN): the tables, figures and verdict numbers its cells show, so that a cell
 * is a few lines. Section by section: the value of the game at D* (A9), the generator's gradient
 * while D trains against a fixed G (B5), the ring GAN over training (B1, B3), mode coverage over
 * seeds and settings (B4), the small mode (B8), the MNIST GAN's training pictures, and GAN
 * inversion beside the VAE's encoder (A5).
 */
import { fitAll, runOf } from "../training/parallel";
import { mean } from "../runtime/stats";
import { Rng } from "../runtime/random";
import {
  animation,
  heatmap2d,
  lineChart,
  scatter2d,
  show,
  showImageGrid,
  subplots,
} from "../display/plot";
import type { Figure } from "../display/plot";
import { showTable, type Row } from "../display/table";
import type { Grid2D } from "../display/grid";
import type { SpreadGuard } from "../claims/spread";
import { ring8, type Mixture } from "../data/toys";
import { coverageSummary, modeCoverage, smallModeShare, type ModeCoverage } from "../eval/modes";
import {
  fitToyGAN,
  GAN,
  generateSamples,
  mixtureSampler,
  scoreToy,
  TOY_GAN_CONFIG,
  valuesAt,
  vanishingGradients,
  type Density1D,
  type DiscriminatorVsOptimal,
  type FitGANResult,
  type GANBudget,
  type GANSnapshot,
  type GeneratorLoss,
  type Inversion,
  type VanishingRow,
} from "../models/gan";
import { reconstruct, type VAE } from "../models/vae";
import type { SampleQuality } from "../models/eval-classifier";
import { coverageRow, pacganRow } from "./common";

// ---------------------------------------------------------------------------------------------
// 1 · A9: the value of the game at the best discriminator.

/** The table of the A9 identity: V(D*, G) by quadrature beside -log 4 + 2 JSD and their gap. */
export function showValueIdentity(vStar: number, jsd: number): void {
  const bound = -Math.log(4) + 2 * jsd;
  showTable(
    [
      { quantity: "V(D*, G), integrated directly", nats: vStar },
      { quantity: "-log 4 + 2 JSD(p_data || p_g)", nats: bound },
      { quantity: "JSD(p_data || p_g)", nats: jsd },
      { quantity: "|difference|", nats: Math.abs(vStar - bound) },
    ],
    { title: "The value of the game at the best discriminator", digits: 8 },
  );
}

/** The trained discriminator beside D* and both densities (a chart), and its errors (a table). */
export function showDiscriminatorFit(
  fit: DiscriminatorVsOptimal,
  pData: Density1D,
  pG: Density1D,
  vStar: number,
): void {
  const xs = fit.xs;
  const series = [
    { name: "D* = p_data / (p_data + p_g)", x: xs, y: fit.dStar },
    { name: "trained D", x: xs, y: Array.from(fit.dTrained) },
    { name: "p_data", x: xs, y: xs.map(pData.pdf) },
    { name: "p_g", x: xs, y: xs.map(pG.pdf) },
  ];
  const title = "The trained discriminator against the optimal one";
  show(lineChart(series, { title, xTitle: "x" }));
  const row = {
    "max |D - D*| where p_data + p_g > 0.05": fit.maxErr,
    "E|D - D*| under (p_data + p_g) / 2": fit.meanErr,
    "V(trained D, G)": fit.vTrained,
    "V(D*, G)": vStar,
  };
  showTable([row], { digits: 4 });
}

/** A spread guard's count of passing runs: "5 of 16 recorded runs (8 seeds, 2 backends)". */
export function guardRunCount(guard: SpreadGuard): string {
  const r = guard.record;
  const runs = `${guard.passing} of ${guard.runs} recorded runs`;
  return `${runs} (${r.seeds.length} seeds, ${r.backends.length} backends)`;
}

// ---------------------------------------------------------------------------------------------
// 2 · B5: the generator's gradient while D trains against a fixed G.

/** B5's two cases: G's samples as they are, and shifted by (4, 4) (disjoint supports). */
export const B5_CASES: readonly (readonly [string, number[] | undefined])[] = [
  ["overlapping", undefined],
  ["disjoint (G shifted by (4, 4))", [4, 4]],
];

/**
 * Trains D against an untrained, fixed toy G on PacGAN's ring in each of B5_CASES (G's weights
 * seed 51, the ring's samples seed 52, D and the noise seed 53), recording G's gradient norms.
 */
export async function fixedGeneratorRuns(budget: {
  steps: number;
  every: number;
}): Promise<Record<string, VanishingRow[]>> {
  const runs: Record<string, VanishingRow[]> = {};
  for (const [name, shift] of B5_CASES) {
    const g = new GAN(`b5-${name.slice(0, 4)}`, TOY_GAN_CONFIG, new Rng(51));
    runs[name] = await vanishingGradients(g, mixtureSampler(ring8(), new Rng(52)), {
      ...budget,
      batchSize: 256,
      lr: 2e-3,
      seed: 53,
      shift: shift ? [...shift] : undefined,
      label: `D vs fixed G, ${name}`,
    });
  }
  return runs;
}

/** One case's two gradient norms over D's steps (log scale). */
function gradientChart(name: string, rows: readonly VanishingRow[]): Figure {
  const x = rows.map((r) => r.step);
  const series = [
    { name: "saturating log(1 - D(G(z)))", x, y: rows.map((r) => r.saturating) },
    { name: "non-saturating -log D(G(z))", x, y: rows.map((r) => r.nonsaturating) },
  ];
  const title = `${name}: |grad_theta| of G's loss`;
  return lineChart(series, { title, xTitle: "D steps", logY: true });
}

/** The gradient norms of both generator losses in each case, side by side. */
export function showGradientNorms(runs: Record<string, VanishingRow[]>): void {
  const charts = Object.entries(runs).map(([name, rows]) => gradientChart(name, rows));
  const title = "Norm of the generator's gradient while D trains against a fixed G (log scale)";
  show(subplots(charts, { cols: 2, title }));
}

/** One row per case: D's accuracy at the start and end, and each gradient's end/start ratio. */
export type GradientRatioRow = {
  case: string;
  "D accuracy, start": number;
  "D accuracy, end": number;
  "mean D(G(z)), end": number;
  "saturating |grad| end/start": number;
  "non-saturating |grad| end/start": number;
};

/** The rows of B5's table (see GradientRatioRow), in the order of the runs. */
export function gradientRatioRows(runs: Record<string, VanishingRow[]>): GradientRatioRow[] {
  return Object.entries(runs).map(([name, rows]) => {
    const a = rows[0];
    const z = rows[rows.length - 1];
    return {
      case: name,
      "D accuracy, start": a.accuracy,
      "D accuracy, end": z.accuracy,
      "mean D(G(z)), end": z.dFake,
      "saturating |grad| end/start": z.saturating / a.saturating,
      "non-saturating |grad| end/start": z.nonsaturating / a.nonsaturating,
    };
  });
}

/** The metric b5_grad_ratio: both ratios in both cases. */
export function gradientRatioMetric(
  overlapping: GradientRatioRow,
  disjoint: GradientRatioRow,
): Record<string, number> {
  return {
    disjointSaturating: disjoint["saturating |grad| end/start"],
    disjointNonSaturating: disjoint["non-saturating |grad| end/start"],
    overlapSaturating: overlapping["saturating |grad| end/start"],
    overlapNonSaturating: overlapping["non-saturating |grad| end/start"],
  };
}

// ---------------------------------------------------------------------------------------------
// 3 · B1, B3: the ring GAN over training.

/** One snapshot as a heatmap of D(x) with G's samples on top. */
function snapshotFrame(grid: Grid2D, s: GANSnapshot): Figure {
  return heatmap2d({
    x: grid.xs,
    y: grid.ys,
    z: s.d!,
    samples: s.samples,
    samplesName: "G(z)",
    zmin: 0,
    zmax: 1,
    zTitle: "D(x)",
  });
}

/** The snapshots as an animation with a slider; the ranges are those of the ring's picture. */
function showSnapshotAnimation(snaps: readonly GANSnapshot[], grid: Grid2D): void {
  const frames = snaps.map((s) => ({ name: String(s.step), data: snapshotFrame(grid, s).data }));
  const layout = {
    xaxis: { range: [-1.6, 1.6] },
    yaxis: { range: [-1.6, 1.6], scaleanchor: "x" },
    height: 560,
  };
  const title = "D(x) (colour) and G(z) (points) over training: drag the slider";
  show(animation(frames, { title, fixedAxes: false, layout }));
}

/** The indices of snapshots 0, 2, 5 and the last, those that exist, each once. */
export function snapshotPicks(count: number): number[] {
  return [0, 2, 5, count - 1].filter((i, k, a) => i < count && a.indexOf(i) === k);
}

/** The animation of D and G's samples over training, then four snapshots side by side. */
export function showRingSnapshots(snaps: readonly GANSnapshot[], grid: Grid2D): void {
  if (!snaps.length) return;
  showSnapshotAnimation(snaps, grid);
  const figs = snapshotPicks(snaps.length).map((i) => ({
    ...snapshotFrame(grid, snaps[i]),
    layout: { title: { text: `step ${snaps[i].step}` } },
  }));
  show(subplots(figs, { cols: 4, rowHeight: 280, title: "Snapshots" }));
}

/** What B1 and B3 read off one snapshot. */
export type SnapshotRow = {
  step: number;
  "mean D(real)": number;
  "mean D(G(z))": number;
  "modes captured": number;
  "HQ fraction": number;
};

/** Per snapshot: mean D at the real points and at G's samples, and mode coverage (PacGAN). */
export function snapshotRows(
  snaps: readonly GANSnapshot[],
  grid: Grid2D,
  mix: Mixture,
  real: ArrayLike<number>,
): SnapshotRow[] {
  return snaps.map((s) => {
    const cov = modeCoverage(s.samples, mix);
    return {
      step: s.step,
      "mean D(real)": mean(valuesAt(grid, s.d!, real)),
      "mean D(G(z))": mean(valuesAt(grid, s.d!, s.samples)),
      "modes captured": cov.modesCaptured,
      "HQ fraction": cov.hqFraction,
    };
  });
}

/** Every third snapshot's row and the last one, as a table (snapshots of 500 samples). */
export function showSnapshotRows(rows: readonly SnapshotRow[]): void {
  const shown = rows.filter((_, i) => i % 3 === 0 || i === rows.length - 1);
  const title =
    "Ring, seed 0: the discriminator on real and generated points over training " +
    "(500 samples per snapshot)";
  showTable(shown, { title, digits: 3 });
}

/** B1's numbers: the HQ fraction at step 0, and modes and HQ fraction at the end. */
export function pushforwardNumbers(rows: readonly SnapshotRow[]): Record<string, number> {
  const first = rows[0];
  const last = rows[rows.length - 1];
  return {
    hqStart: first["HQ fraction"],
    modesEnd: last["modes captured"],
    hqEnd: last["HQ fraction"],
  };
}

/** B3's numbers: on how many intermediate snapshots D(real) > D(G(z)), and D(real) at the end. */
export function guideNumbers(rows: readonly SnapshotRow[]): Record<string, number> {
  const mid = rows.slice(1, -1);
  return {
    snapshotsRealAbove: mid.filter((r) => r["mean D(real)"] > r["mean D(G(z))"]).length,
    snapshots: mid.length,
    dRealEnd: rows[rows.length - 1]["mean D(real)"],
  };
}

/** The metric b3_d_over_training: mean D(real) - mean D(G(z)) per snapshot step. */
export function dGapMetric(rows: readonly SnapshotRow[]): Record<string, number> {
  return Object.fromEntries(
    rows.map((r) => [`step${r.step}`, r["mean D(real)"] - r["mean D(G(z))"]]),
  );
}

// ---------------------------------------------------------------------------------------------
// 4 · B4: mode coverage over seeds, over training and in three settings.

/** A toy GAN as fitToyGAN returns it. */
export type ToyRun = FitGANResult & { mix: Mixture };

/**
 * The toy GAN on the ring and the grid for every seed, the ring's seed 0 being `ring0` (fitted
 * above with snapshots); trained on every core when the mode trains (lib/training/parallel.ts).
 */
export async function fitToySeeds(
  ring0: ToyRun,
  seeds: readonly number[],
): Promise<Record<"ring8" | "grid25", ToyRun[]>> {
  const rest = seeds.filter((s) => s !== 0);
  const specs = [
    ...rest.map((s) => runOf("lib/models/gan", fitToyGAN, ["ring8", s])),
    ...seeds.map((s) => runOf("lib/models/gan", fitToyGAN, ["grid25", s])),
  ];
  const fits = await fitAll(specs, { label: `${specs.length} toy GANs` });
  return { ring8: [ring0, ...fits.slice(0, rest.length)], grid25: fits.slice(rest.length) };
}

/** Scores every run by PacGAN's protocol (scoreToy: noise seeded 1000 + the run's seed). */
export function scoreRuns(
  runs: Record<string, ToyRun[]>,
  seeds: readonly number[],
): Record<string, ModeCoverage[]> {
  const score = (rs: ToyRun[]) => rs.map((r, i) => scoreToy(r.gan, r.mix, seeds[i]));
  return Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, score(rs)]));
}

/** The mode-coverage table: per data set our seeds' row and PacGAN's GAN row. */
export function showModeCoverage(scores: Record<string, ModeCoverage[]>): void {
  const rows: Row[] = Object.entries(scores).flatMap(([k, sc]) => [
    { data: k, setup: `ours, ${sc.length} seeds (mean ± sd)`, ...coverageRow(sc) },
    {
      data: k,
      setup: "PacGAN Table 1, GAN, 10 trials",
      ...pacganRow(k as "ring8" | "grid25", "GAN"),
    },
  ]);
  const title =
    "Mode coverage: ours vs PacGAN's GAN row (different architectures and budgets: see text)";
  showTable(rows, { title });
}

/** One chart per data set: modes captured over training, one line per seed. */
export function showModeCurves(runs: Record<string, ToyRun[]>, seeds: readonly number[]): void {
  const charts = Object.entries(runs).map(([k, rs]) =>
    lineChart(
      rs
        .filter((r) => r.fit.history)
        .map((r, i) => ({
          name: `seed ${seeds[i]}`,
          x: r.fit.history!.column("step"),
          y: r.fit.history!.column("modes"),
        })),
      { title: `${k}: modes captured over training`, xTitle: "step", yTitle: "modes" },
    ),
  );
  const title = "Mode metric over training (2,500 samples of fixed noise at each log row)";
  show(subplots(charts, { cols: 2, title }));
}

/** Modes captured at each run's first history row (NaN without a history), per data set. */
export function earlyModes(runs: Record<string, ToyRun[]>): Record<string, number[]> {
  const first = (r: ToyRun) => r.fit.history?.rows[0]?.modes ?? NaN;
  return Object.fromEntries(Object.entries(runs).map(([k, rs]) => [k, rs.map(first)]));
}

/** earlyModes as lines: "ring8: modes captured at the first log row (step 50), per seed: ...". */
export function earlyModesText(
  runs: Record<string, ToyRun[]>,
  early: Record<string, number[]>,
): string {
  return Object.entries(early)
    .map(([k, m]) => {
      const step = runs[k][0].fit.history?.rows[0]?.step;
      return `${k}: modes captured at the first log row (step ${step}), per seed: ${m.join(", ")}`;
    })
    .join("\n");
}

/** The data set and index of the run with the smallest fraction of modes captured. */
export function fewestModes(scores: Record<string, ModeCoverage[]>): { k: string; i: number } {
  return Object.entries(scores)
    .flatMap(([k, sc]) => sc.map((c, i) => ({ k: k, i: i, frac: c.modesCaptured / c.modes })))
    .sort((a, b) => a.frac - b.frac)[0];
}

/** The samples of the run with the fewest modes (fewestModes), 2,500 of noise seed 7. */
export function showFewestModes(
  runs: Record<string, ToyRun[]>,
  scores: Record<string, ModeCoverage[]>,
  seeds: readonly number[],
): void {
  const { k, i } = fewestModes(scores);
  const c = scores[k][i];
  const modes = `${c.modesCaptured}/${c.modes} modes`;
  const title = `The run with the fewest modes: ${k}, seed ${seeds[i]} (${modes})`;
  const samples = generateSamples(runs[k][i].gan, 2500, new Rng(7));
  show(scatter2d(samples, { title, markerSize: 3, equalAspect: true, gl: true }));
}

/** A changed setting of the ring GAN (seed 0): its name, generator loss and budget changes. */
export interface RingVariant {
  variant: string;
  loss?: GeneratorLoss;
  budget: Partial<Record<keyof GANBudget, number>>;
}

/** A variant's fitted GAN and its score (PacGAN's protocol, noise seed 1000 as for seed 0). */
export interface VariantRun {
  setting: string;
  run: ToyRun;
  cov: ModeCoverage;
}

/** Fits (or loads) the ring GAN, seed 0, in each variant and scores it. */
export async function fitVariants(variants: readonly RingVariant[]): Promise<VariantRun[]> {
  const fitted: ToyRun[] = [];
  for (const v of variants)
    fitted.push(
      await fitToyGAN("ring8", 0, { variant: v.variant, loss: v.loss, budget: v.budget }),
    );
  return fitted.map((run, i) => ({
    setting: variants[i].variant,
    run,
    cov: scoreToy(run.gan, run.mix, 0),
  }));
}

/** The variants' table (after the baseline's row) and their samples side by side. */
export function showVariants(baseline: ModeCoverage, vr: readonly VariantRun[]): void {
  const settings = [{ setting: "baseline (section 3)", cov: baseline }, ...vr];
  const rows = settings.map((s) => ({
    setting: s.setting,
    "modes captured": s.cov.modesCaptured,
    "HQ fraction": s.cov.hqFraction,
    "samples per mode (nearest)": s.cov.nearestCounts.join(" "),
  }));
  showTable(rows, { title: "Ring, seed 0: settings and collapse", digits: 3 });
  const scatter = (v: VariantRun) =>
    scatter2d(generateSamples(v.run.gan, 1000, new Rng(8)), {
      title: `${v.setting}`,
      markerSize: 3,
      equalAspect: true,
    });
  show(subplots(vr.map(scatter), { cols: 3, title: "Samples of the variants" }));
}

/** B4's counts: runs that miss a mode, and runs (nearly) on one mode (> 90% of samples). */
export function collapseCounts(covs: readonly ModeCoverage[]): {
  dropped: number;
  single: number;
} {
  const oneMode = (c: ModeCoverage) =>
    c.modesCaptured <= 1 || Math.max(...c.nearestCounts) > 0.9 * c.n;
  return {
    dropped: covs.filter((c) => c.modesCaptured < c.modes).length,
    single: covs.filter(oneMode).length,
  };
}

/** The metrics b4_modes, b4_hq and b4_rkl: per data set, means over the seeds. */
export function coverageMetrics(scores: Record<string, ModeCoverage[]>): {
  modes: Record<string, number>;
  hq: Record<string, number>;
  rkl: Record<string, number>;
} {
  const each = (f: (s: ReturnType<typeof coverageSummary>) => number) =>
    Object.fromEntries(Object.entries(scores).map(([k, sc]) => [k, f(coverageSummary(sc))]));
  return {
    modes: each((s) => s.modesMean),
    hq: each((s) => s.hqMean),
    rkl: each((s) => s.rklMean),
  };
}

/** The metric b4_variants_modes: modes captured per variant. */
export function variantModes(vr: readonly VariantRun[]): Record<string, number> {
  return Object.fromEntries(vr.map((v) => [v.setting, v.cov.modesCaptured]));
}

/** The variants in a sentence: "saturating 8/8, fastG 3/8, dEvery10 1/8". */
export function variantsText(vr: readonly VariantRun[]): string {
  return vr.map((v) => `${v.setting} ${v.cov.modesCaptured}/8`).join(", ");
}

/**
 * The variants with their largest mode's share: "saturating 8/8 modes, top mode 13% of samples".
 */
export function variantsTopModeText(vr: readonly VariantRun[]): string {
  const top = (c: ModeCoverage) => ((100 * Math.max(...c.nearestCounts)) / c.n).toFixed(0);
  return vr
    .map((v) => `${v.setting} ${v.cov.modesCaptured}/8 modes, top mode ${top(v.cov)}% of samples`)
    .join("; ");
}

// ---------------------------------------------------------------------------------------------
// 5 · B8: the small mode.

/**
 * One seed's GAN on the unbalanced mixture: its coverage and the small mode's share of HQ samples.
 */
export interface SmallModeRun {
  seed: number;
  c: ModeCoverage;
  share: number;
}

/**
 * Fits (or loads) the GAN on the unbalanced mixture for each seed; 2,500 samples, noise 2000 +
 * seed.
 */
export async function smallModeRuns(seeds: readonly number[]): Promise<SmallModeRun[]> {
  const fits = await fitAll(
    seeds.map((s) => runOf("lib/models/gan", fitToyGAN, ["unbalanced", s])),
  );
  return fits.map((r, i) => {
    const c = modeCoverage(generateSamples(r.gan, 2500, new Rng(2000 + seeds[i])), r.mix);
    return { seed: seeds[i], c: c, share: smallModeShare(c) };
  });
}

/** How many runs lost the small mode (no HQ sample) and starved it (share < 0.05). */
export function smallModeCounts(runs: readonly SmallModeRun[]): { lost: number; starved: number } {
  return {
    lost: runs.filter((b) => b.c.hqCounts[2] === 0).length,
    starved: runs.filter((b) => b.share < 0.05).length,
  };
}

/** The small mode per seed, as a table. */
export function showSmallModes(runs: readonly SmallModeRun[]): void {
  const rows = runs.map((b) => ({
    seed: b.seed,
    "HQ samples per mode (0.45 / 0.45 / 0.10)": b.c.hqCounts.join(" / "),
    "small mode's share of HQ samples": b.share,
    "HQ fraction": b.c.hqFraction,
    lost: b.c.hqCounts[2] === 0,
    starved: b.share < 0.05,
  }));
  showTable(rows, { title: "Unbalanced mixture: does the GAN keep the small mode?", digits: 3 });
}

/** The metric b8_gan_small_mode_share: the small mode's share per seed. */
export function smallModeMetric(runs: readonly SmallModeRun[]): Record<string, number> {
  return Object.fromEntries(runs.map((b) => [`seed${b.seed}`, b.share]));
}

// ---------------------------------------------------------------------------------------------
// 6 · The MNIST GAN.

/** The MNIST GAN's training: the same 10 z at each snapshot (rows), and both losses. */
export function showMnistTraining(mg: FitGANResult): void {
  if (mg.snapshots) {
    const steps = mg.snapshots.map((s) => s.step).join(", ");
    const images = new Float32Array(mg.snapshots.flatMap((s) => s.samples));
    showImageGrid(images, {
      h: 28,
      w: 28,
      cols: 10,
      title: `Rows: the same 10 z at steps ${steps}`,
    });
  }
  if (mg.fit.history) {
    const title = "MNIST GAN losses (D: cross-entropy, real target 0.9; G: -log D(G(z)))";
    show(lineChart(mg.fit.history.toColumns(), { columns: ["d", "g"], title, xTitle: "step" }));
  }
}

/** A note for B7's summary when the GAN's Laplacian variance is well above real digits'. */
export function speckleNote(ganSharp: number, realSharp: number): string {
  return ganSharp > 1.5 * realSharp
    ? " The GAN's Laplacian variance is above real digits': part of it is pixel speckle, " +
        "not sharper strokes."
    : "";
}

/**
 * The numbers of B4's verdict updated with the MNIST GAN: the toys' counts and the class balance.
 */
export function imageModeNumbers(
  dropped: number,
  runs: number,
  modes: Record<string, number>,
  gan: { classKl: number; topClassShare: number },
): Record<string, number> {
  return {
    runsDropping: dropped,
    runs: runs,
    ringModes: modes.ring8,
    gridModes: modes.grid25,
    mnistClassKl: gan.classKl,
    mnistTopClassShare: gan.topClassShare,
  };
}

/**
 * The metrics b7_gan and b7_vae: sharpness, Frechet distance and class KL (the GAN's beside real
 * digits').
 */
export function sharpnessMetrics(
  real: SampleQuality,
  gan: SampleQuality,
  vae: SampleQuality,
): { gan: Record<string, number>; vae: Record<string, number> } {
  return {
    gan: {
      laplacianVar: gan.laplacianVar,
      realLaplacianVar: real.laplacianVar,
      frechet: gan.frechet,
      classKlFromUniform: gan.classKl,
    },
    vae: { laplacianVar: vae.laplacianVar, frechet: vae.frechet, classKlFromUniform: vae.classKl },
  };
}

// ---------------------------------------------------------------------------------------------
// 7 · A5: GAN inversion beside the VAE's encoder.

/** Mean squared error per pixel of image i of `a` against image i of `b` (784 pixels each). */
export function imageMse(a: Float32Array, b: Float32Array, i: number): number {
  let s = 0;
  for (let j = 0; j < 784; j++) s += (a[i * 784 + j] - b[i * 784 + j]) ** 2;
  return s / 784;
}

/** The VAE's inference on `x`: one encoder pass and a mean decode, its time and per-image MSE. */
export function vaeInference(
  vae: VAE,
  x: Float32Array,
): { rec: Float32Array; msPerImage: number; mse: number[] } {
  const n = x.length / 784;
  const t0 = Date.now();
  const rec = reconstruct(vae, x);
  const msPerImage = (Date.now() - t0) / n;
  const mse = Array.from({ length: n }, (_, i) => imageMse(rec, x, i));
  return { rec, msPerImage, mse };
}

/** The row of target t's start with the largest (`worst`) or smallest error. */
export function startOf(inv: Inversion, t: number, worst: boolean): number {
  let w = t * inv.starts;
  for (let k = 0; k < inv.starts; k++) {
    const e = inv.error[t * inv.starts + k];
    if (worst ? e > inv.error[w] : e < inv.error[w]) w = t * inv.starts + k;
  }
  return w;
}

/** G(z) of every target's best (or worst) start, one image per target. */
export function pickSolutions(inv: Inversion, worst: boolean): Float32Array {
  const d = inv.x.length / (inv.targets * inv.starts);
  const out = new Float32Array(inv.targets * d);
  for (let t = 0; t < inv.targets; t++) {
    const r = startOf(inv, t, worst);
    out.set(inv.x.subarray(r * d, (r + 1) * d), t * d);
  }
  return out;
}

/** Images as rows of a grid, one row per array, `cols` images each. */
function showRows(rows: Float32Array[], cols: number, title: string): void {
  const images = new Float32Array(rows.reduce((n, r) => n + r.length, 0));
  let at = 0;
  for (const r of rows) {
    images.set(r, at);
    at += r.length;
  }
  showImageGrid(images, { h: 28, w: 28, cols, title });
}

/** The inversions as pictures: real digits with the VAE's and G's answers; G's own samples. */
export function showInversions(
  real: { x: Float32Array; vaeRec: Float32Array; inv: Inversion },
  own: { x: Float32Array; inv: Inversion },
): void {
  const n = real.inv.targets;
  const [best, worst] = [false, true].map((w) => pickSolutions(real.inv, w));
  const starts = `${real.inv.starts} starts`;
  const title = `Rows: test digits; VAE (one encoder pass); GAN inversion, best of ${starts}`;
  showRows([real.x, real.vaeRec, best, worst], n, `${title}; worst of ${starts}`);
  const [ownBest, ownWorst] = [false, true].map((w) => pickSolutions(own.inv, w));
  const ownTitle = `Rows: the generator's own samples; inversion best of ${real.inv.starts}`;
  showRows([own.x, ownBest, ownWorst], n, `${ownTitle}; worst of ${real.inv.starts}`);
}

/** Summaries of inversionSummary, per target. */
interface InversionStats {
  best: number[];
  failed: number[];
  spread: number[];
}

/** One row of the inference table for a GAN inversion. */
function inversionRow(targets: string, inv: Inversion, s: InversionStats, steps: number): Row {
  const worst = Array.from({ length: inv.targets }, (_, t) => inv.error[startOf(inv, t, true)]);
  return {
    targets,
    method: `GAN inversion, ${inv.starts} starts x ${steps} Adam steps`,
    "best MSE per pixel": mean(s.best),
    "worst start MSE": mean(worst),
    "failed starts": NaN,
    "z spread of successes": mean(s.spread),
    "ms per image": (1000 * inv.seconds) / inv.targets,
  };
}

/** The inference table: inversion of G's own samples and of real digits, and the VAE's encoder. */
export function showInferenceTable(
  own: { inv: Inversion; s: InversionStats },
  real: { inv: Inversion; s: InversionStats; vaeMse: number[]; vaeMs: number },
  steps: number,
): void {
  const ownRow = inversionRow("GAN's own samples (exact z exists)", own.inv, own.s, steps);
  const vaeErr = mean(real.vaeMse);
  const rows = [
    { ...ownRow, "failed starts": mean(own.s.failed) },
    inversionRow("real test digits", real.inv, real.s, steps),
    {
      targets: "real test digits",
      method: "VAE encoder, one pass (mean decode)",
      "best MSE per pixel": vaeErr,
      "worst start MSE": vaeErr,
      "failed starts": 0,
      "z spread of successes": 0,
      "ms per image": real.vaeMs,
    },
  ];
  showTable(rows, { title: `Inference: ${real.inv.targets} targets each`, digits: 4 });
}

/** The metric a5_gan_inversion: means over the targets, and the time per real digit. */
export function inversionMetric(
  own: InversionStats,
  real: InversionStats,
  invReal: Inversion,
): Record<string, number> {
  return {
    ownBestMse: mean(own.best),
    ownFailed: mean(own.failed),
    ownSpread: mean(own.spread),
    realBestMse: mean(real.best),
    realSpread: mean(real.spread),
    msPerImage: (1000 * invReal.seconds) / invReal.targets,
  };
}

/**
 * Notebook 06 (four families side by side, and the table of every claim): the tables, figures and
 * verdict numbers its cells show, assembled from the models, metrics and displays of lib/, so that
 * each cell is a few lines. Sections: 1 MADE's likelihood, 2 noise in and samples out (A3), 3 the
 * divergences (A4), 4 five models on the same digits (A2, A14, B7), 5 toy modes (B8), 6 how often
 * each family trains (B11), 7 the VAE with an adversarial term (B9), 8 the timeline (A13), 9 the
 * claims table's counts.
 */
import { fmtNumber } from "../display/format";
import { trainedOn } from "../data/mnist";
import type { FitResult } from "../training/weights";
import type { RunOutcome, RunBudget } from "../storage/runs";
import { lineChart, type Figure } from "../display/plot";
import type { Row } from "../display/table";
import { decodeAll, reconError, reconstruct, samplePrior, type VAE } from "../models/vae";
import { generateFrom, generateSamples, fitToyGAN, scoreToy, type GAN } from "../models/gan";
import { fitToyWGAN } from "../models/wgan";
import { fitToyFlow, fitToyVAE, scoreToyFlow, scoreToyVAE } from "../models/toys";
import { flowDecode, flowSample, type FlowModel, type LogitPreprocess } from "../models/flow";
import { MADE_PUBLISHED, sampleMADE, type MADE } from "../models/made";
import type { QualityScorer, SampleQuality } from "../models/eval-classifier";
import { b11Summary, type B11FamilySummary, type B11Result, type B11Run } from "../models/b11";
import { coverageSummary, smallModeShare, type ModeCoverage } from "../eval/modes";
import type { ResultsEntry, ResultsFile } from "../claims/results";
import type { ClaimsCounts } from "../claims/claims";
import type { ClaimVerdict } from "../claims/verdict";
import { TIMELINE, type Milestone } from "../claims/timeline";
import { countParams } from "../runtime/nn";
import { Rng } from "../runtime/random";
import { mean } from "../runtime/stats";

// ---------------------------------------------------------------------------------------------
// Images, timing, number strings

/** The image sets one after the other, as one array (the rows of a grid). */
export function concatImages(parts: readonly ArrayLike<number>[]): Float32Array {
  return new Float32Array(parts.flatMap((p) => Array.from(p)));
}

/** Images drawn by a sampler and the wall-clock milliseconds it took per image. */
export interface Timed {
  x: Float32Array;
  ms: number;
}

/** Runs the sampler `f`, which draws `n` images, and times it per image. */
export async function timed(
  n: number,
  f: () => Float32Array | Promise<Float32Array>,
): Promise<Timed> {
  const t = Date.now();
  const x = await f();
  return { x, ms: (Date.now() - t) / n };
}

/** Each value with `digits` decimals: { vae: 0.5 } -> { vae: "0.50" } for 2. */
export function fixedAll<K extends string>(
  values: Record<K, number>,
  digits: number,
): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const k of Object.keys(values) as K[]) out[k] = values[k].toFixed(digits);
  return out;
}

/** Minutes of training recorded by the run that produced the weights (NaN without a history). */
export function minutes(fit: {
  history: { last(): { seconds: number } | undefined } | null;
}): number {
  return (fit.history?.last()?.seconds ?? NaN) / 60;
}

// ---------------------------------------------------------------------------------------------
// Section 1 · MADE

/** The held-out NLL table of section 1: this run's MADE next to the published MADE and NADE. */
export function madeNllRows(
  nats: number,
  /** The model's architecture (describeMADE of lib/models/made.ts). */
  architecture: string,
  /** The weights' metadata (what MADE trained on) and the number of test digits scored. */
  trained: { data?: string },
  testN: number,
): Row[] {
  const on = trainedOn(trained);
  const fixed = "fixed (Larochelle & Murray 2011), train and test";
  const published = (model: string, v: number) => ({
    model,
    data: "official binarised MNIST (50k train / 10k test)",
    binarisation: fixed,
    "-log p(x), nats": v,
    kind: "exact, published",
  });
  return [
    {
      model: `MADE, ${architecture}, 1 mask (this run)`,
      data: `${on.n} train (${on.split}) / ${testN} test`,
      binarisation: "train: dynamic; test: once, seed 2024",
      "-log p(x), nats": nats,
      kind: "exact",
    },
    published("MADE, 1 hidden layer of 500, 1 mask", MADE_PUBLISHED.made1h500),
    published("NADE", MADE_PUBLISHED.nade),
  ];
}

/** The title of the NLL table, naming the published source. */
export function madeNllTitle(): string {
  return `Held-out negative log-likelihood (published: ${MADE_PUBLISHED.source})`;
}

// ---------------------------------------------------------------------------------------------
// Section 2 · noise in, samples out (A3)

/** The shipped MNIST models of notebooks 02-06 as their fit functions return them. */
export interface Zoo {
  made: { made: MADE; fit: FitResult };
  vae: { vae: VAE; fit: FitResult };
  gan: { gan: GAN; fit: FitResult };
  wgan: { gan: GAN; fit: FitResult };
  flow: { flow: FlowModel; fit: FitResult; pre: LogitPreprocess };
}

/** Whether two arrays hold the same numbers, element by element. */
export function sameArray(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** One sampler checked: do its samples equal the model's map of N(0, I) noise from the seed? */
export interface SamplerCheck {
  family: string;
  pass: boolean;
}

/** A3's recomputation: each sampler's 8 samples against its map applied to the seed's noise. */
export function a3Checks(zoo: Zoo, n = 8, seed = 5): SamplerCheck[] {
  const z = (dim: number) => new Rng(seed).normalArray(n * dim);
  const vae = zoo.vae.vae;
  const gan = zoo.gan.gan;
  const wgan = zoo.wgan.gan;
  const flow = zoo.flow.flow;
  return [
    {
      family: "VAE",
      pass: sameArray(samplePrior(vae, n, new Rng(seed)), decodeAll(vae, z(vae.latent))),
    },
    {
      family: "GAN",
      pass: sameArray(generateSamples(gan, n, new Rng(seed)), generateFrom(gan, z(gan.noiseDim))),
    },
    {
      family: "WGAN-GP",
      pass: sameArray(
        generateSamples(wgan, n, new Rng(seed)),
        generateFrom(wgan, z(wgan.noiseDim)),
      ),
    },
    {
      family: "flow (RealNVP)",
      pass: sameArray(flowSample(flow, n, new Rng(seed)), flowDecode(flow, z(784))),
    },
  ];
}

/** A3's table: one row per sampler. */
export function a3Table(checks: readonly SamplerCheck[]): Row[] {
  return checks.map((r) => ({
    family: r.family,
    "samples = map(z), z ~ N(0, I) from the same seed": r.pass,
  }));
}

/**
 * The rows of section 2's grid, `n` samples of each family from one seed: VAE pixel means, GAN,
 * WGAN-GP, RealNVP at temperature 0.7, then the first `n` of MADE's binary samples.
 */
export function familySampleRows(
  zoo: Zoo,
  madeSamples: Float32Array,
  n = 12,
  seed = 7,
): Float32Array {
  return concatImages([
    samplePrior(zoo.vae.vae, n, new Rng(seed)),
    generateSamples(zoo.gan.gan, n, new Rng(seed)),
    generateSamples(zoo.wgan.gan, n, new Rng(seed)),
    zoo.flow.pre.decode(flowSample(zoo.flow.flow, n, new Rng(seed), 0.7), 784),
    madeSamples.subarray(0, n * 784),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Section 3 · what each family minimises (A4)

/** One family's divergence and the notebook (and claim) whose verdict checked it. */
export type Divergence = {
  family: string;
  divergence: string;
  notebook: string;
  claim: string;
};

/** The five families' divergences; the autoregressive one is measured in this notebook. */
export const DIVERGENCES: readonly Divergence[] = [
  {
    family: "VAE",
    divergence: "KL(p_data || p_model) via the ELBO (a bound)",
    notebook: "02_vae",
    claim: "A8",
  },
  {
    family: "GAN",
    divergence: "JSD(p_data || p_g) at the optimal D",
    notebook: "03_gan",
    claim: "A9",
  },
  {
    family: "WGAN",
    divergence: "W1(p_data, p_g) via a 1-Lipschitz critic",
    notebook: "04_wgan",
    claim: "A4",
  },
  {
    family: "flow",
    divergence: "KL(p_data || p_model), exact likelihood",
    notebook: "05_flows",
    claim: "A10",
  },
  {
    family: "autoregressive",
    divergence: "KL(p_data || p_model), exact likelihood",
    notebook: "06_families (section 1)",
    claim: "",
  },
];

/** A divergence with what checked it: a saved verdict, "missing", or this run's exact NLL. */
export type DivergenceRow = Divergence & { "checked there": string };

/** Section 3's table from the saved results `all` (readAllResults) and MADE's NLL in nats. */
export function divergenceRows(
  all: Record<string, ResultsEntry>,
  madeNats: number,
  divs: readonly Divergence[] = DIVERGENCES,
): DivergenceRow[] {
  const res = (name: string) =>
    all[name] && !all[name].error ? (all[name] as ResultsFile) : undefined;
  return divs.map((d) => {
    const v = d.claim ? res(d.notebook)?.verdicts[d.claim] : undefined;
    const saved = v ? `${d.claim}: ${v.verdict}` : "missing (notebook not run)";
    const checked = d.claim ? saved : `exact NLL ${madeNats.toFixed(2)} nats (this run)`;
    return { ...d, "checked there": checked };
  });
}

/**
 * The rows whose divergence was measured and whose check passed (not missing, not "not
 * reproduced").
 */
export function divergencesChecked(rows: readonly DivergenceRow[]): number {
  return rows.filter(
    (r) =>
      !r["checked there"].startsWith("missing") && !r["checked there"].includes("not reproduced"),
  ).length;
}

/** "VAE: A8: reproduced; GAN: ..." for A4's summary. */
export function divergenceList(rows: readonly DivergenceRow[]): string {
  return rows.map((r) => `${r.family}: ${r["checked there"]}`).join("; ");
}

// ---------------------------------------------------------------------------------------------
// Section 4 · the same digits, five models (A2, A14, B7)

/** The five models' samples, keyed by the first word of their names. */
export type FamilyKey = "MADE" | "VAE" | "GAN" | "WGAN-GP" | "RealNVP";
export type FamilySamples = Record<FamilyKey, Timed>;

/** `n` timed samples of each model from one seed (flow at temperature 1, VAE pixel means). */
export async function sampleFamilies(zoo: Zoo, n: number, seed = 71): Promise<FamilySamples> {
  const label = `MADE: ${n} samples`;
  const flow = zoo.flow;
  return {
    MADE: await timed(n, () => sampleMADE(zoo.made.made, n, new Rng(seed), { label })),
    VAE: await timed(n, () => samplePrior(zoo.vae.vae, n, new Rng(seed))),
    GAN: await timed(n, () => generateSamples(zoo.gan.gan, n, new Rng(seed))),
    "WGAN-GP": await timed(n, () => generateSamples(zoo.wgan.gan, n, new Rng(seed))),
    RealNVP: await timed(n, () => flow.pre.decode(flowSample(flow.flow, n, new Rng(seed)), 784)),
  };
}

/** One model of section 4's table: what it offers and what it costs. */
export interface FamilyModel {
  model: string;
  family: string;
  likelihood: string;
  inference: string;
  /** Parameters used to sample and to train. */
  sample: number;
  train: number;
  fit: FitResult;
}

/** The likelihoods measured in section 4 (MADE's from section 1). */
export interface Likelihoods {
  madeNats: number;
  vaeBound: number;
  flowBpd: number;
}

/** The five models, with their likelihood and inference and their parameter counts. */
export function familyModels(zoo: Zoo, lik: Likelihoods): FamilyModel[] {
  const { made, vae, gan, wgan, flow } = zoo;
  const madeParams = countParams(made.made.params());
  const flowParams = countParams(flow.flow.params());
  const gans = (model: string, m: { gan: GAN; fit: FitResult }): FamilyModel => ({
    model,
    family: "GAN",
    likelihood: "none",
    inference: "none (optimise z)",
    sample: countParams(m.gan.gParams()),
    train: countParams(m.gan.params()),
    fit: m.fit,
  });
  return [
    {
      model: "MADE",
      family: "autoregressive",
      likelihood: `exact: ${lik.madeNats.toFixed(1)} nats`,
      inference: "none (no latent)",
      sample: madeParams,
      train: madeParams,
      fit: made.fit,
    },
    {
      model: "VAE (z = 20)",
      family: "VAE",
      likelihood: `bound: ${lik.vaeBound.toFixed(1)} nats (-IWAE_100)`,
      inference: "amortised (encoder)",
      sample: countParams(vae.vae.dec.params()),
      train: countParams(vae.vae.params()),
      fit: vae.fit,
    },
    gans("GAN (MLP)", gan),
    gans("WGAN-GP (MLP)", wgan),
    {
      model: "RealNVP (conv, multi-scale)",
      family: "flow",
      likelihood: `exact: ${lik.flowBpd.toFixed(3)} bits/dim (grey levels)`,
      inference: "exact (inverse)",
      sample: flowParams,
      train: flowParams,
      fit: flow.fit,
    },
  ];
}

/** The first word of a model's name: the key of its samples ("VAE (z = 20)" -> "VAE"). */
export function modelKey(model: string): FamilyKey {
  return model.split(" ")[0] as FamilyKey;
}

/** One row of section 4's table. */
export type FamilyRow = {
  model: string;
  family: string;
  likelihood: string;
  inference: string;
  Fréchet: number;
  "class KL": number;
  "Laplacian var": number;
  "params (sample / train)": string;
  "train min": number;
  "sample ms/img": number;
};

/** Section 4's rows: each model's samples scored by `qs`, its parameters, minutes and speed. */
export function familyRows(
  fam: readonly FamilyModel[],
  sampled: FamilySamples,
  qs: QualityScorer,
): FamilyRow[] {
  const millions = (n: number) => (n / 1e6).toFixed(2);
  return fam.map((f) => {
    const s = sampled[modelKey(f.model)];
    const q = qs.score(s.x);
    return {
      model: f.model,
      family: f.family,
      likelihood: f.likelihood,
      inference: f.inference,
      Fréchet: q.frechet,
      "class KL": q.classKl,
      "Laplacian var": q.laplacianVar,
      "params (sample / train)": `${millions(f.sample)}M / ${millions(f.train)}M`,
      "train min": minutes(f.fit),
      "sample ms/img": s.ms,
    };
  });
}

/** Section 4's table: the five rows and the real held-out digits' row. */
export function familyTable(rows: readonly FamilyRow[], qs: QualityScorer): Row[] {
  const real = {
    model: "real held-out digits",
    family: "",
    likelihood: "",
    inference: "",
    Fréchet: 0,
    "class KL": qs.reference.classKl,
    "Laplacian var": qs.reference.laplacianVar,
    "params (sample / train)": "",
    "train min": null,
    "sample ms/img": null,
  };
  return [...rows, real];
}

/** The title of section 4's table. */
export function familyTitle(nSamples: number, nLik: number): string {
  return `The five models on the same digits (${nSamples} samples each; likelihoods on ${nLik} held-out digits)`;
}

/** The metrics section 4 records, one per model: [key, values]. */
export function familyMetrics(
  fam: readonly FamilyModel[],
  rows: readonly FamilyRow[],
): [string, Record<string, number>][] {
  return rows.map((r, i) => [
    `family_${modelKey(r.model)}`,
    {
      frechet: r["Fréchet"],
      classKl: r["class KL"],
      laplacianVar: r["Laplacian var"],
      sampleParams: fam[i].sample,
      trainParams: fam[i].train,
      trainMinutes: r["train min"],
      sampleMs: r["sample ms/img"],
    },
  ]);
}

/** Fréchet distance against training minutes, one marker per model, its area ~ parameters. */
export function costFigure(rows: readonly FamilyRow[], fam: readonly FamilyModel[]): Figure {
  return {
    data: rows.map((r, i) => ({
      type: "scatter",
      mode: "markers+text",
      name: r.model,
      x: [r["train min"]],
      y: [r["Fréchet"]],
      text: [r.model],
      textposition: "top center",
      marker: { size: 8 + 4 * Math.sqrt(fam[i].train / 1e5) },
    })),
    layout: {
      title: { text: "Sample quality against training cost (marker area ~ parameters)" },
      xaxis: { title: { text: "training minutes (shipped run)" }, type: "log" },
      yaxis: { title: { text: "Fréchet distance to real digits (lower is better)" } },
      showlegend: false,
      height: 420,
    },
  };
}

/** The first entry whose model name starts with `prefix` ("GAN" is "GAN (MLP)", not WGAN-GP). */
export function byModel<T extends { model: string }>(list: readonly T[], prefix: string): T {
  return list[list.findIndex((r) => r.model.startsWith(prefix))];
}

/** One numeric column of section 4's rows with `digits` decimals, keyed by model. */
export function columnFixed(
  rows: readonly FamilyRow[],
  column: "Fréchet" | "Laplacian var" | "train min",
  digits: number,
): Record<FamilyKey, string> {
  const entries = rows.map((r) => [modelKey(r.model), r[column].toFixed(digits)]);
  return Object.fromEntries(entries) as Record<FamilyKey, string>;
}

/** Training parameters in millions with two decimals, keyed by model. */
export function paramsMillions(fam: readonly FamilyModel[]): Record<FamilyKey, string> {
  const entries = fam.map((f) => [modelKey(f.model), (f.train / 1e6).toFixed(2)]);
  return Object.fromEntries(entries) as Record<FamilyKey, string>;
}

/** What the prose before A14 says about the flow, checked on this run. */
export interface FlowProse {
  /** The conv flow has over ten times fewer parameters than the MLP flow and trained longer. */
  fewerParamsLongerTraining: boolean;
  /** Its samples have the highest Fréchet distance of the five. */
  worstFrechet: boolean;
}

/** Checks the prose on the flow against the rows and notebook 05's MLP flow run. */
export function flowProse(
  fam: readonly FamilyModel[],
  rows: readonly FamilyRow[],
  mlpFlow: { params: number; trainMinutes: number | null },
): FlowProse {
  const flowR = byModel(rows, "RealNVP");
  const others = rows.filter((r) => r !== flowR);
  return {
    fewerParamsLongerTraining:
      10 * byModel(fam, "RealNVP").train < mlpFlow.params &&
      flowR["train min"] > (mlpFlow.trainMinutes ?? Infinity),
    worstFrechet: others.every((r) => r["Fréchet"] < flowR["Fréchet"]),
  };
}

/** A14's checks and numbers: does the flow need the most compute, and does it pay off? */
export function a14Facts(fam: readonly FamilyModel[], rows: readonly FamilyRow[]) {
  const flowR = byModel(rows, "RealNVP");
  const others = rows.filter((r) => r !== flowR);
  const flowTrain = byModel(fam, "RealNVP").train;
  const bestFrechet = Math.min(...rows.map((r) => r["Fréchet"]));
  return {
    longest: others.every((r) => !(r["train min"] > flowR["train min"])),
    mostParams: fam.every((f) => f.train <= flowTrain),
    notBest: others.some((r) => r["Fréchet"] < flowR["Fréchet"]),
    numbers: {
      flowParams: flowTrain,
      flowMinutes: flowR["train min"],
      flowFrechet: flowR["Fréchet"],
      bestFrechet,
    },
  };
}

/**
 * A14's numbers as its summary prints them: parameters (millions) and minutes by model, Fréchet.
 */
export function a14Text(fam: readonly FamilyModel[], rows: readonly FamilyRow[]) {
  return {
    params: paramsMillions(fam),
    min: columnFixed(rows, "train min", 1),
    frechet: byModel(rows, "RealNVP")["Fréchet"].toFixed(1),
    best: Math.min(...rows.map((r) => r["Fréchet"])).toFixed(1),
  };
}

/** B7's checks and numbers: sharpness and Fréchet distance of the VAE, GAN and WGAN-GP. */
export function b7Facts(rows: readonly FamilyRow[]) {
  const col = (m: string, c: "Laplacian var" | "Fréchet") => byModel(rows, m)[c];
  const numbers = {
    vaeLaplacian: col("VAE", "Laplacian var"),
    ganLaplacian: col("GAN", "Laplacian var"),
    wganLaplacian: col("WGAN-GP", "Laplacian var"),
    vaeFrechet: col("VAE", "Fréchet"),
    ganFrechet: col("GAN", "Fréchet"),
    wganFrechet: col("WGAN-GP", "Fréchet"),
  };
  const n = numbers;
  return {
    ganSharper: n.ganLaplacian > n.vaeLaplacian,
    wganSharper: n.wganLaplacian > n.vaeLaplacian,
    closer: n.ganFrechet < n.vaeFrechet && n.wganFrechet < n.vaeFrechet,
    numbers,
  };
}

/** A2's check and summary parts: one model of each family, trained, sampled and scored. */
export function a2Facts(fam: readonly FamilyModel[], rows: readonly FamilyRow[]) {
  const families = new Set(fam.map((f) => f.family)).size;
  return {
    families,
    models: fam.length,
    allScored: rows.every((r) => Number.isFinite(r["Fréchet"])) && families === 4,
    likelihoods: fam.map((f) => `${f.family} ${f.likelihood.split(":")[0]}`).join(", "),
    inference: fam.map((f) => f.inference).join(" / "),
  };
}

// ---------------------------------------------------------------------------------------------
// Section 5 · modes (B8)

/** The mode coverage of one model on one toy over its seeds. */
export interface ToyCoverage {
  model: string;
  data: string;
  covs: ModeCoverage[];
}

/**
 * PacGAN's protocol for every family on each toy: VAE, GAN and WGAN-GP over `seeds`, RealNVP over
 * `flowSeeds` (shipped weights, or trained now).
 */
export async function toyCoverage(
  datasets: readonly string[],
  seeds: readonly number[],
  flowSeeds: readonly number[],
): Promise<ToyCoverage[]> {
  const out: ToyCoverage[] = [];
  for (const d of datasets) {
    const cv: Record<string, ModeCoverage[]> = { VAE: [], RealNVP: [], GAN: [], "WGAN-GP": [] };
    for (const s of seeds) {
      const v = await fitToyVAE(d, s);
      cv.VAE.push(scoreToyVAE(v.vae, v.mix, s));
      const g = await fitToyGAN(d, s);
      cv.GAN.push(scoreToy(g.gan, g.mix, s));
      const w = await fitToyWGAN("gp", d, s);
      cv["WGAN-GP"].push(scoreToy(w.gan, w.mix, s));
    }
    for (const s of flowSeeds) {
      const f = await fitToyFlow(d, s);
      cv.RealNVP.push(scoreToyFlow(f.flow, f.mix, s));
    }
    for (const [model, covs] of Object.entries(cv)) out.push({ model, data: d, covs });
  }
  return out;
}

/** Section 5's coverage table: one row per toy and model. */
export function toyCoverageRows(toys: readonly ToyCoverage[]): Row[] {
  return toys.map((t) => {
    const c = coverageSummary(t.covs);
    return {
      data: t.data,
      model: t.model,
      seeds: c.runs,
      "modes captured": `${c.modesMean.toFixed(1)} ± ${c.modesSd.toFixed(1)} of ${c.modes}`,
      "HQ fraction": c.hqMean,
      "reverse KL": c.rklMean,
      "runs with every mode": `${c.allModes}/${c.runs}`,
    };
  });
}

/** The metrics section 5 records, one per toy and model: [key, values]. */
export function toyCoverageMetrics(
  toys: readonly ToyCoverage[],
): [string, Record<string, number>][] {
  return toys.map((t) => {
    const c = coverageSummary(t.covs);
    const key = `modes_${t.model.replace(/[^A-Za-z]+/g, "_")}_${t.data}`;
    return [key, { modesMean: c.modesMean, hq: c.hqMean, rkl: c.rklMean, runs: t.covs.length }];
  });
}

/** One run on the unbalanced mixture (weights 0.45 / 0.45 / 0.10). */
export interface UnbalancedRun {
  model: string;
  seed: number;
  c: ModeCoverage;
}

/** The VAE and the GAN on the unbalanced mixture, seed by seed. */
export async function unbalancedRuns(seeds: readonly number[]): Promise<UnbalancedRun[]> {
  const out: UnbalancedRun[] = [];
  for (const s of seeds) {
    const v = await fitToyVAE("unbalanced", s);
    out.push({ model: "VAE", seed: s, c: scoreToyVAE(v.vae, v.mix, s) });
    const g = await fitToyGAN("unbalanced", s);
    out.push({ model: "GAN", seed: s, c: scoreToy(g.gan, g.mix, s) });
  }
  return out;
}

/** Section 5's unbalanced table: one row per run. */
export function unbalancedRows(runs: readonly UnbalancedRun[]): Row[] {
  return runs.map((u) => ({
    model: u.model,
    seed: u.seed,
    "HQ samples per mode (0.45 / 0.45 / 0.10)": u.c.hqCounts.join(" / "),
    "small mode's share of HQ samples": smallModeShare(u.c),
    "share of all samples nearest the small mode": u.c.nearestCounts[2] / u.c.n,
    "HQ fraction": u.c.hqFraction,
  }));
}

/** B8's statistics of the unbalanced runs (see b8Stats). */
export interface B8Stats {
  vaeMeanShare: number;
  ganMeanShare: number;
  vaeLostOrStarved: number;
  ganLostOrStarved: number;
}

/**
 * B8's numbers: per model, the mean small-mode share and the runs that lost it or starved it
 * (no HQ sample on it, or under half its true share of 0.10).
 */
export function b8Stats(runs: readonly UnbalancedRun[]): B8Stats {
  const of = (m: string) => runs.filter((u) => u.model === m);
  const lost = (m: string) =>
    of(m).filter((u) => u.c.hqCounts[2] === 0 || smallModeShare(u.c) < 0.05).length;
  const share = (m: string) => mean(of(m).map((u) => smallModeShare(u.c)));
  return {
    vaeMeanShare: share("VAE"),
    ganMeanShare: share("GAN"),
    vaeLostOrStarved: lost("VAE"),
    ganLostOrStarved: lost("GAN"),
  };
}

/** The numbers B8's verdict stores, from b8Stats and the runs per model. */
export function b8Numbers(s: B8Stats, runs: number): Record<string, number> {
  return {
    ganLostOrStarved: s.ganLostOrStarved,
    vaeLostOrStarved: s.vaeLostOrStarved,
    ganShare: s.ganMeanShare,
    vaeShare: s.vaeMeanShare,
    runs,
  };
}

// ---------------------------------------------------------------------------------------------
// Section 6 · how often each family trains (B11)

/** Where the B11 grid came from: shipped (with its date, minutes and code) or computed now. */
export function b11Source(grid: RunOutcome<RunBudget, B11Result>): string {
  const r = grid.record;
  const shipped =
    `shipped (computed ${r.createdAt.slice(0, 10)}, ${(r.seconds / 60).toFixed(1)} min, ` +
    `code ${r.codeVersion})`;
  return `${r.result.runs.length} runs, ${grid.source === "shipped" ? shipped : "computed now"}`;
}

/** Section 6's table: success and spread per family. */
export function b11Rows(summary: readonly B11FamilySummary[]): Row[] {
  return summary.map((f) => ({
    family: f.family,
    runs: f.runs,
    succeed: `${f.successes}/${f.runs}`,
    "success rate": f.successRate,
    diverged: f.diverged,
    "modes: mean ± sd": `${f.modes.mean.toFixed(1)} ± ${f.modes.sd.toFixed(1)}`,
    "modes: min-max": `${f.modes.min}-${f.modes.max}`,
    "reverse KL: mean ± sd": `${f.rkl.mean.toFixed(2)} ± ${f.rkl.sd.toFixed(2)}`,
  }));
}

/** The B11 grid's learning-rate factors. */
export const B11_LR_FACTORS = [0.1, 1, 10];

/** Success rate against the learning-rate factor, one line per family. */
export function b11RateChart(runs: readonly B11Run[], summary: readonly B11FamilySummary[]) {
  const rateAt = (family: string, lr: number) =>
    b11Summary(runs, { lrFactor: lr }).find((g) => g.family === family)!.successRate;
  const series = summary.map((f) => ({
    name: f.family,
    x: [...B11_LR_FACTORS],
    y: B11_LR_FACTORS.map((lr) => rateAt(f.family, lr)),
  }));
  return lineChart(series, {
    title: "Success rate by learning-rate factor",
    xTitle: "learning rate / recipe's",
    yTitle: "fraction of seeds",
    mode: "lines+markers",
    layout: { xaxis: { type: "log" } },
  });
}

/** One number per family of the B11 summary: VAE, GAN and WGAN-GP. */
export type PerFamily = {
  vae: number;
  gan: number;
  wganGp: number;
};

function perFamily(summary: readonly B11FamilySummary[], f: (s: B11FamilySummary) => number) {
  const of = (family: string) => f(summary.find((x) => x.family === family)!);
  return { vae: of("vae"), gan: of("gan"), wganGp: of("wgan-gp") };
}

/** Each family's success rate. */
export function b11Rates(summary: readonly B11FamilySummary[]): PerFamily {
  return perFamily(summary, (s) => s.successRate);
}

/** Each family's spread (sd) of the final reverse KL. */
export function b11RklSds(summary: readonly B11FamilySummary[]): PerFamily {
  return perFamily(summary, (s) => s.rkl.sd);
}

/** The numbers B11's verdict stores: the success rates and the grid's size. */
export function b11Numbers(rate: PerFamily, runs: number): Record<string, number> {
  return { vaeSuccess: rate.vae, ganSuccess: rate.gan, wganGpSuccess: rate.wganGp, runs };
}

// ---------------------------------------------------------------------------------------------
// Section 7 · the VAE with an adversarial term (B9)

/** Samples of the VAE and the hybrid from the same z, then the GAN's, `n` each. */
export function hybridSampleRows(vae: VAE, hybrid: VAE, gan: GAN, n = 12, seed = 81) {
  return concatImages([
    samplePrior(vae, n, new Rng(seed)),
    samplePrior(hybrid, n, new Rng(seed)),
    generateSamples(gan, n, new Rng(seed)),
  ]);
}

/** Held-out digits, then their reconstructions by the VAE and by the hybrid. */
export function hybridReconRows(vae: VAE, hybrid: VAE, heldOut: Float32Array): Float32Array {
  return concatImages([heldOut, reconstruct(vae, heldOut), reconstruct(hybrid, heldOut)]);
}

/** The hybrid's training curves (reconstruction, KL, adversarial term, D's loss); null without. */
export function hybridLossChart(fit: FitResult): Figure | null {
  if (!fit.history) return null;
  return lineChart(fit.history.toColumns(), {
    columns: ["recon", "kl", "adv", "d"],
    title: "Hybrid training: -log p(x|z), KL, adversarial term, D's loss",
    xTitle: "step",
    logY: true,
  });
}

/** The held-out reconstruction error (nats per digit) of binarised digits `x` (n x 784). */
export function heldOutRecon(vae: VAE, x: Float32Array): number {
  return reconError(x, reconstruct(vae, x), 784);
}

/** What section 7 measures on the VAE, the hybrid, the GAN and the real digits. */
export interface B9Scores {
  hybrid: SampleQuality;
  vae: SampleQuality;
  gan: SampleQuality;
  real: SampleQuality;
  /** -IWAE_100 on the binarised held-out digits. */
  bound: { vae: number; hybrid: number };
  /** Held-out reconstruction error, nats. */
  recon: { vae: number; hybrid: number };
}

/** Section 7's table; `min` holds the training minutes of the three models. */
export function b9Rows(s: B9Scores, min: { vae: number; hybrid: number; gan: number }): Row[] {
  const q = (model: string, x: SampleQuality) => ({
    model,
    Fréchet: x.frechet,
    "class KL": x.classKl,
    "Laplacian var": x.laplacianVar,
  });
  const lik = (recon: number | null, bound: number | null, trainMin: number | null) => ({
    "held-out recon (nats)": recon,
    "-IWAE_100 (nats)": bound,
    "train min": trainMin,
  });
  return [
    { ...q("VAE (notebook 02)", s.vae), ...lik(s.recon.vae, s.bound.vae, min.vae) },
    {
      ...q("VAE + adversarial term", s.hybrid),
      ...lik(s.recon.hybrid, s.bound.hybrid, min.hybrid),
    },
    { ...q("GAN (notebook 03)", s.gan), ...lik(null, null, min.gan) },
    { ...q("real held-out digits", { ...s.real, frechet: 0 }), ...lik(null, null, null) },
  ];
}

/** The title of section 7's table. */
export function b9Title(nSamples: number, nLik: number): string {
  return (
    `VAE, hybrid and GAN on the same digits (${nSamples} samples; ` +
    `reconstruction and likelihood on ${nLik} binarised held-out digits)`
  );
}

/** The metric section 7 records (b9_hybrid). */
export function b9Metric(s: B9Scores): Record<string, number> {
  return {
    frechet: s.hybrid.frechet,
    classKl: s.hybrid.classKl,
    laplacianVar: s.hybrid.laplacianVar,
    reconNats: s.recon.hybrid,
    iwae100: s.bound.hybrid,
    vaeReconNats: s.recon.vae,
    vaeIwae100: s.bound.vae,
    vaeFrechet: s.vae.frechet,
    ganFrechet: s.gan.frechet,
  };
}

/** B9's checks: sharper, still reconstructs, as balanced, and the best Fréchet distance. */
export function b9Checks(s: B9Scores) {
  const { hybrid: h, vae: v, gan: g } = s;
  return {
    sharper: h.laplacianVar > v.laplacianVar,
    recon: s.recon.hybrid < 1.5 * s.recon.vae,
    kl: h.classKl <= v.classKl + 0.05,
    frechet: h.frechet < v.frechet && h.frechet < g.frechet,
  };
}

/** The numbers B9's verdict stores. */
export function b9Numbers(s: B9Scores): Record<string, number> {
  return {
    laplacian: s.hybrid.laplacianVar,
    vaeLaplacian: s.vae.laplacianVar,
    frechet: s.hybrid.frechet,
    vaeFrechet: s.vae.frechet,
    ganFrechet: s.gan.frechet,
    classKl: s.hybrid.classKl,
    vaeClassKl: s.vae.classKl,
    recon: s.recon.hybrid,
    vaeRecon: s.recon.vae,
    iwae100: s.bound.hybrid,
    vaeIwae100: s.bound.vae,
  };
}

/** B9's numbers as its summary prints them (Laplacian and class KL 3 decimals, the rest 1). */
export function b9Text(s: B9Scores) {
  const each = (f: (q: SampleQuality) => number, d: number) => ({
    hybrid: f(s.hybrid).toFixed(d),
    vae: f(s.vae).toFixed(d),
    gan: f(s.gan).toFixed(d),
    real: f(s.real).toFixed(d),
  });
  return {
    lap: each((q) => q.laplacianVar, 3),
    fr: each((q) => q.frechet, 1),
    kl: each((q) => q.classKl, 3),
    rec: fixedAll(s.recon, 1),
    bound: fixedAll(s.bound, 1),
  };
}

/**
 * Section 7's reading of its table, from the numbers: whether the hybrid is sharper, closer to the
 * data (Fréchet) and worse in likelihood than the VAE, with both models' training budgets (they
 * differ until the hybrid is retrained on the official split: issue 17).
 */
export function b9Reading(
  s: B9Scores,
  trained: { vae: { steps: number; digits: number }; hybrid: { steps: number; digits: number } },
): string {
  const { hybrid: h, vae: v } = s;
  const sharper = h.laplacianVar > v.laplacianVar;
  const closer = h.frechet < v.frechet;
  const paid = s.bound.hybrid > s.bound.vae;
  const b = (x: { steps: number; digits: number }) => `${x.steps} steps on ${x.digits} digits`;
  const same =
    trained.vae.steps === trained.hybrid.steps && trained.vae.digits === trained.hybrid.digits;
  return (
    `**Reading the result.** Against the VAE, the adversarial term makes the pixel means ` +
    `${sharper ? "sharper" : "no sharper"} (Laplacian variance ${fmtNumber(h.laplacianVar)} ` +
    `against ${fmtNumber(v.laplacianVar)}; real digits ${fmtNumber(s.real.laplacianVar)}) and ` +
    `${closer ? "closer to" : "further from"} real digits in the classifier's feature space ` +
    `(Fréchet ${fmtNumber(h.frechet)} against ${fmtNumber(v.frechet)}), and its -IWAE bound is ` +
    `${paid ? "higher (worse)" : "not higher"}: ${fmtNumber(s.bound.hybrid)} against ` +
    `${fmtNumber(s.bound.vae)} nats (a higher bound is the price of pushing the decoder's pixel ` +
    `probabilities away from the averages that maximise log p(x|z)). ${same ? "Both trained " + b(trained.vae) + "." : `The two did not train alike: the hybrid ${b(trained.hybrid)}, the VAE ${b(trained.vae)}, so the comparison mixes the adversarial term with the budget and the data.`} ` +
    `One gamma, one seed, chosen from two: a seminar can take exercise 4 further.`
  );
}

/** A verdict's checks as table rows: check, pass, essential. */
export function checkRows(v: ClaimVerdict): Row[] {
  return v.checks.map((c) => ({ check: c.name, pass: c.pass, essential: !c.caveat }));
}

// ---------------------------------------------------------------------------------------------
// Section 8 · the timeline (A13)

const FAMILY_Y: Record<Milestone["family"], number> = {
  autoregressive: 0,
  VAE: 1,
  GAN: 2,
  flow: 3,
};

/** The timeline as a scatter: one row per family, one labelled marker per model. */
export function timelineFigure(timeline: readonly Milestone[] = TIMELINE): Figure {
  const families = Object.keys(FAMILY_Y) as Milestone["family"][];
  const of = (f: string) => timeline.filter((m) => m.family === f);
  return {
    data: families.map((f) => ({
      type: "scatter",
      mode: "text+markers",
      name: f,
      x: of(f).map((m) => m.arxivDate),
      y: of(f).map(() => FAMILY_Y[f]),
      text: of(f).map((m) => m.model),
      textposition: "top center",
    })),
    layout: {
      title: { text: "First arXiv versions (NADE: conference date)" },
      yaxis: { tickvals: Object.values(FAMILY_Y), ticktext: families, range: [-0.5, 3.7] },
      xaxis: { type: "date" },
      height: 380,
    },
  };
}

/** The timeline as table rows. */
export function timelineRows(timeline: readonly Milestone[] = TIMELINE): Row[] {
  return timeline.map((m) => ({
    date: m.arxivDate,
    model: m.model,
    family: m.family,
    authors: m.authors,
    arXiv: m.arxiv,
    venue: m.venue,
  }));
}

/** A13's facts: the first VAE, GAN and flow (NICE), their years and the post's venues. */
export function a13Facts(timeline: readonly Milestone[] = TIMELINE) {
  const first = (f: string) => timeline.find((m) => m.family === f)!;
  const vae = first("VAE");
  const gan = first("GAN");
  const nice = first("flow");
  const years = [vae, gan, nice].map((m) => Number(m.arxivDate.slice(0, 4)));
  return {
    vae,
    gan,
    nice,
    years,
    in2013to2014: years.every((y) => y >= 2013 && y <= 2014),
    venuesAsPost: vae.venue.includes("NIPS") && nice.venue.includes("2014"),
  };
}

// ---------------------------------------------------------------------------------------------
// Section 9 · the claims table

/** The claims table's counts as the metric claims_counts. */
export function claimsCountsMetric(cc: ClaimsCounts): Record<string, number> {
  return {
    claims: cc.claims,
    withVerdict: cc.withVerdict,
    missing: cc.missing,
    reproduced: cc.verdicts["reproduced"],
    withCaveat: cc.verdicts["reproduced with a caveat"],
    notReproduced: cc.verdicts["not reproduced"],
  };
}

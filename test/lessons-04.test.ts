import { test } from "node:test";
import * as assert from "node:assert/strict";
import {
  b5Metric,
  b5Numbers,
  b5Ratios,
  b6Numbers,
  coverageTableRows,
  estimateOf,
  lastRowsMean,
  lateModes128,
  lateModes512,
  mnistTracking,
  parallelLinesErrors,
  parallelLinesRows,
  successFractions,
  trackingMedians,
  trackingRows,
  trackRhos,
  upperMedian,
  wideMetric,
  type ToyRun,
  type ToyRuns,
  type TrackedRun,
} from "../lib/lessons/04_wgan";
import type { ParallelLinesRow, WideGridSeed } from "../lib/models/wgan";
import type { ModeCoverage } from "../lib/eval/modes";
import type { QualityRow } from "../lib/lessons/common";
import { History, type HistoryRow } from "../lib/training/train";

const lineRow = (theta: number, o: Partial<ParallelLinesRow> = {}): ParallelLinesRow => ({
  theta,
  jsExact: theta === 0 ? 0 : Math.log(2),
  jsSamples: theta === 0 ? 0 : Math.log(2),
  klExact: theta === 0 ? 0 : Infinity,
  klSamples: theta === 0 ? 0 : Infinity,
  w1Exact: Math.abs(theta),
  w1Samples: Math.abs(theta),
  w1Critic: Math.abs(theta),
  ...o,
});

test("parallel lines: the errors are the largest deviations; θ = 0 is left out of JS and KL", () => {
  const lines = [
    lineRow(-1, { w1Samples: 1.01, w1Critic: 0.9 }),
    lineRow(0, { jsSamples: 0.3, klSamples: 0.2 }),
    lineRow(0.5, { jsSamples: Math.log(2) - 0.002, w1Samples: 0.49 }),
  ];
  const e = parallelLinesErrors(lines);
  assert.ok(Math.abs(e.js - 0.002) < 1e-12);
  assert.ok(Math.abs(e.w1 - 0.01) < 1e-12);
  assert.ok(Math.abs(e.critic - 0.1) < 1e-12);
  assert.equal(e.klInfinite, true);
  const finite = parallelLinesErrors([lineRow(1, { klSamples: 3 })]);
  assert.equal(finite.klInfinite, false);
  assert.ok(Number.isNaN(parallelLinesErrors([lineRow(1, { w1Critic: null })]).critic));
  const row = parallelLinesRows([lineRow(1, { w1Critic: null })])[0];
  assert.equal(row["KL exact"], "Infinity");
  assert.equal(row["W1 critic"], null);
});

test("upperMedian: the upper middle value, not the mean of the two", () => {
  assert.equal(upperMedian(new Float32Array([3, 1, 4, 2])), 3);
  assert.equal(upperMedian(new Float32Array([5, 1, 3])), 3);
});

test("B5: ratios end over start, under the names of the verdict and of the metric", () => {
  const critics = {
    "gradient penalty": [
      { step: 0, w1: 0.1, wgan: 2 },
      { step: 50, w1: 3, wgan: 1 },
    ],
    clipping: [
      { step: 0, w1: 0, wgan: 4 },
      { step: 50, w1: 0.01, wgan: 1 },
    ],
  };
  const van = (s: number, ns: number) => ({
    step: 0,
    accuracy: 1,
    dFake: 0,
    saturating: s,
    nonsaturating: ns,
  });
  const r = b5Ratios(critics, [van(10, 1), van(0.01, 5)]);
  assert.deepEqual(r, { gp: 0.5, clip: 0.25, ganSat: 0.001, ganNonSat: 5 });
  assert.deepEqual(b5Numbers(r), {
    gpRatio: 0.5,
    clipRatio: 0.25,
    ganSaturatingRatio: 0.001,
    ganNonSaturatingRatio: 5,
  });
  assert.deepEqual(b5Metric(critics, r), { gradientPenalty: 0.5, clipping: 0.25, gpW1End: 3 });
});

const cov = (modesCaptured: number, modes: number, hqFraction: number): ModeCoverage => ({
  modesCaptured,
  modes,
  hqFraction,
  reverseKl: 0.1,
  hqCounts: [],
  nearestCounts: [],
  n: 100,
});

const run = (c: ModeCoverage, seed: number, modesLog?: number[]): ToyRun =>
  ({
    cov: c,
    seed,
    fit: {
      history: modesLog
        ? new History(modesLog.map((m, i) => ({ step: i, seconds: 0, modes: m }) as HistoryRow))
        : null,
    },
  }) as unknown as ToyRun;

test("the last 10 log rows: their mean, then averaged over the runs that have a log", () => {
  assert.equal(lastRowsMean([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), 7.5);
  assert.equal(lastRowsMean([2, 4]), 3);
  const runs = [run(cov(8, 8, 1), 0, [2, 4]), run(cov(8, 8, 1), 1), run(cov(8, 8, 1), 2, [10])];
  assert.equal(lateModes128(runs), 6.5);
  const seed = (modes: number[] | null) =>
    ({ history: modes ? { step: modes.map((_, i) => i), modes, hq: [] } : null }) as WideGridSeed;
  assert.equal(lateModes512([seed([24, 25]), seed(null), seed([23])]), 23.75);
});

test("success: every mode and HQ >= 0.5; fractions per family and data set", () => {
  const toy: ToyRuns = {
    GAN: { ring8: [run(cov(8, 8, 0.5), 0), run(cov(7, 8, 0.9), 1)] },
    "WGAN-GP": { ring8: [run(cov(8, 8, 0.49), 0), run(cov(8, 8, 0.7), 1)] },
  };
  toy.GAN.ring8.push(run(cov(8, 8, 0.6), 2));
  const s = successFractions(toy, ["ring8"]);
  assert.deepEqual(Object.keys(s), ["GAN ring8", "WGAN-GP ring8"]);
  assert.ok(Math.abs(s["GAN ring8"] - 2 / 3) < 1e-12);
  assert.equal(s["WGAN-GP ring8"], 0.5);
  const rows = coverageTableRows(toy, ["ring8"]);
  assert.deepEqual(
    rows.map((r) => r.model),
    [
      "GAN (ours, 3 seeds)",
      "WGAN-GP (ours, 2 seeds)",
      "GAN (PacGAN Table 1, 10 trials)",
      "PacGAN4 (PacGAN Table 1, 10 trials)",
    ],
  );
  assert.equal(rows[1]["modes captured"], "8.0 ± 0.0 of 8");
  assert.equal(rows[1]["runs with every mode"], "2/2");
});

test("tracking: the GAN's JS estimate, finite ρ only, medians per family", () => {
  const js = estimateOf("GAN") as (r: HistoryRow) => number;
  assert.ok(Math.abs(js({ step: 0, seconds: 0, d: Math.log(4) - 1 }) - 0.5) < 1e-12);
  assert.equal(estimateOf("WGAN-GP"), "w1");
  const t = (fam: string, d: string, rho: number | null, hq: number | null): TrackedRun => ({
    fam,
    d,
    seed: 0,
    rkl: rho === null ? null : { rho, n: 10 },
    notHq: hq === null ? null : { rho: hq, n: 10 },
  });
  const track = [
    t("WGAN-GP", "ring8", 0.2, 0.9),
    t("WGAN-GP", "grid25", NaN, 0.6),
    t("WGAN-GP", "grid25", 0.4, null),
    t("GAN", "ring8", -0.5, 0.1),
  ];
  assert.deepEqual(trackRhos(track, "WGAN-GP", null, "rkl"), [0.2, 0.4]);
  assert.deepEqual(trackRhos(track, "WGAN-GP", "grid25", "notHq"), [0.6]);
  const m = trackingMedians(track);
  assert.ok(Math.abs(m.gpRkl - 0.3) < 1e-12 && Math.abs(m.gpHq - 0.75) < 1e-12);
  assert.equal(m.ganRkl, -0.5);
  const rows = trackingRows(track);
  assert.deepEqual(
    rows.map((r) => `${r.model} ${r.data} ${r["runs with ρ > 0.5 (1 - HQ)"]}`),
    ["WGAN-GP ring8 1/1", "WGAN-GP grid25 1/1", "GAN ring8 0/1", "GAN grid25 0/0"],
  );
  assert.ok(Number.isNaN(rows[3]["median ρ with 1 - HQ"] as number));
});

test("MNIST tracking: three stretches of the log; none without a log", () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({
    step: i,
    seconds: 0,
    w1: i < 20 ? 30 - i : i,
    fd: 30 - i,
  }));
  const t = mnistTracking(new History(rows));
  assert.equal(t.early?.rho, 1);
  assert.equal(t.early?.n, 20);
  assert.equal(t.late?.rho, -1);
  assert.equal(t.after5?.n, 25);
  assert.deepEqual(mnistTracking(null), { early: null, after5: null, late: null });
});

test("the wide runs' metric and the B6 numbers", () => {
  const c = {
    runs: 5,
    modes: 25,
    modesMean: 24.2,
    modesSd: 0.4,
    hqMean: 0.3,
    rklMean: 0.05,
    allModes: 2,
    perRun: [],
  };
  assert.deepEqual(wideMetric({ cov: c, late: 23.9 }, 23.6), {
    modesMean: 24.2,
    modesLast10Rows: 23.9,
    modesLast10Rows128: 23.6,
    modesSd: 0.4,
    hq: 0.3,
    rkl: 0.05,
    allModes: 2,
    runs: 5,
  });
  const toy: ToyRuns = {
    GAN: { ring8: [run(cov(6, 8, 0.9), 0)], grid25: [run(cov(20, 25, 0.8), 0)] },
    "WGAN-GP": { ring8: [run(cov(8, 8, 0.4), 0)], grid25: [run(cov(22, 25, 0.1), 0)] },
  };
  const q = (frechet: number) => ({ frechet }) as QualityRow;
  const n = b6Numbers({
    toy,
    gpWide: c,
    rho: { gpHq: 0.7, gpRkl: 0.6, ganHq: 0.1, ganRkl: 0 },
    mnist: { early: null, after5: { rho: 0.8, n: 90 }, late: null },
    gan: q(40),
    gp: q(30),
  });
  assert.deepEqual(n, {
    gpRingModes: 8,
    gpGridModes: 22,
    gpRingHq: 0.4,
    gpGridHq: 0.1,
    gpWideGridModes: 24.2,
    gpWideGridHq: 0.3,
    ganRingModes: 6,
    ganGridModes: 20,
    trackingRhoToys: 0.7,
    trackingRhoToysRkl: 0.6,
    ganTrackingRhoToys: 0.1,
    trackingRhoMnist: 0.8,
    frechetWganGp: 30,
    frechetGan: 40,
  });
});

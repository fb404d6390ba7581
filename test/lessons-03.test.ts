import { test } from "node:test";
import assert from "node:assert/strict";
import { smallModeShare, type ModeCoverage } from "../lib/eval/modes";
import type { Inversion, VanishingRow } from "../lib/models/gan";
import type { SpreadGuard } from "../lib/claims/spread";
import {
  collapseCounts,
  coverageMetrics,
  dGapMetric,
  earlyModesText,
  fewestModes,
  gradientRatioMetric,
  gradientRatioRows,
  guardRunCount,
  guideNumbers,
  imageModeNumbers,
  imageMse,
  inversionMetric,
  pickSolutions,
  pushforwardNumbers,
  sharpnessMetrics,
  smallModeCounts,
  snapshotPicks,
  speckleNote,
  startOf,
  variantsText,
  variantsTopModeText,
  type SnapshotRow,
  type ToyRun,
  type VariantRun,
} from "../lib/lessons/03_gan";

/** A coverage record with the given HQ and nearest counts (8 modes unless told). */
function cov(hqCounts: number[], nearestCounts: number[], reverseKl = 0.1): ModeCoverage {
  const n = nearestCounts.reduce((a, b) => a + b, 0);
  return {
    modesCaptured: hqCounts.filter((c) => c > 0).length,
    modes: hqCounts.length,
    hqFraction: hqCounts.reduce((a, b) => a + b, 0) / n,
    reverseKl,
    hqCounts,
    nearestCounts,
    n,
  };
}

const vrow = (step: number, accuracy: number, sat: number, nonsat: number): VanishingRow => ({
  step,
  accuracy,
  dFake: 1 - accuracy,
  saturating: sat,
  nonsaturating: nonsat,
});

test("B5: end/start gradient ratios and accuracies per case, and the metric's four ratios", () => {
  const rows = gradientRatioRows({
    overlapping: [vrow(0, 0.5, 2, 4), vrow(50, 0.7, 1, 4)],
    disjoint: [vrow(0, 0.6, 10, 1), vrow(50, 1, 0.01, 3)],
  });
  assert.deepEqual(
    rows.map((r) => r.case),
    ["overlapping", "disjoint"],
  );
  assert.equal(rows[1]["D accuracy, start"], 0.6);
  assert.equal(rows[1]["D accuracy, end"], 1);
  assert.equal(rows[1]["mean D(G(z)), end"], 0);
  assert.equal(rows[1]["saturating |grad| end/start"], 0.001);
  assert.equal(rows[1]["non-saturating |grad| end/start"], 3);
  assert.deepEqual(gradientRatioMetric(rows[0], rows[1]), {
    disjointSaturating: 0.001,
    disjointNonSaturating: 3,
    overlapSaturating: 0.5,
    overlapNonSaturating: 1,
  });
});

test("guardRunCount: passing runs, recorded runs, seeds and backends", () => {
  const guard = {
    passing: 5,
    runs: 16,
    record: { seeds: [1, 2, 3, 4, 5, 6, 7, 8], backends: [{}, {}] },
  } as unknown as SpreadGuard;
  assert.equal(guardRunCount(guard), "5 of 16 recorded runs (8 seeds, 2 backends)");
});

const snap = (
  step: number,
  real: number,
  fake: number,
  modes: number,
  hq: number,
): SnapshotRow => ({
  step,
  "mean D(real)": real,
  "mean D(G(z))": fake,
  "modes captured": modes,
  "HQ fraction": hq,
});

test("B1, B3: numbers from the first, last and intermediate snapshots; the D gap per step", () => {
  const rows = [
    snap(0, 0.9, 0.1, 0, 0.01),
    snap(10, 0.8, 0.3, 4, 0.4),
    snap(20, 0.4, 0.6, 6, 0.6),
    snap(30, 0.7, 0.5, 7, 0.8),
    snap(40, 0.55, 0.5, 8, 0.9),
  ];
  assert.deepEqual(pushforwardNumbers(rows), { hqStart: 0.01, modesEnd: 8, hqEnd: 0.9 });
  // Intermediate snapshots are steps 10, 20, 30: D(real) is above D(G(z)) at 10 and 30.
  assert.deepEqual(guideNumbers(rows), { snapshotsRealAbove: 2, snapshots: 3, dRealEnd: 0.55 });
  const gap = dGapMetric(rows);
  assert.deepEqual(Object.keys(gap), ["step0", "step10", "step20", "step30", "step40"]);
  assert.ok(Math.abs(gap.step20 - -0.2) < 1e-12);
});

test("snapshotPicks: 0, 2, 5 and the last, only those that exist, each once", () => {
  assert.deepEqual(snapshotPicks(16), [0, 2, 5, 15]);
  assert.deepEqual(snapshotPicks(6), [0, 2, 5]);
  assert.deepEqual(snapshotPicks(3), [0, 2]);
  assert.deepEqual(snapshotPicks(1), [0]);
});

test("B4: runs that drop a mode; runs on one mode (<= 1 captured, or > 90% of samples on one)", () => {
  const all8 = cov([1, 1, 1, 1, 1, 1, 1, 1], [10, 10, 10, 10, 10, 10, 10, 10]);
  const six = cov([1, 1, 1, 1, 1, 1, 0, 0], [10, 10, 10, 10, 10, 10, 10, 10]);
  const piled = cov([5, 1, 1, 1, 1, 1, 1, 1], [93, 1, 1, 1, 1, 1, 1, 1]);
  const one = cov([9, 0, 0, 0, 0, 0, 0, 0], [30, 10, 10, 10, 10, 10, 10, 10]);
  assert.deepEqual(collapseCounts([all8, six, piled, one]), { dropped: 2, single: 2 });
  // 90 of 100 on one mode is not more than 90%:
  const edge = cov([5, 1, 1, 1, 1, 1, 1, 1], [90, 10, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(collapseCounts([edge]), { dropped: 0, single: 0 });
});

test("B4 metrics: mean modes, HQ fraction and reverse KL (log(modes) for a run without HQ)", () => {
  const a = cov([1, 1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1, 1], 0.2);
  const b = cov([1, 1, 1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1], NaN);
  const m = coverageMetrics({ ring8: [a, b], grid25: [a] });
  assert.deepEqual(m.modes, { ring8: 6, grid25: 8 });
  assert.deepEqual(m.hq, { ring8: 0.75, grid25: 1 });
  assert.ok(Math.abs(m.rkl.ring8 - (0.2 + Math.log(8)) / 2) < 1e-12);
  assert.equal(m.rkl.grid25, 0.2);
});

test("B4 runs: the run with the fewest modes, and the first log row per seed in words", () => {
  const scores = {
    ring8: [cov([1, 1, 1, 1, 1, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1, 1])],
    grid25: [
      cov(new Array(25).fill(1), new Array(25).fill(1)),
      cov([...new Array(10).fill(1), ...new Array(15).fill(0)], new Array(25).fill(1)),
    ],
  };
  const w = fewestModes(scores);
  assert.deepEqual([w.k, w.i], ["grid25", 1]);
  const run = (step: number, modes: number) =>
    ({ fit: { history: { rows: [{ step, modes }] } } }) as unknown as ToyRun;
  const runs = { ring8: [run(50, 2), run(50, 3)], grid25: [run(50, 9)] };
  assert.equal(
    earlyModesText(runs, { ring8: [2, 3], grid25: [9] }),
    "ring8: modes captured at the first log row (step 50), per seed: 2, 3\n" +
      "grid25: modes captured at the first log row (step 50), per seed: 9",
  );
});

test("B4 variants in words: modes per setting, and the largest mode's share of the samples", () => {
  const v = (setting: string, c: ModeCoverage) => ({ setting, cov: c }) as VariantRun;
  const vr = [
    v("saturating", cov([1, 1, 1, 1, 1, 1, 1, 1], [10, 10, 10, 10, 10, 10, 20, 20])),
    v("fastG", cov([1, 1, 1, 0, 0, 0, 0, 0], [70, 10, 20, 0, 0, 0, 0, 0])),
  ];
  assert.equal(variantsText(vr), "saturating 8/8, fastG 3/8");
  assert.equal(
    variantsTopModeText(vr),
    "saturating 8/8 modes, top mode 20% of samples; fastG 3/8 modes, top mode 70% of samples",
  );
});

test("B4 on images: the toys' counts with the MNIST class balance", () => {
  const n = imageModeNumbers(
    3,
    13,
    { ring8: 7.2, grid25: 20 },
    { classKl: 0.3, topClassShare: 0.2 },
  );
  assert.deepEqual(n, {
    runsDropping: 3,
    runs: 13,
    ringModes: 7.2,
    gridModes: 20,
    mnistClassKl: 0.3,
    mnistTopClassShare: 0.2,
  });
});

test("B8: the small mode's share of HQ samples (0 without any), lost and starved runs", () => {
  assert.equal(smallModeShare(cov([45, 45, 10], [50, 50, 10])), 0.1);
  assert.equal(smallModeShare(cov([0, 0, 0], [1, 1, 1])), 0);
  const runs = [
    { seed: 0, c: cov([45, 45, 10], [50, 50, 10]), share: 0.1 },
    { seed: 1, c: cov([48, 48, 4], [50, 50, 4]), share: 0.04 },
    { seed: 2, c: cov([50, 50, 0], [50, 50, 1]), share: 0 },
  ];
  assert.deepEqual(smallModeCounts(runs), { lost: 1, starved: 2 });
});

test("B7: the speckle note only when the GAN's Laplacian variance is over 1.5x real digits'", () => {
  assert.equal(speckleNote(1.5, 1), "");
  assert.match(speckleNote(1.6, 1), /^ The GAN's Laplacian variance .* not sharper strokes\.$/);
});

/** Two targets, three starts each, 1-D noise and 2-pixel "images" equal to the error. */
function inversion(): Inversion {
  const error = Float32Array.from([0.5, 0.25, 0.75, 0.125, 0.0625, 1]);
  return {
    z: Float32Array.from([0, 1, 2, 3, 4, 5]),
    error,
    x: Float32Array.from([...error].flatMap((e) => [e, -e])),
    targets: 2,
    starts: 3,
    seconds: 0.5,
  };
}

test("A5: best and worst start per target and their images", () => {
  const inv = inversion();
  assert.deepEqual([startOf(inv, 0, false), startOf(inv, 0, true)], [1, 2]);
  assert.deepEqual([startOf(inv, 1, false), startOf(inv, 1, true)], [4, 5]);
  assert.deepEqual(Array.from(pickSolutions(inv, false)), [0.25, -0.25, 0.0625, -0.0625]);
  assert.deepEqual(Array.from(pickSolutions(inv, true)), [0.75, -0.75, 1, -1]);
});

test("A5: per-image MSE over 784 pixels, and the inversion metric's means and time per image", () => {
  const a = new Float32Array(2 * 784).fill(0.5);
  const b = new Float32Array(2 * 784);
  b.fill(0.25, 784);
  assert.equal(imageMse(a, b, 0), 0.25);
  assert.equal(imageMse(a, b, 1), 0.0625);
  const s = (v: number[]) => ({
    best: v,
    failed: v.map((x) => x / 2),
    spread: v.map((x) => 2 * x),
  });
  const m = inversionMetric(s([0.1, 0.3]), s([1, 2]), inversion());
  assert.ok(Math.abs(m.ownBestMse - 0.2) < 1e-12);
  assert.ok(Math.abs(m.ownFailed - 0.1) < 1e-12);
  assert.ok(Math.abs(m.ownSpread - 0.4) < 1e-12);
  assert.equal(m.realBestMse, 1.5);
  assert.equal(m.realSpread, 3);
  assert.equal(m.msPerImage, 250);
});

test("B7 metrics: the GAN's numbers with real digits' sharpness, and the VAE's", () => {
  const q = (laplacianVar: number, frechet: number, classKl: number) => ({
    laplacianVar,
    frechet,
    classKl,
    histogram: [],
    topClassShare: 0.1,
  });
  const m = sharpnessMetrics(q(0.2, 0, 0.01), q(0.4, 50, 0.03), q(0.08, 30, 0.06));
  assert.deepEqual(m.gan, {
    laplacianVar: 0.4,
    realLaplacianVar: 0.2,
    frechet: 50,
    classKlFromUniform: 0.03,
  });
  assert.deepEqual(m.vae, { laplacianVar: 0.08, frechet: 30, classKlFromUniform: 0.06 });
});

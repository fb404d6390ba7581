import { test } from "node:test";
import assert from "node:assert/strict";
import { grid25, ring8, sampleMixture, type Mixture } from "../lib/data/toys";
import { coverageSummary, modeCoverage, PACGAN_SAMPLES } from "../lib/eval/modes";
import { Rng } from "../lib/runtime/random";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

/** `counts[k]` points at mode k, offset by `offsetSigmas` sigmas along x. */
function pointsAt(mix: Mixture, counts: number[], offsetSigmas = 0): number[] {
  const out: number[] = [];
  counts.forEach((c, k) => {
    for (let i = 0; i < c; i++)
      out.push(mix.means[k][0] + offsetSigmas * mix.sigma, mix.means[k][1]);
  });
  return out;
}

test("all samples on 6 of 8 ring modes, evenly: 6 captured, HQ 100%, reverse KL = log(8/6)", () => {
  const ring = ring8();
  const c = modeCoverage(pointsAt(ring, [10, 10, 10, 0, 10, 10, 0, 10]), ring);
  assert.equal(c.modesCaptured, 6);
  assert.equal(c.hqFraction, 1);
  close(c.reverseKl, Math.log(8 / 6), 1e-12, "reverse KL");
  assert.deepEqual(c.hqCounts, [10, 10, 10, 0, 10, 10, 0, 10]);
});

test("uneven histogram: reverse KL by hand; points beyond 3 sigma count to the nearest mode but are not HQ", () => {
  const grid = grid25();
  const counts = new Array(25).fill(0);
  counts[0] = 30;
  counts[12] = 10;
  const hq = pointsAt(grid, counts, 2.9);
  const far = pointsAt(grid, [0, 0, 0, 5], 3.5); // 5 points near mode 3, outside 3 sigma
  const c = modeCoverage([...hq, ...far], grid);
  assert.equal(c.modesCaptured, 2);
  close(c.hqFraction, 40 / 45, 1e-15, "HQ fraction");
  assert.equal(c.nearestCounts[3], 5);
  assert.equal(c.hqCounts[3], 0);
  const expected = 0.75 * Math.log(0.75 * 25) + 0.25 * Math.log(0.25 * 25);
  close(c.reverseKl, expected, 1e-12, "reverse KL");
});

test("samples from the true mixture: every mode captured, HQ near 98.9% (3-sigma disc), reverse KL near 0", () => {
  for (const mix of [ring8(), grid25()]) {
    const s = sampleMixture(mix, PACGAN_SAMPLES, new Rng(1));
    const c = modeCoverage(s.x, mix);
    assert.equal(c.modesCaptured, mix.means.length, mix.name);
    // P(chi^2_2 < 9) = 1 - exp(-4.5) = 0.98889.
    close(c.hqFraction, 1 - Math.exp(-4.5), 0.006, `${mix.name} HQ fraction`);
    assert.ok(c.reverseKl < 0.02, `${mix.name} reverse KL ${c.reverseKl}`);
  }
});

test("no HQ sample: nothing captured and reverse KL is NaN; bad input is an error", () => {
  const c = modeCoverage([10, 10, -10, 10], ring8());
  assert.equal(c.modesCaptured, 0);
  assert.equal(c.hqFraction, 0);
  assert.ok(Number.isNaN(c.reverseKl));
  assert.throws(() => modeCoverage([1, 2, 3], ring8()), /2-D points/);
  assert.throws(() => modeCoverage([NaN, 0], ring8()), /sample 0/);
});

test("coverageSummary: means, spread, runs with every mode, a run without HQ samples counts log(modes)", () => {
  const mk = (modesCaptured: number, hq: number, rkl: number) => ({
    modesCaptured,
    modes: 8,
    hqFraction: hq,
    reverseKl: rkl,
    hqCounts: [],
    nearestCounts: [],
    n: 100,
  });
  const s = coverageSummary([mk(8, 0.9, 0.1), mk(6, 0.5, 0.3), mk(0, 0, NaN)]);
  assert.equal(s.runs, 3);
  assert.ok(Math.abs(s.modesMean - 14 / 3) < 1e-12);
  assert.ok(
    Math.abs(s.modesSd - Math.sqrt(((8 - 14 / 3) ** 2 + (6 - 14 / 3) ** 2 + (14 / 3) ** 2) / 3)) <
      1e-12,
  );
  assert.ok(Math.abs(s.hqMean - 1.4 / 3) < 1e-12);
  assert.ok(Math.abs(s.rklMean - (0.4 + Math.log(8)) / 3) < 1e-12);
  assert.equal(s.allModes, 1);
  assert.deepEqual(s.perRun, [8, 6, 0]);
  assert.throws(() => coverageSummary([]), /no runs/);
});

/**
 * lib/lessons/common.ts: the shared table rows say what the runs measured (mean ± sd of modes,
 * percentages, counts) and PacGAN's row quotes Table 1.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { coverageRow, fitSources, pacganRow, qualityRows } from "../lib/lessons/common";
import type { ModeCoverage } from "../lib/eval/modes";
import type { QualityScorer, SampleQuality } from "../lib/models/eval-classifier";

const cov = (modesCaptured: number, hqFraction: number, reverseKl: number) =>
  ({ modes: 8, modesCaptured, hqFraction, reverseKl }) as unknown as ModeCoverage;

test("coverageRow: mean ± sd of the modes, HQ as a percentage, runs with every mode", () => {
  const row = coverageRow([cov(8, 0.9, 0.1), cov(6, 0.8, 0.3)]);
  assert.equal(row["modes captured"], "7.0 ± 1.0 of 8");
  assert.equal(row["HQ fraction"], "85.0%");
  assert.equal(row["reverse KL"], "0.20");
  assert.equal(row["runs with every mode"], "1/2");
  assert.equal(row["per seed"], "8, 6");
});

test("pacganRow quotes PacGAN's Table 1", () => {
  assert.deepEqual(
    [pacganRow("grid25", "GAN")["modes captured"], pacganRow("grid25", "GAN")["HQ fraction"]],
    ["17.3", "94.8%"],
  );
});

test("qualityRows puts the reference first and scores every set in order", () => {
  const q = (frechet: number): SampleQuality => ({
    frechet,
    histogram: [1, 1],
    classKl: 0,
    topClassShare: 0.5,
    laplacianVar: 1,
  });
  const scorer = { reference: q(0), score: (x: Float32Array) => q(x[0]) } as QualityScorer;
  const rows = qualityRows(scorer, { a: new Float32Array([3]), b: new Float32Array([5]) });
  assert.deepEqual(
    rows.map((r) => [r.images, r.frechet]),
    [
      ["real test digits", 0],
      ["a", 3],
      ["b", 5],
    ],
  );
});

test("fitSources counts shipped and trained fits and lists their code versions", () => {
  const f = (source: string, codeVersion: string) => ({ source, meta: { codeVersion } });
  assert.equal(
    fitSources("toy models", [f("shipped", "abc"), f("trained", "def"), f("shipped", "abc")]),
    "3 toy models: 2 loaded from shipped weights, 1 trained now (codes abc, def)",
  );
});

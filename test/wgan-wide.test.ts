import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/runtime/backend";
import { projectRoot } from "../lib/runtime/env";
import { coverageSummary } from "../lib/eval/modes";
import { toyGanModel } from "../lib/models/gan";
import {
  WGAN_GP_WIDE,
  wganGpWideGridRun,
  wideSeedCoverage,
  type WideGridSeed,
} from "../lib/models/wgan";
import { tempGenlabDirs } from "./support/temp-env";

const tmp = tempGenlabDirs("genlab-wide-");
const shipped = path.join(projectRoot(), "data", "runs", "wgan-gp-grid25-w512.json");
const copyShipped = () => {
  fs.mkdirSync(path.join(tmp.dir, "data", "runs"), { recursive: true });
  const file = path.join(tmp.dir, "data", "runs", "wgan-gp-grid25-w512.json");
  fs.copyFileSync(shipped, file);
  return file;
};

test("the shipped 512-unit WGAN-GP grid record matches what notebook 04 asks for and loads without training", async () => {
  await initBackend({ quiet: true });
  copyShipped();
  const r = await wganGpWideGridRun();
  assert.equal(r.source, "shipped");
  const seeds = r.record.result.perSeed;
  assert.deepEqual(
    seeds.map((s) => s.seed),
    [...WGAN_GP_WIDE.seeds],
  );
  for (const s of seeds) {
    assert.equal(s.modes, 25);
    assert.equal(s.hqCounts.length, 25);
    assert.equal(
      s.hqCounts.reduce((a, b) => a + b, 0),
      Math.round(s.hqFraction * s.n),
      `seed ${s.seed}: HQ counts and fraction disagree`,
    );
    assert.equal(s.weights.model, toyGanModel("grid25", s.seed, WGAN_GP_WIDE.variant, "wgan-gp"));
    assert.equal(s.history!.step.length, s.history!.modes.length);
  }
  assert.equal(r.record.result.samples.length, 3000);
  assert.ok(r.record.result.samples.every(Number.isFinite));
});

test("a damaged or mismatched wide-WGAN record is an error naming the file", async () => {
  await initBackend({ quiet: true });
  const file = copyShipped();
  const rec = JSON.parse(fs.readFileSync(shipped, "utf8"));
  delete rec.result.perSeed[2].weights;
  fs.writeFileSync(file, JSON.stringify(rec));
  await assert.rejects(
    () => wganGpWideGridRun(),
    (e: Error) => /wgan-gp-grid25-w512\.json/.test(e.message) && /seed entry 2/.test(e.message),
  );
  const rec2 = JSON.parse(fs.readFileSync(shipped, "utf8"));
  rec2.budget.width = 128;
  fs.writeFileSync(file, JSON.stringify(rec2));
  await assert.rejects(() => wganGpWideGridRun(), /budget/);
});

test("a seed without high-quality samples has no reverse KL: stored as null, read back as NaN, summarised as log(modes)", () => {
  const s: WideGridSeed = {
    seed: 0,
    modesCaptured: 0,
    modes: 25,
    hqFraction: 0,
    reverseKl: null,
    hqCounts: new Array(25).fill(0),
    nearestCounts: new Array(25).fill(100),
    n: 2500,
    trainMinutes: 1,
    weights: { model: "m", codeVersion: "c", mode: "full", createdAt: "", backend: "wasm" },
    history: null,
  };
  const c = wideSeedCoverage(s);
  assert.ok(Number.isNaN(c.reverseKl));
  assert.ok(Math.abs(coverageSummary([c]).rklMean - Math.log(25)) < 1e-12);
});

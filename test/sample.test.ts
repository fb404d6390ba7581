import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as path from "path";
import { parseArgs } from "../scripts/sample";

test("npm run sample: arguments are checked with clear errors", () => {
  assert.deepEqual(parseArgs(["wgan-gp", "grid25", "--n", "10", "--seed=3"]), {
    model: "wgan-gp",
    dataset: "grid25",
    n: 10,
    seed: 3,
  });
  assert.deepEqual(parseArgs(["gan", "unbalanced"]), {
    model: "gan",
    dataset: "unbalanced",
    n: 2500,
    seed: 0,
  });
  assert.throws(
    () => parseArgs(["wgan", "ring8"]),
    /unknown model "wgan"; known: gan, wgan-clip, wgan-gp, ddpm/,
  );
  assert.throws(() => parseArgs(["wgan-clip", "unbalanced"]), /trained on ring8, grid25 only/);
  assert.equal(parseArgs(["ddpm", "unbalanced"]).model, "ddpm");
  assert.throws(() => parseArgs(["gan", "moons"]), /unknown data set/);
  assert.throws(() => parseArgs(["gan", "ring8", "--n", "0"]), /--n must be an integer/);
  assert.throws(() => parseArgs(["gan", "ring8", "--bogus"]), /unknown option "--bogus"/);
  assert.throws(() => parseArgs(["gan"]), /expected MODEL and DATASET/);
});

test("npm run sample prints the mixture and N samples of the shipped model, the same for the same seed", () => {
  const run = (...args: string[]) =>
    spawnSync(
      process.execPath,
      ["--import", "tsx", path.join(__dirname, "..", "scripts", "sample.ts"), ...args],
      { encoding: "utf8" },
    );
  const a = run("gan", "ring8", "--n", "4", "--seed", "2");
  assert.equal(a.status, 0, a.stderr);
  const out = JSON.parse(a.stdout);
  assert.equal(out.model, "gan");
  assert.equal(out.means.length, 8);
  assert.equal(out.sigma, 0.01);
  assert.equal(out.samples.length, 4);
  assert.ok(out.samples.every((p: number[]) => p.length === 2 && p.every(Number.isFinite)));
  assert.equal(run("gan", "ring8", "--n", "4", "--seed", "2").stdout, a.stdout);
  const d = run("ddpm", "grid25", "--n", "3");
  assert.equal(d.status, 0, d.stderr);
  const dd = JSON.parse(d.stdout);
  assert.equal(dd.means.length, 25);
  assert.equal(dd.samples.length, 3);
  const bad = run("nope", "ring8");
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown model/);
});

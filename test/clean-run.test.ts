/**
 * Runs leave the repository as they found it: `npm run reproduce` on a notebook (the headless
 * command, through the real kernel, smoke mode) changes no tracked file and adds no untracked one
 * outside the git-ignored out/. Also checks the determinism comparison that CI applies to two
 * shipped-mode runs (scripts/check-determinism.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { resultDiffs } from "../scripts/check-determinism";

const root = path.join(__dirname, "..");

function gitStatus(): string {
  const r = spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `git status failed (is this a git checkout?): ${r.stderr}`);
  return r.stdout;
}

test("npm run reproduce -- 00_tour (smoke) changes no tracked file and writes only under out/", () => {
  assert.ok(
    fs.existsSync(path.join(root, ".jupyter", "python")),
    "the kernel is set up (npm test runs the set-up first)",
  );
  const before = gitStatus();
  const out = path.join("out", "test-clean-run");
  fs.rmSync(path.join(root, out), { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(root, "scripts", "reproduce.ts"), "00_tour"],
    {
      cwd: root,
      env: { ...process.env, GENLAB_TRAIN: "smoke", GENLAB_OUT: out },
      encoding: "utf8",
    },
  );
  assert.equal(
    r.status,
    0,
    `reproduce failed:\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`,
  );
  assert.equal(gitStatus(), before, "git status --porcelain is the same before and after the run");
  const runtimes = JSON.parse(fs.readFileSync(path.join(root, out, "runtimes.json"), "utf8"));
  assert.ok(
    runtimes["00_tour"].smoke.seconds > 0,
    "the run time went to out/, not to data/runtimes.json",
  );
});

test("resultDiffs: timings and timestamps are ignored, every other difference is reported by path", () => {
  const a = {
    startedAt: "1",
    metrics: { fid: { value: 1.5, at: "t1" }, trainSeconds: { value: 3 }, z20_train_minutes: 1 },
    v: [1, 2],
  };
  const b = {
    startedAt: "2",
    metrics: { fid: { value: 1.5, at: "t2" }, trainSeconds: { value: 4 }, z20_train_minutes: 2 },
    v: [1, 2],
  };
  assert.deepEqual(resultDiffs(a, b), []);
  assert.deepEqual(resultDiffs(a, { ...b, v: [1, 3] }), ["v[1]: 2 vs 3"]);
  assert.deepEqual(resultDiffs({ x: { y: 1 } }, { x: { y: 1, z: 2 } }), [
    "x.z: only in the second",
  ]);
  assert.deepEqual(resultDiffs([1], [1, 2]), [": length 1 vs 2"]);
  assert.deepEqual(resultDiffs({ n: NaN }, { n: NaN }), [], "NaN equals NaN");
  const says = (ms: string, mse: string) => ({
    summary: `MSE ${mse} in one pass (${ms} ms vs 7.9 min)`,
  });
  assert.deepEqual(
    resultDiffs(says("0.20", "0.0325"), says("0.40", "0.0325")),
    [],
    "a duration in a text",
  );
  assert.equal(
    resultDiffs(says("0.20", "0.0325"), says("0.20", "0.0326")).length,
    1,
    "any other number in it",
  );
});

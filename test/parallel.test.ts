/**
 * lib/training/parallel.ts: GENLAB_JOBS, and toy GANs trained by two worker processes against the
 * same runs trained here one after another (bit-identical weights), the caller loading what the
 * workers wrote instead of training again, and a failing run failing the call with its error while
 * the other run's weights are kept.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/runtime/backend";
import { fitToyGAN, toyGanModel } from "../lib/models/gan";
import { readCheckpoint } from "../lib/storage/checkpoint";
import { jobCount } from "../lib/runtime/env";
import {
  fitAll,
  runOf,
  trainInParallel,
  trainedElsewhere,
  type RunSpec,
} from "../lib/training/parallel";
import { weightsFile } from "../lib/training/weights";
import { tempEnv } from "./support/temp-env";

const tmp = tempEnv("genlab-parallel-", (dir) => ({
  GENLAB_DATA: path.join(dir, "data"),
  GENLAB_OUT: path.join(dir, "out"),
  GENLAB_TRAIN: "full",
  GENLAB_JOBS: undefined,
}));

const quick = { budget: { steps: 60 }, quiet: true };
const ganRun = (seed: number): RunSpec => ({
  module: "lib/models/gan",
  fn: "fitToyGAN",
  args: ["ring8", seed, quick],
});

/** Every tensor of the weights file of toy GAN `seed` under GENLAB_DATA=`data`. */
function tensors(data: string, seed: number): Record<string, number[]> {
  process.env.GENLAB_DATA = data;
  const ck = readCheckpoint(weightsFile(toyGanModel("ring8", seed), "full"));
  return Object.fromEntries(Object.entries(ck.entries).map(([k, e]) => [k, Array.from(e.data)]));
}

test("jobCount: the machine's cores by default, GENLAB_JOBS otherwise, a clear error if bad", () => {
  assert.ok(jobCount({}) >= 1);
  assert.equal(jobCount({ GENLAB_JOBS: "3" }), 3);
  assert.throws(() => jobCount({ GENLAB_JOBS: "0" }), /GENLAB_JOBS="0" is not a number of workers/);
  assert.throws(() => jobCount({ GENLAB_JOBS: "two" }), /use a positive integer/);
});

test("two workers give the serial run's weights bit for bit; the caller loads them", async () => {
  await initBackend({ quiet: true });
  const serial = path.join(tmp.dir, "serial");
  const parallel = path.join(tmp.dir, "parallel");
  process.env.GENLAB_DATA = serial;
  await trainInParallel([ganRun(7), ganRun(8)], { jobs: 1, quiet: true });
  process.env.GENLAB_DATA = parallel;
  const out = await trainInParallel([ganRun(7), ganRun(8)], { jobs: 2, quiet: true });
  assert.deepEqual(
    out.map((o) => [o.label, o.files.map((f) => path.basename(f))]),
    [
      ['fitToyGAN("ring8", 7, {"budget":{"steps":60},"quiet":true})', ["gan-ring8-s7.safetensors"]],
      ['fitToyGAN("ring8", 8, {"budget":{"steps":60},"quiet":true})', ["gan-ring8-s8.safetensors"]],
    ],
  );
  for (const seed of [7, 8]) assert.deepEqual(tensors(parallel, seed), tensors(serial, seed));
  // GENLAB_TRAIN=full would train again; a file a worker wrote in this run is loaded instead.
  process.env.GENLAB_DATA = parallel;
  const file = weightsFile(toyGanModel("ring8", 7), "full");
  assert.ok(trainedElsewhere(file));
  const before = fs.statSync(file).mtimeMs;
  const loaded = await fitToyGAN("ring8", 7, quick);
  assert.equal(loaded.fit.source, "trained");
  assert.equal(fs.statSync(file).mtimeMs, before, "not written again");
  const w = loaded.gan.params();
  const saved = tensors(parallel, 7);
  for (const [k, v] of Object.entries(w)) assert.deepEqual(Array.from(v.dataSync()), saved[k]);
});

test("a failing run fails the call with its error; the other run's weights are kept", async () => {
  process.env.GENLAB_DATA = path.join(tmp.dir, "failing");
  const bad: RunSpec = { module: "lib/models/gan", fn: "fitToyGAN", args: ["nope", 1, quick] };
  await assert.rejects(
    () => trainInParallel([bad, ganRun(9)], { jobs: 2, quiet: true }),
    /fitToyGAN\("nope", 1, .*\) failed in a worker: .*nope/,
  );
  assert.ok(fs.existsSync(weightsFile(toyGanModel("ring8", 9), "full")));
  const missing: RunSpec = { module: "lib/models/gan", fn: "noSuchFit", args: [] };
  await assert.rejects(
    () => trainInParallel([missing, ganRun(9)], { jobs: 2, quiet: true }),
    /lib\/models\/gan has no exported function noSuchFit/,
  );
});

test("fitAll trains a sweep on the workers, then returns each run's result here, in order", async () => {
  await initBackend({ quiet: true });
  process.env.GENLAB_DATA = path.join(tmp.dir, "fit-all");
  process.env.GENLAB_JOBS = "2";
  try {
    const seeds = [11, 12, 13];
    const runs = seeds.map((s) => runOf("lib/models/gan", fitToyGAN, ["ring8", s, quick]));
    const fits = await fitAll(runs, { label: "fitAll test" });
    assert.deepEqual(
      fits.map((f) => [path.basename(f.fit.file), f.fit.source]),
      seeds.map((s) => [`gan-ring8-s${s}.safetensors`, "trained"]),
    );
    for (const f of fits) assert.ok(trainedElsewhere(f.fit.file), `${f.fit.file} trained here`);
  } finally {
    delete process.env.GENLAB_JOBS;
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/runtime/backend";
import { projectRoot } from "../lib/runtime/env";
import { loadMnist } from "../lib/data/mnist";
import {
  MNIST_CONV_FLOW_CONFIG,
  fitLessonVAE,
  fitMnistIWAE,
  fitZooModel,
  mnistIwaeRun,
  mnistMlpFlowRun,
  vaeNllMetrics,
  vaeTestDigits,
  zooModelNames,
} from "../lib/models/mnist-zoo";
import { VAE, iwaeLogLik } from "../lib/models/vae";
import { Rng } from "../lib/runtime/random";
import { disposeParams } from "../lib/runtime/nn";
import { pickModels } from "../scripts/train";
import { convFlowParamCount } from "../lib/models/conv-flow";
import { tempGenlabDirs } from "./support/temp-env";

const tmp = tempGenlabDirs("genlab-zoo-");
const shipped = path.join(projectRoot(), "data", "runs", "flow-mnist-mlp.json");

test("the shipped MLP-flow run record matches what notebook 05 asks for, and loads without training", async () => {
  await initBackend({ quiet: true });
  fs.mkdirSync(path.join(tmp.dir, "data", "runs"), { recursive: true });
  fs.copyFileSync(shipped, path.join(tmp.dir, "data", "runs", "flow-mnist-mlp.json"));
  const r = await mnistMlpFlowRun(loadMnist(), 2000);
  assert.equal(r.source, "shipped");
  const res = r.record.result;
  assert.ok(
    res.bpdTest > 1 && res.bpdTest < 8 && res.bpdTrain > 1 && res.bpdTrain < 8,
    JSON.stringify(res).slice(0, 200),
  );
  assert.equal(res.params, 2943888);
  assert.equal(res.history!.step.length, res.history!.bpd.length);
});

test("a damaged MLP-flow run record is an error that names the file and the problem", async () => {
  await initBackend({ quiet: true });
  const file = path.join(tmp.dir, "data", "runs", "flow-mnist-mlp.json");
  const rec = JSON.parse(fs.readFileSync(shipped, "utf8"));
  delete rec.result.bpdTest;
  fs.writeFileSync(file, JSON.stringify(rec));
  await assert.rejects(
    () => mnistMlpFlowRun(loadMnist(), 2000),
    (e: Error) => /flow-mnist-mlp\.json/.test(e.message) && /bpdTest/.test(e.message),
  );
  rec.result.bpdTest = 1.9;
  rec.result.history = { step: [1, 2], bpd: [3] };
  fs.writeFileSync(file, JSON.stringify(rec));
  await assert.rejects(() => mnistMlpFlowRun(loadMnist(), 2000), /history/);
});

test("the convolutional MNIST flow keeps its size: 784 latent values, about 0.27M parameters", () => {
  assert.equal(convFlowParamCount(MNIST_CONV_FLOW_CONFIG), 265024);
});

test("the zoo's VAEs: names npm run train knows, clear errors for a name or k it does not", async () => {
  const names = zooModelNames();
  for (const n of ["vae-mnist-z20", "iwae-mnist-z20-k1", "iwae-mnist-z20-k5", "vae-sweep-z50"])
    assert.ok(names.includes(n), `${n} missing from ${names.join(", ")}`);
  assert.equal(new Set(names).size, names.length, "a model is listed twice");
  const x = new Float32Array(784);
  await assert.rejects(
    () => fitLessonVAE(x, "vae-mnist-z3"),
    /no VAE "vae-mnist-z3".*vae-mnist-z1/,
  );
  await assert.rejects(() => fitMnistIWAE(x, 7), /k = 7 has no shipped model; use one of 1, 5/);
  await assert.rejects(() => fitZooModel("nope"), /no zoo model "nope"; npm run train knows/);
  assert.deepEqual(pickModels(["vae-mnist-z1", "vae-mnist-z1"], names), ["vae-mnist-z1"]);
  assert.deepEqual(pickModels(["all"], names), names);
  assert.throws(() => pickModels(["vae-mnist-z3"], names), /unknown model vae-mnist-z3\nusage/);
  assert.throws(() => pickModels([], names), /name the models to train/);
});

test("vaeNllMetrics stores IWAE-5000 over the test digits it names (smoke mode: 2)", async () => {
  await initBackend({ quiet: true });
  const prev = process.env.GENLAB_TRAIN;
  process.env.GENLAB_TRAIN = "smoke";
  try {
    const vae = new VAE("m", { inputDim: 784, hidden: [8], latent: 2 }, new Rng(1));
    const m = vaeNllMetrics(vae);
    assert.equal(m.nllTestDigits, 2);
    const ll = iwaeLogLik(vae, vaeTestDigits().subarray(0, 2 * 784), 5000, new Rng(5100));
    assert.ok(Math.abs(m.nllIwae5000 + (ll[0] + ll[1]) / 2) < 1e-9, `${m.nllIwae5000} vs ${ll}`);
    disposeParams(vae.params());
  } finally {
    if (prev === undefined) delete process.env.GENLAB_TRAIN;
    else process.env.GENLAB_TRAIN = prev;
  }
});

test("mnistIwaeRun (smoke): both models of the pair with their numbers, read back from out/runs", async () => {
  await initBackend({ quiet: true });
  const prev = { train: process.env.GENLAB_TRAIN, out: process.env.GENLAB_OUT };
  process.env.GENLAB_TRAIN = "smoke";
  process.env.GENLAB_OUT = path.join(tmp.dir, "iwae-out");
  try {
    const r = await mnistIwaeRun();
    assert.equal(r.file, path.join(tmp.dir, "iwae-out", "runs", "iwae-pair-mnist.json"));
    assert.deepEqual(
      r.record.result.map((m) => [m.model, m.k, m.testDigits, m.steps]),
      [
        ["iwae-mnist-z20-k1", 1, 2, 20],
        ["iwae-mnist-z20-k5", 5, 2, 20],
      ],
    );
    for (const m of r.record.result) {
      assert.ok(m.nllIwae5000 > 50 && m.activeUnits >= 0 && m.activeUnits <= 20);
      assert.equal(m.history!.step.length, m.history!.loss.length);
    }
  } finally {
    for (const [k, v] of [
      ["GENLAB_TRAIN", prev.train],
      ["GENLAB_OUT", prev.out],
    ] as const)
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
});

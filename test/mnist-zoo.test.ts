import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { initBackend } from "../lib/runtime/backend";
import { projectRoot } from "../lib/runtime/env";
import { loadMnist } from "../lib/data/mnist";
import { mnistMlpFlowRun, MNIST_CONV_FLOW_CONFIG } from "../lib/models/mnist-zoo";
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

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import { initBackend } from "../lib/backend";
import { toFloat } from "../lib/data/batch";
import { loadMnist } from "../lib/data/mnist";
import { EVAL_CLASSIFIER_MODEL, evalClassifier } from "../lib/eval/mnist-classifier";
import { weightsFile } from "../lib/weights";

const shipped = weightsFile(EVAL_CLASSIFIER_MODEL, "shipped");

test("the shipped evaluation classifier reaches 98% held-out and gives 256 features per image", { skip: !fs.existsSync(shipped) && `no ${shipped}` }, async () => {
  await initBackend({ quiet: true });
  const saved = process.env.GENLAB_TRAIN;
  delete process.env.GENLAB_TRAIN;
  try {
    const clf = await evalClassifier();
    assert.equal(clf.fit.source, "shipped");
    assert.ok(clf.testAccuracy >= 0.98, `held-out accuracy ${clf.testAccuracy}`);
    const x = toFloat(loadMnist().test).subarray(0, 5 * 784);
    const f = clf.features(x);
    assert.equal(f.length, 5 * clf.featureDim);
    assert.equal(clf.featureDim, 256);
    assert.ok(f.every((v) => v >= 0), "ReLU features are non-negative");
    const p = clf.proba(x);
    for (let i = 0; i < 5; i++) assert.ok(Math.abs(p.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0) - 1) < 1e-5);
  } finally {
    if (saved !== undefined) process.env.GENLAB_TRAIN = saved;
  }
});

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import { initBackend } from "../lib/runtime/backend";
import { toFloat } from "../lib/data/batch";
import { loadMnist } from "../lib/data/mnist";
import {
  EVAL_CLASSIFIER_MODEL,
  evalClassifier,
  qualityScorer,
} from "../lib/models/eval-classifier";
import { gaussianBlur } from "../lib/eval/images";
import { weightsFile } from "../lib/training/weights";

const shipped = weightsFile(EVAL_CLASSIFIER_MODEL, "shipped");

test(
  "the shipped evaluation classifier (a CNN) reaches 99.3% on the official test set, 128 features per image",
  { skip: !fs.existsSync(shipped) && `no ${shipped}` },
  async () => {
    await initBackend({ quiet: true });
    const saved = process.env.GENLAB_TRAIN;
    delete process.env.GENLAB_TRAIN;
    try {
      const clf = await evalClassifier();
      assert.equal(clf.fit.source, "shipped");
      assert.ok(clf.testAccuracy >= 0.993, `held-out accuracy ${clf.testAccuracy}`);
      assert.equal(loadMnist().test.n, 10000, "scored on all 10,000 official test digits");
      const x = toFloat(loadMnist().test).subarray(0, 5 * 784);
      const f = clf.features(x);
      assert.equal(f.length, 5 * clf.featureDim);
      assert.equal(clf.featureDim, 128);
      assert.ok(
        f.every((v) => v >= 0),
        "ReLU features are non-negative",
      );
      const p = clf.proba(x);
      for (let i = 0; i < 5; i++)
        assert.ok(Math.abs(p.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0) - 1) < 1e-5);
    } finally {
      if (saved !== undefined) process.env.GENLAB_TRAIN = saved;
    }
  },
);

test(
  "qualityScorer: real digits score near their reference; blurred digits are less sharp and farther; one repeated digit is one class",
  { skip: !fs.existsSync(shipped) && `no ${shipped}` },
  async () => {
    await initBackend({ quiet: true });
    const saved = process.env.GENLAB_TRAIN;
    delete process.env.GENLAB_TRAIN;
    try {
      const x = toFloat(loadMnist().test);
      const q = await qualityScorer(x.subarray(0, 500 * 784));
      assert.equal(q.reference.frechet, 0);
      assert.ok(q.reference.classKl < 0.05, `real class KL ${q.reference.classKl}`);
      const other = q.score(x.subarray(500 * 784, 1000 * 784));
      const blurred = q.score(gaussianBlur(x.subarray(500 * 784, 1000 * 784), 28, 28, 1.5));
      assert.ok(other.frechet < blurred.frechet, `${other.frechet} vs ${blurred.frechet}`);
      assert.ok(blurred.laplacianVar < 0.5 * other.laplacianVar);
      assert.equal(q.frechet(x.subarray(500 * 784, 1000 * 784)), other.frechet);
      const same = new Float32Array(100 * 784);
      for (let i = 0; i < 100; i++) same.set(x.subarray(0, 784), i * 784);
      const one = q.score(same);
      assert.equal(one.topClassShare, 1);
      assert.ok(Math.abs(one.classKl - Math.log(10)) < 1e-9);
      assert.equal(
        one.histogram.reduce((a, b) => a + b, 0),
        100,
      );
    } finally {
      if (saved !== undefined) process.env.GENLAB_TRAIN = saved;
    }
  },
);

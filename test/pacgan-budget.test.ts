import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { checkpointMeta, saveCheckpoint } from "../lib/storage/checkpoint";
import { initBackend } from "../lib/runtime/backend";
import { budgetLog } from "../scripts/pacgan-budget";

test("budgetLog: a long run's coverage log with the provenance of its weights; clear errors", async () => {
  await initBackend({ quiet: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-pgb-"));
  const model = "pacgan1-grid25-s3";
  const meta = checkpointMeta({ model, seed: 3, budget: { steps: 2000 } });
  saveCheckpoint(path.join(dir, `${model}.safetensors`), { w: tf.zeros([2]) }, meta);
  const rows = [1000, 2000].map((step, i) => ({
    step,
    seconds: step / 100,
    modes: 20 + i,
    hq: 0.5,
    rkl: 0.4,
  }));
  fs.writeFileSync(path.join(dir, `${model}.history.json`), JSON.stringify(rows));
  const log = budgetLog(dir, model);
  assert.deepEqual([log.step, log.modes, log.seconds, log.seed], [[1000, 2000], [20, 21], 20, 3]);
  assert.equal(log.budget.steps, 2000);
  assert.throws(
    () => budgetLog(dir, "pacgan4-ring8-s0"),
    /pacgan4-ring8-s0.safetensors is missing/,
  );
  fs.writeFileSync(path.join(dir, `${model}.history.json`), JSON.stringify([{ step: 1, loss: 2 }]));
  assert.throws(() => budgetLog(dir, model), /rows without mode coverage/);
  fs.rmSync(dir, { recursive: true });
});

/**
 * Long training survives interruption: a run killed with SIGKILL part-way (as by power loss; SIGINT
 * and SIGTERM leave the same state) goes on from its last resume checkpoint when started again and
 * ends with the same weights, bit for bit, as a run that was never interrupted.
 *
 * One model of each training function (test/support/resume-child.ts): the uninterrupted runs of all
 * of them in one process; then each model in a process of its own, killed soon after its first
 * resume checkpoint; then one process that starts them all again, with checkpoints on the way
 * (each goes on from its own, most of them after other models were built in that process, so
 * with other tfjs variable numbers than where they were saved).
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readCheckpoint } from "../lib/storage/checkpoint";

const child = path.join(__dirname, "support", "resume-child.ts");

/** The models, and the resume checkpoint to kill each after (the classifier: in its 2nd phase). */
const MODELS: Record<string, string> = {
  "gan-ring8-s7": "gan-ring8-s7.safetensors",
  "wgan-clip-ring8-s3": "wgan-clip-ring8-s3.safetensors",
  "vae-resume-test": "vae-resume-test.safetensors",
  "flow-resume-test": "flow-resume-test.safetensors",
  "made-resume-test": "made-resume-test.safetensors",
  "vaegan-resume-test": "vaegan-resume-test.safetensors",
  "classifier-resume-test": "classifier-resume-test.phase1.safetensors",
  "flow-pacgan-ring8-s0": "flow-pacgan-ring8-s0.safetensors",
};
const names = Object.keys(MODELS);

type Done = Record<string, { file: string; snapshots?: number }>;

/** Resume checkpoints every `seconds` (0: at every history row). */
function envFor(dir: string, seconds: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GENLAB_TRAIN: "full",
    GENLAB_DATA: path.join(dir, "data"),
    GENLAB_OUT: path.join(dir, "out"),
    GENLAB_CHECKPOINT_SECONDS: String(seconds),
  };
}

function runToEnd(dir: string, models: string[], seconds: number): { files: Done; stdout: string } {
  const args = ["--import", "tsx", child, ...models];
  const r = spawnSync(process.execPath, args, { env: envFor(dir, seconds), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return { files: JSON.parse(r.stdout.trim().split("\n").pop()!), stdout: r.stdout };
}

/** Starts `model`'s run and kills it (SIGKILL) once its resume checkpoint `file` exists. */
async function runAndKill(dir: string, model: string, file: string): Promise<void> {
  const args = ["--import", "tsx", child, model];
  const p = spawn(process.execPath, args, { env: envFor(dir, 0), stdio: "ignore" });
  const resume = path.join(dir, "out", "resume", file);
  let running = true;
  const exited = new Promise<void>((resolve) => p.on("exit", () => ((running = false), resolve())));
  const wait = () => new Promise((r) => setTimeout(r, 50));
  for (let t = 0; t < 1000 && running && !fs.existsSync(resume); t++) await wait();
  assert.ok(fs.existsSync(resume), `no resume checkpoint appeared at ${resume}`);
  // Soon after the first checkpoint (the small models train in a second or so), maybe mid-write.
  await new Promise((r) => setTimeout(r, 20));
  p.kill("SIGKILL");
  await exited;
}

function sameWeights(a: string, b: string): void {
  const ea = readCheckpoint(a).entries;
  const eb = readCheckpoint(b).entries;
  assert.deepEqual(Object.keys(ea).sort(), Object.keys(eb).sort());
  for (const k of Object.keys(ea))
    assert.deepEqual(ea[k].data, eb[k].data, `${path.basename(a)}: ${k} differs`);
}

/** The history beside a weights file, without the clock. */
function history(weights: string): Record<string, number>[] {
  const file = weights.replace(/\.safetensors$/, ".history.json");
  const rows = JSON.parse(fs.readFileSync(file, "utf8"));
  return rows.map(({ seconds: _s, ...r }: Record<string, number>) => r);
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-resume-"));
const cut = path.join(base, "cut");
let straight: Done;
let again: { files: Done; stdout: string };

before(() => {
  // Without resume checkpoints: writing them changes nothing.
  straight = runToEnd(path.join(base, "straight"), names, 3600).files;
});

test.after(() => fs.rmSync(base, { recursive: true, force: true }));

for (const model of names) {
  test(`${model}: killed soon after its first resume checkpoint`, { timeout: 60_000 }, async () => {
    await runAndKill(cut, model, MODELS[model]);
    const weights = path.join(cut, model.startsWith("flow-pacgan") ? "out" : "data", "weights");
    const done = fs.existsSync(path.join(weights, `${model}.safetensors`));
    assert.ok(!done, "killed before it finished");
  });
}

test("started again, every model goes on from its own checkpoint", { timeout: 120_000 }, () => {
  // Checkpoints on the way again (every 50 ms): saving goes on after a resume.
  again = runToEnd(cut, names, 0.05);
  const from = new Map<string, number>();
  for (const m of again.stdout.matchAll(/resume: going on from step (\d+) \((.*)\)/g)) {
    from.set(path.basename(m[2]), Number(m[1]));
  }
  for (const [model, file] of Object.entries(MODELS)) {
    const step = from.get(file);
    assert.ok(step !== undefined, `${model} resumed from ${file}:\n${again.stdout}`);
    assert.ok(step > 0 && step < 300, `${model} resumed part-way, at step ${step}`);
  }
  const dir = path.join(cut, "out", "resume");
  const msg = "the finished runs removed their resume checkpoints, and their lines in SHA256SUMS";
  assert.deepEqual(
    fs.readdirSync(dir).filter((f) => f.endsWith(".safetensors")),
    [],
    msg,
  );
  assert.equal(fs.readFileSync(path.join(dir, "SHA256SUMS"), "utf8").trim(), "", msg);
});

for (const model of names) {
  test(`${model}: the same weights and history as an uninterrupted run`, () => {
    assert.ok(again, "the restarted run ran");
    sameWeights(straight[model].file, again.files[model].file);
    assert.deepEqual(history(again.files[model].file), history(straight[model].file));
    const msg = "the GAN's snapshots are all there";
    assert.equal(again.files[model].snapshots, straight[model].snapshots, msg);
  });
}

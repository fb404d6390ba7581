/**
 * Long training survives interruption: a run killed with SIGKILL part-way (as by power loss; SIGINT
 * and SIGTERM leave the same state) goes on from its last resume checkpoint when started again and
 * ends with the same weights, bit for bit, as a run that was never interrupted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readCheckpoint } from "../lib/checkpoint";

const child = path.join(__dirname, "support", "resume-child.ts");

function envFor(dir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    GENLAB_TRAIN: "full",
    GENLAB_DATA: path.join(dir, "data"),
    GENLAB_OUT: path.join(dir, "out"),
    GENLAB_CHECKPOINT_SECONDS: "0",
  };
}

function runToEnd(dir: string): { files: { gan: string; vae: string; snapshots: number }; stdout: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", child], { env: envFor(dir), encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return { files: JSON.parse(r.stdout.trim().split("\n").pop()!), stdout: r.stdout };
}

/** Starts a run and kills it (SIGKILL) once its resume checkpoint for `model` exists. */
async function runAndKill(dir: string, model: string): Promise<void> {
  const p = spawn(process.execPath, ["--import", "tsx", child], { env: envFor(dir), stdio: "ignore" });
  const resume = path.join(dir, "out", "resume", `${model}.safetensors`);
  const exited = new Promise<void>((resolve) => p.on("exit", () => resolve()));
  for (let t = 0; t < 1200 && !fs.existsSync(resume); t++) await new Promise((r) => setTimeout(r, 50));
  assert.ok(fs.existsSync(resume), `no resume checkpoint appeared at ${resume}`);
  // Soon after the first checkpoint (the small VAE trains in well under a second), maybe mid-write.
  await new Promise((r) => setTimeout(r, 20));
  p.kill("SIGKILL");
  await exited;
}

function sameWeights(a: string, b: string): void {
  const ea = readCheckpoint(a).entries;
  const eb = readCheckpoint(b).entries;
  assert.deepEqual(Object.keys(ea).sort(), Object.keys(eb).sort());
  for (const k of Object.keys(ea)) assert.deepEqual(ea[k].data, eb[k].data, `${path.basename(a)}: ${k} differs`);
}

for (const model of ["gan-ring8-s7", "vae-resume-test"]) {
  test(`${model}: killed part-way, started again, same weights as an uninterrupted run`, { timeout: 300_000 }, async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-resume-"));
    try {
      const straight = runToEnd(path.join(base, "straight")).files;
      const cut = path.join(base, "cut");
      await runAndKill(cut, model);
      assert.ok(!fs.existsSync(path.join(cut, "data", "weights", `${model}.safetensors`)), "killed before it finished");
      const again = runToEnd(cut);
      const from = /resume: going on from step (\d+)/.exec(again.stdout);
      assert.ok(from, `the second start resumed:\n${again.stdout}`);
      assert.ok(Number(from[1]) > 0 && Number(from[1]) < 300, `resumed part-way, at step ${from[1]}`);
      const key = model.startsWith("gan") ? "gan" : "vae";
      sameWeights(straight[key], again.files[key]);
      assert.equal(again.files.snapshots, straight.snapshots, "the GAN's snapshots over training are all there");
      assert.ok(!fs.existsSync(path.join(cut, "out", "resume", `${model}.safetensors`)), "the finished run removed its resume checkpoint");
      const h = (d: string) => JSON.parse(fs.readFileSync(path.join(d, "data", "weights", `${model}.history.json`), "utf8"));
      const strip = (rows: Record<string, number>[]) => rows.map(({ seconds: _s, ...r }) => r);
      assert.deepEqual(strip(h(cut)), strip(h(path.join(base, "straight"))), "the same history, apart from the clock");
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
}

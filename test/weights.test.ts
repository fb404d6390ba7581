import { test, before } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { readCheckpoint } from "../lib/storage/checkpoint";
import { MLP, disposeParams } from "../lib/runtime/nn";
import { Rng } from "../lib/runtime/random";
import { History } from "../lib/training/train";
import { budgets, fitOrLoad, weightsFile, type FitSpec } from "../lib/training/weights";
import { tempGenlabDirs } from "./support/temp-env";

type B = { steps: number };

const tmp = tempGenlabDirs("genlab-weights-");

before(async () => {
  await initBackend({ quiet: true });
});

const dataFile = (model: string) => path.join(tmp.dir, "data", "weights", `${model}.safetensors`);
const outFile = (model: string) => path.join(tmp.dir, "out", "weights", `${model}.safetensors`);

/** Captures console.log while `fn` runs. */
async function logged<T>(fn: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void lines.push(a.join(" "));
  try {
    return { value: await fn(), lines };
  } finally {
    console.log = log;
  }
}

/**
 * A model and a spec whose "training" sets every weight to `mark + steps / 1000` (so the values
 * tell which run and which budget produced them) and records each call.
 */
function setup(
  model: string,
  opts: {
    sizes?: number[];
    seed?: number;
    mark?: number;
    full?: number;
    mode?: FitSpec<B>["mode"];
  } = {},
) {
  const net = new MLP(model, opts.sizes ?? [2, 3, 1], new Rng(opts.seed ?? 1));
  const calls: B[] = [];
  const spec: FitSpec<B> = {
    model,
    params: net.params(),
    seed: opts.seed ?? 1,
    budget: { full: { steps: opts.full ?? 7 }, smoke: { steps: 2 } },
    mode: opts.mode,
    metrics: () => ({ acc: 0.5 }),
    train: async (b) => {
      calls.push(b);
      for (const v of Object.values(net.params()))
        tf.tidy(() => v.assign(tf.fill(v.shape, (opts.mark ?? 1) + b.steps / 1000)));
      const h = new History();
      for (let s = 1; s <= b.steps; s++) h.push({ step: s, seconds: s / 10, loss: 1 / s });
      return h;
    },
  };
  const values = () =>
    Object.fromEntries(Object.entries(net.params()).map(([k, v]) => [k, Array.from(v.dataSync())]));
  return { net, spec, calls, values, dispose: () => disposeParams(net.params()) };
}

test("weightsFile: data/weights for shipped and full, out/weights for smoke, honouring GENLAB_DATA and GENLAB_OUT", () => {
  assert.equal(weightsFile("m", "shipped"), dataFile("m"));
  assert.equal(weightsFile("m", "full"), dataFile("m"));
  assert.equal(weightsFile("m", "smoke"), outFile("m"));
});

test("shipped, no file: trains once with the full budget and writes the weights and the history to data/", async () => {
  const m = setup("ship-new");
  const { value: r, lines } = await logged(() => fitOrLoad(m.spec));
  assert.deepEqual(m.calls, [{ steps: 7 }]);
  assert.equal(r.source, "trained");
  assert.equal(r.file, dataFile("ship-new"));
  assert.ok(fs.existsSync(dataFile("ship-new")));
  assert.ok(!fs.existsSync(outFile("ship-new")), "nothing under out/");
  assert.equal(r.meta.mode, "shipped");
  assert.deepEqual(r.meta.budget, { steps: 7 });
  assert.deepEqual(r.meta.metrics, { acc: 0.5 });
  assert.equal(r.meta.seed, 1);
  assert.match(
    lines[0],
    /ship-new: no shipped weights at .*ship-new\.safetensors; training with the full budget \(steps 7\)/,
  );
  assert.match(lines[lines.length - 1], /ship-new: saved .*ship-new\.safetensors \(\d+ KiB\)/);
  // The file holds the trained values under the parameter names.
  const ck = readCheckpoint(dataFile("ship-new"));
  assert.deepEqual(Object.keys(ck.entries).sort(), [
    "ship-new.0.b",
    "ship-new.0.w",
    "ship-new.1.b",
    "ship-new.1.w",
  ]);
  for (const e of Object.values(ck.entries))
    assert.ok(Array.from(e.data).every((v) => v === Math.fround(1.007)));
  const hist = JSON.parse(
    fs.readFileSync(dataFile("ship-new").replace(/\.safetensors$/, ".history.json"), "utf8"),
  );
  assert.deepEqual(hist, r.history!.rows);
  assert.equal(hist.length, 7);
  m.dispose();
});

test("shipped, with a file: loads it without training; values and history are the saved ones", async () => {
  const a = setup("ship-load", { mark: 3 });
  await logged(() => fitOrLoad(a.spec));
  const saved = a.values();
  const b = setup("ship-load", { seed: 99 });
  assert.notDeepEqual(b.values(), saved, "a fresh model starts elsewhere");
  b.spec.train = async () => assert.fail("train must not run when shipped weights exist");
  const before = fs.readFileSync(dataFile("ship-load"));
  const { value: r, lines } = await logged(() => fitOrLoad(b.spec));
  assert.equal(r.source, "shipped");
  assert.deepEqual(b.values(), saved);
  assert.equal(r.meta.seed, 1, "the meta of the file, not of the spec");
  assert.equal(r.history!.rows.length, 7);
  assert.deepEqual(
    r.history!.column("loss"),
    Array.from({ length: 7 }, (_, i) => 1 / (i + 1)),
  );
  assert.deepEqual(fs.readFileSync(dataFile("ship-load")), before, "the file is not rewritten");
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(
    lines[0],
    /ship-load: loaded shipped weights .*ship-load\.safetensors \(seed 1, steps 7, code .*, \d{4}-\d\d-\d\d\)/,
  );
  // quietLoad: the same load, without the line
  const c = setup("ship-load", { seed: 98 });
  const quiet = await logged(() => fitOrLoad({ ...c.spec, quietLoad: true }));
  assert.equal(quiet.value.source, "shipped");
  assert.deepEqual(c.values(), saved);
  assert.deepEqual(quiet.lines, []);
  a.dispose();
  b.dispose();
  c.dispose();
});

test("shipped, with a file but no history beside it: loads, history is null", async () => {
  const a = setup("ship-nohist");
  await logged(() => fitOrLoad(a.spec));
  fs.rmSync(dataFile("ship-nohist").replace(/\.safetensors$/, ".history.json"));
  const { value: r } = await logged(() => fitOrLoad(setup("ship-nohist").spec));
  assert.equal(r.source, "shipped");
  assert.equal(r.history, null);
  a.dispose();
});

test("full: retrains with the full budget and overwrites the shipped weights", async () => {
  const a = setup("full-over", { mark: 1 });
  await logged(() => fitOrLoad(a.spec));
  const b = setup("full-over", { mark: 5, mode: "full" });
  const { value: r, lines } = await logged(() => fitOrLoad(b.spec));
  assert.deepEqual(b.calls, [{ steps: 7 }]);
  assert.equal(r.source, "trained");
  assert.equal(r.meta.mode, "full");
  assert.match(lines[0], /full-over: GENLAB_TRAIN=full: training from scratch \(steps 7, seed 1\)/);
  const ck = readCheckpoint(dataFile("full-over"));
  for (const e of Object.values(ck.entries))
    assert.ok(Array.from(e.data).every((v) => v === Math.fround(5.007)));
  assert.equal(ck.meta.mode, "full");
  a.dispose();
  b.dispose();
});

test("smoke: trains with the smoke budget into out/weights and leaves data/ untouched", async () => {
  const a = setup("smoke-sep", { mark: 1 });
  await logged(() => fitOrLoad(a.spec));
  const shipped = fs.readFileSync(dataFile("smoke-sep"));
  const shippedHist = fs.readFileSync(
    dataFile("smoke-sep").replace(/\.safetensors$/, ".history.json"),
  );
  const b = setup("smoke-sep", { mark: 8, mode: "smoke" });
  const { value: r } = await logged(() => fitOrLoad(b.spec));
  assert.deepEqual(b.calls, [{ steps: 2 }]);
  assert.equal(r.file, outFile("smoke-sep"));
  assert.equal(r.meta.mode, "smoke");
  assert.deepEqual(r.meta.budget, { steps: 2 });
  assert.ok(fs.existsSync(outFile("smoke-sep").replace(/\.safetensors$/, ".history.json")));
  assert.deepEqual(fs.readFileSync(dataFile("smoke-sep")), shipped);
  assert.deepEqual(
    fs.readFileSync(dataFile("smoke-sep").replace(/\.safetensors$/, ".history.json")),
    shippedHist,
  );
  for (const e of Object.values(readCheckpoint(outFile("smoke-sep")).entries))
    assert.ok(Array.from(e.data).every((v) => v === Math.fround(8.002)));
  // A smoke run with no shipped file creates nothing under data/ either.
  const c = setup("smoke-only", { mode: "smoke" });
  await logged(() => fitOrLoad(c.spec));
  assert.ok(!fs.existsSync(dataFile("smoke-only")));
  assert.ok(fs.existsSync(outFile("smoke-only")));
  for (const m of [a, b, c]) m.dispose();
});

test("the mode comes from GENLAB_TRAIN when the spec does not set it", async () => {
  process.env.GENLAB_TRAIN = "smoke";
  try {
    const m = setup("env-mode");
    const { value: r } = await logged(() => fitOrLoad(m.spec));
    assert.deepEqual(m.calls, [{ steps: 2 }]);
    assert.equal(r.file, outFile("env-mode"));
    assert.equal(r.meta.mode, "smoke");
    process.env.GENLAB_TRAIN = "fast";
    await assert.rejects(
      fitOrLoad(setup("env-mode").spec),
      /GENLAB_TRAIN="fast" is not a run mode/,
    );
    m.dispose();
  } finally {
    delete process.env.GENLAB_TRAIN;
  }
});

test("a checkpoint of another architecture: a clear error naming the file and the parameter; nothing loaded", async () => {
  const a = setup("arch", { sizes: [2, 3, 1] });
  await logged(() => fitOrLoad(a.spec));
  const b = setup("arch", { sizes: [2, 4, 1], seed: 5 });
  const start = b.values();
  b.spec.train = async () => assert.fail("must not train over a mismatched shipped file");
  await assert.rejects(
    logged(() => fitOrLoad(b.spec)),
    (err: Error) => {
      assert.ok(err.message.includes(dataFile("arch")), err.message);
      assert.match(err.message, /mismatch arch\.0\.w: expected \[2,4\], found \[2,3\]/);
      assert.match(err.message, /mismatch arch\.0\.b: expected \[4\], found \[3\]/);
      assert.match(err.message, /mismatch arch\.1\.w: expected \[4,1\], found \[3,1\]/);
      assert.match(err.message, /GENLAB_TRAIN=full retrains them/);
      return true;
    },
  );
  assert.deepEqual(b.values(), start, "the variables are untouched");
  // A model with a parameter the file lacks is named as missing.
  const c = setup("arch", { sizes: [2, 3, 3, 1] });
  await assert.rejects(
    logged(() => fitOrLoad(c.spec)),
    /missing in the file: arch\.2\.b, arch\.2\.w/,
  );
  for (const m of [a, b, c]) m.dispose();
});

test("a corrupt shipped file or history is an error that says what to do", async () => {
  const a = setup("corrupt");
  await logged(() => fitOrLoad(a.spec));
  const hist = dataFile("corrupt").replace(/\.safetensors$/, ".history.json");
  // Without the manifest (SHA256SUMS) the format checks are reached; with it,
  // test/bad-input.test.ts.
  fs.rmSync(path.join(path.dirname(hist), "SHA256SUMS"));
  fs.writeFileSync(hist, "{not json");
  await assert.rejects(
    logged(() => fitOrLoad(setup("corrupt").spec)),
    /training history .*corrupt\.history\.json is unreadable .*GENLAB_TRAIN=full/,
  );
  fs.writeFileSync(dataFile("corrupt"), Buffer.from([1, 2, 3]));
  await assert.rejects(
    logged(() => fitOrLoad(setup("corrupt").spec)),
    (err: Error) => {
      assert.match(err.message, /checkpoint .*corrupt\.safetensors: file is 3 bytes/);
      assert.match(err.message, /GENLAB_TRAIN=full retrains them/);
      return true;
    },
  );
  a.dispose();
});

test("a bad model name is refused before anything trains or touches a file", async () => {
  for (const bad of ["", "a/b", "../escape", ".hidden", "with space", "x\\y", "ü"]) {
    assert.throws(
      () => weightsFile(bad, "shipped"),
      new RegExp(`model name ${JSON.stringify(bad).replace(/[\\.]/g, "\\$&")}: use letters`),
    );
    const m = setup("ok-name");
    m.spec.model = bad;
    await assert.rejects(fitOrLoad(m.spec), /model name .*: use letters, digits/);
    assert.deepEqual(m.calls, []);
    m.dispose();
  }
  for (const good of ["tour-moons-mlp", "vae_z2.v1", "A1"])
    assert.equal(weightsFile(good, "full"), dataFile(good));
});

test("the stale-budget note appears when the shipped budget differs from the code's full budget, and only then", async () => {
  const a = setup("stale", { full: 7 });
  await logged(() => fitOrLoad(a.spec));
  const same = await logged(() => fitOrLoad(setup("stale", { full: 7 }).spec));
  assert.ok(!same.lines.some((l) => l.includes("note:")), same.lines.join("\n"));
  const changed = await logged(() => fitOrLoad(setup("stale", { full: 9 }).spec));
  assert.equal(changed.value.source, "shipped", "still loads the shipped weights");
  assert.ok(
    changed.lines.includes(
      "stale: note: the shipped weights were trained with steps=7, the code's full budget says steps=9; GENLAB_TRAIN=full retrains",
    ),
    changed.lines.join("\n"),
  );
  a.dispose();
});

test("the training data is stored with the weights; other or unrecorded data gets a note on load", async () => {
  const old = setup("data-note");
  await logged(() => fitOrLoad(old.spec)); // weights from before the data was recorded
  const now = { ...setup("data-note").spec, data: "mnist train, 60000 images (official)" };
  const first = await logged(() => fitOrLoad(now));
  assert.equal(first.value.source, "shipped");
  assert.ok(
    first.lines.includes(
      "data-note: note: the shipped weights were trained on data not recorded (weights from before it was); the code trains on mnist train, 60000 images (official); GENLAB_TRAIN=full retrains",
    ),
    first.lines.join("\n"),
  );
  const retrained = await logged(() => fitOrLoad({ ...now, mode: "full" }));
  assert.equal(retrained.value.meta.data, "mnist train, 60000 images (official)");
  const again = await logged(() => fitOrLoad(now));
  assert.equal(again.value.meta.data, now.data, "read back from the file");
  assert.ok(!again.lines.some((l) => l.includes(": note:")), again.lines.join("\n"));
  old.dispose();
});

test("budgets: smoke mode's budget is the full one with only the given keys changed", () => {
  const b = budgets({ steps: 5000, batchSize: 256, lr: 1e-3 }, { steps: 60 });
  assert.deepEqual(b.smoke, { steps: 60, batchSize: 256, lr: 1e-3 });
  assert.deepEqual(b.full, { steps: 5000, batchSize: 256, lr: 1e-3 });
  assert.deepEqual(Object.keys(b.smoke), Object.keys(b.full), "same keys, same order");
});

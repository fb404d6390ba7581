/**
 * Bad input: each case gives one clear error naming the file or value and what to do, and leaves
 * the previous good files in place. (The wrong-architecture and unreadable-history cases are in
 * test/weights.test.ts, an unknown GENLAB_TRAIN and GENLAB_BACKEND in test/env.test.ts and
 * test/backend.test.ts, a notebook name that matches nothing in test/reproduce.test.ts.)
 */
import { test, before, mock } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import fsModule from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import {
  checkpointMeta,
  loadInto,
  readCheckpoint,
  saveCheckpoint,
} from "../lib/storage/checkpoint";
import { loadFashionMnist } from "../lib/data/mnist";
import { nativeBlasSetting } from "../lib/runtime/env";
import { MANIFEST, readManifest } from "../lib/storage/integrity";
import { jsonText, writeJsonAtomic } from "../lib/storage/io";
import { readRun, runOrLoad } from "../lib/storage/runs";
import { tempGenlabDirs } from "./support/temp-env";

// The module object itself (not the namespace copy), so a mocked method is what lib/ calls.

const tmp = tempGenlabDirs("genlab-bad-input-");

before(async () => {
  await initBackend({ quiet: true });
});

function saveSmall(file: string, value: number): void {
  const t = tf.fill([4, 3], value);
  saveCheckpoint(file, { w: t }, checkpointMeta({ model: "m", seed: 1, budget: { steps: 1 } }));
  t.dispose();
}

function loadSmall(file: string): number[] {
  const v = tf.variable(tf.zeros([4, 3]));
  try {
    loadInto(file, { w: v });
    return Array.from(v.dataSync());
  } finally {
    v.dispose();
  }
}

test("saving records the file's SHA-256 in the SHA256SUMS beside it, in sha256sum's format", () => {
  const file = path.join(tmp.dir, "ok", "a.safetensors");
  saveSmall(file, 1);
  const m = readManifest(file);
  assert.match(m.get("a.safetensors")?.join(",") ?? "", /^[0-9a-f]{64}$/);
  assert.match(
    fs.readFileSync(path.join(tmp.dir, "ok", MANIFEST), "utf8"),
    /^[0-9a-f]{64} {2}a\.safetensors\n$/,
  );
  assert.deepEqual(loadSmall(file), new Array(12).fill(1));
});

test("a bit-flipped weights file: an error naming it and saying how to restore it; nothing loaded", () => {
  const file = path.join(tmp.dir, "flip", "a.safetensors");
  saveSmall(file, 1);
  const buf = fs.readFileSync(file);
  buf[buf.length - 3] ^= 0x10; // one bit of one weight: still a well-formed file
  fs.writeFileSync(file, buf);
  assert.throws(
    () => loadSmall(file),
    (e: Error) =>
      e.message.startsWith(`checkpoint ${file}: damaged`) &&
      /git checkout -- .*GENLAB_TRAIN=full/.test(e.message),
  );
  assert.deepEqual(
    fs.readFileSync(file),
    buf,
    "the damaged file is left for inspection, not deleted",
  );
});

test("a truncated weights file: an error naming it, with or without a manifest", () => {
  const file = path.join(tmp.dir, "trunc", "a.safetensors");
  saveSmall(file, 1);
  const full = fs.readFileSync(file);
  fs.writeFileSync(file, full.subarray(0, full.length - 8));
  assert.throws(
    () => readCheckpoint(file),
    (e: Error) => e.message.startsWith(`checkpoint ${file}: damaged`),
  );
  fs.rmSync(path.join(tmp.dir, "trunc", MANIFEST));
  assert.throws(
    () => readCheckpoint(file),
    (e: Error) =>
      e.message.startsWith(`checkpoint ${file}:`) && /data|bytes|offset/.test(e.message),
  );
});

test("a full disk while saving: one clear error, the previous weights and their manifest untouched, no temporary file left", () => {
  const dir = path.join(tmp.dir, "full");
  const file = path.join(dir, "a.safetensors");
  saveSmall(file, 1);
  const before = fs.readFileSync(file);
  const manifest = fs.readFileSync(path.join(dir, MANIFEST), "utf8");
  const enospc = mock.method(fsModule, "writeFileSync", () => {
    throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
  });
  try {
    assert.throws(
      () => saveSmall(file, 2),
      (e: Error) =>
        e.message.includes(`could not write ${file}`) &&
        /ENOSPC/.test(e.message) &&
        /previous .* is unchanged/.test(e.message) &&
        /free some disk space/.test(e.message),
    );
  } finally {
    enospc.mock.restore();
  }
  assert.deepEqual(fs.readFileSync(file), before);
  assert.equal(fs.readFileSync(path.join(dir, MANIFEST), "utf8"), manifest);
  assert.deepEqual(fs.readdirSync(dir).sort(), [MANIFEST, "a.safetensors"]);
  assert.deepEqual(loadSmall(file), new Array(12).fill(1), "the old weights still load");
});

test("a full disk while writing JSON (results, run times): the same clear error", () => {
  const file = path.join(tmp.dir, "json", "r.json");
  writeJsonAtomic(file, { a: 1 });
  const enospc = mock.method(fsModule, "renameSync", () => {
    throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
  });
  try {
    assert.throws(() => writeJsonAtomic(file, { a: 2 }), /could not write .*r\.json \(ENOSPC/);
  } finally {
    enospc.mock.restore();
  }
  assert.deepEqual(JSON.parse(fs.readFileSync(file, "utf8")), { a: 1 });
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ["r.json"]);
});

test("a corrupt run record: bit-flipped (caught by the manifest) or not JSON; both name the file and the remedy", async () => {
  const spec = {
    name: "bad-run",
    seeds: { full: [0], smoke: [0] },
    budget: { full: { n: 1 }, smoke: { n: 1 } },
    compute: async () => ({ x: 12345 }),
    mode: "full" as const,
  };
  const { file } = await runOrLoad({ ...spec });
  const expect = { name: "bad-run", seeds: [0], budget: { n: 1 } };
  assert.equal(readRun<{ n: number }, { x: number }>(file, expect).result.x, 12345);
  const text = fs.readFileSync(file, "utf8");
  fs.writeFileSync(file, text.replace("12345", "12346")); // still valid JSON, wrong number
  const damaged = /run bad-run: .*bad-run\.json: damaged.*GENLAB_TRAIN=full/;
  assert.throws(() => readRun(file, expect), damaged);
  fs.writeFileSync(file, text.slice(0, 20));
  assert.throws(() => readRun(file, expect), /run bad-run: .*(damaged|not readable JSON)/);
});

test("an unknown GENLAB_NATIVE_BLAS value is an error naming it and the values that work", () => {
  for (const ok of [undefined, "", "1", "on", "yes", "TRUE"])
    assert.equal(nativeBlasSetting({ GENLAB_NATIVE_BLAS: ok }), true);
  for (const off of ["0", "off", "no", "false", " 0 "])
    assert.equal(nativeBlasSetting({ GENLAB_NATIVE_BLAS: off }), false);
  assert.throws(
    () => nativeBlasSetting({ GENLAB_NATIVE_BLAS: "fast" }),
    /^Error: GENLAB_NATIVE_BLAS="fast" is not a setting: use 0 .* 1 /,
  );
});

test("a missing Fashion-MNIST: the error says where it looked and how to install it", () => {
  const empty = path.join(tmp.dir, "no-fashion");
  fs.mkdirSync(empty);
  assert.throws(
    () => loadFashionMnist({ dir: empty }),
    (e: Error) =>
      e.message.startsWith("Fashion-MNIST not found") &&
      e.message.includes(empty) &&
      /apt-get install dataset-fashion-mnist/.test(e.message),
  );
});

test("a save killed half-way leaves a file the manifest accepts: old and new hash are both listed while it replaces", () => {
  const dir = path.join(tmp.dir, "window");
  const file = path.join(dir, "a.safetensors");
  saveSmall(file, 1);
  const oldBytes = fs.readFileSync(file);
  saveSmall(file, 2);
  const newBytes = fs.readFileSync(file);
  const lines = fs.readFileSync(path.join(dir, MANIFEST), "utf8");
  assert.equal(lines.trim().split("\n").length, 1, "after the save only the new hash is listed");
  // The moment between "new hash added" and "file renamed": the manifest lists both.
  const { sha256 } =
    require("../lib/storage/integrity") as typeof import("../lib/storage/integrity");
  fs.writeFileSync(
    path.join(dir, MANIFEST),
    `${sha256(oldBytes)}  a.safetensors\n${sha256(newBytes)}  a.safetensors\n`,
  );
  fs.writeFileSync(file, oldBytes);
  assert.deepEqual(loadSmall(file), new Array(12).fill(1), "the old file loads");
  fs.writeFileSync(file, newBytes);
  assert.deepEqual(loadSmall(file), new Array(12).fill(2), "the new file loads");
});

test("jsonText: number arrays on one line, everything else indented, the same value back", () => {
  const value = { step: 3, xs: [1, -2.5, 3e-7], rows: [{ a: [0.5] }], s: "a [1, 2]\nb", e: [] };
  const text = jsonText(value);
  assert.deepEqual(JSON.parse(text), value);
  assert.match(text, /"xs": \[1,-2\.5,3e-7\]/);
  assert.match(text, /"rows": \[\n {4}\{\n {6}"a": \[0\.5\]/);
  assert.match(text, /"s": "a \[1, 2\]\\nb"/, "a string is left as it is");
  assert.ok(text.endsWith("}\n"));
});

/**
 * lib/storage/integrity.ts: the manifest beside saved files, written by several processes at once
 * (the training workers of lib/training/parallel.ts save into one folder): no update is lost.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { readChecked, readManifest, sha256, withManifestLock } from "../lib/storage/integrity";

const root = path.join(__dirname, "..");

/** Runs `writers` processes at once, each saving `files` files of its own into `dir`. */
function writeConcurrently(dir: string, writers: number, files: number): Promise<void> {
  const code =
    `const { writeRecorded } = require(${JSON.stringify(path.join(root, "lib/storage/integrity"))});` +
    `const [dir, w, n] = process.argv.slice(1);` +
    `for (let i = 0; i < Number(n); i++)` +
    `  writeRecorded(require("path").join(dir, "w" + w + "-" + i + ".bin"), "w" + w + " " + i + " " + Date.now());`;
  const one = (w: number) =>
    new Promise<void>((resolve, reject) => {
      const p = spawn(
        process.execPath,
        ["--import", "tsx", "-e", code, dir, String(w), String(files)],
        {
          stdio: "inherit",
        },
      );
      p.on("exit", (c) => (c === 0 ? resolve() : reject(new Error(`writer ${w} exited ${c}`))));
    });
  return Promise.all(Array.from({ length: writers }, (_, w) => one(w))).then(() => undefined);
}

test("four processes saving into one folder at once: every file listed with its own hash", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-integrity-"));
  try {
    await writeConcurrently(dir, 4, 40);
    const m = readManifest(path.join(dir, "x"));
    assert.equal(m.size, 160, "an update of the manifest was lost");
    for (const [name, hashes] of m) {
      const file = path.join(dir, name);
      assert.deepEqual(hashes, [sha256(fs.readFileSync(file))], name);
      readChecked(file, name);
    }
    assert.ok(!fs.existsSync(path.join(dir, "SHA256SUMS.lock")), "the lock is released");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("withManifestLock takes over a lock left by a killed process, and releases on errors", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-lock-"));
  try {
    const lock = path.join(dir, "SHA256SUMS.lock");
    fs.writeFileSync(lock, "");
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lock, old, old);
    assert.equal(
      withManifestLock(path.join(dir, "f"), () => 7),
      7,
    );
    assert.throws(
      () =>
        withManifestLock(path.join(dir, "f"), () => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.ok(!fs.existsSync(lock));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Damage detection for the files genlab writes and reads back: weights, histories and run records.
 * Each folder of them holds a manifest, SHA256SUMS, in the format of coreutils' sha256sum (so
 * `cd data/weights && sha256sum -c SHA256SUMS` checks the shipped files by hand). Saving a file
 * (writeRecorded) records its hash; reading a file that the manifest lists checks it, so a
 * truncated or bit-flipped file is an error naming it instead of silently wrong numbers. Files the
 * manifest does not list (made by hand, or by an older genlab) load unchecked.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { writeFileAtomic } from "./io";

export const MANIFEST = "SHA256SUMS";

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

function manifestFile(file: string): string {
  return path.join(path.dirname(file), MANIFEST);
}

/**
 * The manifest beside `file`, as name -> hashes. A name has one hash, or two for the moment a
 * save replaces the file (see writeRecorded); either is accepted.
 */
export function readManifest(file: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  const f = manifestFile(file);
  if (!fs.existsSync(f)) return m;
  for (const line of fs.readFileSync(f, "utf8").split("\n")) {
    const hit = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (hit) m.set(hit[2], [...(m.get(hit[2]) ?? []), hit[1]]);
  }
  return m;
}

function writeManifest(file: string, m: Map<string, string[]>): void {
  const names = [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const lines = names.flatMap((n) => m.get(n)!.map((h) => `${h}  ${n}`));
  writeFileAtomic(manifestFile(file), lines.join("\n") + "\n");
}

/** A lock older than this is left over from a killed process and is taken over. */
const STALE_LOCK_MS = 30_000;

/**
 * Runs `fn` holding the lock of the manifest beside `file` (SHA256SUMS.lock, created exclusively):
 * the training workers of lib/training/parallel.ts save into one folder at the same time, and
 * each manifest update reads, changes and rewrites the whole file, so without the lock one
 * worker's update could overwrite another's and leave a hash that no longer matches its file.
 */
export function withManifestLock<T>(file: string, fn: () => T): T {
  const lock = manifestFile(file) + ".lock";
  // The folder may not exist yet: the first save into it makes it (as writeFileAtomic would).
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const wait = new Int32Array(new SharedArrayBuffer(4));
  for (let attempt = 0; ; attempt++) {
    try {
      fs.closeSync(fs.openSync(lock, "wx"));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      try {
        if (Date.now() - fs.statSync(lock).mtimeMs > STALE_LOCK_MS)
          fs.rmSync(lock, { force: true });
      } catch {
        // the holder released it meanwhile: try again
      }
      Atomics.wait(wait, 0, 0, Math.min(50, 1 + attempt));
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

/** Sets the hashes the manifest beside `file` accepts for it (atomically, under its lock). */
function setHashes(file: string, hashes: string[]): void {
  withManifestLock(file, () => {
    const m = readManifest(file);
    if (hashes.length) m.set(path.basename(file), hashes);
    else m.delete(path.basename(file));
    writeManifest(file, m);
  });
}

/**
 * Why `data` is not what the manifest beside `file` recorded for it; null when it is, or is
 * unlisted.
 */
export function hashProblem(file: string, data: Uint8Array): string | null {
  const want = readManifest(file).get(path.basename(file));
  if (want === undefined) return null;
  const got = sha256(data);
  if (want.includes(got)) return null;
  return (
    `damaged: its SHA-256 is ${got.slice(0, 12)}..., but ${MANIFEST} beside it says ${want[0].slice(0, 12)}... ` +
    "(truncated or changed after it was saved)"
  );
}

/**
 * Writes `data` atomically (lib/storage/io.ts) and records its hash in the manifest beside it, so
 * that a kill at any moment leaves a file the manifest accepts: first the new hash is added beside
 * the old one, then the file is replaced, then the old hash goes. A failed write puts the old back.
 */
export function writeRecorded(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  const hash = sha256(bytes);
  const old = readManifest(file).get(path.basename(file)) ?? [];
  // An existing file the manifest does not list stays unlisted until it is replaced.
  const listed = old.length > 0 || !fs.existsSync(file);
  try {
    if (listed) setHashes(file, [...new Set([...old, hash])]);
  } catch (err) {
    const what = fs.existsSync(file) ? "the previous one is unchanged" : "nothing was written";
    throw new Error(`could not write ${file} (${what}): ${(err as Error).message}`, { cause: err });
  }
  try {
    writeFileAtomic(file, bytes);
  } catch (err) {
    if (listed) setHashes(file, old);
    throw err;
  }
  setHashes(file, [hash]);
}

/** Deletes `file` (when it is there) and its hashes in the manifest beside it. */
export function removeRecorded(file: string): void {
  fs.rmSync(file, { force: true });
  if (readManifest(file).has(path.basename(file))) setHashes(file, []);
}

/**
 * The whole of `file`, checked against the manifest beside it (hashProblem), for every reader of
 * the files genlab records. An error starts with `what` (which names the file, e.g.
 * `checkpoint ${file}`): "<what>: file not found" (or "is a directory, not a file", "cannot read:
 * <reason>"), or "<what>: damaged: its SHA-256 is ... (truncated or changed after it was saved);
 * <hint>", the hint by default restoreHint(file).
 */
export function readChecked(file: string, what: string, hint = restoreHint(file)): Buffer {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${what}: ${describeFsError(err)}`, { cause: err });
  }
  const problem = hashProblem(file, buf);
  if (problem) throw new Error(`${what}: ${problem}; ${hint}`);
  return buf;
}

/** Why a file could not be read, in a few words ("file not found", ...). */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === "ENOENT") return "file not found";
  if (e.code === "EISDIR") return "is a directory, not a file";
  return `cannot read: ${e.message}`;
}

/** The usual remedy for a damaged file: git for the shipped ones, retraining for any. */
export function restoreHint(file: string): string {
  return `restore it (git checkout -- ${file}) or retrain it with GENLAB_TRAIN=full`;
}

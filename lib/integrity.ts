/**
 * Damage detection for the files genlab writes and reads back: weights, histories and run records.
 * Each folder of them holds a manifest, SHA256SUMS, in the format of coreutils' sha256sum (so
 * `cd data/weights && sha256sum -c SHA256SUMS` checks the shipped files by hand). Saving a file
 * records its hash; reading a file that the manifest lists checks it, so a truncated or bit-flipped
 * file is an error naming it instead of silently wrong numbers. Files the manifest does not list
 * (made by hand, or by an older genlab) load unchecked.
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

/** The manifest beside `file`, as name -> hash (empty when there is none). */
export function readManifest(file: string): Map<string, string> {
  const m = new Map<string, string>();
  const f = manifestFile(file);
  if (!fs.existsSync(f)) return m;
  for (const line of fs.readFileSync(f, "utf8").split("\n")) {
    const hit = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (hit) m.set(hit[2], hit[1]);
  }
  return m;
}

/** Records the hash of `data`, just written to `file`, in the manifest beside it (atomically). */
export function recordHash(file: string, data: Uint8Array): void {
  const m = readManifest(file);
  m.set(path.basename(file), sha256(data));
  const lines = [...m.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([n, h]) => `${h}  ${n}`);
  writeFileAtomic(manifestFile(file), lines.join("\n") + "\n");
}

/** Why `data` is not what the manifest beside `file` recorded for it; null when it is, or is unlisted. */
export function hashProblem(file: string, data: Uint8Array): string | null {
  const want = readManifest(file).get(path.basename(file));
  if (want === undefined) return null;
  const got = sha256(data);
  if (got === want) return null;
  return (
    `damaged: its SHA-256 is ${got.slice(0, 12)}..., but ${MANIFEST} beside it says ${want.slice(0, 12)}... ` +
    "(truncated or changed after it was saved)"
  );
}

/** Writes `data` atomically (lib/io.ts) and records its hash in the manifest beside it. */
export function writeRecorded(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  writeFileAtomic(file, bytes);
  recordHash(file, bytes);
}

/** The usual remedy for a damaged file: git for the shipped ones, retraining for any. */
export function restoreHint(file: string): string {
  return `restore it (git checkout -- ${file}) or retrain it with GENLAB_TRAIN=full`;
}

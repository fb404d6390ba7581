import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { Rng, randn, randu } from "../lib/runtime/random";

const N = 100_000;

function moments(xs: ArrayLike<number>): { mean: number; variance: number; kurtosis: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  const mean = s / xs.length;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i] - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  m2 /= xs.length;
  m4 /= xs.length;
  return { mean, variance: m2, kurtosis: m4 / (m2 * m2) };
}

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = moments(a).mean;
  const mb = moments(b).mean;
  let sab = 0,
    saa = 0,
    sbb = 0;
  for (let i = 0; i < a.length; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

function u32s(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextU32());
}

type State = { s0: number; s1: number; s2: number; s3: number };

/** xoshiro128** written out from Blackman & Vigna's reference C code, on a Uint32Array. */
function referenceXoshiro(state: [number, number, number, number], n: number): number[] {
  const s = Uint32Array.from(state);
  const rotl = (x: number, k: number) => ((x << k) | (x >>> (32 - k))) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0);
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
  }
  return out;
}

test("the core generator is xoshiro128**: known answer for state [1,2,3,4] and agreement with a reference", () => {
  const rng = new Rng(0);
  Object.assign(rng as unknown as State, { s0: 1, s1: 2, s2: 3, s3: 4 });
  const got = u32s(rng, 1000);
  // First values of xoshiro128** from state {1, 2, 3, 4}: 11520 = rotl(2*5, 7)*9, then 0 (s1
  // becomes 0).
  assert.deepEqual(got.slice(0, 3), [11520, 0, 5927040]);
  assert.deepEqual(got, referenceXoshiro([1, 2, 3, 4], 1000));
  const st = new Rng(99) as unknown as State;
  const start: [number, number, number, number] = [st.s0, st.s1, st.s2, st.s3];
  assert.deepEqual(u32s(st as unknown as Rng, 1000), referenceXoshiro(start, 1000));
});

test("seeding is pinned: these values feed every shipped result, a change must be deliberate", () => {
  assert.deepEqual(u32s(new Rng(0), 4), [3809008728, 1133695204, 53579671, 2891528803]);
  assert.deepEqual(u32s(new Rng(12345), 4), [518667457, 440444462, 4232892992, 3757857622]);
  assert.deepEqual(u32s(new Rng(1).fork("batches"), 3), [702173079, 427935779, 463309813]);
});

test("same seed, same stream; different seeds (negative and beyond 2^32 too), different streams", () => {
  assert.deepEqual(u32s(new Rng(42), 1000), u32s(new Rng(42), 1000));
  assert.deepEqual(new Rng(7).normalArray(999), new Rng(7).normalArray(999));
  assert.deepEqual(new Rng(7).uniformArray(999, -3, 5), new Rng(7).uniformArray(999, -3, 5));
  const firsts = new Set<string>();
  const seeds = [
    0,
    1,
    2,
    3,
    42,
    43,
    -1,
    -2,
    2 ** 32,
    2 ** 32 + 1,
    2 ** 32 - 1,
    2 ** 40,
    -(2 ** 32),
    Number.MAX_SAFE_INTEGER,
  ];
  for (const s of seeds) firsts.add(u32s(new Rng(s), 4).join(","));
  assert.equal(firsts.size, seeds.length, "every seed gives its own stream");
});

test("bad seeds are refused with the value in the message", () => {
  for (const bad of [NaN, Infinity, -Infinity, 1.5, 2 ** 60]) {
    assert.throws(
      () => new Rng(bad),
      new RegExp(`Rng seed must be an integer.*got ${String(bad).replace("+", "\\+")}`),
    );
  }
});

test("fork: deterministic, labelled, independent, and it does not advance the parent", () => {
  const parent = new Rng(5);
  const a1 = u32s(parent.fork("a"), 100);
  const a2 = u32s(parent.fork("a"), 100);
  assert.deepEqual(a1, a2);
  // The parent's own stream is unchanged by forking.
  assert.deepEqual(u32s(parent, 100), u32s(new Rng(5), 100));
  assert.deepEqual(
    u32s(new Rng(5).fork("a"), 100),
    a1,
    "fork depends on the seed, not on the parent's position",
  );
  assert.notDeepEqual(u32s(new Rng(5).fork("b"), 100), a1);
  assert.notDeepEqual(u32s(new Rng(6).fork("a"), 100), a1);
  assert.deepEqual(
    u32s(new Rng(5).fork(3), 10),
    u32s(new Rng(5).fork("3"), 10),
    "numeric labels are their strings",
  );
  // Parents that differ only above bit 32 (or in sign) have different children; forks of forks
  // work.
  const kids = [
    0,
    2 ** 32,
    -(2 ** 32),
    -1,
    2 ** 32 - 1,
    Number.MAX_SAFE_INTEGER,
    -Number.MAX_SAFE_INTEGER,
  ].map((s) => u32s(new Rng(s).fork("x").fork("y"), 4).join(","));
  assert.equal(new Set(kids).size, kids.length);
  // Streams of sibling forks, and of a fork and its parent, are uncorrelated (|r| < 4 standard
  // errors).
  const n = 20_000;
  const se = 1 / Math.sqrt(n);
  const fa = new Rng(5).fork("layer.0").uniformArray(n);
  const fb = new Rng(5).fork("layer.1").uniformArray(n);
  const p = new Rng(5).uniformArray(n);
  assert.ok(Math.abs(correlation(fa, fb)) < 4 * se, `siblings r=${correlation(fa, fb)}`);
  assert.ok(Math.abs(correlation(fa, p)) < 4 * se, `fork/parent r=${correlation(fa, p)}`);
  // Lag-1 correlation within a stream.
  assert.ok(Math.abs(correlation(fa.subarray(0, n - 1), fa.subarray(1))) < 4 * se);
});

test("uniform: in [0, 1), mean 1/2 and variance 1/12 over 1e5 draws; uniformArray scales to [lo, hi)", () => {
  const rng = new Rng(11);
  const xs = new Float64Array(N);
  for (let i = 0; i < N; i++) xs[i] = rng.uniform();
  assert.ok(xs.every((x) => x >= 0 && x < 1));
  const m = moments(xs);
  // Standard errors: mean 0.00091, variance 0.00024.
  assert.ok(Math.abs(m.mean - 0.5) < 0.004, `mean ${m.mean}`);
  assert.ok(Math.abs(m.variance - 1 / 12) < 0.001, `variance ${m.variance}`);
  // Each tenth of [0, 1) gets about a tenth of the draws (chi-square, 9 degrees of freedom; p=0.001
  // at 27.9).
  const counts = new Array(10).fill(0);
  for (const x of xs) counts[Math.floor(x * 10)]++;
  const chi2 = counts.reduce((s, c) => s + (c - N / 10) ** 2 / (N / 10), 0);
  assert.ok(chi2 < 27.9, `chi2 ${chi2}, counts ${counts}`);
  const ys = new Rng(12).uniformArray(N, -2, 6);
  assert.ok(ys.every((y) => y >= -2 && y < 6));
  const my = moments(ys);
  assert.ok(Math.abs(my.mean - 2) < 0.03, `mean ${my.mean}`);
  assert.ok(Math.abs(my.variance - 64 / 12) < 0.06, `variance ${my.variance}`);
});

test("normal: mean 0, variance 1, kurtosis 3 and 68.27% within one sigma over 1e5 draws", () => {
  const rng = new Rng(13);
  const xs = new Float64Array(N);
  for (let i = 0; i < N; i++) xs[i] = rng.normal();
  const m = moments(xs);
  // Standard errors: mean 0.0032, variance 0.0045, kurtosis 0.015, fraction 0.0015.
  assert.ok(Math.abs(m.mean) < 0.015, `mean ${m.mean}`);
  assert.ok(Math.abs(m.variance - 1) < 0.02, `variance ${m.variance}`);
  assert.ok(Math.abs(m.kurtosis - 3) < 0.08, `kurtosis ${m.kurtosis}`);
  const within = xs.filter((x) => Math.abs(x) < 1).length / N;
  assert.ok(Math.abs(within - 0.682689) < 0.006, `P(|x|<1) = ${within}`);
  // Box-Muller pairs: consecutive values are uncorrelated.
  assert.ok(Math.abs(correlation(xs.subarray(0, N - 1), xs.subarray(1))) < 0.013);
  const ys = new Rng(14).normalArray(N, 3, 0.5);
  const my = moments(ys);
  assert.ok(Math.abs(my.mean - 3) < 0.008, `mean ${my.mean}`);
  assert.ok(Math.abs(Math.sqrt(my.variance) - 0.5) < 0.006, `std ${Math.sqrt(my.variance)}`);
});

test("int(n): integers in [0, n), evenly spread; bad n refused", () => {
  const rng = new Rng(15);
  const n = 7;
  const draws = 70_000;
  const counts = new Array(n).fill(0);
  for (let i = 0; i < draws; i++) {
    const k = rng.int(n);
    assert.ok(Number.isInteger(k) && k >= 0 && k < n, `int(${n}) gave ${k}`);
    counts[k]++;
  }
  const chi2 = counts.reduce((s, c) => s + (c - draws / n) ** 2 / (draws / n), 0);
  assert.ok(chi2 < 22.5, `chi2 ${chi2} (6 d.o.f., p=0.001 at 22.5), counts ${counts}`);
  for (let i = 0; i < 100; i++) assert.equal(rng.int(1), 0);
  const big = rng.int(2 ** 32);
  assert.ok(Number.isInteger(big) && big >= 0 && big < 2 ** 32);
  for (const bad of [0, -1, 2.5, NaN, Infinity, 2 ** 32 + 1]) {
    assert.throws(
      () => rng.int(bad),
      new RegExp(`Rng.int needs an integer n in 1..2\\^32, got ${bad}`),
    );
  }
});

test("permutation is a permutation, seeded, and uniform over the 24 orders of 4", () => {
  for (const n of [0, 1, 2, 10, 1000]) {
    const p = new Rng(n).permutation(n);
    assert.ok(p instanceof Int32Array);
    assert.equal(p.length, n);
    assert.deepEqual(
      Array.from(p).sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i),
    );
  }
  assert.deepEqual(new Rng(3).permutation(50), new Rng(3).permutation(50));
  assert.notDeepEqual(new Rng(3).permutation(50), new Rng(4).permutation(50));
  const rng = new Rng(16);
  const counts = new Map<string, number>();
  const reps = 24_000;
  for (let i = 0; i < reps; i++) {
    const key = rng.permutation(4).join("");
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  assert.equal(counts.size, 24);
  const chi2 = [...counts.values()].reduce((s, c) => s + (c - 1000) ** 2 / 1000, 0);
  assert.ok(chi2 < 49.7, `chi2 ${chi2} (23 d.o.f., p=0.001 at 49.7)`);
  // shuffle keeps the elements and works on plain arrays too.
  const arr = ["a", "b", "c", "d", "e"];
  const same = new Rng(1).shuffle(arr);
  assert.equal(same, arr, "in place");
  assert.deepEqual([...arr].sort(), ["a", "b", "c", "d", "e"]);
});

test("randn and randu: float32 tensors of the given shape holding the Rng's own draws", async () => {
  await initBackend({ quiet: true });
  const before = tf.memory().numTensors;
  const t = randn(new Rng(8), [3, 4, 5], 2);
  assert.deepEqual(t.shape, [3, 4, 5]);
  assert.equal(t.dtype, "float32");
  assert.deepEqual(t.dataSync(), new Rng(8).normalArray(60, 0, 2));
  const u = randu(new Rng(8), [100], -1, 1);
  assert.deepEqual(u.dataSync(), new Rng(8).uniformArray(100, -1, 1));
  assert.ok(Array.from(u.dataSync()).every((x) => x >= -1 && x < 1));
  t.dispose();
  u.dispose();
  assert.equal(tf.memory().numTensors, before);
});

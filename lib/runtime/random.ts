/**
 * Seeded randomness for everything genlab draws: data splits, shuffles, initial weights, noise.
 * tfjs's own random ops are avoided so that a seed gives the same numbers on every backend.
 * Generator: xoshiro128** seeded through splitmix32.
 */
import * as tf from "@tensorflow/tfjs";

function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Hash of a string to 32 bits (FNV-1a), for named sub-streams. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** What Rng.getState() returns. */
export interface RngState {
  seed: number;
  s: number[];
  spare: number | null;
}

/** Something whose state a resume checkpoint saves and puts back (a generator, a batch stream). */
export interface Stateful {
  getState(): unknown;
  setState(state: unknown): void;
}

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | null = null;
  readonly seed: number;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed))
      throw new Error(`Rng seed must be an integer (at most 2^53 in size), got ${seed}`);
    this.seed = seed;
    // The state comes from splitmix32 of the low 32 bits; the high bits (two's complement, so -1
    // has high bits 0xffffffff) XOR in a second splitmix32 stream. Seeds 0..2^32-1 keep the
    // streams they always had, and seeds that differ only above bit 32 or in sign get different
    // states (folding both halves into one 32-bit number, as before, made Rng(-1) equal Rng(0)).
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 2 ** 32) >>> 0;
    const sm = splitmix32(lo);
    const sh = hi === 0 ? () => 0 : splitmix32(hi ^ 0x6a09e667);
    this.s0 = (sm() ^ sh()) >>> 0;
    this.s1 = (sm() ^ sh()) >>> 0;
    this.s2 = (sm() ^ sh()) >>> 0;
    this.s3 = (sm() ^ sh()) >>> 0;
  }

  /**
   * An independent generator derived from this one's seed and a label (does not advance this one).
   */
  fork(label: string | number): Rng {
    // The label mixes into the low 32 bits; the high bits of the seed carry over unchanged, so
    // parents that differ only there (0 and 2^32, 0 and -2^32) still have different children.
    const lo = (Math.imul(this.seed >>> 0, 0x9e3779b1) ^ hashString(String(label))) >>> 0;
    return new Rng(Math.floor(this.seed / 2 ** 32) * 2 ** 32 + lo);
  }

  /** The generator's whole state (JSON-safe), for a training run's resume checkpoint. */
  getState(): RngState {
    return { seed: this.seed, s: [this.s0, this.s1, this.s2, this.s3], spare: this.spare };
  }

  /** Puts back a state from getState() of a generator with the same seed. */
  setState(st: RngState): void {
    const ok = st && st.seed === this.seed && Array.isArray(st.s) && st.s.length === 4;
    if (!ok || !st.s.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)) {
      throw new Error(
        `Rng(${this.seed}).setState: not a state of this generator: ${JSON.stringify(st)}`,
      );
    }
    [this.s0, this.s1, this.s2, this.s3] = st.s;
    this.spare = st.spare;
  }

  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0;
    this.s1 >>>= 0;
    this.s2 >>>= 0;
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextU32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 2 ** 32)
      throw new Error(`Rng.int needs an integer n in 1..2^32, got ${n}`);
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normal();
    return out;
  }

  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  /** Shuffles in place (Fisher-Yates) and returns the array. */
  shuffle<T>(arr: T[]): T[];
  shuffle<A extends { length: number; [i: number]: number }>(arr: A): A;
  shuffle(arr: { length: number; [i: number]: unknown }): unknown {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = arr[i];
      arr[i] = arr[j];
      arr[j] = t;
    }
    return arr;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A float32 tensor of standard normal draws from `rng` (times `std`). */
export function randn(rng: Rng, shape: number[], std = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.normalArray(n, 0, std), shape, "float32");
}

/** A float32 tensor of uniform draws in [lo, hi) from `rng`. */
export function randu(rng: Rng, shape: number[], lo = 0, hi = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng.uniformArray(n, lo, hi), shape, "float32");
}

/**
 * Accuracy against training-set size (the experiment of Ng & Jordan, NIPS 2001, "On discriminative
 * vs. generative classifiers"): class-stratified random subsets of each size, several seeds, one
 * score per (size, seed) for each model, summarised by mean and spread; and the crossover size
 * where one curve overtakes the other.
 */
import { Rng } from "../runtime/random";

/**
 * `perClass` random indices of every class 0..classes-1 (all of a class if it has fewer), in a
 * seeded random order.
 */
export function stratifiedIndices(
  labels: ArrayLike<number>,
  classes: number,
  perClass: number,
  rng: Rng,
): Int32Array {
  const byClass: number[][] = Array.from({ length: classes }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const out: number[] = [];
  for (const list of byClass) {
    rng.shuffle(list);
    out.push(...list.slice(0, perClass));
  }
  return rng.shuffle(Int32Array.from(out));
}

export interface CurvePoint {
  size: number;
  mean: number;
  std: number;
  min: number;
  max: number;
  values: number[];
}

/**
 * Runs `fit(idx, seed)` for every models' name on stratified subsets of each size (perClass
 * examples of every class), for seeds 0..seeds-1; the subset depends on (size, seed) only, so
 * all models see the same data. Returns one curve per model.
 */
export async function learningCurves(opts: {
  labels: ArrayLike<number>;
  classes: number;
  perClass: number[];
  seeds: number;
  rng: Rng;
  models: Record<string, (idx: Int32Array, seed: number) => number | Promise<number>>;
  onPoint?: (model: string, size: number, seed: number, value: number) => void;
}): Promise<Record<string, CurvePoint[]>> {
  const values: Record<string, number[][]> = {};
  for (const m of Object.keys(opts.models)) values[m] = opts.perClass.map(() => []);
  const sizes: number[] = [];
  for (let s = 0; s < opts.perClass.length; s++) {
    for (let seed = 0; seed < opts.seeds; seed++) {
      const idx = stratifiedIndices(
        opts.labels,
        opts.classes,
        opts.perClass[s],
        opts.rng.fork(`${opts.perClass[s]}/${seed}`),
      );
      if (seed === 0) sizes.push(idx.length);
      for (const [name, fit] of Object.entries(opts.models)) {
        const v = await fit(idx, seed);
        values[name][s].push(v);
        opts.onPoint?.(name, idx.length, seed, v);
      }
    }
  }
  const out: Record<string, CurvePoint[]> = {};
  for (const [name, rows] of Object.entries(values))
    out[name] = rows.map((v, s) => ({ size: sizes[s], ...summary(v), values: v }));
  return out;
}

function summary(v: number[]): { mean: number; std: number; min: number; max: number } {
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std =
    v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

/**
 * Where curve `b` overtakes curve `a` for good: the first size from which b's mean is >= a's at
 * every larger size too, with `a` ahead just before it. Returns the crossover interpolated linearly
 * in log(size) between the two grid points, the grid sizes bracketing it, or null when b is never
 * ahead at the end (no crossover) or is already ahead at the smallest size.
 */
export function crossover(
  a: CurvePoint[],
  b: CurvePoint[],
): { size: number; below: number; above: number } | null {
  if (a.length !== b.length || a.some((p, i) => p.size !== b[i].size))
    throw new Error("crossover: the curves must share their sizes");
  const diff = a.map((p, i) => b[i].mean - p.mean);
  let k = diff.length;
  while (k > 0 && diff[k - 1] >= 0) k--;
  if (k === diff.length || k === 0) return null;
  // a ahead at k-1 (diff < 0), b ahead from k on.
  const t = -diff[k - 1] / (diff[k] - diff[k - 1]);
  const la = Math.log(a[k - 1].size);
  const lb = Math.log(a[k].size);
  return { size: Math.exp(la + t * (lb - la)), below: a[k - 1].size, above: a[k].size };
}

/**
 * Summary statistics of plain number arrays, the one home for the means, medians and spreads that
 * metrics, spread records and notebooks all take.
 */

/** Arithmetic mean; NaN for an empty array. */
export function mean(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i];
  return v.length ? s / v.length : NaN;
}

/** Population standard deviation (divides by n); NaN for an empty array. */
export function sd(v: ArrayLike<number>): number {
  const m = mean(v);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - m) ** 2;
  return v.length ? Math.sqrt(s / v.length) : NaN;
}

/** Mean and unbiased variance (divides by n - 1) of a sample. */
export function sampleVariance(v: ArrayLike<number>): { mean: number; variance: number } {
  const m = mean(v);
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] - m) ** 2;
  return { mean: m, variance: s / (v.length - 1) };
}

/** Median (the mean of the two middle values for an even count); NaN for an empty array. */
export function median(v: ArrayLike<number>): number {
  const s = Float64Array.from(v).sort();
  if (!s.length) return NaN;
  return (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
}

/** The largest absolute value; 0 for an empty array, NaN if any value is NaN. */
export function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) {
    if (Number.isNaN(v[i])) return NaN;
    m = Math.max(m, Math.abs(v[i]));
  }
  return m;
}

/** last / first of a series (how much a curve changed over a run). */
export function endOverStart(v: ArrayLike<number>): number {
  if (!v.length) throw new Error("endOverStart: empty series");
  return v[v.length - 1] / v[0];
}

/**
 * Which classes a generator produces: the histogram of classifier labels of generated digits,
 * and its KL divergence from the uniform distribution (0 when every class is equally frequent,
 * log K when all samples fall in one class of K).
 */

/** Counts of each label in 0..k-1. */
export function classHistogram(labels: ArrayLike<number>, k: number): number[] {
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`classHistogram: k must be a positive integer, got ${k}`);
  const h = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= k)
      throw new Error(`classHistogram: label ${l} at index ${i} is not in 0..${k - 1}`);
    h[l]++;
  }
  return h;
}

/**
 * KL(p || q) in nats between two histograms (normalised here); terms with p = 0 are 0; q = 0 where
 * p > 0 gives Infinity.
 */
export function klDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  if (p.length !== q.length)
    throw new Error(`klDivergence: histograms of ${p.length} and ${q.length} bins`);
  const sp = sumOf(p, "klDivergence(p)");
  const sq = sumOf(q, "klDivergence(q)");
  let kl = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue;
    const pi = p[i] / sp;
    const qi = q[i] / sq;
    if (qi === 0) return Infinity;
    kl += pi * Math.log(pi / qi);
  }
  return kl;
}

/** KL(histogram || uniform) in nats = log K - entropy of the histogram. */
export function klFromUniform(hist: ArrayLike<number>): number {
  return klDivergence(hist, new Array<number>(hist.length).fill(1));
}

function sumOf(h: ArrayLike<number>, who: string): number {
  let s = 0;
  for (let i = 0; i < h.length; i++) {
    if (!(h[i] >= 0) || !Number.isFinite(h[i]))
      throw new Error(`${who}: bin ${i} is ${h[i]}, expected a non-negative finite count`);
    s += h[i];
  }
  if (!(s > 0)) throw new Error(`${who}: the histogram is empty`);
  return s;
}

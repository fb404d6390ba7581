/**
 * Correlation of two series, e.g. a critic's W1 estimate against a sample-quality score over
 * training (notebook 04, B6). Pearson on the values; Spearman on their ranks (ties get their mean
 * rank), which asks only "does one go up when the other does", not "linearly".
 */

function check(x: ArrayLike<number>, y: ArrayLike<number>, who: string): void {
  if (x.length !== y.length)
    throw new Error(`${who}: series of ${x.length} and ${y.length} values`);
  if (x.length < 3) throw new Error(`${who}: need at least 3 pairs, got ${x.length}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i]))
      throw new Error(`${who}: pair ${i} is (${x[i]}, ${y[i]}); drop non-finite values first`);
  }
}

/** Pearson's r; NaN when a series is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  check(x, y, "pearson");
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/** Ranks 1..n, ties sharing their mean rank. */
export function ranks(x: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const r = new Float64Array(x.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1]] === x[idx[i]]) j++;
    for (let k = i; k <= j; k++) r[idx[k]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Spearman's rank correlation; NaN when a series is constant. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  check(x, y, "spearman");
  return pearson(ranks(x), ranks(y));
}

/**
 * ROC curve and the area under it, for "score higher = more likely an outlier (positive)".
 * AUC = P(score of a random positive > score of a random negative) + 1/2 P(equal): the
 * Mann-Whitney statistic, computed from ranks in O(n log n) with ties given their mean rank.
 */

function checkScores(s: ArrayLike<number>, who: string): void {
  if (s.length === 0) throw new Error(`${who}: no scores`);
  for (let i = 0; i < s.length; i++)
    if (Number.isNaN(s[i])) throw new Error(`${who}: score ${i} is NaN`);
}

/** Area under the ROC curve; ties between a positive and a negative count 1/2. */
export function rocAuc(positive: ArrayLike<number>, negative: ArrayLike<number>): number {
  checkScores(positive, "rocAuc(positive)");
  checkScores(negative, "rocAuc(negative)");
  const np = positive.length;
  const nn = negative.length;
  const all: { s: number; pos: boolean }[] = [];
  for (let i = 0; i < np; i++) all.push({ s: positive[i], pos: true });
  for (let i = 0; i < nn; i++) all.push({ s: negative[i], pos: false });
  all.sort((a, b) => a.s - b.s);
  let rankSumPos = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) j++;
    const meanRank = (i + 1 + j) / 2; // ranks i+1..j
    for (let k = i; k < j; k++) if (all[k].pos) rankSumPos += meanRank;
    i = j;
  }
  return (rankSumPos - (np * (np + 1)) / 2) / (np * nn);
}

/**
 * ROC curve points (false positive rate, true positive rate), one per distinct threshold, from
 * (0,0) to (1,1).
 */
export function rocCurve(
  positive: ArrayLike<number>,
  negative: ArrayLike<number>,
): { fpr: number[]; tpr: number[] } {
  checkScores(positive, "rocCurve(positive)");
  checkScores(negative, "rocCurve(negative)");
  const all: { s: number; pos: boolean }[] = [];
  for (let i = 0; i < positive.length; i++) all.push({ s: positive[i], pos: true });
  for (let i = 0; i < negative.length; i++) all.push({ s: negative[i], pos: false });
  all.sort((a, b) => b.s - a.s);
  const fpr = [0];
  const tpr = [0];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j < all.length && all[j].s === all[i].s) {
      if (all[j].pos) tp++;
      else fp++;
      j++;
    }
    fpr.push(fp / negative.length);
    tpr.push(tp / positive.length);
    i = j;
  }
  return { fpr, tpr };
}

/**
 * Numbers in sentences and table cells: the one home for how genlab prints a number.
 */

/**
 * A number in a sentence: integers as they are, others to 4 significant digits, in exponent form
 * below 1e-3 with `expDigits` decimals (1e-4 -> "1.0e-4").
 */
export function fmtNumber(v: number, expDigits = 1): string {
  if (Number.isInteger(v)) return String(v);
  if (v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(expDigits);
  return String(Number(v.toPrecision(4)));
}

/** A fraction as a percentage with one decimal: 0.9481 -> "94.8%". */
export function pct(v: number, decimals = 1): string {
  return `${(100 * v).toFixed(decimals)}%`;
}

/** Mean and spread: "22.4 ± 1.3". */
export function pm(mean: number, spread: number, decimals = 1): string {
  return `${mean.toFixed(decimals)} ± ${spread.toFixed(decimals)}`;
}

/**
 * A sentence from a tagged template that may span lines in the source: white space collapses to
 * single spaces and bare numbers print by fmtNumber, so a notebook's long message stays under the
 * formatter's width: say`max error ${err} at θ = ${theta}`.
 */
export function sentence(strings: TemplateStringsArray, ...values: unknown[]): string {
  const parts = strings.map((s, i) => {
    if (i === values.length) return s;
    const v = values[i];
    return s + (typeof v === "number" ? fmtNumber(v) : String(v));
  });
  return parts.join("").replace(/\s+/g, " ").trim();
}

/** Prints a sentence (see `sentence`) on the console: the notebook's one-line report of a cell. */
export function say(strings: TemplateStringsArray, ...values: unknown[]): void {
  console.log(sentence(strings, ...values));
}

/**
 * A claim's verdict, written in a notebook as a few short lines that read like a sentence:
 *
 *   const a9 = claim("A9", "1 · The game and its value at the optimum")
 *     .check("V(D*, G) = -log 4 + 2 JSD by quadrature (|diff| < 1e-8)", gap < 1e-8)
 *     .check("D* is the maximiser: V(trained D, G) <= V(D*, G)", vTrained <= vStar + 1e-9)
 *     .caveat("a trained D approaches D* (max error < 0.1 where there is mass)", maxErr < 0.1)
 *     .numbers({ vStar, jsd, vTrained, maxErr })
 *     .says`On a 1-D toy, V(D*, G) = ${vStar.toFixed(5)} equals -log 4 + 2 JSD ...
 *       (the template may span lines: its white space is collapsed to single spaces).`;
 *   a9.record(nb.results);
 *   if (nb.mode !== "smoke") a9.mustHold();
 *
 * The checks decide the verdict by decideVerdict's rule (lib/claims/results.ts): an essential
 * check that fails makes it "not reproduced", a caveat that fails "reproduced with a caveat".
 * `record` writes the same entry to the results JSON as Results.verdict; `mustHold` is the
 * notebook's assertion: it throws, naming every failed essential check and the numbers, so a
 * broken model cannot pass.
 */
import { decideVerdict, type Results, type Verdict } from "./results";
import { sentence } from "../display/format";

export interface ClaimCheck {
  name: string;
  pass: boolean;
  caveat?: boolean;
}

export class ClaimVerdict {
  readonly checks: ClaimCheck[] = [];
  private nums: Record<string, number> = {};
  private text = "";

  constructor(
    readonly claimId: string,
    readonly section?: string,
  ) {}

  /** An essential check: if it fails, the claim is not reproduced. */
  check(name: string, pass: boolean): this {
    this.checks.push({ name, pass });
    return this;
  }

  /** A secondary check: if it fails, the claim is reproduced with a caveat. */
  caveat(name: string, pass: boolean): this {
    this.checks.push({ name, pass, caveat: true });
    return this;
  }

  /** The numbers the summary quotes, stored with the verdict. */
  numbers(n: Record<string, number>): this {
    this.nums = { ...this.nums, ...n };
    return this;
  }

  /**
   * The summary, as a tagged template: numbers are formatted by fmtNumber, white space collapsed.
   */
  says(strings: TemplateStringsArray, ...values: unknown[]): this {
    this.text = sentence(strings, ...values);
    return this;
  }

  get verdict(): Verdict {
    return decideVerdict(this.checks);
  }

  get summary(): string {
    return this.text;
  }

  /** The essential checks that failed. */
  failures(): ClaimCheck[] {
    return this.checks.filter((c) => !c.caveat && !c.pass);
  }

  /** Writes the verdict to the notebook's results; returns it. */
  record(results: Results): Verdict {
    const verdict = this.verdict;
    const entry = { verdict, summary: this.text, numbers: this.nums };
    results.verdict(
      this.claimId,
      this.section === undefined ? entry : { ...entry, section: this.section },
    );
    return verdict;
  }

  /**
   * The notebook's assertion: throws when an essential check failed, naming them and the numbers.
   */
  mustHold(): void {
    const failed = this.failures();
    if (!failed.length) return;
    const names = failed.map((c) => c.name).join("; ");
    throw new Error(`${this.claimId}: ${names} failed (numbers: ${JSON.stringify(this.nums)})`);
  }
}

/** Starts the verdict of claim `id` (e.g. "A9"), reported under `section` of the notebook. */
export function claim(id: string, section?: string): ClaimVerdict {
  return new ClaimVerdict(id, section);
}

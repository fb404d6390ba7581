import { test } from "node:test";
import assert from "node:assert/strict";
import { TIMELINE, arxivYearMonth } from "../lib/claims/timeline";

test("timeline: every date agrees with the year and month its arXiv identifier encodes, in order", () => {
  assert.deepEqual(arxivYearMonth("1312.6114"), { year: 2013, month: 12 });
  assert.equal(arxivYearMonth("(no arXiv)"), null);
  let last = "";
  for (const m of TIMELINE) {
    assert.match(m.arxivDate, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(m.arxivDate >= last, `${m.model} out of order`);
    last = m.arxivDate;
    const ym = arxivYearMonth(m.arxiv);
    // An identifier takes the month it is announced in: a paper sent on the last days of a month
    // (WGAN-GP, 31 March 2017) gets the next month's number.
    if (ym) {
      const days =
        (Date.parse(`${ym.year}-${String(ym.month).padStart(2, "0")}-01`) -
          Date.parse(m.arxivDate)) /
        86400000;
      assert.ok(
        m.arxivDate.slice(0, 7) === `${ym.year}-${String(ym.month).padStart(2, "0")}` ||
          (days > 0 && days <= 3),
        `${m.model}: ${m.arxivDate} vs ${m.arxiv}`,
      );
    }
  }
});

import { test } from "node:test";
import * as assert from "node:assert/strict";
import { endOverStart, maxAbs, mean, median, sd } from "../lib/runtime/stats";
import { fmtNumber, pct, pm, sentence } from "../lib/display/format";
import { notebookAssertions } from "../lib/notebook";

test("stats: closed forms on small arrays", () => {
  assert.equal(mean([1, 2, 3, 6]), 3);
  assert.equal(sd([1, 3]), 1);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median(new Float32Array([4, 1, 3, 2])), 2.5);
  assert.equal(maxAbs([0.5, -2, 1]), 2);
  assert.ok(Number.isNaN(maxAbs([1, NaN])));
  assert.equal(endOverStart([4, 3, 1]), 0.25);
  assert.ok(Number.isNaN(mean([])) && Number.isNaN(median([])));
  assert.throws(() => endOverStart([]), /empty/);
});

test("format: numbers, percentages and sentences", () => {
  assert.equal(fmtNumber(0.1063), "0.1063");
  assert.equal(fmtNumber(2.5e-5), "2.5e-5");
  assert.equal(fmtNumber(2.5e-5, 2), "2.50e-5");
  assert.equal(pct(0.9481), "94.8%");
  assert.equal(pm(22.44, 1.31), "22.4 ± 1.3");
  const err = 0.00012;
  assert.equal(
    sentence`max error ${err}
    at θ = ${-1} (${"ok"})`,
    "max error 1.2e-4 at θ = -1 (ok)",
  );
});

test("notebook assertions: assert always throws, assertTrained not in smoke mode", () => {
  const smoke = notebookAssertions("smoke");
  const shipped = notebookAssertions("shipped");
  assert.throws(() => smoke.assert(false, "broken"), /broken/);
  assert.doesNotThrow(() => smoke.assertTrained(false, "untrained"));
  assert.throws(() => shipped.assertTrained(false, "the text is wrong"), /the text is wrong/);
  assert.doesNotThrow(() => shipped.assertTrained(true, "fine"));
});

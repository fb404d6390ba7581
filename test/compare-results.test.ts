import { test } from "node:test";
import assert from "node:assert/strict";
import { compareResults } from "../scripts/compare-results";

test("compareResults lists changed numbers and changed verdicts, nothing else", () => {
  const before = {
    metrics: {
      acc: { value: 0.98 },
      same: { value: 3 },
      curve: { value: [1, 2] },
      t: { value: "x" },
    },
    verdicts: { A1: { verdict: "reproduced" }, A2: { verdict: "not reproduced" } },
  };
  const after = {
    metrics: {
      acc: { value: 0.9939 },
      same: { value: 3 },
      curve: { value: [1, 5, 6] },
      only: { value: { fd: 7 } },
    },
    verdicts: { A1: { verdict: "reproduced" }, A2: { verdict: "reproduced with a caveat" } },
  };
  assert.deepEqual(compareResults(before, after), [
    "| metric | before | after | change |",
    "| --- | --- | --- | --- |",
    "| acc | 0.98 | 0.9939 | 0.0139 |",
    "| curve[1] | 2 | 5 | 3 |",
    "| curve[2] | - | 6 | - |",
    "| only.fd | - | 7 | - |",
    "",
    "| claim | verdict before | verdict after |",
    "| --- | --- | --- |",
    "| A2 | not reproduced | reproduced with a caveat |",
  ]);
  assert.deepEqual(compareResults(before, before), []);
});

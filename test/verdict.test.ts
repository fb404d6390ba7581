/**
 * lib/verdict.ts: a claim's checks, numbers and summary, recorded as Results.verdict records them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { claim } from "../lib/claims/verdict";
import { fmtNumber } from "../lib/display/format";
import { openResults } from "../lib/claims/results";

test("the checks decide the verdict: essential failing -> not reproduced, caveat failing -> caveat", () => {
  assert.equal(claim("A1").check("a", true).caveat("b", true).verdict, "reproduced");
  assert.equal(claim("A1").check("a", true).caveat("b", false).verdict, "reproduced with a caveat");
  assert.equal(claim("A1").check("a", false).caveat("b", true).verdict, "not reproduced");
  assert.throws(() => claim("A1").verdict, /no checks given/);
  assert.throws(() => claim("A1").caveat("b", true).verdict, /essential/);
});

test("says: numbers formatted to 4 significant digits, white space collapsed, strings kept", () => {
  const c = claim("B2").says`V = ${-1.3862943611} nats,
      error ${0.00001234} over ${12} runs; ${"text"} and ${(0.5).toFixed(3)}.`;
  assert.equal(c.summary, "V = -1.386 nats, error 1.2e-5 over 12 runs; text and 0.500.");
  assert.deepEqual(
    [fmtNumber(0), fmtNumber(2), fmtNumber(0.1063), fmtNumber(123456.7)],
    ["0", "2", "0.1063", "123500"],
  );
});

test("record writes what Results.verdict writes; mustHold throws naming the failed essential checks", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "verdict-"));
  const old = process.env.GENLAB_OUT;
  process.env.GENLAB_OUT = dir;
  try {
    const res = openResults("t");
    const c = claim("A9", "1 · section")
      .check("gap closes", true)
      .caveat("close to D*", false)
      .numbers({ maxErr: 0.15 }).says`within ${0.15}`;
    assert.equal(c.record(res), "reproduced with a caveat");
    const v = res.snapshot().verdicts.A9;
    assert.deepEqual(
      { verdict: v.verdict, summary: v.summary, numbers: v.numbers, section: v.section },
      {
        verdict: "reproduced with a caveat",
        summary: "within 0.15",
        numbers: { maxErr: 0.15 },
        section: "1 · section",
      },
    );
    assert.doesNotThrow(() => c.mustHold());
    const bad = claim("B5")
      .check("D wins", true)
      .check("gradient vanishes", false)
      .numbers({ r: 0.2 });
    assert.throws(
      () => bad.mustHold(),
      /^Error: B5: gradient vanishes failed \(numbers: \{"r":0\.2\}\)$/,
    );
    assert.throws(() => claim("A1").check("x", true).record(res), /non-empty summary/);
  } finally {
    if (old === undefined) delete process.env.GENLAB_OUT;
    else process.env.GENLAB_OUT = old;
    fs.rmSync(dir, { recursive: true });
  }
});

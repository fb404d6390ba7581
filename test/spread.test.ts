/**
 * lib/claims/spread.ts: the statistics of a spread, the guard checked against it, the records'
 * errors; and the shipped records: one per statistic of scripts/spread-statistics.ts, and every
 * threshold a notebook checks against one lies outside its spread.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  passes,
  readSpread,
  spreadGuard,
  spreadStats,
  type SpreadRecord,
} from "../lib/claims/spread";
import { dataDir, projectRoot } from "../lib/runtime/env";
import { STATISTICS } from "../scripts/spread-statistics";

function record(values: number[], name = "x"): SpreadRecord {
  const s = spreadStats(values);
  return {
    format: "genlab-spread/1",
    name,
    what: "test",
    scale: "linear",
    seeds: values.map((_, i) => i),
    backends: [{ backend: "b", ...s, values }],
    all: s,
    recorded: { at: "now", codeVersion: "v" },
  };
}

test("spreadStats: closed form for 1, 2, 3, 4 (sample standard deviation)", () => {
  const s = spreadStats([4, 1, 3, 2]);
  assert.deepEqual(
    { n: s.n, min: s.min, max: s.max, mean: s.mean },
    { n: 4, min: 1, max: 4, mean: 2.5 },
  );
  assert.ok(Math.abs(s.sd - Math.sqrt(5 / 3)) < 1e-12);
  assert.throws(() => spreadStats([]), /no values/);
});

test("spreadGuard: a threshold 10 sd out passes; 2.5 sd out, or inside the values, is refused", () => {
  const rec = record([0.09, 0.1, 0.11, 0.1, 0.1]); // mean 0.1, sd 0.00707
  const g = spreadGuard("x", 0.2, "below", { record: rec });
  assert.ok(g.sds > 14 && g.sds < 14.2, String(g.sds));
  assert.ok(passes(g, 0.15) && !passes(g, 0.2) && !passes(g, 0.3));
  assert.match(
    g.line,
    /^x: 5 runs \(5 seeds x 1 backends\), 0\.09 to 0\.11; the guard < 0\.2 is 14\.1 sd above their mean/,
  );
  assert.throws(
    () => spreadGuard("x", 0.1 + 2.5 * 0.00707, "below", { record: rec }),
    /within the measured spread.*npm run spread -- x --record/,
  );
  assert.throws(
    () => spreadGuard("x", 0.105, "below", { minSds: 0, record: rec }),
    /within the measured spread/,
  );
  const up = spreadGuard("x", 0.05, "above", { record: rec });
  assert.ok(up.sds > 7 && passes(up, 0.06) && !passes(up, 0.05));
  assert.throws(() => spreadGuard("x", 0.09, "above", { record: rec }), /within/);
});

test("spreadGuard: a spread without variation passes a threshold outside it and refuses one at it", () => {
  const rec = record([0.5, 0.5, 0.5]);
  assert.equal(spreadGuard("x", 0.6, "below", { record: rec }).sds, Infinity);
  assert.throws(() => spreadGuard("x", 0.5, "below", { record: rec }), /within/);
});

test("readSpread: a missing, damaged or foreign record is one error naming the file and the fix", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "spread-"));
  const file = path.join(dir, "a.json");
  assert.throws(
    () => readSpread("a", file),
    (e: Error) => e.message.includes(file) && /npm run spread -- a --record/.test(e.message),
  );
  fs.writeFileSync(file, "{ not json");
  assert.throws(() => readSpread("a", file), /not valid JSON.*npm run spread -- a --record/);
  fs.writeFileSync(file, JSON.stringify(record([1, 2], "b")));
  assert.throws(() => readSpread("a", file), /not a genlab-spread\/1 record of a/);
  fs.writeFileSync(file, JSON.stringify(record([1, 2], "a")));
  assert.equal(readSpread("a", file).all.mean, 1.5);
  fs.rmSync(dir, { recursive: true });
});

test("data/spread holds a record of every statistic, measured on 2+ backends x 8 seeds from the notebook's seed", () => {
  const files = fs
    .readdirSync(dataDir("spread"))
    .filter((f) => f.endsWith(".json"))
    .sort();
  assert.deepEqual(
    files,
    Object.keys(STATISTICS)
      .map((n) => `${n}.json`)
      .sort(),
  );
  for (const [name, st] of Object.entries(STATISTICS)) {
    const rec = readSpread(name);
    assert.equal(rec.what, st.what, name);
    assert.equal(rec.seeds[0], st.seed, name);
    assert.ok(
      rec.seeds.length >= 8 && rec.backends.length >= 2,
      `${name}: ${rec.seeds.length} seeds, ${rec.backends.length} backends`,
    );
    assert.equal(
      rec.all.n,
      rec.backends.reduce((n, b) => n + b.values.length, 0),
      name,
    );
  }
});

test("every spreadGuard in the notebooks names a recorded statistic and clears its spread", () => {
  const dir = path.join(projectRoot(), "notebooks");
  const used = new Set<string>();
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith(".ipynb"))) {
    const nb = JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as {
      cells: { source: string[] }[];
    };
    const code = nb.cells.map((c) => c.source.join("")).join("\n");
    const call =
      /spreadGuard\("([^"]+)", ([-0-9.e]+), "(below|above)"(, \{ across: "backends" \})?\)/g;
    for (const m of code.matchAll(call)) {
      used.add(m[1]);
      const across = m[4] ? "backends" : undefined;
      const check = () => spreadGuard(m[1], Number(m[2]), m[3] as "below" | "above", { across });
      assert.doesNotThrow(check, `${f}: ${m[0]}`);
    }
  }
  assert.deepEqual(
    [...used].sort().filter((n) => !STATISTICS[n]),
    [],
  );
  assert.ok(used.size >= 8, `only ${used.size} guarded statistics found`);
  const calls = (
    fs
      .readdirSync(dir)
      .filter((n) => n.endsWith(".ipynb"))
      .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
      .join("")
      .match(/spreadGuard\(/g) ?? []
  ).length;
  assert.ok(
    calls >= used.size,
    "a spreadGuard call the pattern above does not read: keep them literal",
  );
});

test("spreadGuard on a log scale, and across the notebook's seed only", () => {
  const rec = record([0.001, 0.01, 0.1, 1e-4]);
  rec.scale = "log"; // log10: -3, -2, -1, -4: mean -2.5, sd 1.29
  rec.backends = [
    { backend: "a", ...spreadStats([0.001, 0.01]), values: [0.001, 0.01] },
    { backend: "b", ...spreadStats([0.1, 1e-4]), values: [0.1, 1e-4] },
  ];
  rec.seeds = [1, 2];
  assert.throws(
    () => spreadGuard("x", 0.5, "below", { record: rec }),
    /within the measured spread across seeds and backends.*log scale/,
  );
  const far = spreadGuard("x", 1e3, "below", { record: rec });
  assert.ok(Math.abs(far.sds - (3 + 2.5) / Math.sqrt(5 / 3)) < 1e-9, String(far.sds));
  // at seed 1 the backends gave 0.001 and 0.1 (log10 -3 and -1: sd 1.41); 0.5 is 1.5 sd above:
  // refused
  assert.throws(
    () => spreadGuard("x", 0.5, "below", { record: rec, across: "backends" }),
    /across backends/,
  );
  const own = spreadGuard("x", 1e3, "below", { record: rec, across: "backends" });
  assert.equal(own.passing, 4);
  assert.match(
    own.line,
    /^x: 4 of 4 runs .* at this notebook's seed 1: 0\.001, 0\.1 on the 2 backends/,
  );
  const some = spreadGuard("x", 5e-4, "above", { record: rec, across: "backends", minSds: 0 });
  assert.equal(some.passing, 3);
  assert.throws(
    () =>
      spreadGuard("x", 1, "below", {
        record: { ...rec, backends: [{ ...rec.backends[0], values: [0, 1] }] },
      }),
    /0 has no logarithm/,
  );
});

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  mergeRuntimes,
  readmeWithRuntimes,
  readRuntimes,
  recordRuntime,
  runtimeLine,
} from "../lib/storage/runtimes";

test("runtimeLine: measured modes in seconds below 90 s and minutes above, the others 'not measured yet'", () => {
  assert.equal(
    runtimeLine(undefined),
    "**Run time on 2 cores** (data/runtimes.json; whole notebook, kernel start included): " +
      "shipped weights not measured yet; `GENLAB_TRAIN=full` not measured yet; `GENLAB_TRAIN=smoke` not measured yet.",
  );
  assert.equal(
    runtimeLine({
      shipped: { seconds: 45.4, cores: 4, measuredAt: "2025-01-01" },
      full: { seconds: 612, cores: 4, measuredAt: "2025-01-01" },
    }),
    "**Run time on 4 cores** (data/runtimes.json, 2025-01-01; whole notebook, kernel start included): " +
      "shipped weights 45 s; `GENLAB_TRAIN=full` 10.2 min; `GENLAB_TRAIN=smoke` not measured yet.",
  );
  const line = (seconds: number) => runtimeLine({ smoke: { seconds, cores: 2, measuredAt: "x" } });
  assert.match(line(89.4), /`GENLAB_TRAIN=smoke` 89 s\.$/);
  assert.match(line(90), /`GENLAB_TRAIN=smoke` 1\.5 min\.$/);
  assert.match(line(0.2), /`GENLAB_TRAIN=smoke` 0 s\.$/);
  assert.match(line(10), /^\*\*Run time on .*$/);
  assert.ok(!line(10).includes("\n"));
});

test("readmeWithRuntimes: rebuilds the time columns of the session table from the records, and nothing else", () => {
  const readme = [
    "Intro | not a table row",
    "| session | notebook | topic | claims | shipped weights | `GENLAB_TRAIN=full` | `GENLAB_TRAIN=smoke` |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    "| 1 | `00_tour` + `01_gen` | the toolbox | A1 | 1 s + 2 s | typed in | 3 s |",
    "| 2 | `02_vae` | the ELBO | A8 | 9 s | 9 s | 9 s |",
  ].join("\n");
  const r = (seconds: number) => ({ seconds, cores: 2, measuredAt: "2026-11-22" });
  const out = readmeWithRuntimes(readme, {
    "00_tour": { shipped: r(14), full: r(19), smoke: r(11) },
    "01_gen": { shipped: r(45), smoke: r(40) },
    "02_vae": { shipped: r(92), full: r(668.7) },
  }).split("\n");
  assert.equal(out[0], "Intro | not a table row");
  assert.equal(out[1], readme.split("\n")[1]);
  assert.equal(
    out[3],
    "| 1 | `00_tour` + `01_gen` | the toolbox | A1 | 14 s + 45 s | 19 s + not measured yet | 11 s + 40 s |",
  );
  assert.equal(out[4], "| 2 | `02_vae` | the ELBO | A8 | 1.5 min | 11.1 min | not measured yet |");
});

test("readRuntimes / recordRuntime: a missing file is empty, a record round-trips, a corrupt file is an error naming it", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-rt-"));
  const file = path.join(dir, "runtimes.json");
  assert.deepEqual(readRuntimes(file), {});
  recordRuntime(file, "03_gan", "smoke", { seconds: 31.6, cores: 2, measuredAt: "2026-12-03" });
  recordRuntime(file, "03_gan", "shipped", { seconds: 46, cores: 2, measuredAt: "2026-12-03" });
  assert.deepEqual(Object.keys(readRuntimes(file)["03_gan"]), ["smoke", "shipped"]);
  fs.writeFileSync(file, '{"03_gan": {"smoke": ');
  assert.throws(
    () => readRuntimes(file),
    (e: Error) => e.message.includes(file) && /not valid JSON/.test(e.message),
  );
  assert.throws(
    () => recordRuntime(file, "00_tour", "smoke", { seconds: 1, cores: 2, measuredAt: "x" }),
    /not valid JSON/,
  );
  assert.equal(
    fs.readFileSync(file, "utf8"),
    '{"03_gan": {"smoke": ',
    "the bad file is left for the user to inspect",
  );
  fs.writeFileSync(
    file,
    JSON.stringify({ "03_gan": { fast: { seconds: 1, cores: 2, measuredAt: "x" } } }),
  );
  assert.throws(() => readRuntimes(file), /03_gan has an unknown mode "fast"/);
  fs.writeFileSync(file, JSON.stringify({ "03_gan": { smoke: { seconds: "1" } } }));
  assert.throws(() => readRuntimes(file), /03_gan\.smoke is not \{seconds, cores, measuredAt\}/);
});

test("mergeRuntimes: later measurements replace earlier ones per notebook and mode, others stay", () => {
  const r = (seconds: number) => ({ seconds, cores: 2, measuredAt: "d" });
  const merged = mergeRuntimes(
    { a: { smoke: r(1), full: r(2) }, b: { smoke: r(3) } },
    { a: { smoke: r(9) }, c: { shipped: r(4) } },
  );
  assert.deepEqual(merged, {
    a: { smoke: r(9), full: r(2) },
    b: { smoke: r(3) },
    c: { shipped: r(4) },
  });
});

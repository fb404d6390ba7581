import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { readmeWithRuntimes, runtimeLine, selectNotebooks } from "../scripts/reproduce";

const ALL = ["00_tour.ipynb", "01_vae.ipynb", "01_vae_mnist.ipynb", "02_gan.ipynb", "03_flows.ipynb"];

test("selectNotebooks: no names means every notebook, in order", () => {
  assert.deepEqual(selectNotebooks(ALL, []), ALL);
});

test("selectNotebooks: file name, stem, notebooks/ path and unique prefix, in the order asked", () => {
  assert.deepEqual(selectNotebooks(ALL, ["02_gan.ipynb"]), ["02_gan.ipynb"]);
  assert.deepEqual(selectNotebooks(ALL, ["02_gan"]), ["02_gan.ipynb"]);
  assert.deepEqual(selectNotebooks(ALL, ["notebooks/02_gan.ipynb"]), ["02_gan.ipynb"]);
  assert.deepEqual(selectNotebooks(ALL, ["./notebooks/03_flows.ipynb"]), ["03_flows.ipynb"]);
  assert.deepEqual(selectNotebooks(ALL, ["03"]), ["03_flows.ipynb"]);
  assert.deepEqual(selectNotebooks(ALL, ["02_g"]), ["02_gan.ipynb"]);
  assert.deepEqual(selectNotebooks(ALL, ["03", "00"]), ["03_flows.ipynb", "00_tour.ipynb"]);
  // An exact stem wins over the longer names it is a prefix of.
  assert.deepEqual(selectNotebooks(ALL, ["01_vae"]), ["01_vae.ipynb"]);
  assert.deepEqual(selectNotebooks(ALL, ["01_vae_"]), ["01_vae_mnist.ipynb"]);
  // The same notebook asked for twice runs once.
  assert.deepEqual(selectNotebooks(ALL, ["00", "00_tour", "00_tour.ipynb"]), ["00_tour.ipynb"]);
});

test("selectNotebooks: an ambiguous prefix is an error listing the candidates", () => {
  assert.throws(() => selectNotebooks(ALL, ["01"]), /^Error: "01" matches several notebooks: 01_vae\.ipynb, 01_vae_mnist\.ipynb$/);
  assert.throws(() => selectNotebooks(ALL, ["0"]), /"0" matches several notebooks: 00_tour\.ipynb, 01_vae\.ipynb, 01_vae_mnist\.ipynb, 02_gan\.ipynb, 03_flows\.ipynb/);
});

test("selectNotebooks: no match is an error listing what there is", () => {
  assert.throws(() => selectNotebooks(ALL, ["04"]), /^Error: no notebook matches "04"; there are: 00_tour\.ipynb, 01_vae\.ipynb, 01_vae_mnist\.ipynb, 02_gan\.ipynb, 03_flows\.ipynb$/);
  assert.throws(() => selectNotebooks(ALL, ["tour"]), /no notebook matches "tour"/, "a prefix, not a substring");
  assert.throws(() => selectNotebooks(ALL, ["notebooks/"]), /no notebook matches "notebooks\/"/, "an empty stem matches nothing");
  assert.throws(() => selectNotebooks([], ["00"]), /no notebook matches "00"; there are: none/);
  // One bad name fails the whole selection.
  assert.throws(() => selectNotebooks(ALL, ["00", "99"]), /"99"/);
});

test("runtimeLine: measured modes in seconds below 90 s and minutes above, the others 'not measured yet'", () => {
  assert.equal(
    runtimeLine(undefined),
    "**Run time on 2 cores** (measured by `npm run reproduce`, whole notebook including kernel start): " +
      "shipped weights not measured yet; `GENLAB_TRAIN=full` not measured yet; `GENLAB_TRAIN=smoke` not measured yet.",
  );
  assert.equal(
    runtimeLine({
      shipped: { seconds: 45.4, cores: 4, measuredAt: "2025-01-01" },
      full: { seconds: 612, cores: 4, measuredAt: "2025-01-01" },
    }),
    "**Run time on 4 cores** (measured by `npm run reproduce`, whole notebook including kernel start): " +
      "shipped weights 45 s; `GENLAB_TRAIN=full` 10.2 min; `GENLAB_TRAIN=smoke` not measured yet.",
  );
  const line = (seconds: number) => runtimeLine({ smoke: { seconds, cores: 2, measuredAt: "x" } });
  assert.match(line(89.4), /`GENLAB_TRAIN=smoke` 89 s\.$/);
  assert.match(line(90), /`GENLAB_TRAIN=smoke` 1\.5 min\.$/);
  assert.match(line(0.2), /`GENLAB_TRAIN=smoke` 0 s\.$/);
  // The line is what recordRuntime matches to rewrite it in place.
  assert.match(line(10), /^\*\*Run time on .*$/);
  assert.ok(!line(10).includes("\n"));
});

test("reproduce run from the command line: a name that matches nothing exits with status 2 and says why", () => {
  const script = path.join(__dirname, "..", "scripts", "reproduce.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", script, "no-such-notebook"], { encoding: "utf8" });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^reproduce: no notebook matches "no-such-notebook"; there are: .*00_tour\.ipynb/m);
  assert.equal(r.stdout, "", "nothing ran");
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
  const out = readmeWithRuntimes(readme, { "00_tour": { shipped: r(14), full: r(19), smoke: r(11) }, "01_gen": { shipped: r(45), smoke: r(40) }, "02_vae": { shipped: r(92), full: r(668.7) } }).split("\n");
  assert.equal(out[0], "Intro | not a table row");
  assert.equal(out[1], readme.split("\n")[1]);
  assert.equal(out[3], "| 1 | `00_tour` + `01_gen` | the toolbox | A1 | 14 s + 45 s | 19 s + not measured yet | 11 s + 40 s |");
  assert.equal(out[4], "| 2 | `02_vae` | the ELBO | A8 | 1.5 min | 11.1 min | not measured yet |");
});

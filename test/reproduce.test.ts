import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { selectNotebooks } from "../scripts/reproduce";

const ALL = [
  "00_tour.ipynb",
  "01_vae.ipynb",
  "01_vae_mnist.ipynb",
  "02_gan.ipynb",
  "03_flows.ipynb",
];

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
  assert.throws(
    () => selectNotebooks(ALL, ["01"]),
    /^Error: "01" matches several notebooks: 01_vae\.ipynb, 01_vae_mnist\.ipynb$/,
  );
  assert.throws(
    () => selectNotebooks(ALL, ["0"]),
    /"0" matches several notebooks: 00_tour\.ipynb, 01_vae\.ipynb, 01_vae_mnist\.ipynb, 02_gan\.ipynb, 03_flows\.ipynb/,
  );
});

test("selectNotebooks: no match is an error listing what there is", () => {
  assert.throws(
    () => selectNotebooks(ALL, ["04"]),
    /^Error: no notebook matches "04"; there are: 00_tour\.ipynb, 01_vae\.ipynb, 01_vae_mnist\.ipynb, 02_gan\.ipynb, 03_flows\.ipynb$/,
  );
  assert.throws(
    () => selectNotebooks(ALL, ["tour"]),
    /no notebook matches "tour"/,
    "a prefix, not a substring",
  );
  assert.throws(
    () => selectNotebooks(ALL, ["notebooks/"]),
    /no notebook matches "notebooks\/"/,
    "an empty stem matches nothing",
  );
  assert.throws(() => selectNotebooks([], ["00"]), /no notebook matches "00"; there are: none/);
  // One bad name fails the whole selection.
  assert.throws(() => selectNotebooks(ALL, ["00", "99"]), /"99"/);
});

test("reproduce run from the command line: a name that matches nothing exits with status 2 and says why", () => {
  const script = path.join(__dirname, "..", "scripts", "reproduce.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", script, "no-such-notebook"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /^reproduce: no notebook matches "no-such-notebook"; there are: .*00_tour\.ipynb/m,
  );
  assert.equal(r.stdout, "", "nothing ran");
});

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  decideVerdict,
  openResults,
  readAllResults,
  ResultsFile,
  setBackendNameProvider,
} from "../lib/claims/results";
import { codeVersion, computeCodeVersion, libHash } from "../lib/runtime/version";

let dir: string;
const saved = { out: process.env.GENLAB_OUT, train: process.env.GENLAB_TRAIN };

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-results-"));
  process.env.GENLAB_OUT = dir;
  process.env.GENLAB_TRAIN = "smoke";
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  for (const [k, v] of [
    ["GENLAB_OUT", saved.out],
    ["GENLAB_TRAIN", saved.train],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  setBackendNameProvider(undefined);
});

const resultsFile = (nb: string) => path.join(dir, "results", `${nb}.json`);
const readJson = (nb: string): ResultsFile => JSON.parse(fs.readFileSync(resultsFile(nb), "utf8"));
const VERSION = /^\d+\.\d+\.\d+\S*\+([0-9a-f]{4,40}(-dirty)?|nogit) lib:[0-9a-f]{12}$/;

describe("Results", () => {
  test("metrics, verdicts and notes are written on every call and read back", () => {
    setBackendNameProvider(undefined);
    const res = openResults("01-vae");
    assert.equal(res.file, resultsFile("01-vae"));
    assert.equal(fs.existsSync(res.file), false, "opening writes nothing");

    assert.equal(res.metric("elbo", -98.5, { unit: "nats", note: "test set" }), -98.5);
    let f = readJson("01-vae");
    assert.equal(f.notebook, "01-vae");
    assert.equal(f.mode, "smoke");
    assert.equal(f.backend, null);
    assert.match(f.codeVersion, VERSION);
    assert.equal(f.codeVersion, codeVersion());
    assert.deepEqual(f.metrics.elbo.value, -98.5);
    assert.equal(f.metrics.elbo.unit, "nats");
    assert.equal(f.metrics.elbo.note, "test set");

    setBackendNameProvider(() => "wasm");
    const curve = [3, 2.5, 2.25];
    res.metric("loss_curve", curve);
    curve.push(99); // the recorded copy does not change afterwards
    res.metric("per_class", { "0": 0.9, "1": 0.85 });
    res.verdict("A7", {
      verdict: "reproduced with a caveat",
      summary: "KL collapses for beta > 4, at a smaller budget",
      numbers: { beta: 4, kl: 0.02 },
      section: "3.2",
    });
    res.note("data", "mnist 10k subset");
    res.metric("elbo", -97, { unit: "nats" }); // last value wins

    f = readJson("01-vae");
    assert.equal(f.backend, "wasm");
    assert.deepEqual(f.metrics.loss_curve.value, [3, 2.5, 2.25]);
    assert.deepEqual(f.metrics.per_class.value, { "0": 0.9, "1": 0.85 });
    assert.equal(f.metrics.elbo.value, -97);
    assert.equal(f.metrics.elbo.note, undefined);
    assert.deepEqual(
      { ...f.verdicts.A7, at: undefined },
      {
        claimId: "A7",
        verdict: "reproduced with a caveat",
        summary: "KL collapses for beta > 4, at a smaller budget",
        numbers: { beta: 4, kl: 0.02 },
        section: "3.2",
        at: undefined,
      },
    );
    assert.deepEqual(f.notes, { data: "mnist 10k subset" });
    assert.ok(Date.parse(f.updatedAt) >= Date.parse(f.startedAt));
    assert.deepEqual(res.snapshot(), f);
    assert.deepEqual(
      fs.readdirSync(path.dirname(res.file)).filter((n) => n.endsWith(".tmp")),
      [],
    );
  });

  test("a new run replaces the old file at its first write, not before", () => {
    const a = openResults("02-gan");
    a.metric("old", 1);
    const b = openResults("02-gan");
    assert.deepEqual(
      Object.keys(readJson("02-gan").metrics),
      ["old"],
      "old content kept until the first write",
    );
    b.note("n", "new run");
    const f = readJson("02-gan");
    assert.deepEqual(f.metrics, {});
    assert.deepEqual(f.notes, { n: "new run" });
  });

  test("NaN and Inf are refused with an error naming the file, and nothing is recorded", () => {
    const res = openResults("03-flow");
    res.metric("good", 1);
    const before = fs.readFileSync(res.file, "utf8");
    const bad: [unknown, RegExp][] = [
      [NaN, /metric "x" is NaN/],
      [Infinity, /metric "x" is Infinity/],
      [[1, 2, -Infinity], /metric "x" has -Infinity at index 2/],
      [{ a: 1, b: NaN }, /metric "x" has NaN under "b"/],
      [[1, "2"], /non-number at index 1/],
      ["3", /is not a number/],
      [null, /is not a number/],
    ];
    for (const [value, pattern] of bad) {
      assert.throws(
        () => res.metric("x", value as number),
        (err: Error) => {
          assert.ok(err.message.includes(res.file), err.message);
          assert.match(err.message, pattern);
          return true;
        },
      );
    }
    assert.throws(
      () => res.verdict("A1", { verdict: "reproduced", summary: "s", numbers: { fid: NaN } }),
      /numbers has NaN under "fid"/,
    );
    assert.throws(() => res.metric("", 1), /metric key must be a non-empty string/);
    assert.throws(() => res.note("k", 3 as unknown as string), /note "k" must be a string/);
    assert.equal(fs.readFileSync(res.file, "utf8"), before, "file unchanged by refused calls");
  });

  test("claim ids, verdict strings and summaries are validated", () => {
    const res = openResults("04-claims");
    const v = { verdict: "reproduced" as const, summary: "ok", numbers: { x: 1 } };
    for (const id of ["A1", "A7", "B4", "B12", "A99"]) res.verdict(id, v);
    assert.deepEqual(Object.keys(readJson("04-claims").verdicts).sort(), [
      "A1",
      "A7",
      "A99",
      "B12",
      "B4",
    ]);
    for (const id of ["C1", "A123", "a7", "A", "", " A7", "A7 ", "AB1", "B-1"]) {
      assert.throws(
        () => res.verdict(id, v),
        (err: Error) => {
          assert.ok(err.message.includes(res.file));
          assert.match(err.message, /is not of the form A<n> or B<n>/);
          assert.ok(err.message.includes(JSON.stringify(id)));
          return true;
        },
      );
    }
    assert.throws(
      () => res.verdict("A1", { ...v, verdict: "partly" as "reproduced" }),
      /"partly"; use one of "reproduced", "reproduced with a caveat", "not reproduced"/,
    );
    assert.throws(() => res.verdict("A1", { ...v, summary: "  " }), /needs a non-empty summary/);
    assert.throws(
      () => res.verdict("A1", { ...v, numbers: [1] as unknown as Record<string, number> }),
      /numbers must be an object/,
    );
  });

  test("notebook names must be safe file names", () => {
    for (const nb of ["", "../x", "a/b", ".hidden", "a b"]) {
      assert.throws(
        () => openResults(nb),
        /openResults: notebook name .* must start with a letter or digit/,
      );
    }
  });
});

describe("decideVerdict", () => {
  const table: [string, { name: string; pass: boolean; caveat?: boolean }[], string][] = [
    [
      "all pass",
      [
        { name: "a", pass: true },
        { name: "b", pass: true },
      ],
      "reproduced",
    ],
    [
      "all pass incl. secondary",
      [
        { name: "a", pass: true },
        { name: "b", pass: true, caveat: true },
      ],
      "reproduced",
    ],
    [
      "secondary fails",
      [
        { name: "a", pass: true },
        { name: "b", pass: false, caveat: true },
      ],
      "reproduced with a caveat",
    ],
    [
      "essential fails",
      [
        { name: "a", pass: false },
        { name: "b", pass: true },
      ],
      "not reproduced",
    ],
    [
      "both kinds fail",
      [
        { name: "a", pass: false },
        { name: "b", pass: false, caveat: true },
      ],
      "not reproduced",
    ],
    [
      "caveat false is essential",
      [
        { name: "a", pass: true },
        { name: "b", pass: false, caveat: false },
      ],
      "not reproduced",
    ],
    ["single essential pass", [{ name: "a", pass: true }], "reproduced"],
  ];
  for (const [label, checks, expected] of table) {
    test(label, () => assert.equal(decideVerdict(checks), expected));
  }
  test("bad input", () => {
    assert.throws(() => decideVerdict([]), /no checks given/);
    assert.throws(
      () => decideVerdict([{ name: "a", pass: true, caveat: true }]),
      /at least one essential check/,
    );
    assert.throws(
      () =>
        decideVerdict([
          { name: "a", pass: true },
          { name: "a", pass: false },
        ]),
      /"a" appears twice/,
    );
    assert.throws(() => decideVerdict([{ name: "", pass: true }]), /non-empty name/);
    assert.throws(
      () => decideVerdict([{ name: "a", pass: 1 as unknown as boolean }]),
      /pass=1, not a boolean/,
    );
  });
});

describe("readAllResults", () => {
  test("reads every file; corrupt and malformed ones become entries with an error naming the file", () => {
    const rdir = path.join(dir, "gather");
    fs.mkdirSync(rdir);
    process.env.GENLAB_OUT = rdir;
    try {
      openResults("10-good").metric("m", 2);
      openResults("11-also").verdict("B4", {
        verdict: "not reproduced",
        summary: "no",
        numbers: {},
      });
    } finally {
      process.env.GENLAB_OUT = dir;
    }
    const res = path.join(rdir, "results");
    fs.writeFileSync(path.join(res, "12-corrupt.json"), '{"notebook": "12-corrupt", "metr');
    fs.writeFileSync(
      path.join(res, "13-wrong.json"),
      JSON.stringify({ notebook: "other", metrics: [] }),
    );
    fs.writeFileSync(path.join(res, "14-good.json.123.456.tmp"), "{");
    fs.writeFileSync(path.join(res, "README.txt"), "not results");

    const all = readAllResults(res);
    assert.deepEqual(Object.keys(all), ["10-good", "11-also", "12-corrupt", "13-wrong"]);
    const good = all["10-good"];
    assert.equal(good.error, undefined);
    if (good.error === undefined) assert.equal(good.metrics.m.value, 2);
    const also = all["11-also"];
    if (also.error === undefined) assert.equal(also.verdicts.B4.verdict, "not reproduced");
    else assert.fail(also.error);

    const corrupt = all["12-corrupt"];
    assert.ok(corrupt.error !== undefined);
    assert.ok(corrupt.error.includes(path.join(res, "12-corrupt.json")), corrupt.error);
    assert.match(corrupt.error, /not valid JSON/);
    const wrong = all["13-wrong"];
    assert.ok(wrong.error !== undefined);
    assert.ok(wrong.error.includes(path.join(res, "13-wrong.json")));
    assert.match(wrong.error, /"metrics" is not an object/);
    assert.match(wrong.error, /records notebook "other" but is named 13-wrong.json/);

    // default folder is outDir("results")
    process.env.GENLAB_OUT = rdir;
    try {
      assert.deepEqual(Object.keys(readAllResults()), Object.keys(all));
    } finally {
      process.env.GENLAB_OUT = dir;
    }
    assert.deepEqual(readAllResults(path.join(dir, "no-such-folder")), {});
  });
});

describe("codeVersion", () => {
  test("format, and stable within the process", () => {
    assert.match(codeVersion(), VERSION);
    assert.equal(codeVersion(), codeVersion());
  });

  test("without a repository or without git the commit reads nogit; the lib hash follows content", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-version-"));
    try {
      fs.writeFileSync(
        path.join(root, "package.json"),
        JSON.stringify({ name: "genlab", version: "9.8.7" }),
      );
      fs.mkdirSync(path.join(root, "lib", "sub"), { recursive: true });
      fs.writeFileSync(path.join(root, "lib", "a.ts"), "export const a = 1;\n");
      fs.writeFileSync(path.join(root, "lib", "sub", "b.ts"), "export const b = 2;\n");
      fs.writeFileSync(path.join(root, "lib", "notes.md"), "ignored");
      const v1 = computeCodeVersion(root);
      assert.match(v1, /^9\.8\.7\+nogit lib:[0-9a-f]{12}$/);

      const savedPath = process.env.PATH;
      process.env.PATH = "";
      try {
        assert.match(
          computeCodeVersion(path.resolve(__dirname, "..")),
          /^\S+\+nogit lib:[0-9a-f]{12}$/,
          "git missing is tolerated",
        );
      } finally {
        process.env.PATH = savedPath;
      }

      const h1 = libHash(path.join(root, "lib"));
      fs.writeFileSync(path.join(root, "lib", "notes.md"), "still ignored");
      assert.equal(libHash(path.join(root, "lib")), h1, "non-.ts files do not count");
      fs.writeFileSync(path.join(root, "lib", "sub", "b.ts"), "export const b = 3;\n");
      const h2 = libHash(path.join(root, "lib"));
      assert.notEqual(h2, h1, "content change changes the hash");
      fs.renameSync(path.join(root, "lib", "sub", "b.ts"), path.join(root, "lib", "sub", "c.ts"));
      assert.notEqual(libHash(path.join(root, "lib")), h2, "a rename changes the hash");

      fs.rmSync(path.join(root, "package.json"));
      assert.throws(
        () => computeCodeVersion(root),
        (err: Error) => err.message.includes(path.join(root, "package.json")),
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

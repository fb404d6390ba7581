/**
 * scripts/format-notebooks.ts: an unformatted cell, a cell that does not parse and a lint error
 * (a shorthand property, which tslab breaks) fail the check; formatting fixes what it can.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  cellLimitProblems,
  cellStats,
  formatNotebooks,
  MAX_CELL_LINES,
} from "../scripts/format-notebooks";

const cell = (source: string) => ({
  cell_type: "code",
  execution_count: null,
  metadata: {},
  outputs: [],
  source: [source],
});

function notebook(dir: string, cells: string[]): string {
  const file = path.join(dir, "t.ipynb");
  const nb = { cells: cells.map(cell), metadata: {}, nbformat: 4, nbformat_minor: 5 };
  fs.writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
  return file;
}

const sources = (file: string) =>
  (JSON.parse(fs.readFileSync(file, "utf8")) as { cells: { source: string[] }[] }).cells.map((c) =>
    c.source.join(""),
  );

test("cellStats counts long lines and long cells", () => {
  const s = cellStats(["a\nb", "x".repeat(101), Array(16).fill("y").join("\n")]);
  assert.deepEqual(s, { lines: 19, over100: 1, longest: 101, cellsOver15: 1, cells: 3 });
});

test("the check fails on an unformatted cell and on a shorthand property; format fixes both", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmt-nb-"));
  const file = notebook(dir, ["const a  =  1", "console.log({ a });"]);
  const before = fs.readFileSync(file, "utf8");
  const checked = await formatNotebooks(dir, true);
  assert.equal(checked.problems, 2, "one unformatted cell, one shorthand property");
  assert.equal(fs.readFileSync(file, "utf8"), before, "--check writes nothing");
  await formatNotebooks(dir, false);
  assert.deepEqual(sources(file), ["const a = 1;", "console.log({ a: a });"]);
  assert.equal((await formatNotebooks(dir, true)).problems, 0);
  fs.rmSync(dir, { recursive: true });
});

test("a cell that does not parse is a problem, and the notebook is left as it was", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmt-nb-"));
  const file = notebook(dir, ["const = ;"]);
  const before = fs.readFileSync(file, "utf8");
  const res = await formatNotebooks(dir, false);
  assert.ok(res.problems >= 1);
  assert.equal(fs.readFileSync(file, "utf8"), before);
  fs.rmSync(dir, { recursive: true });
});

test("a line over 100 characters and a cell over the line limit fail the check", async () => {
  assert.deepEqual(cellLimitProblems("const a = 1;"), []);
  assert.match(
    cellLimitProblems(`const s = "${"x".repeat(100)}";`)[0],
    /line 1 has 113 characters/,
  );
  const tall = Array.from({ length: MAX_CELL_LINES + 1 }, (_, k) => `const v${k} = ${k};`);
  assert.match(cellLimitProblems(tall.join("\n"))[0], /19 lines \(limit 18\)/);
  assert.deepEqual(cellLimitProblems(tall.slice(1).join("\n")), []);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fmt-nb-"));
  notebook(dir, [`console.log("${"y".repeat(100)}");`]);
  assert.equal((await formatNotebooks(dir, true)).problems, 2, "unformatted, and too long");
  assert.equal((await formatNotebooks(dir, false)).problems, 1, "formatting cannot fix it");
  fs.rmSync(dir, { recursive: true });
});

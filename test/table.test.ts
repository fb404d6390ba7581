import { test } from "node:test";
import assert from "node:assert/strict";
import * as dfd from "danfojs-node";
import { formatNumber, showTable, tableHtml, tableText, toDataFrame } from "../lib/display/table";

const rows = [
  { model: "VAE", loss: 101.23456, ok: true },
  { model: "GAN <b>&", loss: 0.0000123456, steps: 12000 },
];

/** The text of every <td>/<th> in order, per row. */
function cellsOf(html: string): string[][] {
  return [...html.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) =>
    [...m[1].matchAll(/<t[dh][^>]*>(.*?)<\/t[dh]>/g)].map((c) => c[1]),
  );
}

test("toDataFrame makes a danfo DataFrame and fills missing keys with null", () => {
  const df = toDataFrame(rows);
  assert.ok(df instanceof dfd.DataFrame);
  assert.deepEqual(df.columns, ["model", "loss", "ok", "steps"]);
  assert.deepEqual(df.shape, [2, 4]);
  const values = df.values as unknown[][];
  assert.equal(values[1][0], "GAN <b>&");
  assert.equal(values[1][3], 12000);
  assert.equal(values[0][3], null);
  assert.equal(values[1][2], null);
});

test("formatNumber keeps integers, rounds to significant digits, uses exponents at the extremes", () => {
  assert.equal(formatNumber(12000), "12000");
  assert.equal(formatNumber(101.23456), "101.2");
  assert.equal(formatNumber(101.23456, 6), "101.235");
  assert.equal(formatNumber(0.5), "0.5000");
  assert.equal(formatNumber(0.0000123456), "1.235e-5");
  assert.equal(formatNumber(123456.7, 4), "123457");
  assert.equal(formatNumber(-2.5e20), "-2.500e+20");
  assert.equal(formatNumber(NaN), "NaN");
  assert.equal(formatNumber(-Infinity), "-Infinity");
});

test("tableHtml escapes cells, right-aligns and formats numbers, from rows and from a DataFrame alike", () => {
  const html = tableHtml(rows, { title: "Results <1>", caption: "smoke & run", digits: 3 });
  assert.ok(html.includes("<table"));
  assert.ok(html.includes("Results &lt;1&gt;"));
  assert.ok(html.includes("smoke &amp; run"));
  assert.ok(!html.includes("<b>&"), "raw cell text must be escaped");
  const cells = cellsOf(html);
  assert.deepEqual(cells[0], ["model", "loss", "ok", "steps"]);
  assert.deepEqual(cells[1], ["VAE", "101", "true", ""]);
  assert.deepEqual(cells[2], ["GAN &lt;b&gt;&amp;", "1.23e-5", "", "12000"]);
  assert.match(html, /<td style="[^"]*text-align:right">101<\/td>/);
  assert.match(html, /<td style="[^"]*text-align:left">VAE<\/td>/);
  assert.match(html, /<th style="[^"]*text-align:right[^"]*">loss<\/th>/);
  const fromDf = tableHtml(toDataFrame(rows), {
    title: "Results <1>",
    caption: "smoke & run",
    digits: 3,
  });
  assert.deepEqual(cellsOf(fromDf), cells);
});

test("tableHtml shows the index on request, handles a Series and caps rows", () => {
  const df = new dfd.DataFrame({ step: [0, 1, 2], loss: [1.5, 1.25, 0.875] });
  assert.deepEqual(cellsOf(tableHtml(df, { index: true }))[0], ["", "step", "loss"]);
  assert.deepEqual(cellsOf(tableHtml(df, { index: true }))[3], ["2", "2", "0.8750"]);
  const series = df["loss"] as dfd.Series;
  assert.deepEqual(
    cellsOf(tableHtml(series))
      .slice(1)
      .map((r) => r[0]),
    ["1.500", "1.250", "0.8750"],
  );
  const many = Array.from({ length: 10 }, (_, i) => ({ i }));
  const capped = tableHtml(many, { maxRows: 3 });
  assert.equal(cellsOf(capped).length, 1 + 3 + 1);
  assert.ok(capped.includes("7 more rows"));
});

test("tableText aligns columns: numbers right, text left", () => {
  const text = tableText(rows, { title: "T", digits: 4 });
  const lines = text.split("\n");
  assert.equal(lines[0], "T");
  assert.equal(lines[1], "model         loss  ok    steps");
  assert.equal(lines[2], "--------  --------  ----  -----");
  assert.equal(lines[3], "VAE          101.2  true");
  assert.equal(lines[4], "GAN <b>&  1.235e-5        12000");
});

test("showTable prints the text table outside a notebook", () => {
  const logged: string[] = [];
  const orig = console.log;
  console.log = (...a: unknown[]) => void logged.push(a.join(" "));
  try {
    showTable([{ a: 1, b: "x" }], { title: "shown" });
  } finally {
    console.log = orig;
  }
  assert.equal(logged.length, 1);
  assert.equal(logged[0], "shown\na  b\n-  -\n1  x");
});

test("tableHtml rejects input it cannot read", () => {
  assert.throws(() => tableHtml({} as unknown as never), /expected a danfo DataFrame/);
});

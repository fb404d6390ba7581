import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { figureHtml } from "../lib/display/plot";
import {
  buildReport,
  outputHtml,
  reportCells,
  reportHref,
  writeReport,
} from "../lib/claims/report";
import { openResults } from "../lib/claims/results";

let dir: string;
let out: string;
let nbDir: string;
const saved = { out: process.env.GENLAB_OUT, train: process.env.GENLAB_TRAIN };

const md = (source: string) => ({
  cell_type: "markdown",
  metadata: {},
  source: source.split(/(?<=\n)/),
});
const code = (source: string, outputs: object[] = [], tags?: string[]) => ({
  cell_type: "code",
  execution_count: 1,
  metadata: tags ? { tags } : {},
  outputs,
  source,
});
const html = (h: string) => ({
  output_type: "display_data",
  data: { "text/html": h.split(/(?<=\n)/), "text/plain": "[html]" },
  metadata: {},
});
const PNG_B64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";
const FIGURE = figureHtml(
  {
    data: [{ type: "scatter", x: [1, 2], y: [3, 4] }],
    layout: { title: { text: "fixture figure" } },
  },
  { id: "fixture-plot" },
);

/**
 * A small fake executed notebook: title, the Plotly bundle output, two sections, tagged and
 * untagged cells.
 */
function executedGan() {
  return {
    cells: [
      md("# 03 · The GAN, a fixture"),
      code('const nb = await setupNotebook("03_gan");', [
        html(
          '<div class="genlab-plotly-bundle" style="display:none"></div><script>/* bundle */</script>',
        ),
        { output_type: "stream", name: "stdout", text: "backend: wasm\n" },
      ]),
      md("## 2 · When the discriminator always wins (B5)\n\nSome text."),
      code(
        "show(fig)",
        [
          html(FIGURE),
          { output_type: "stream", name: "stdout", text: ["trained ", "<100> steps\n"] },
        ],
        ["report"],
      ),
      code("untagged()", [html("<p>SECRET-UNTAGGED</p>")]),
      md("### A subsection"),
      code("showImageGrid(x)", [
        {
          output_type: "display_data",
          data: { "image/png": PNG_B64 + "\n", "text/plain": "img" },
          metadata: {},
        },
      ]),
      code("changed()", [html("<p>CHANGED-SOURCE</p>")]),
    ],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 4,
  };
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-report-"));
  out = path.join(dir, "out");
  nbDir = path.join(dir, "notebooks");
  fs.mkdirSync(out, { recursive: true });
  fs.mkdirSync(nbDir, { recursive: true });
  process.env.GENLAB_OUT = out;
  process.env.GENLAB_TRAIN = "smoke";
  const ran = executedGan();
  fs.writeFileSync(path.join(out, "03_gan.ipynb"), JSON.stringify(ran));
  fs.writeFileSync(path.join(out, "03_gan.html"), "<html></html>");
  // The source notebook: the image cell is tagged only here (same source: it counts), the last
  // cell is tagged here but its source changed since the run (it does not).
  const src = executedGan();
  (src.cells[6] as { metadata: object }).metadata = { tags: ["report"] };
  src.cells[7] = code("changed(differently)", [], ["report"]);
  fs.writeFileSync(path.join(nbDir, "03_gan.ipynb"), JSON.stringify(src));
  fs.writeFileSync(path.join(nbDir, "02_vae.ipynb"), JSON.stringify({ cells: [md("# 02 · VAE")] }));
  fs.writeFileSync(path.join(out, "05_flows.ipynb"), "{ not json");
  openResults("03_gan").verdict("B5", {
    verdict: "reproduced with a caveat",
    summary: "the saturating gradient vanishes",
    numbers: { saturatingRatio: 0.002086 },
    section: "2 · When the discriminator always wins",
  });
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
});

describe("report", () => {
  test("tagged cells: in the executed notebook, or in the source with the same source text", () => {
    const ran = executedGan();
    assert.deepEqual(reportCells(ran), [3]);
    const src = executedGan();
    (src.cells[6] as { metadata: object }).metadata = { tags: ["report"] };
    src.cells[7] = code("changed(differently)", [], ["report"]);
    assert.deepEqual(reportCells(ran, src), [3, 6]);
  });

  test("outputs become HTML; the Plotly bundle output is left out", () => {
    assert.equal(outputHtml(html('<div class="genlab-plotly-bundle"></div>')), "");
    assert.equal(
      outputHtml({ output_type: "stream", name: "stdout", text: ["a<b", "\n"] }),
      '<pre class="stream ">a&lt;b\n</pre>',
    );
    assert.equal(
      outputHtml({ output_type: "display_data", data: { "image/png": PNG_B64 } }),
      `<img alt="figure" src="data:image/png;base64,${PNG_B64}">`,
    );
    assert.equal(
      outputHtml({ output_type: "execute_result", data: { "text/plain": "42" } }),
      "<pre>42</pre>",
    );
    assert.match(
      outputHtml({ output_type: "error", ename: "Error", evalue: "boom" }),
      /Error: boom/,
    );
  });

  test("links go to the exported HTML when there is one, else to the source notebook, else nowhere", () => {
    const href = reportHref(out, nbDir);
    assert.equal(href("03_gan", "2-x"), "03_gan.html#2-x");
    assert.equal(href("02_vae", null), "../notebooks/02_vae.ipynb");
    assert.equal(href("04_wgan", "a"), null);
  });

  test("the page: claims table with verdicts, missing rows and counts, the tagged figures offline, warnings", () => {
    const r = writeReport({ notebooksDir: nbDir });
    assert.equal(r.file, path.join(out, "report.html"));
    const page = fs.readFileSync(r.file, "utf8");
    assert.equal(page, r.html);
    assert.deepEqual(
      fs.readdirSync(out).filter((f) => f.endsWith(".tmp")),
      [],
      "written atomically",
    );
    assert.deepEqual(r.notebooks, ["03_gan", "05_flows"]);
    assert.deepEqual(
      r.figures.map((f) => [f.notebook, f.cell, f.section]),
      [
        ["03_gan", 3, "2 · When the discriminator always wins (B5)"],
        ["03_gan", 6, "A subsection"],
      ],
    );
    // The claims table, read from the results.
    assert.match(page, /<b>25 claims<\/b>: 1 with a verdict, 24 missing\./);
    assert.ok(
      page.includes('<a href="03_gan.html#2-%C2%B7-When-the-discriminator-always-wins-(B5)">'),
    );
    assert.ok(page.includes("saturatingRatio = 0.002086"));
    assert.equal(
      (page.match(/<span class="genlab-verdict" data-verdict="missing"/g) ?? []).length,
      24 + 1,
      "24 rows + the count label",
    );
    assert.ok(page.includes("from a smoke run"), "smoke-mode results are flagged");
    // The figures: the tagged outputs, under the notebook's title and the section heading.
    assert.ok(
      page.includes('<h3 id="fig-03_gan"><a href="03_gan.html">03 · The GAN, a fixture</a></h3>'),
    );
    assert.ok(page.includes('<h4><a href="03_gan.html#A-subsection">A subsection</a></h4>'));
    assert.ok(page.includes('id="fixture-plot"'));
    assert.ok(page.includes("trained &lt;100&gt; steps"));
    assert.ok(page.includes(`data:image/png;base64,${PNG_B64}`));
    assert.ok(
      !page.includes("SECRET-UNTAGGED") && !page.includes("CHANGED-SOURCE"),
      "untagged and changed cells stay out",
    );
    // Offline: the Plotly bundle once, embedded; nothing loaded from the network.
    assert.equal((page.match(/class="genlab-plotly-bundle"/g) ?? []).length, 1);
    assert.ok(!page.includes("/* bundle */"), "the notebook's own bundle output is not copied");
    assert.doesNotMatch(page, /<(script|link)\b[^>]*\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    // The unreadable executed notebook is a warning, not a crash.
    assert.equal(r.warnings.length, 1);
    assert.match(r.warnings[0], /05_flows\.ipynb .* could not be read/);
    assert.ok(page.includes("05_flows.ipynb in"));
  });

  test("without Plotly figures the bundle is not embedded; with no out/ at all the page says so", () => {
    fs.writeFileSync(
      path.join(out, "03_gan.ipynb"),
      JSON.stringify({ cells: [code("x", [html("<p>plain</p>")], ["report"])] }),
    );
    const r = buildReport({ notebooksDir: nbDir });
    assert.ok(!r.html.includes("genlab-plotly-bundle"));
    assert.ok(r.html.includes("<p>plain</p>"));
    const empty = buildReport({ outDir: path.join(dir, "nothing"), notebooksDir: nbDir });
    assert.match(empty.warnings[0], /no output folder/);
    assert.match(empty.html, /0 with a verdict, 25 missing/);
  });
});

import { after, before, beforeEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  buildClaimsTable,
  CLAIMS,
  claimsCountsText,
  claimsTableHtml,
  claimsTableText,
  headingText,
  markdownHeadings,
  QUOTE_GAP,
  sectionAnchor,
  sectionLinks,
  SEEDS,
} from "../lib/claims/claims";
import { projectRoot } from "../lib/runtime/env";
import { openResults } from "../lib/claims/results";

let dir: string;
let nbDir: string;
const saved = { out: process.env.GENLAB_OUT, train: process.env.GENLAB_TRAIN };
const results = () => path.join(dir, "results");
const build = () => buildClaimsTable({ resultsDir: results(), notebooksDir: nbDir });

function writeNotebook(name: string, markdown: string[]): void {
  const nb = {
    cells: markdown.map((m) => ({
      cell_type: "markdown",
      metadata: {},
      source: m.split(/(?<=\n)/),
    })),
    metadata: {},
    nbformat: 4,
    nbformat_minor: 4,
  };
  fs.writeFileSync(path.join(nbDir, `${name}.ipynb`), JSON.stringify(nb));
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-claims-"));
  nbDir = path.join(dir, "notebooks");
  process.env.GENLAB_OUT = dir;
  process.env.GENLAB_TRAIN = "smoke";
});
beforeEach(() => {
  fs.rmSync(results(), { recursive: true, force: true });
  fs.rmSync(nbDir, { recursive: true, force: true });
  fs.mkdirSync(nbDir, { recursive: true });
  writeNotebook("03_gan", [
    "# 03 · The GAN",
    "## 1 · The game and its value at the optimum (A9)\n\ntext",
    "## 2 · When the discriminator always wins, the minimax generator stops learning (B5)",
    "## 4 · Mode collapse on the ring (B4)\n```\n## not a heading\n```",
    "## 6 · A GAN on MNIST (B4 on images, B7)",
  ]);
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

const EXPECTED_IDS = [
  ...Array.from({ length: 14 }, (_, i) => `A${i + 1}`),
  ...Array.from({ length: 11 }, (_, i) => `B${i + 1}`),
];
const NOTEBOOKS = [
  "01_generative_vs_discriminative",
  "02_vae",
  "03_gan",
  "04_wgan",
  "05_flows",
  "06_families",
  "07_diffusion",
];
const sharedDir = path.join(projectRoot(), "..", "shared");

describe("the list of claims", () => {
  test("has every id of CLAIMS.md once, in its order", () => {
    assert.deepEqual(
      CLAIMS.map((c) => c.id),
      EXPECTED_IDS,
    );
    const md = path.join(sharedDir, "CLAIMS.md");
    if (fs.existsSync(md)) {
      const ids = [...fs.readFileSync(md, "utf8").matchAll(/^\| ([AB]\d+) \|/gm)].map((m) => m[1]);
      assert.deepEqual(ids, EXPECTED_IDS, "CLAIMS.md's ids");
    }
  });

  test("every claim has Chinese, English, an experiment and notebooks that exist in the plan", () => {
    for (const c of CLAIMS) {
      assert.match(c.zh, /[\u4e00-\u9fff]/, `${c.id} quotes Chinese`);
      assert.ok(
        c.en.length > 10 && !/[\u4e00-\u9fff]/.test(c.en),
        `${c.id} has an English translation`,
      );
      assert.ok(c.experiment.length > 10, `${c.id} has an experiment`);
      assert.ok(
        c.notebooks.length > 0 && c.notebooks.every((n) => NOTEBOOKS.includes(n)),
        `${c.id} notebooks ${c.notebooks}`,
      );
    }
  });

  test("every Chinese quote is the posts' own text (each fragment found verbatim in its seed)", (t) => {
    const seeds = path.join(sharedDir, "seeds");
    if (!fs.existsSync(seeds)) return t.skip(`no ${seeds}`);
    for (const c of CLAIMS) {
      const text = fs.readFileSync(path.join(seeds, SEEDS[c.id[0] as "A" | "B"]), "utf8");
      for (const frag of c.zh.split(QUOTE_GAP))
        assert.ok(text.includes(frag), `${c.id}: not in ${SEEDS[c.id[0] as "A" | "B"]}: ${frag}`);
    }
  });
});

describe("section anchors", () => {
  test("are nbconvert's heading ids", () => {
    assert.equal(
      sectionAnchor("2 · When the discriminator always wins"),
      "2-%C2%B7-When-the-discriminator-always-wins",
    );
    assert.equal(
      sectionAnchor("4 · How tight is the bound? (A8, A11)"),
      "4-%C2%B7-How-tight-is-the-bound?-(A8,-A11)",
    );
    assert.equal(
      sectionAnchor("3. Data efficiency: the learning curve of Ng & Jordan"),
      "3.-Data-efficiency:-the-learning-curve-of-Ng-&-Jordan",
    );
    assert.equal(
      sectionAnchor("10 · Sharpness and Fréchet distance"),
      "10-%C2%B7-Sharpness-and-Fr%C3%A9chet-distance",
    );
    assert.equal(sectionAnchor("3 · A GAN on PacGAN's ring"), "3-%C2%B7-A-GAN-on-PacGAN's-ring");
    assert.equal(sectionAnchor('50% "quoted" #1 <b>'), "50%25-%22quoted%22-%231-%3Cb%3E");
  });

  test("headings are read as rendered text, not inside code fences", () => {
    assert.equal(
      headingText("The `npm run sample` **tool** and [a link](x.html) &amp; more"),
      "The npm run sample tool and a link & more",
    );
    assert.deepEqual(
      markdownHeadings("# Title\ntext\n```\n# comment\n```\n### Sub ###\n#nospace"),
      ["Title", "Sub"],
    );
  });

  test("a saved section finds its heading by prefix, several parts give several links, no section finds the claim id", () => {
    const hs = [
      "1 · The model",
      "10 · The tail (B7)",
      "4 · How tight is the bound? (A8, A11)",
      "6 · MNIST: bits per dim",
      "7 · Inference (A10)",
    ];
    assert.deepEqual(sectionLinks("n", hs, "4 · How tight is the bound?", "A8"), [
      {
        notebook: "n",
        title: "4 · How tight is the bound? (A8, A11)",
        anchor: "4-%C2%B7-How-tight-is-the-bound?-(A8,-A11)",
      },
    ]);
    assert.deepEqual(
      sectionLinks("n", hs, "6 · MNIST / 7 · Inference", "A10").map((l) => l.title),
      ["6 · MNIST: bits per dim", "7 · Inference (A10)"],
    );
    assert.equal(
      sectionLinks("n", hs, "1", "A1")[0].title,
      "1 · The model",
      'a prefix ends at a word boundary: "1" is not "10 · ..."',
    );
    assert.deepEqual(sectionLinks("n", hs, undefined, "B7")[0].title, "10 · The tail (B7)");
    assert.deepEqual(
      sectionLinks("n", hs, undefined, "A1"),
      [{ notebook: "n", title: "n", anchor: null }],
      "A1 is not A10 or A11",
    );
    assert.deepEqual(sectionLinks("n", hs, "9 · Gone", "A1"), [
      { notebook: "n", title: "9 · Gone", anchor: null },
    ]);
  });
});

describe("the claims table", () => {
  test("with no results every claim is a missing row saying its notebook has not run", () => {
    const t = build();
    assert.deepEqual(
      t.rows.map((r) => r.id),
      EXPECTED_IDS,
    );
    assert.ok(t.rows.every((r) => r.verdict === "missing" && r.notebook === null));
    assert.match(t.rows.find((r) => r.id === "B6")!.summary, /04_wgan: no results \(not run yet\)/);
    assert.equal(t.counts.missing, 25);
    assert.equal(t.counts.withVerdict, 0);
    assert.deepEqual(t.errors, []);
    assert.match(claimsCountsText(t.counts), /^25 claims: 0 with a verdict, 25 missing\./);
  });

  test("saved verdicts become rows with their numbers and section links; a claim of a notebook not run stays missing", () => {
    const r = openResults("03_gan");
    r.verdict("B5", {
      verdict: "reproduced with a caveat",
      summary: "gradient <b>vanishes</b>",
      numbers: { saturatingRatio: 0.0020862149, accuracy: 1 },
      section: "2 · When the discriminator always wins",
    });
    r.verdict("A9", { verdict: "reproduced", summary: "V(D*, G) matches", numbers: { jsd: 0.27 } });
    r.verdict("B4", {
      verdict: "not reproduced",
      summary: "no collapse",
      numbers: {},
      section: "4 · Mode collapse on the ring; 6 · A GAN on MNIST",
    });
    const t = build();
    const b5 = t.rows.filter((x) => x.id === "B5");
    assert.equal(b5.length, 1);
    assert.equal(b5[0].verdict, "reproduced with a caveat");
    assert.equal(b5[0].notebook, "03_gan");
    assert.deepEqual(b5[0].numbers, { saturatingRatio: 0.0020862149, accuracy: 1 });
    assert.equal(b5[0].run?.mode, "smoke");
    assert.deepEqual(b5[0].links, [
      {
        notebook: "03_gan",
        title: "2 · When the discriminator always wins, the minimax generator stops learning (B5)",
        anchor:
          "2-%C2%B7-When-the-discriminator-always-wins,-the-minimax-generator-stops-learning-(B5)",
      },
    ]);
    assert.equal(
      t.rows.find((x) => x.id === "A9")!.links[0].anchor,
      "1-%C2%B7-The-game-and-its-value-at-the-optimum-(A9)",
      "no section: the heading naming the id",
    );
    assert.equal(t.rows.find((x) => x.id === "B4")!.links.length, 2);
    // 03 ran but saved nothing for B1: said so; 02 never ran: said so.
    assert.match(
      t.rows.find((x) => x.id === "B1")!.summary,
      /03_gan ran \(smoke, \d{4}-\d\d-\d\d\) but saved no verdict for B1/,
    );
    assert.match(t.rows.find((x) => x.id === "A8")!.summary, /02_vae: no results \(not run yet\)/);
    assert.equal(t.rows.find((x) => x.id === "A8")!.verdict, "missing");
    assert.deepEqual(t.counts.verdicts, {
      reproduced: 1,
      "reproduced with a caveat": 1,
      "not reproduced": 1,
    });
    assert.equal(t.counts.withVerdict, 3);
    assert.equal(t.counts.missing, 22);
    assert.deepEqual(t.smokeNotebooks, ["03_gan"]);

    const html = claimsTableHtml(t, { href: (nb, a) => `${nb}.html${a ? `#${a}` : ""}` });
    assert.ok(
      html.includes(
        '<a href="03_gan.html#2-%C2%B7-When-the-discriminator-always-wins,-the-minimax-generator-stops-learning-(B5)">',
      ),
    );
    assert.ok(html.includes("gradient &lt;b&gt;vanishes&lt;/b&gt;"), "summaries are escaped");
    assert.ok(html.includes("saturatingRatio = 0.002086"), "numbers as saved, formatted");
    assert.equal((html.match(/data-verdict="missing"/g) ?? []).length, 22);
    assert.ok(html.includes(">MISSING<"));
    assert.ok(html.includes(CLAIMS[0].zh), "the Chinese quote is in the table");
    assert.ok(!/\uE000|\uE001/.test(html), "no placeholder left");
    assert.match(claimsTableText(t), /B5 +03_gan +reproduced with a caveat/);
  });

  test("a claim saved by two notebooks keeps both rows", () => {
    openResults("03_gan").verdict("B5", {
      verdict: "reproduced",
      summary: "GAN side",
      numbers: { a: 1 },
    });
    openResults("04_wgan").verdict("B5", {
      verdict: "not reproduced",
      summary: "WGAN side",
      numbers: { b: 2 },
    });
    const t = build();
    const b5 = t.rows.filter((r) => r.id === "B5");
    assert.deepEqual(
      b5.map((r) => [r.notebook, r.verdict, r.summary]),
      [
        ["03_gan", "reproduced", "GAN side"],
        ["04_wgan", "not reproduced", "WGAN side"],
      ],
    );
    assert.equal(t.counts.verdicts.reproduced + t.counts.verdicts["not reproduced"], 2);
    assert.equal(t.rows.length, 26);
    assert.equal(b5[1].links[0].anchor, null, "04_wgan has no notebook here: link to its top");
  });

  test("ids outside CLAIMS.md are kept and flagged", () => {
    openResults("06_families").verdict("B12", {
      verdict: "reproduced",
      summary: "an extra claim",
      numbers: {},
    });
    const t = build();
    const last = t.rows[t.rows.length - 1];
    assert.equal(last.id, "B12");
    assert.equal(last.known, false);
    assert.equal(t.counts.unknownIds, 1);
    assert.match(claimsTableHtml(t, { href: () => null }), /not a claim of CLAIMS\.md/);
  });

  test("a corrupt results file and a broken verdict entry give clear rows and errors, not a crash", () => {
    openResults("03_gan").verdict("A9", { verdict: "reproduced", summary: "ok", numbers: {} });
    fs.writeFileSync(path.join(results(), "02_vae.json"), '{"notebook": "02_vae", "verd');
    const f = path.join(results(), "05_flows.json");
    openResults("05_flows").verdict("A7", {
      verdict: "reproduced",
      summary: "ok",
      numbers: { x: 1 },
    });
    const data = JSON.parse(fs.readFileSync(f, "utf8"));
    data.verdicts.A7.verdict = "maybe";
    data.verdicts.A12 = { verdict: "reproduced", summary: "s", numbers: { x: "NaN" } };
    fs.writeFileSync(f, JSON.stringify(data));
    const t = build();
    assert.equal(t.errors.length, 1);
    assert.equal(t.errors[0].notebook, "02_vae");
    assert.match(t.errors[0].error, /not valid JSON/);
    assert.equal(t.counts.unreadableFiles, 1);
    const a8 = t.rows.find((r) => r.id === "A8")!;
    assert.equal(a8.verdict, "missing");
    assert.match(a8.summary, /02_vae: results file unreadable \(.*not valid JSON/);
    const a7 = t.rows.find((r) => r.id === "A7")!;
    assert.equal(a7.verdict, "invalid");
    assert.match(
      a7.summary,
      /05_flows saved an entry for A7 that is not a valid verdict: verdict "maybe"/,
    );
    assert.match(t.rows.find((r) => r.id === "A12")!.summary, /number "x" is "NaN"/);
    assert.equal(t.counts.invalid, 2);
    assert.equal(
      t.rows.find((r) => r.id === "A9")!.verdict,
      "reproduced",
      "the readable files still count",
    );
    // A results folder that is a file cannot be listed: one error, every claim missing.
    const notDir = path.join(dir, "plain-file");
    fs.writeFileSync(notDir, "x");
    const t2 = buildClaimsTable({ resultsDir: notDir, notebooksDir: nbDir });
    assert.equal(t2.errors.length, 1);
    assert.equal(t2.counts.missing, 25);
  });
});

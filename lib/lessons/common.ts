/**
 * Tables and figures that several notebooks show, in one place: the mode-coverage row of PacGAN's
 * protocol (notebooks 03, 04, 06), the sample-quality table and class histogram of generated digits
 * (02, 03, 04, 06), and the one-line account of where a set of models came from.
 */
import { coverageSummary, PACGAN_TABLE1, type ModeCoverage } from "../eval/modes";
import type { QualityScorer, SampleQuality } from "../models/eval-classifier";
import { lineChart, show, showImageGrid } from "../display/plot";
import { showTable, type Row } from "../display/table";
import { pct, pm } from "../display/format";

/** The columns of a mode-coverage table for several runs (seeds) of one setup. */
export function coverageRow(covs: readonly ModeCoverage[]): Row {
  const c = coverageSummary(covs);
  return {
    "modes captured": `${pm(c.modesMean, c.modesSd)} of ${c.modes}`,
    "HQ fraction": pct(c.hqMean),
    "reverse KL": c.rklMean.toFixed(2),
    "runs with every mode": `${c.allModes}/${c.runs}`,
    "per seed": c.perRun.join(", "),
  };
}

/** The same columns for a row of PacGAN's Table 1 (10 trials of the paper's setup). */
export function pacganRow(data: "ring8" | "grid25", model: "GAN" | "PacGAN4"): Row {
  const p = PACGAN_TABLE1[data][model];
  return {
    "modes captured": String(p.modes),
    "HQ fraction": pct(p.hq),
    "reverse KL": p.rkl.toFixed(2),
    "runs with every mode": "",
    "per seed": "",
  };
}

/**
 * A named set of generated (or real) digits and what the evaluation classifier measured on them.
 */
export interface QualityRow extends SampleQuality {
  images: string;
}

/** Scores each named set of digits; the reference digits come first. */
export function qualityRows(
  scorer: QualityScorer,
  sets: Record<string, Float32Array>,
  reference = "real test digits",
): QualityRow[] {
  const scored = Object.entries(sets).map(([images, x]) => ({ images, ...scorer.score(x) }));
  return [{ images: reference, ...scorer.reference }, ...scored];
}

/**
 * The class histograms as one line chart and the scores as a table: Fréchet distance of the
 * evaluation classifier's features to the reference digits', KL of the class histogram from
 * uniform (log 10 = one class only), the largest class's share and sharpness.
 */
export function showQuality(rows: readonly QualityRow[], scorer: QualityScorer, n: number): void {
  const classes = rows[0].histogram.map((_, i) => i);
  show(
    lineChart(
      rows.map((r) => ({ name: r.images, x: classes, y: r.histogram })),
      {
        title: "Class histogram by the evaluation classifier",
        xTitle: "class",
        yTitle: "count",
        mode: "lines+markers",
      },
    ),
  );
  const accuracy = pct(scorer.classifier.testAccuracy);
  showTable(
    rows.map((r) => ({
      images: r.images,
      "Fréchet distance": r.frechet,
      "class KL from uniform": r.classKl,
      "largest class share": r.topClassShare,
      "Laplacian variance": r.laplacianVar,
    })),
    { title: `${n} images each; evaluation classifier held-out accuracy ${accuracy}`, digits: 4 },
  );
}

/** Where a set of fitted models came from: "30 toy models: 30 loaded from shipped weights, ...". */
export function fitSources(
  what: string,
  fits: readonly { source: string; meta: { codeVersion: string } }[],
): string {
  const count = (s: string) => fits.filter((f) => f.source === s).length;
  const codes = [...new Set(fits.map((f) => f.meta.codeVersion))].join(", ");
  return (
    `${fits.length} ${what}: ${count("shipped")} loaded from shipped weights, ` +
    `${count("trained")} trained now (codes ${codes})`
  );
}

/** Shows 28 x 28 digits (n x 784 pixel values in [0, 1]) as one image grid of `cols` columns. */
export function showDigits(images: ArrayLike<number>, cols: number, title: string): void {
  showImageGrid(images, { h: 28, w: 28, cols, title });
}

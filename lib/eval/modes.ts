/**
 * Mode coverage of 2-D samples against a Gaussian mixture, by the protocol of PacGAN (Lin et al.
 * 2018, Section 5; their code: synthetic_data_experiments/PacGAN/pacgan/extensions.py,
 * MetricLogger), as CLAIMS.md fixes it:
 * - each sample goes to its nearest mode (Euclidean; all modes share one isotropic sigma);
 * - it is high quality (HQ) if it lies within 3 standard deviations of that mode;
 * - a mode is captured if at least one HQ sample went to it;
 * - reverse KL = KL(p_hq || p_true) of the mode histogram of the HQ samples, normalised, against
 *   the mixture's weights (PacGAN's "reverse KL"; 0 when the HQ samples spread like the data).
 * PacGAN scores 2,500 samples; PACGAN_SAMPLES is that number.
 */
import { mean, sd } from "../runtime/stats";
import type { Mixture } from "../data/toys";
import { klDivergence } from "./classes";

export const PACGAN_SAMPLES = 2500;

export interface ModeCoverage {
  /** Number of modes with at least one HQ sample. */
  modesCaptured: number;
  modes: number;
  /** Fraction of all samples that are HQ. */
  hqFraction: number;
  /** KL(HQ mode histogram || mixture weights), nats; NaN when there is no HQ sample. */
  reverseKl: number;
  /** HQ samples per mode. */
  hqCounts: number[];
  /** All samples per nearest mode (HQ or not). */
  nearestCounts: number[];
  n: number;
}

/**
 * Scores n samples (interleaved x0, y0, x1, y1, ...) against `mix`; `threshold` in sigmas (default
 * 3).
 */
export function modeCoverage(
  samples: ArrayLike<number>,
  mix: Mixture,
  opts: { threshold?: number } = {},
): ModeCoverage {
  if (samples.length % 2 !== 0)
    throw new Error(`modeCoverage: ${samples.length} values is not a whole number of 2-D points`);
  const n = samples.length / 2;
  if (n === 0) throw new Error("modeCoverage: no samples");
  const k = mix.means.length;
  const radius = (opts.threshold ?? 3) * mix.sigma;
  const hqCounts = new Array<number>(k).fill(0);
  const nearestCounts = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const x = samples[2 * i];
    const y = samples[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y))
      throw new Error(`modeCoverage: sample ${i} is (${x}, ${y})`);
    let best = 0;
    let bestD = Infinity;
    for (let j = 0; j < k; j++) {
      const d = Math.hypot(x - mix.means[j][0], y - mix.means[j][1]);
      if (d < bestD) {
        bestD = d;
        best = j;
      }
    }
    nearestCounts[best]++;
    if (bestD < radius) hqCounts[best]++;
  }
  const hq = hqCounts.reduce((a, b) => a + b, 0);
  return {
    modesCaptured: hqCounts.filter((c) => c > 0).length,
    modes: k,
    hqFraction: hq / n,
    reverseKl: hq === 0 ? NaN : klDivergence(hqCounts, mix.weights),
    hqCounts,
    nearestCounts,
    n,
  };
}

/**
 * Published mode coverage (PacGAN, Lin et al. 2018, Table 1, means over 10 trials of their setup: G
 * with four hidden layers of 400 units and batch norm, a maxout D, batches of 100). Reference
 * values only.
 */
export const PACGAN_TABLE1: Record<
  "ring8" | "grid25",
  Record<"GAN" | "PacGAN4", { modes: number; hq: number; rkl: number }>
> = {
  ring8: {
    GAN: { modes: 6.3, hq: 0.982, rkl: 0.45 },
    PacGAN4: { modes: 7.8, hq: 0.959, rkl: 0.07 },
  },
  grid25: {
    GAN: { modes: 17.3, hq: 0.948, rkl: 0.7 },
    PacGAN4: { modes: 24.8, hq: 0.936, rkl: 0.04 },
  },
};

export interface CoverageSummary {
  runs: number;
  modes: number;
  /** Mean and (population) standard deviation of modes captured over the runs. */
  modesMean: number;
  modesSd: number;
  hqMean: number;
  /**
   * Mean reverse KL; a run with no HQ sample counts as log(modes) (all mass "on one wrong mode").
   */
  rklMean: number;
  /** Runs that captured every mode. */
  allModes: number;
  perRun: number[];
}

/** Mean and spread of mode coverage over several runs (seeds) of one setup. */
export function coverageSummary(covs: readonly ModeCoverage[]): CoverageSummary {
  if (covs.length === 0) throw new Error("coverageSummary: no runs");
  const m = covs.map((c) => c.modesCaptured);
  const mm = mean(m);
  return {
    runs: covs.length,
    modes: covs[0].modes,
    modesMean: mm,
    modesSd: sd(m),
    hqMean: mean(covs.map((c) => c.hqFraction)),
    rklMean: mean(
      covs.map((c) => (Number.isFinite(c.reverseKl) ? c.reverseKl : Math.log(c.modes))),
    ),
    allModes: covs.filter((c) => c.modesCaptured === c.modes).length,
    perRun: m,
  };
}

/**
 * The small mode's share of the HQ samples on the unbalanced mixture (its component 2, weight
 * 0.10): HQ samples at component 2 over all HQ samples; 0 when there is none.
 */
export function smallModeShare(c: ModeCoverage): number {
  return (
    c.hqCounts[2] /
    Math.max(
      1,
      c.hqCounts.reduce((a, b) => a + b, 0),
    )
  );
}

/**
 * Mode coverage of 2-D samples against a Gaussian mixture, by the protocol of PacGAN (Lin et al.
 * 2018, Section 5; their code: synthetic_data_experiments/PacGAN/pacgan/extensions.py, MetricLogger),
 * as CLAIMS.md fixes it:
 * - each sample goes to its nearest mode (Euclidean; all modes share one isotropic sigma);
 * - it is high quality (HQ) if it lies within 3 standard deviations of that mode;
 * - a mode is captured if at least one HQ sample went to it;
 * - reverse KL = KL(p_hq || p_true) of the mode histogram of the HQ samples, normalised, against
 *   the mixture's weights (PacGAN's "reverse KL"; 0 when the HQ samples spread like the data).
 * PacGAN scores 2,500 samples; PACGAN_SAMPLES is that number.
 */
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

/** Scores n samples (interleaved x0, y0, x1, y1, ...) against `mix`; `threshold` in sigmas (default 3). */
export function modeCoverage(samples: ArrayLike<number>, mix: Mixture, opts: { threshold?: number } = {}): ModeCoverage {
  if (samples.length % 2 !== 0) throw new Error(`modeCoverage: ${samples.length} values is not a whole number of 2-D points`);
  const n = samples.length / 2;
  if (n === 0) throw new Error("modeCoverage: no samples");
  const k = mix.means.length;
  const radius = (opts.threshold ?? 3) * mix.sigma;
  const hqCounts = new Array<number>(k).fill(0);
  const nearestCounts = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) {
    const x = samples[2 * i];
    const y = samples[2 * i + 1];
    if (!Number.isFinite(x) || !Number.isFinite(y)) throw new Error(`modeCoverage: sample ${i} is (${x}, ${y})`);
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

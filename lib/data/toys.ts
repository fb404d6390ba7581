/**
 * Seeded 2-D toy data for the GAN / flow notebooks: Gaussian mixtures with exact log densities
 * (ring of 8, grid of 25, an unbalanced 3-mode mixture), two moons and a swiss roll.
 *
 * Points are returned interleaved: x = [x0, y0, x1, y1, ...] (n*2 values), i.e. row-major n x 2.
 *
 * Default ring and grid follow the 2-D experiments of PacGAN (Lin, Khetan, Fanti, Oh 2018,
 * "PacGAN: The power of two samples in generative adversarial networks", Section 5 "2D-ring /
 * 2D-grid"), as set in the authors' code, github.com/fjxmlzn/PacGAN:
 * - synthetic_data_experiments/2DRing_GAN&PacGAN/config.py:
 *     MEANS = [cos(id*2*pi/8), sin(id*2*pi/8)] for id in range(8); VARIANCES = 0.01**2 * I
 *   -> radius 1, sigma 0.01, angles 2*pi*k/8 (k = 0..7), equal weights;
 * - synthetic_data_experiments/2DGrid_GAN&PacGAN/config.py:
 *     MEANS = product(range(-4, 5, 2), range(-4, 5, 2)); VARIANCES = 0.05**2 * I
 *   -> means {-4,-2,0,2,4}^2, sigma 0.05, equal weights.
 * (VEEGAN, whose setup PacGAN builds on, used a ring of radius 2 with sigma 0.02 and the same
 * grid with sigma 0.05; pass {radius: 2, sigma: 0.02} to ring8 for that variant.)
 */
import { Rng } from "../runtime/random";

export type Point2 = [number, number];

/**
 * An isotropic Gaussian mixture in 2-D: component k has mean means[k], std sigma, weight
 * weights[k].
 */
export interface Mixture {
  name: string;
  means: Point2[];
  /** Standard deviation of every component, in each coordinate. */
  sigma: number;
  /** Non-negative; normalised to sum 1 when used. */
  weights: number[];
}

/** n points interleaved (n*2 values) and an integer label per point. */
export interface Toy2D {
  x: Float32Array;
  labels: Int32Array;
}

/** PacGAN's 2D-ring: radius 1, sigma 0.01 (see the file comment). */
export const PACGAN_RING = { radius: 1, sigma: 0.01 } as const;
/** PacGAN's 2D-grid: spacing 2 (means -4..4), sigma 0.05 (see the file comment). */
export const PACGAN_GRID = { spacing: 2, sigma: 0.05 } as const;

function checkMixture(mix: Mixture): number[] {
  const k = mix.means.length;
  if (k === 0) throw new Error(`mixture ${mix.name}: has no components`);
  if (!(mix.sigma > 0) || !Number.isFinite(mix.sigma))
    throw new Error(
      `mixture ${mix.name}: sigma must be a positive finite number, got ${mix.sigma}`,
    );
  if (mix.weights.length !== k)
    throw new Error(
      `mixture ${mix.name}: ${mix.weights.length} weights for ${k} means, expected one weight per mean`,
    );
  for (const m of mix.means) {
    if (m.length !== 2 || !Number.isFinite(m[0]) || !Number.isFinite(m[1]))
      throw new Error(`mixture ${mix.name}: mean ${JSON.stringify(m)} is not a finite 2-D point`);
  }
  let sum = 0;
  for (const w of mix.weights) {
    if (!(w >= 0) || !Number.isFinite(w))
      throw new Error(`mixture ${mix.name}: weight ${w} is not a non-negative finite number`);
    sum += w;
  }
  if (!(sum > 0))
    throw new Error(`mixture ${mix.name}: weights sum to ${sum}, expected a positive sum`);
  return mix.weights.map((w) => w / sum);
}

function checkCount(n: number, who: string): void {
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${who}: n must be a non-negative integer, got ${n}`);
}

/** n seeded samples: component k with probability weights[k], then mean + sigma * N(0, I). */
export function sampleMixture(mix: Mixture, n: number, rng: Rng): Toy2D {
  checkCount(n, `sampleMixture(${mix.name})`);
  const w = checkMixture(mix);
  const cum: number[] = [];
  let acc = 0;
  for (const v of w) cum.push((acc += v));
  const x = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    let k = 0;
    while (k < cum.length - 1 && u >= cum[k]) k++;
    labels[i] = k;
    x[2 * i] = mix.means[k][0] + mix.sigma * rng.normal();
    x[2 * i + 1] = mix.means[k][1] + mix.sigma * rng.normal();
  }
  return { x, labels };
}

/**
 * Exact log density of the mixture at each point (points interleaved, length 2n):
 * log sum_k w_k N(p; mu_k, sigma^2 I), computed with log-sum-exp. Returns n values.
 */
export function mixtureLogDensity(mix: Mixture, points: ArrayLike<number>): Float64Array {
  const w = checkMixture(mix);
  if (points.length % 2 !== 0)
    throw new Error(
      `mixtureLogDensity(${mix.name}): ${points.length} values, expected an even count (interleaved x, y)`,
    );
  const n = points.length / 2;
  const s2 = mix.sigma * mix.sigma;
  const logNorm = -Math.log(2 * Math.PI * s2);
  const logW = w.map((v) => Math.log(v));
  const out = new Float64Array(n);
  const terms = new Float64Array(w.length);
  for (let i = 0; i < n; i++) {
    const px = points[2 * i];
    const py = points[2 * i + 1];
    let max = -Infinity;
    for (let k = 0; k < w.length; k++) {
      const dx = px - mix.means[k][0];
      const dy = py - mix.means[k][1];
      const t = logW[k] + logNorm - (dx * dx + dy * dy) / (2 * s2);
      terms[k] = t;
      if (t > max) max = t;
    }
    if (max === -Infinity) {
      out[i] = -Infinity;
      continue;
    }
    let s = 0;
    for (let k = 0; k < w.length; k++) s += Math.exp(terms[k] - max);
    out[i] = max + Math.log(s);
  }
  return out;
}

/**
 * 8 equal modes at angles 2*pi*k/8, k = 0..7 (8 distinct angles). Defaults: PacGAN's radius 1,
 * sigma 0.01.
 */
export function ring8(opts: { radius?: number; sigma?: number; modes?: number } = {}): Mixture {
  const radius = opts.radius ?? PACGAN_RING.radius;
  const sigma = opts.sigma ?? PACGAN_RING.sigma;
  const modes = opts.modes ?? 8;
  if (!Number.isInteger(modes) || modes < 1)
    throw new Error(`ring8: modes must be a positive integer, got ${modes}`);
  const means: Point2[] = [];
  for (let k = 0; k < modes; k++) {
    const a = (2 * Math.PI * k) / modes;
    means.push([radius * Math.cos(a), radius * Math.sin(a)]);
  }
  const mix: Mixture = {
    name: modes === 8 ? "ring8" : `ring${modes}`,
    means,
    sigma,
    weights: new Array<number>(modes).fill(1 / modes),
  };
  checkMixture(mix);
  return mix;
}

/**
 * 25 equal modes at {-2,-1,0,1,2}^2 * spacing. Defaults: PacGAN's spacing 2 (means -4..4), sigma
 * 0.05.
 */
export function grid25(opts: { spacing?: number; sigma?: number } = {}): Mixture {
  const spacing = opts.spacing ?? PACGAN_GRID.spacing;
  const sigma = opts.sigma ?? PACGAN_GRID.sigma;
  const means: Point2[] = [];
  for (let i = -2; i <= 2; i++)
    for (let j = -2; j <= 2; j++) means.push([i * spacing, j * spacing]);
  const mix: Mixture = {
    name: "grid25",
    means,
    sigma,
    weights: new Array<number>(25).fill(1 / 25),
  };
  checkMixture(mix);
  return mix;
}

/**
 * Three modes with one rare one, for "does the model keep the small mode?" questions.
 * Means on a circle of radius 2 at 210, 330 and 90 degrees: (-sqrt3, -1), (sqrt3, -1), (0, 2)
 * (pairwise 2*sqrt3 ~ 3.46 apart); weights 0.45 / 0.45 / 0.10 (the rare mode is the last, at
 * (0, 2)); sigma 0.1. `smallWeight` sets the rare mode's weight (the other two share the rest).
 */
export function unbalanced(
  opts: { sigma?: number; smallWeight?: number; radius?: number } = {},
): Mixture {
  const sigma = opts.sigma ?? 0.1;
  const small = opts.smallWeight ?? 0.1;
  const r = opts.radius ?? 2;
  if (!(small > 0 && small < 1))
    throw new Error(`unbalanced: smallWeight must be in (0, 1), got ${small}`);
  const at = (deg: number): Point2 => [
    r * Math.cos((deg * Math.PI) / 180),
    r * Math.sin((deg * Math.PI) / 180),
  ];
  const mix: Mixture = {
    name: "unbalanced",
    means: [at(210), at(330), at(90)],
    sigma,
    weights: [(1 - small) / 2, (1 - small) / 2, small],
  };
  checkMixture(mix);
  return mix;
}

/**
 * Two interleaving half circles (as scikit-learn's make_moons, but with random positions along
 * each moon): label 0 on (cos t, sin t), label 1 on (1 - cos t, 0.5 - sin t), t ~ U[0, pi];
 * floor(n/2) points of label 0, the rest label 1, in a seeded random order; then + noise * N(0, I).
 */
export function twoMoons(n: number, rng: Rng, noise = 0.1): Toy2D {
  checkCount(n, "twoMoons");
  if (!(noise >= 0)) throw new Error(`twoMoons: noise must be >= 0, got ${noise}`);
  const nOuter = Math.floor(n / 2);
  const order = rng.permutation(n);
  const x = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  for (let j = 0; j < n; j++) {
    const i = order[j];
    const label = j < nOuter ? 0 : 1;
    const t = Math.PI * rng.uniform();
    labels[i] = label;
    x[2 * i] = (label === 0 ? Math.cos(t) : 1 - Math.cos(t)) + noise * rng.normal();
    x[2 * i + 1] = (label === 0 ? Math.sin(t) : 0.5 - Math.sin(t)) + noise * rng.normal();
  }
  return { x, labels };
}

/**
 * A 2-D swiss roll: t = 1.5*pi*(1 + 2u), u ~ U[0,1) (as scikit-learn's make_swiss_roll),
 * point = scale * (t cos t, t sin t) + noise * N(0, I), scale 1/5 by default (so the roll lies
 * within about [-3, 3]^2). labels: which of `segments` equal stretches of t the point lies on
 * (0 = innermost), handy for colouring; t itself is returned too.
 */
export function swissRoll(
  n: number,
  rng: Rng,
  noise = 0.05,
  opts: { scale?: number; segments?: number } = {},
): Toy2D & { t: Float32Array } {
  checkCount(n, "swissRoll");
  if (!(noise >= 0)) throw new Error(`swissRoll: noise must be >= 0, got ${noise}`);
  const scale = opts.scale ?? 0.2;
  const segments = opts.segments ?? 4;
  if (!Number.isInteger(segments) || segments < 1)
    throw new Error(`swissRoll: segments must be a positive integer, got ${segments}`);
  const x = new Float32Array(2 * n);
  const labels = new Int32Array(n);
  const ts = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    const t = 1.5 * Math.PI * (1 + 2 * u);
    ts[i] = t;
    labels[i] = Math.min(segments - 1, Math.floor(u * segments));
    x[2 * i] = scale * t * Math.cos(t) + noise * rng.normal();
    x[2 * i + 1] = scale * t * Math.sin(t) + noise * rng.normal();
  }
  return { x, labels, t: ts };
}

/**
 * Normalizing flows of notebook 05: an invertible map f: x -> z with a standard normal base
 * density, so that (change of variables)
 *
 *   log p(x) = log N(f(x); 0, I) + log |det df/dx|                                   exactly.
 *
 * f is a stack of coupling layers (Dinh et al.): the input is split into halves (a, b); b is
 * transformed conditioned on a, which passes through unchanged, so the Jacobian is triangular and
 * its log-determinant is a sum:
 *
 *   NICE additive coupling (2014):  b' = b + t(a)                  log|det| = 0 (volume preserving)
 *   RealNVP affine coupling (2016): b' = b * exp(s(a)) + t(a)      log|det| = sum s(a)
 *
 * Consecutive couplings swap the roles of the halves, and a final diagonal scaling layer
 * z = y * exp(logScale) (NICE's) gives the only volume change a NICE flow has. RealNVP's scales
 * are soft-clamped, s = c * tanh(raw / c), so exp(s) stays in [e^-c, e^c] and training is stable.
 *
 * For images: dequantisation (uniform noise on the 256 grey levels) and the logit transform, with
 * their log-determinants, turn the flow's continuous density into a bound on the discrete
 * likelihood and into bits per dimension. All noise comes from seeded Rngs.
 */
import * as tf from "@tensorflow/tfjs";
import { adam, stepDecay } from "../runtime/optim";
import { batchStream, gatherRows } from "../data/batch";
import { cholesky, logDetFromCholesky } from "../runtime/linalg";
import { MLP, collectParams, type HasParams } from "../runtime/nn";
import { Rng } from "../runtime/random";
import { resumeSpec } from "../training/resume";
import { globalNorm } from "./gan";
import { trainLoop, type History, type TrainOptions } from "../training/train";
import { fitOrLoad, type FitResult } from "../training/weights";

const LOG_2PI = Math.log(2 * Math.PI);

export type CouplingKind = "additive" | "affine";

export interface FlowConfig {
  dim: number;
  /** Number of coupling layers (the halves alternate). */
  couplings: number;
  /** Hidden layer sizes of each coupling's network (ReLU). */
  hidden: number[];
  /** "additive" = NICE, "affine" = RealNVP. */
  kind: CouplingKind;
  /** Affine only: s = scaleClamp * tanh(raw / scaleClamp) (default 2). */
  scaleClamp?: number;
  /** The diagonal scaling layer at the end (default true). */
  scaling?: boolean;
}

/**
 * What every flow here offers (the MLP-coupling Flow below, the convolutional multi-scale
 * ConvFlow of conv-flow.ts): rows of `dim` values in, rows of `dim` latent values out.
 */
export interface FlowModel extends HasParams {
  readonly name: string;
  readonly dim: number;
  /** x -> z with log|det dz/dx| per row; `trace` receives every layer's output as rows. */
  forward(
    x: tf.Tensor2D,
    trace?: (y: tf.Tensor2D) => void,
  ): { z: tf.Tensor2D; logdet: tf.Tensor1D };
  /** z -> x, the exact inverse. */
  inverse(z: tf.Tensor2D): tf.Tensor2D;
  /** log p(x) = log N(f(x); 0, I) + log|det df/dx| per row (nats). */
  logProb(x: tf.Tensor2D): tf.Tensor1D;
}

/** log p(x) by the change of variables, for any FlowModel's forward pass. */
export function changeOfVariablesLogProb(flow: FlowModel, x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const { z, logdet } = flow.forward(x);
    return tf.add(standardNormalLogProb(z), logdet) as tf.Tensor1D;
  });
}

/**
 * One coupling layer: which columns condition ([0, k) or [k, dim)) and the network computing t (and
 * s).
 */
class Coupling {
  constructor(
    readonly net: MLP,
    /** Split point: the halves are columns [0, k) and [k, dim). */
    readonly k: number,
    /** true: condition on [k, dim), transform [0, k). */
    readonly swap: boolean,
  ) {}
}

export class Flow implements FlowModel {
  readonly layers: Coupling[] = [];
  readonly logScale: tf.Variable | null;
  readonly clamp: number;
  constructor(
    readonly name: string,
    readonly config: FlowConfig,
    rng: Rng,
  ) {
    const { dim, couplings, hidden, kind } = config;
    if (!Number.isInteger(dim) || dim < 2)
      throw new Error(`Flow ${name}: dim must be an integer >= 2, got ${dim}`);
    if (!Number.isInteger(couplings) || couplings < 1)
      throw new Error(`Flow ${name}: couplings must be a positive integer, got ${couplings}`);
    if (kind !== "additive" && kind !== "affine")
      throw new Error(
        `Flow ${name}: kind must be "additive" or "affine", got ${JSON.stringify(kind)}`,
      );
    this.clamp = config.scaleClamp ?? 2;
    const k = Math.floor(dim / 2);
    for (let i = 0; i < couplings; i++) {
      const swap = i % 2 === 1;
      const nIn = swap ? dim - k : k;
      const nOut = (swap ? k : dim - k) * (kind === "affine" ? 2 : 1);
      const net = new MLP(
        `${name}.c${i}`,
        [nIn, ...hidden, nOut],
        rng.fork(`c${i}`),
        "relu",
        "linear",
      );
      // Zero output layer: every coupling starts as the identity (a standard trick for deep flows).
      const last = net.layers[net.layers.length - 1];
      last.w.assign(tf.zerosLike(last.w));
      this.layers.push(new Coupling(net, k, swap));
    }
    this.logScale = config.scaling === false ? null : tf.variable(tf.zeros([dim]));
  }
  get dim(): number {
    return this.config.dim;
  }
  params(): Record<string, tf.Variable> {
    const p = collectParams(this.layers.map((l) => l.net));
    if (this.logScale) p[`${this.name}.logScale`] = this.logScale;
    return p;
  }

  /** The network's shift t and log-scale s (zeros for additive) for the transformed half. */
  private shiftScale(c: Coupling, cond: tf.Tensor2D): { t: tf.Tensor2D; s: tf.Tensor2D | null } {
    const out = c.net.apply(cond) as tf.Tensor2D;
    if (this.config.kind === "additive") return { t: out, s: null };
    const half = out.shape[1] / 2;
    const raw = tf.slice(out, [0, 0], [-1, half]);
    const s = tf.mul(this.clamp, tf.tanh(tf.div(raw, this.clamp))) as tf.Tensor2D;
    return { t: tf.slice(out, [0, half], [-1, half]) as tf.Tensor2D, s };
  }

  private split(c: Coupling, x: tf.Tensor2D): { cond: tf.Tensor2D; moving: tf.Tensor2D } {
    const lo = tf.slice(x, [0, 0], [-1, c.k]) as tf.Tensor2D;
    const hi = tf.slice(x, [0, c.k], [-1, this.dim - c.k]) as tf.Tensor2D;
    return c.swap ? { cond: hi, moving: lo } : { cond: lo, moving: hi };
  }

  private join(c: Coupling, cond: tf.Tensor2D, moved: tf.Tensor2D): tf.Tensor2D {
    return (c.swap ? tf.concat([moved, cond], 1) : tf.concat([cond, moved], 1)) as tf.Tensor2D;
  }

  /**
   * x -> z with log|det dz/dx| per row. `trace` receives the output of every layer (after each
   * coupling, then after the scaling layer), for pictures of the layer-by-layer pushforward.
   */
  forward(
    x: tf.Tensor2D,
    trace?: (y: tf.Tensor2D) => void,
  ): { z: tf.Tensor2D; logdet: tf.Tensor1D } {
    return tf.tidy(() => {
      let y = x;
      let logdet: tf.Tensor = tf.zeros([x.shape[0]]);
      for (const c of this.layers) {
        const { cond, moving } = this.split(c, y);
        const { t, s } = this.shiftScale(c, cond);
        const moved = s ? tf.add(tf.mul(moving, tf.exp(s)), t) : tf.add(moving, t);
        if (s) logdet = tf.add(logdet, tf.sum(s, 1));
        y = this.join(c, cond, moved as tf.Tensor2D);
        if (trace) trace(tf.keep(y.clone()));
      }
      if (this.logScale) {
        y = tf.mul(y, tf.exp(this.logScale)) as tf.Tensor2D;
        logdet = tf.add(logdet, tf.sum(this.logScale));
        if (trace) trace(tf.keep(y.clone()));
      }
      return { z: y, logdet: logdet as tf.Tensor1D };
    });
  }

  /** z -> x, the exact inverse: undo the scaling, then each coupling in reverse order. */
  inverse(z: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      let y = z;
      if (this.logScale) y = tf.mul(y, tf.exp(tf.neg(this.logScale))) as tf.Tensor2D;
      for (let i = this.layers.length - 1; i >= 0; i--) {
        const c = this.layers[i];
        const { cond, moving } = this.split(c, y);
        const { t, s } = this.shiftScale(c, cond);
        const back = s ? tf.mul(tf.sub(moving, t), tf.exp(tf.neg(s))) : tf.sub(moving, t);
        y = this.join(c, cond, back as tf.Tensor2D);
      }
      return y;
    });
  }

  /** log p(x) = log N(f(x); 0, I) + log|det df/dx| per row (nats). */
  logProb(x: tf.Tensor2D): tf.Tensor1D {
    return changeOfVariablesLogProb(this, x);
  }
}

/** log N(z; 0, I) per row. */
export function standardNormalLogProb(z: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(
    () => tf.mul(-0.5, tf.add(tf.sum(tf.square(z), 1), z.shape[1] * LOG_2PI)) as tf.Tensor1D,
  );
}

/** Number of scalar parameters a flow with this config has (without building it). */
export function flowParamCount(c: FlowConfig): number {
  const k = Math.floor(c.dim / 2);
  let n = c.scaling === false ? 0 : c.dim;
  for (let i = 0; i < c.couplings; i++) {
    const nIn = i % 2 ? c.dim - k : k;
    const nOut = (i % 2 ? k : c.dim - k) * (c.kind === "affine" ? 2 : 1);
    const sizes = [nIn, ...c.hidden, nOut];
    for (let j = 0; j + 1 < sizes.length; j++) n += sizes[j] * sizes[j + 1] + sizes[j + 1];
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// Batched helpers on plain arrays (rows of `dim` values).

function mapBatches(
  x: Float32Array,
  dim: number,
  outDim: number,
  batch: number,
  f: (t: tf.Tensor2D) => tf.Tensor,
): Float32Array {
  const n = x.length / dim;
  if (!Number.isInteger(n)) throw new Error(`flow: ${x.length} values are not rows of ${dim}`);
  const out = new Float32Array(n * outDim);
  for (let s = 0; s < n; s += batch) {
    const e = Math.min(n, s + batch);
    const t = tf.tidy(() => f(tf.tensor2d(x.subarray(s * dim, e * dim), [e - s, dim])));
    out.set(t.dataSync(), s * outDim);
    t.dispose();
  }
  return out;
}

/** log p(x) (nats, in the flow's space) of every row of x. */
export function flowLogProb(flow: FlowModel, x: Float32Array, batch = 500): Float64Array {
  return Float64Array.from(mapBatches(x, flow.dim, 1, batch, (t) => flow.logProb(t)));
}

/** z = f(x) for every row (encoding is one forward pass). */
export function flowEncode(flow: FlowModel, x: Float32Array, batch = 500): Float32Array {
  return mapBatches(x, flow.dim, flow.dim, batch, (t) => flow.forward(t).z);
}

/** x = f^-1(z) for every row. */
export function flowDecode(flow: FlowModel, z: Float32Array, batch = 500): Float32Array {
  return mapBatches(z, flow.dim, flow.dim, batch, (t) => flow.inverse(t));
}

/** log|det df/dx| from the layers, for every row. */
export function flowLogDet(flow: FlowModel, x: Float32Array, batch = 500): Float64Array {
  return Float64Array.from(mapBatches(x, flow.dim, 1, batch, (t) => flow.forward(t).logdet));
}

/** n samples x = f^-1(z), z ~ N(0, T^2 I): temperature T < 1 trades diversity for typicality. */
export function flowSample(flow: FlowModel, n: number, rng: Rng, temperature = 1): Float32Array {
  return flowDecode(flow, rng.normalArray(n * flow.dim, 0, temperature));
}

/**
 * Straight lines in z between f(xa_i) and f(xb_i) for each row pair, decoded: rows [pair 0 step
 * 0..steps-1, pair 1 ...].
 */
export function flowInterpolate(
  flow: FlowModel,
  xa: Float32Array,
  xb: Float32Array,
  steps: number,
): Float32Array {
  const d = flow.dim;
  const za = flowEncode(flow, xa),
    zb = flowEncode(flow, xb);
  const pairs = za.length / d;
  const z = new Float32Array(pairs * steps * d);
  for (let p = 0; p < pairs; p++) {
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      for (let j = 0; j < d; j++)
        z[(p * steps + s) * d + j] = (1 - t) * za[p * d + j] + t * zb[p * d + j];
    }
  }
  return flowDecode(flow, z);
}

/** The points after every layer: [x, after coupling 1, ..., after scaling = z] (n x dim each). */
export function flowTrace(flow: FlowModel, x: Float32Array): Float32Array[] {
  const kept: tf.Tensor2D[] = [];
  const t = tf.tensor2d(x, [x.length / flow.dim, flow.dim]);
  const { z, logdet } = flow.forward(t, (y) => kept.push(y));
  const out = [x.slice(), ...kept.map((k) => k.dataSync() as Float32Array)];
  tf.dispose([t, z, logdet, ...kept]);
  return out;
}

/**
 * Max |x - f^-1(f(x))| / max(1, |x|) over all values of x: the round-trip error in the unit float32
 * rounding scales with (about 1e-7 of the value), so inputs far from 0 are not held to a tighter
 * standard than inputs near it; for values in [-1, 1] (pixels) it is the absolute error.
 */
export function roundTripError(flow: FlowModel, x: Float32Array): number {
  const back = flowDecode(flow, flowEncode(flow, x));
  let m = 0;
  for (let i = 0; i < x.length; i++)
    m = Math.max(m, Math.abs(back[i] - x[i]) / Math.max(1, Math.abs(x[i])));
  return m;
}

/**
 * The full Jacobian dz/dx of one input row by automatic differentiation (row i of the result is
 * dz_i/dx): the row is copied once per Jacobian row and copy i contributes only z_i, in backward
 * passes of at most `chunk` copies (memory: a 784-D convolutional flow keeps its activations for
 * every copy).
 */
export function flowJacobian(flow: FlowModel, xRow: Float32Array, chunk = 128): Float64Array {
  const d = flow.dim;
  const out = new Float64Array(d * d);
  for (let a = 0; a < d; a += chunk) {
    const k = Math.min(chunk, d - a);
    const J = tf.tidy(() => {
      const xs = tf.tile(tf.tensor2d(xRow, [1, d]), [k, 1]);
      const sel = tf.oneHot(tf.range(a, a + k, 1, "int32"), d).toFloat();
      return tf.grad((x: tf.Tensor) => tf.sum(tf.mul(flow.forward(x as tf.Tensor2D).z, sel)))(xs);
    });
    out.set(J.dataSync(), a * d);
    J.dispose();
  }
  return out;
}

/** log|det J| of a square d x d matrix, as 0.5 * log det(J^T J) through a Cholesky factor. */
export function logAbsDet(J: Float64Array, d: number): number {
  const a = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    for (let j = i; j < d; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += J[k * d + i] * J[k * d + j];
      a[i * d + j] = a[j * d + i] = s;
    }
  }
  return 0.5 * logDetFromCholesky(cholesky({ d, a }), d);
}

/**
 * For each row: log|det J| summed by the layers against the brute-force determinant of the autodiff
 * Jacobian.
 */
export function logDetCheck(
  flow: FlowModel,
  x: Float32Array,
): { layers: Float64Array; bruteForce: Float64Array; maxAbsError: number } {
  const d = flow.dim;
  const n = x.length / d;
  const layers = flowLogDet(flow, x);
  const bruteForce = new Float64Array(n);
  let maxAbsError = 0;
  for (let i = 0; i < n; i++) {
    bruteForce[i] = logAbsDet(flowJacobian(flow, x.subarray(i * d, (i + 1) * d)), d);
    maxAbsError = Math.max(maxAbsError, Math.abs(bruteForce[i] - layers[i]));
  }
  return { layers, bruteForce, maxAbsError };
}

/** The integral of a 2-D flow's density over a grid of points (Riemann sum with the cell area). */
export function densityIntegral(flow: FlowModel, points: Float32Array, cellArea: number): number {
  if (flow.dim !== 2)
    throw new Error(`densityIntegral needs a 2-D flow, this one has dim ${flow.dim}`);
  return flowLogProb(flow, points, 4096).reduce((s, lp) => s + Math.exp(lp), 0) * cellArea;
}

// ---------------------------------------------------------------------------------------------
// One dimension: the change of variables against a histogram.

export interface Map1D {
  /** z -> x */
  forward: (z: number) => number;
  /** x -> z */
  inverse: (x: number) => number;
  /** log |d inverse / dx| at x */
  logAbsDerivInverse: (x: number) => number;
}

/** x = exp(z): z ~ N(0, 1) gives the log-normal, p(x) = N(log x) / x. */
export const EXP_MAP: Map1D = {
  forward: Math.exp,
  inverse: Math.log,
  logAbsDerivInverse: (x) => -Math.log(x),
};

/**
 * Pushes n draws z ~ N(0, 1) through `map` and compares the histogram density of x (bins of equal
 * width over [lo, hi], counts / (n * width)) with the change-of-variables formula
 * p_x(x) = N(g^-1(x)) |d g^-1 / dx| at the bin centres.
 */
export function changeOfVariables1D(
  map: Map1D,
  n: number,
  rng: Rng,
  range: [number, number],
  bins: number,
): { centers: number[]; histogram: number[]; formula: number[]; samples: Float32Array } {
  const [lo, hi] = range;
  const w = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  const samples = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const x = map.forward(rng.normal());
    samples[i] = x;
    const b = Math.floor((x - lo) / w);
    if (b >= 0 && b < bins) counts[b]++;
  }
  const centers = counts.map((_, b) => lo + (b + 0.5) * w);
  const formula = centers.map((x) =>
    Math.exp(-0.5 * map.inverse(x) ** 2 - 0.5 * LOG_2PI + map.logAbsDerivInverse(x)),
  );
  return { centers, histogram: counts.map((c) => c / (n * w)), formula, samples };
}

// ---------------------------------------------------------------------------------------------
// Images: dequantisation, logit transform, bits per dimension.

/**
 * Grey levels v in {0..255} -> dequantised y = (v + u) / 256, u ~ U(0,1)^D (or u = 1/2 for a
 * deterministic encoding) -> p = alpha + (1 - 2 alpha) y -> x = logit(p), the flow's input.
 * logdet = sum_j log|dx_j / dy_j| = sum_j [log(1 - 2 alpha) - log p_j - log(1 - p_j)], so
 * log p(y) = log p_flow(x) + logdet, and log P(v) >= E_u[log p(y)] - D log 256 (the dequantisation
 * bound). `order` optionally permutes the pixels first (a permutation has |det| = 1).
 */
export class LogitPreprocess {
  constructor(
    readonly alpha = 1e-6,
    readonly order: Int32Array | null = null,
  ) {
    if (!(alpha >= 0 && alpha < 0.5))
      throw new Error(`LogitPreprocess: alpha must be in [0, 0.5), got ${alpha}`);
  }
  /** Rows of grey levels (0..255, n x D) -> flow inputs and log|dx/dy| per row. */
  encode(
    levels: ArrayLike<number>,
    dim: number,
    noise: Rng | "mid",
  ): { x: Float32Array; logdet: Float64Array } {
    const n = levels.length / dim;
    if (this.order && this.order.length !== dim)
      throw new Error(`LogitPreprocess: order has ${this.order.length} entries for rows of ${dim}`);
    const x = new Float32Array(levels.length);
    const logdet = new Float64Array(n);
    const a = this.alpha;
    const c = Math.log(1 - 2 * a);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < dim; j++) {
        const v = levels[i * dim + (this.order ? this.order[j] : j)];
        const u = noise === "mid" ? 0.5 : noise.uniform();
        const p = a + ((1 - 2 * a) * (v + u)) / 256;
        x[i * dim + j] = Math.log(p) - Math.log(1 - p);
        s += c - Math.log(p) - Math.log(1 - p);
      }
      logdet[i] = s;
    }
    return { x, logdet };
  }
  /** Rows in the flow's pixel order -> the same values in the images' pixel order. */
  toPixelOrder(x: Float32Array, dim: number): Float32Array {
    if (!this.order) return x.slice();
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i += dim)
      for (let j = 0; j < dim; j++) out[i + this.order[j]] = x[i + j];
    return out;
  }
  /**
   * Flow-space rows -> intensities in [0, 1] (the inverse of the logit, pixels in their original
   * order).
   */
  decode(x: Float32Array, dim: number): Float32Array {
    const a = this.alpha;
    const y = x.map((v) => Math.min(1, Math.max(0, (1 / (1 + Math.exp(-v)) - a) / (1 - 2 * a))));
    return this.toPixelOrder(y, dim);
  }
}

/**
 * Bits per dimension of grey-level data from log p_flow(x) and the preprocessing log-det (nats per
 * row).
 */
export function bitsPerDim(
  logpFlow: ArrayLike<number>,
  logdetPre: ArrayLike<number>,
  dim: number,
): Float64Array {
  return Float64Array.from(
    logpFlow,
    (lp, i) => (-(lp + logdetPre[i]) / dim + Math.log(256)) / Math.LN2,
  );
}

/** Pixel order that puts the even squares of an h x w checkerboard first, the odd ones second. */
export function checkerboardOrder(h: number, w: number): Int32Array {
  const even: number[] = [];
  const odd: number[] = [];
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) ((r + c) % 2 ? odd : even).push(r * w + c);
  return Int32Array.from([...even, ...odd]);
}

/**
 * bits/dim of each row of grey levels under flow + preprocessing, with seeded dequantisation noise.
 */
export function imageBitsPerDim(
  flow: FlowModel,
  pre: LogitPreprocess,
  levels: ArrayLike<number>,
  noise: Rng,
): Float64Array {
  const { x, logdet } = pre.encode(levels, flow.dim, noise);
  return bitsPerDim(flowLogProb(flow, x), logdet, flow.dim);
}

// ---------------------------------------------------------------------------------------------
// Training by exact maximum likelihood.

export interface FlowBudget extends Record<string, number> {
  steps: number;
  batchSize: number;
  lr: number;
  // Optional keys (read with defaults, so budgets without them, and weights trained before them,
  // are unchanged):
  //   lrDecay, decayFrac: the learning rate is multiplied by lrDecay for the last decayFrac of the
  // steps (default 1: no decay).
  //   clipNorm: the gradient is scaled down to this global norm when longer (default: no clipping);
  // its
  //             norm before clipping is then logged as gradNorm.
}

/**
 * Minimises the mean of -log p(x) over minibatches. `data` holds rows of `flow.dim` values; with
 * `pre` they are grey levels (0..255), dequantised afresh every batch, and bits/dim is logged too.
 * `logEvery` and `onLog` go to trainLoop (e.g. to add mode coverage to the history rows).
 */
export async function trainFlow(
  flow: FlowModel,
  data: ArrayLike<number>,
  budget: FlowBudget,
  opts: TrainOptions & { pre?: LogitPreprocess },
): Promise<History> {
  const d = flow.dim;
  const n = data.length / d;
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`trainFlow: ${data.length} values are not rows of ${d}`);
  const rng = new Rng(opts.seed);
  const next = batchStream(n, budget.batchSize, rng.fork("batches"));
  const noise = rng.fork("dequantise");
  const opt = adam(budget.lr);
  const vars = Object.values(flow.params());
  const resume = opts.resume ? resumeSpec(opts.resume, { opt }, { next, noise }) : undefined;
  try {
    return await trainLoop({
      resume,
      label: opts.label ?? `flow ${flow.name}`,
      steps: budget.steps,
      params: flow.params(),
      quiet: opts.quiet,
      logEvery: opts.logEvery,
      onLog: opts.onLog,
      step: (i): Record<string, tf.Tensor> => {
        stepDecay(opt, budget.lr, budget, i);
        const rows = gatherRows(data, d, next());
        const b = rows.length / d;
        const enc = opts.pre ? opts.pre.encode(rows, d, noise) : { x: rows, logdet: null };
        const x = tf.tensor2d(enc.x, [b, d]);
        const nllOf = () => tf.neg(tf.mean(flow.logProb(x))) as tf.Scalar;
        const clip = budget["clipNorm"];
        let loss: tf.Scalar;
        let clipped: Record<string, tf.Tensor> = {};
        if (clip === undefined) loss = opt.minimize(nllOf, true)!;
        else {
          const { value, grads } = tf.variableGrads(nllOf, vars);
          const norm = globalNorm(grads);
          const scale = norm > clip ? clip / norm : 1;
          const scaled = Object.entries(grads).map(([name, g]) => ({
            name,
            tensor: tf.mul(g, scale),
          }));
          opt.applyGradients(scaled);
          tf.dispose([...Object.values(grads), ...scaled.map((t) => t.tensor)]);
          loss = value;
          clipped = { gradNorm: tf.scalar(norm) };
        }
        x.dispose();
        if (!enc.logdet) return { loss, ...clipped };
        const pre = enc.logdet.reduce((s, v) => s + v, 0) / b;
        const nll = loss.dataSync()[0];
        return { loss, ...clipped, bpd: tf.scalar(((nll - pre) / d + Math.log(256)) / Math.LN2) };
      },
    });
  } finally {
    opt.dispose();
  }
}

export interface FitFlowOptions<F extends FlowModel = Flow> {
  /** Weights file stem, e.g. "flow-moons-realnvp". */
  model: string;
  /**
   * An MLP-coupling Flow of this config, unless `build` makes another FlowModel (e.g. a ConvFlow).
   */
  config?: FlowConfig;
  build?: (name: string, rng: Rng) => F;
  data: ArrayLike<number>;
  /** What the training data is, stored with the weights (trainingData in lib/data/mnist.ts). */
  dataName?: string;
  seed: number;
  /** Full-budget steps (smoke: `smokeSteps`, default 20). */
  steps: number;
  smokeSteps?: number;
  batchSize?: number;
  lr?: number;
  /** The learning rate is multiplied by `factor` for the last `frac` of the steps. */
  decay?: { factor: number; frac: number };
  /** Global gradient-norm clipping (FlowBudget clipNorm); default none. */
  clipNorm?: number;
  pre?: LogitPreprocess;
  label?: string;
}

/**
 * Builds a flow and loads its shipped weights or trains it (GENLAB_TRAIN), see
 * lib/training/weights.ts.
 */
export async function fitFlow<F extends FlowModel = Flow>(
  o: FitFlowOptions<F>,
): Promise<{ flow: F; fit: FitResult }> {
  let flow: F;
  if (o.build) flow = o.build(o.model, new Rng(o.seed));
  else if (o.config) flow = new Flow(o.model, o.config, new Rng(o.seed)) as FlowModel as F;
  else
    throw new Error(`fitFlow ${o.model}: give a config (an MLP-coupling Flow) or a build function`);
  const base: Record<string, number> = { batchSize: o.batchSize ?? 128, lr: o.lr ?? 1e-3 };
  if (o.decay) Object.assign(base, { lrDecay: o.decay.factor, decayFrac: o.decay.frac });
  if (o.clipNorm !== undefined) base.clipNorm = o.clipNorm;
  const fit = await fitOrLoad({
    model: o.model,
    params: flow.params(),
    seed: o.seed,
    data: o.dataName,
    budget: { full: { ...base, steps: o.steps }, smoke: { ...base, steps: o.smokeSteps ?? 20 } },
    train: (b, ctx) => {
      const opts = { seed: o.seed + 1, pre: o.pre, label: o.label ?? o.model, resume: ctx.resume };
      return trainFlow(flow, o.data, b as FlowBudget, opts);
    },
  });
  return { flow, fit };
}

/**
 * Notebook 05's two-dimensional experiments: the three toys (two moons, a ring of 8, a grid of
 * 25), NICE and RealNVP at equal parameter count trained on each, and the checks that a trained
 * flow is one-to-one, that its log-determinant is the Jacobian's and that its density integrates
 * to 1. scripts/spread.ts calls the same functions to measure how much those checks move.
 */
import * as tf from "@tensorflow/tfjs";
import { grid25, ring8, sampleMixture, twoMoons, type Mixture, type Toy2D } from "../data/toys";
import { boundsOf, grid2d } from "../display/grid";
import { Rng } from "../runtime/random";
import {
  densityIntegral,
  fitFlow,
  Flow,
  flowDecode,
  flowEncode,
  flowParamCount,
  flowSample,
  logDetCheck,
  roundTripError,
  type FlowConfig,
} from "./flow";

export const FLOW_TOY_MIXTURES: Record<string, Mixture | null> = {
  moons: null,
  ring: ring8({ radius: 2, sigma: 0.15 }),
  grid: grid25({ sigma: 0.2 }),
};

export interface FlowToy {
  name: string;
  train: Toy2D;
  test: Toy2D;
}

function toyData(name: string, n: number, seed: number): Toy2D {
  const mix = FLOW_TOY_MIXTURES[name];
  return mix ? sampleMixture(mix, n, new Rng(seed)) : twoMoons(n, new Rng(seed), 0.1);
}

/** The three toys: 5,000 training and 2,000 test points each, from fixed seeds. */
export function flowToys(): FlowToy[] {
  return Object.keys(FLOW_TOY_MIXTURES).map((name, i) => ({
    name,
    train: toyData(name, 5000, 10 + i),
    test: toyData(name, 2000, 20 + i),
  }));
}

/** RealNVP 2-8x(64-64) and the NICE whose hidden width gives the closest parameter count. */
export function toyFlowConfigs(): { real: FlowConfig; nice: FlowConfig; niceHidden: number } {
  const real: FlowConfig = { dim: 2, couplings: 8, hidden: [64, 64], kind: "affine" };
  const target = flowParamCount(real);
  const gap = (h: number) =>
    Math.abs(flowParamCount({ ...real, kind: "additive", hidden: [h, h] }) - target);
  let best = 50;
  for (let h = 50; h < 90; h++) if (gap(h) < gap(best)) best = h;
  return { real, nice: { ...real, kind: "additive", hidden: [best, best] }, niceHidden: best };
}

export interface ToyFlowPair {
  nice: Flow;
  real: Flow;
  /** Training seconds (from the weights' history). */
  seconds: { nice: number; real: number };
}

/** NICE and RealNVP on each toy: shipped weights, or trained (GENLAB_TRAIN), 3,000 Adam steps. */
export async function fitToyFlows(toys: FlowToy[]): Promise<Record<string, ToyFlowPair>> {
  const cfg = toyFlowConfigs();
  const out: Record<string, ToyFlowPair> = {};
  for (let i = 0; i < toys.length; i++) {
    const t = toys[i];
    const common = { data: t.train.x, seed: 300 + i, steps: 3000, batchSize: 256, lr: 2e-3 };
    const nice = await fitFlow({ model: `flow-${t.name}-nice`, config: cfg.nice, ...common });
    const real = await fitFlow({ model: `flow-${t.name}-realnvp`, config: cfg.real, ...common });
    const secs = (f: typeof nice) => f.fit.history?.last()?.seconds ?? NaN;
    out[t.name] = {
      nice: nice.flow,
      real: real.flow,
      seconds: { nice: secs(nice), real: secs(real) },
    };
  }
  return out;
}

/**
 * A flow whose parameters are all drawn from N(0, scale^2) (Rng(seed + 1)) after it is built from
 * Rng(seed): untrained, but far from the identity, so the log-determinant check has work to do.
 */
export function randomizedFlow(name: string, cfg: FlowConfig, seed: number, scale = 0.3): Flow {
  const flow = new Flow(name, cfg, new Rng(seed));
  const r = new Rng(seed + 1);
  for (const v of Object.values(flow.params())) {
    v.assign(tf.tensor(r.normalArray(v.size, 0, scale), v.shape));
  }
  return flow;
}

/**
 * Notebook 05, section 2: random 6-D flows of 6 couplings, log-det by the layers vs brute force.
 */
export function randomFlowLogdetChecks(seed: number) {
  return (["additive", "affine"] as const).map((kind) => {
    const cfg: FlowConfig = { dim: 6, couplings: 6, hidden: [16], kind };
    const flow = randomizedFlow(`r-${kind}`, cfg, seed);
    return { kind, ...logDetCheck(flow, new Rng(seed + 2).normalArray(6 * 20)) };
  });
}

/** max_i |a_i - b_i|. */
export const maxAbsDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

function shareInBox(p: Float32Array, half: number): number {
  let c = 0;
  for (let i = 0; i < p.length; i += 2) {
    if (Math.abs(p[i]) <= half && Math.abs(p[i + 1]) <= half) c++;
  }
  return c / (p.length / 2);
}

/** Uniform points in the toy's bounding box (15% margin). */
function uniformInBounds(train: Float32Array, n: number, rng: Rng): Float32Array {
  const b = boundsOf(train, 0.15);
  return rng.uniformArray(2 * n).map((v, i) => {
    const [lo, hi] = i % 2 ? b.y : b.x;
    return lo + v * (hi - lo);
  });
}

/**
 * One row of notebook 05's A7 table for a trained 2-D flow: round trips both ways, the log-det
 * against brute force on `nLogdet` test points (from point `logdetFrom`, default 0), and the
 * density's integral over B = [-10, 10]^2 against the share of 20,000 samples in B. Noise: z from
 * Rng(seed), samples Rng(seed + 1), random inputs Rng(seed + 2) (the notebook's seed is 50).
 */
export function invertibilityRow(flow: Flow, toy: FlowToy, opts: InvertibilityOptions) {
  const ldPoints = toy.test.x.subarray(2 * (opts.logdetFrom ?? 0)).subarray(0, 2 * opts.nLogdet);
  const big = grid2d({ x: [-10, 10], y: [-10, 10] }, 500);
  const z = new Rng(opts.seed).normalArray(4000);
  const u = uniformInBounds(toy.train.x, 2000, new Rng(opts.seed + 2));
  return {
    "x->z->x, test data": roundTripError(flow, toy.test.x),
    "x->z->x, random x in the box": roundTripError(flow, u),
    "z->x->z, z ~ N(0,I)": maxAbsDiff(flowEncode(flow, flowDecode(flow, z)), z),
    "log-det max |error|": logDetCheck(flow, ldPoints).maxAbsError,
    "integral over B": densityIntegral(flow, big.points, big.cellArea),
    "share of samples in B": shareInBox(flowSample(flow, 20000, new Rng(opts.seed + 1)), 10),
  };
}

export interface InvertibilityOptions {
  seed: number;
  nLogdet: number;
  logdetFrom?: number;
}

export type InvertibilityRow = ReturnType<typeof invertibilityRow>;

/** The A7 table: every toy, NICE and RealNVP. */
export function invertibilityTable(
  toys: FlowToy[],
  flows: Record<string, ToyFlowPair>,
  opts: InvertibilityOptions,
): ({ flow: string } & InvertibilityRow)[] {
  return toys.flatMap((t) =>
    (["nice", "real"] as const).map((k) => ({
      flow: `${t.name} ${k === "nice" ? "NICE" : "RealNVP"}`,
      ...invertibilityRow(flows[t.name][k], t, opts),
    })),
  );
}

/** The A7 numbers over the table (the MNIST flow's pixel round trip joins the first). */
export function invertibilitySummary(rows: InvertibilityRow[], mnistRoundTrip = 0) {
  const most = (f: (r: InvertibilityRow) => number) => Math.max(...rows.map(f));
  return {
    roundTrip: Math.max(
      mnistRoundTrip,
      most((r) => Math.max(r["x->z->x, test data"], r["x->z->x, random x in the box"])),
    ),
    zRoundTrip: most((r) => r["z->x->z, z ~ N(0,I)"]),
    logdet: most((r) => r["log-det max |error|"]),
    integralVsSamples: most((r) => Math.abs(r["integral over B"] - r["share of samples in B"])),
    integralDev: most((r) => Math.abs(r["integral over B"] - 1)),
  };
}

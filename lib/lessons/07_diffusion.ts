/**
 * Notebook 07 (diffusion models): the checks, tables and figures its cells show, so that a cell is
 * the experiment's few lines. Sections: the forward process (1), the posterior and the bound (2),
 * the noise-prediction loss (3), the toys trained (4), what the network learned: the score (5),
 * mode coverage beside the other families (6), the small mode (7), sampling with fewer steps (8).
 */
import * as tf from "@tensorflow/tfjs";
import { fitAll, runOf } from "../training/parallel";
import {
  NoiseSchedule,
  gaussianKL1,
  mixtureNoise,
  qSample,
  sampleDiffusion,
  simulateForward,
  vlbTerms,
  type TimeMLP,
} from "../models/diffusion";
import {
  fitToyDiffusion,
  scoreToyDiffusion,
  toyDiffusionSchedule,
  toyTrainingSet,
} from "../models/toys";
import { mixtureLogDensity, sampleMixture, type Mixture } from "../data/toys";
import { modeCoverage, smallModeShare, PACGAN_SAMPLES, type ModeCoverage } from "../eval/modes";
import { Rng } from "../runtime/random";
import { mean } from "../runtime/stats";
import { animation, lineChart, pointsFrame, type Figure } from "../display/plot";
import type { Row } from "../display/table";
import type { FitResult } from "../training/weights";
import { coverageRow } from "./common";

// ---------------------------------------------------------------------------------------------
// 1 · The forward process

/** One row of the closed form against simulated chains. */
export type ForwardRow = {
  t: number;
  "mean (closed form)": number;
  "mean (simulated)": number;
  "variance (closed form)": number;
  "variance (simulated)": number;
  "|z| of the mean": number;
};

/**
 * q(x_t | x_0) for one coordinate x_0 at each step of `ts`: the closed form's mean and variance
 * against those of n chains run step by step (seeded), with the mean's difference in standard
 * errors.
 */
export function forwardRows(
  s: NoiseSchedule,
  x0: number,
  ts: readonly number[],
  n: number,
  rng: Rng,
): ForwardRow[] {
  return ts.map((t) => {
    const sim = simulateForward(s, x0, t, n, rng.fork(`t${t}`));
    const m = Math.sqrt(s.alphaBar[t]) * x0;
    const v = 1 - s.alphaBar[t];
    return {
      t,
      "mean (closed form)": m,
      "mean (simulated)": sim.mean,
      "variance (closed form)": v,
      "variance (simulated)": sim.variance,
      "|z| of the mean": Math.abs(sim.mean - m) / Math.sqrt(v / n),
    };
  });
}

/** The ring's points noised by the closed form at each step of `ts`, as a slider over t. */
export function noisingAnimation(
  s: NoiseSchedule,
  mix: Mixture,
  ts: readonly number[],
  n: number,
  seed: number,
): Figure {
  const data = sampleMixture(mix, n, new Rng(seed));
  const x0 = tf.tensor2d(data.x, [n, 2]);
  const frames = ts.map((t) => {
    const eps = tf.tensor2d(new Rng(seed + t).normalArray(2 * n), [n, 2]);
    const xt = t === 0 ? x0.clone() : qSample(s, x0, new Array<number>(n).fill(t), eps);
    const p = xt.dataSync() as Float32Array;
    tf.dispose([eps, xt]);
    return pointsFrame(`t = ${t}`, p, data.labels);
  });
  x0.dispose();
  return animation(frames, {
    title: "The forward process on the ring: x_t ~ q(x_t | x_0), drag the slider over t",
    prefix: "",
    layout: { yaxis: { scaleanchor: "x" }, height: 520 },
  });
}

// ---------------------------------------------------------------------------------------------
// 2 · The posterior and the bound

/**
 * The largest relative difference, over the steps `ts`, between the posterior q(x_{t-1} | x_t,
 * x_0) of the closed form (NoiseSchedule.posterior) and Gaussian conditioning of the prior
 * x_{t-1} | x_0 on the step x_t | x_{t-1} done by hand.
 */
export function posteriorCheck(s: NoiseSchedule, ts: readonly number[]): number {
  let worst = 0;
  for (const t of ts) {
    const a = 1 - s.beta[t];
    const v0 = 1 - s.alphaBar[t - 1];
    const precision = 1 / v0 + a / s.beta[t];
    const byHand = {
      variance: 1 / precision,
      c0: Math.sqrt(s.alphaBar[t - 1]) / v0 / precision,
      ct: Math.sqrt(a) / s.beta[t] / precision,
    };
    const q = s.posterior(t);
    for (const k of ["variance", "c0", "ct"] as const)
      worst = Math.max(worst, Math.abs(q[k] - byHand[k]) / Math.abs(byHand[k]));
  }
  return worst;
}

/**
 * KL(N(m1, v1) || N(m2, v2)) in closed form against a Monte Carlo average of log q - log p over n
 * draws (seeded): the value, the estimate and its standard error.
 */
export function klMonteCarlo(
  m1: number,
  v1: number,
  m2: number,
  v2: number,
  n: number,
  rng: Rng,
): { closedForm: number; monteCarlo: number; standardError: number } {
  const logN = (x: number, m: number, v: number) =>
    -0.5 * Math.log(2 * Math.PI * v) - (x - m) ** 2 / (2 * v);
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < n; i++) {
    const x = m1 + Math.sqrt(v1) * rng.normal();
    const r = logN(x, m1, v1) - logN(x, m2, v2);
    sum += r;
    sum2 += r * r;
  }
  const mc = sum / n;
  const se = Math.sqrt((sum2 / n - mc * mc) / n);
  return { closedForm: gaussianKL1(m1, v1, m2, v2), monteCarlo: mc, standardError: se };
}

// ---------------------------------------------------------------------------------------------
// 4 · The toys

/** A toy diffusion model as fitToyDiffusion returns it, with its score and seed. */
export type ToyDiffusionRun = Awaited<ReturnType<typeof fitToyDiffusion>> & {
  cov: ModeCoverage;
  seed: number;
};

/**
 * The toy diffusion model on each data set and seed (trained on every core when the mode trains:
 * lib/training/parallel.ts), each scored by PacGAN's protocol (ancestral sampling, 1,000 steps).
 */
export async function fitToyDiffusions(
  data: readonly string[],
  seeds: readonly number[],
): Promise<Record<string, ToyDiffusionRun[]>> {
  const quietLoad = { quiet: true };
  const jobs = data.flatMap((d) => seeds.map((s) => ({ d, s })));
  const runs = jobs.map(({ d, s }) => runOf("lib/models/toys", fitToyDiffusion, [d, s, quietLoad]));
  const fits = await fitAll(runs, { label: `${runs.length} toy diffusion models` });
  const out: Record<string, ToyDiffusionRun[]> = {};
  jobs.forEach(({ d, s }, i) => {
    const f = fits[i];
    (out[d] ??= []).push({ ...f, cov: scoreToyDiffusion(f.net, f.mix, s), seed: s });
  });
  return out;
}

/** Every run's fit (for fitSources). */
export function diffusionFits(runs: Record<string, ToyDiffusionRun[]>): FitResult[] {
  return Object.values(runs).flatMap((rs) => rs.map((r) => r.fit));
}

/**
 * The reverse chain of one model as a slider over t: 1,000 points from x_T = noise to x_0, each
 * coloured by the mode its final sample lands nearest to.
 */
export function denoisingAnimation(
  net: TimeMLP,
  mix: Mixture,
  ts: readonly number[],
  seed: number,
): Figure {
  const s = toyDiffusionSchedule();
  const n = 1000;
  const { x, chain } = sampleDiffusion(net, s, n, new Rng(seed), { keep: ts });
  const nearest = Int32Array.from({ length: n }, (_, i) =>
    nearestMode(mix, x[2 * i], x[2 * i + 1]),
  );
  const frames = [...ts]
    .sort((a, b) => b - a)
    .map((t) => pointsFrame(`t = ${t}`, chain[t], nearest));
  return animation(frames, {
    title: "The reverse process: x_T ~ N(0, I) denoised step by step (drag the slider)",
    prefix: "",
    layout: { yaxis: { scaleanchor: "x" }, height: 520 },
  });
}

function nearestMode(mix: Mixture, x: number, y: number): number {
  let best = 0;
  let bestD = Infinity;
  mix.means.forEach(([mx, my], k) => {
    const d = (x - mx) ** 2 + (y - my) ** 2;
    if (d < bestD) [best, bestD] = [k, d];
  });
  return best;
}

// ---------------------------------------------------------------------------------------------
// 5 · What the network learned: the score

/** One row: how close the network's eps(x_t, t) is to the exact E[eps | x_t] at step t. */
export type ScoreRow = {
  t: number;
  "E ||eps_net - eps*||^2": number;
  "E ||eps*||^2": number;
  "relative error": number;
};

/**
 * At each step of `ts`: x_t from n training-distribution points (seeded), the network's noise
 * prediction against the exact one of the mixture (mixtureNoise), mean squared over coordinates.
 */
export function scoreRows(
  net: TimeMLP,
  mix: Mixture,
  ts: readonly number[],
  n: number,
  seed: number,
): ScoreRow[] {
  const s = toyDiffusionSchedule();
  const x0 = tf.tensor2d(sampleMixture(mix, n, new Rng(seed)).x, [n, 2]);
  const rows = ts.map((t) => {
    const tt = new Array<number>(n).fill(t);
    const eps = tf.tensor2d(new Rng(seed + t).normalArray(2 * n), [n, 2]);
    const xt = qSample(s, x0, tt, eps);
    const pred = net.predictNoise(xt, tt);
    const best = mixtureNoise(mix, s, xt.dataSync() as Float32Array, t);
    const p = pred.dataSync();
    let err = 0;
    let size = 0;
    for (let i = 0; i < p.length; i++) {
      err += (p[i] - best[i]) ** 2;
      size += best[i] ** 2;
    }
    tf.dispose([eps, xt, pred]);
    const e = err / n;
    const b = size / n;
    return { t, "E ||eps_net - eps*||^2": e, "E ||eps*||^2": b, "relative error": e / b };
  });
  x0.dispose();
  return rows;
}

// ---------------------------------------------------------------------------------------------
// 6 · The bound against the data's entropy (A4)

/** The bound on the toy's negative log-likelihood beside the data's entropy. */
export interface BoundCheck {
  /** Mean over the test points of the variational bound on -log p_model(x) (nats). */
  bound: number;
  /** -E log p_data(x) over the same points: the smallest NLL any model can have. */
  entropy: number;
  /** bound - entropy >= KL(p_data || p_model) >= 0. */
  gap: number;
  points: number;
}

/** vlbTerms on n fresh points of the mixture (seeded), beside the mixture's exact entropy. */
export function boundCheck(net: TimeMLP, mix: Mixture, n: number, seed: number): BoundCheck {
  const x = sampleMixture(mix, n, new Rng(seed)).x;
  const v = vlbTerms(net, toyDiffusionSchedule(), x, new Rng(seed + 1));
  const entropy = -mean(mixtureLogDensity(mix, x));
  return { bound: v.total, entropy, gap: v.total - entropy, points: n };
}

// ---------------------------------------------------------------------------------------------
// 8 · Fewer sampling steps

/** One row of the sampling-cost table. */
export type StepsRow = {
  sampler: string;
  "network evaluations": number;
  "seconds (2,500 samples)": number;
  modes: number;
  "HQ fraction": number;
};

/** The model's PacGAN score and sampling time with DDIM at each step count, then ancestral. */
export function stepsRows(
  net: TimeMLP,
  mix: Mixture,
  steps: readonly number[],
  seed: number,
): StepsRow[] {
  const T = toyDiffusionSchedule().T;
  const one = (name: string, evals: number, o: Parameters<typeof scoreToyDiffusion>[3]) => {
    const t0 = Date.now();
    const c = scoreToyDiffusion(net, mix, seed, o);
    return {
      sampler: name,
      "network evaluations": evals,
      "seconds (2,500 samples)": (Date.now() - t0) / 1000,
      modes: c.modesCaptured,
      "HQ fraction": c.hqFraction,
    };
  };
  return [
    ...steps.map((k) => one(`DDIM, ${k} steps`, k, { sampler: "ddim", steps: k })),
    one(`ancestral, ${T} steps`, T, {}),
  ];
}

/** HQ fraction against the number of DDIM steps, the ancestral sampler as a line. */
export function stepsFigure(rows: readonly StepsRow[], title: string): Figure {
  const ddim = rows.filter((r) => r.sampler.startsWith("DDIM"));
  const anc = rows.find((r) => r.sampler.startsWith("ancestral"))!;
  return lineChart(
    [
      {
        name: "DDIM",
        x: ddim.map((r) => r["network evaluations"]),
        y: ddim.map((r) => r["HQ fraction"]),
      },
      {
        name: `ancestral (${anc["network evaluations"]} steps)`,
        x: [ddim[0]["network evaluations"], anc["network evaluations"]],
        y: [anc["HQ fraction"], anc["HQ fraction"]],
      },
    ],
    { title, xTitle: "network evaluations (log scale)", yTitle: "HQ fraction", logX: true },
  );
}

// ---------------------------------------------------------------------------------------------
// Tables

/** The diffusion rows of the mode-coverage table (same columns as notebook 04's). */
export function diffusionCoverageRows(runs: Record<string, ToyDiffusionRun[]>): Row[] {
  return Object.entries(runs).map(([d, rs]) => ({
    data: d,
    model: `DDPM (ours, ${rs.length} seeds)`,
    ...coverageRow(rs.map((r) => r.cov)),
  }));
}

/** The training set's own share of the small mode, for the same protocol. */
export function dataSmallModeShare(mix: Mixture, seed: number): number {
  const x = toyTrainingSet(mix, seed).subarray(0, 2 * PACGAN_SAMPLES);
  return smallModeShare(modeCoverage(x, mix));
}

/** B8's numbers: the small mode's share of the HQ samples per run, its data share, the losses. */
export interface SmallModeNumbers {
  shares: number[];
  meanShare: number;
  minShare: number;
  /** The training set's own share, by the same protocol (its first 2,500 points, seed 0). */
  dataShare: number;
  /** Runs without one HQ sample at the small mode. */
  lost: number;
}

export function smallModeNumbers(runs: readonly ToyDiffusionRun[], mix: Mixture): SmallModeNumbers {
  const shares = runs.map((r) => smallModeShare(r.cov));
  return {
    shares,
    meanShare: mean(shares),
    minShare: Math.min(...shares),
    dataShare: dataSmallModeShare(mix, 0),
    lost: runs.filter((r) => r.cov.hqCounts[2] === 0).length,
  };
}

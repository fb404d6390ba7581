import { test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { Rng } from "../lib/runtime/random";
import { countParams } from "../lib/runtime/nn";
import { twoMoons } from "../lib/data/toys";
import { grid2d } from "../lib/display/grid";
import {
  EXP_MAP,
  Flow,
  LogitPreprocess,
  bitsPerDim,
  changeOfVariables1D,
  checkerboardOrder,
  densityIntegral,
  flowDecode,
  flowEncode,
  flowLogProb,
  flowParamCount,
  flowSample,
  flowTrace,
  logAbsDet,
  logDetCheck,
  roundTripError,
  trainFlow,
  type FlowConfig,
} from "../lib/models/flow";

/**
 * A flow with every parameter drawn at random (the zero-initialised identity would make the checks
 * trivial).
 */
function randomFlow(config: FlowConfig, seed: number, std = 0.3): Flow {
  const f = new Flow(`t${seed}`, config, new Rng(seed));
  const rng = new Rng(seed + 1000);
  for (const v of Object.values(f.params()))
    v.assign(tf.tensor(rng.normalArray(v.size, 0, std), v.shape));
  return f;
}

const KINDS = ["additive", "affine"] as const;

test("x -> z -> x round trip below 1e-4 on data and on random inputs, both coupling kinds", async () => {
  await initBackend({ quiet: true });
  const moons = twoMoons(500, new Rng(1)).x;
  const wide = new Rng(2).normalArray(1000, 0, 2);
  for (const kind of KINDS) {
    const f2 = randomFlow({ dim: 2, couplings: 6, hidden: [16, 16], kind }, 3);
    assert.ok(roundTripError(f2, moons) < 1e-4, `${kind} moons: ${roundTripError(f2, moons)}`);
    assert.ok(roundTripError(f2, wide) < 1e-4, `${kind} random: ${roundTripError(f2, wide)}`);
    const f7 = randomFlow({ dim: 7, couplings: 4, hidden: [8], kind }, 4);
    const x7 = new Rng(5).normalArray(7 * 100);
    assert.ok(roundTripError(f7, x7) < 1e-4, `${kind} dim 7: ${roundTripError(f7, x7)}`);
    // and the other way: z -> x -> z
    const z = flowEncode(f7, flowDecode(f7, x7));
    assert.ok(z.every((v, i) => Math.abs(v - x7[i]) < 1e-4));
    Object.values(f2.params())
      .concat(Object.values(f7.params()))
      .forEach((v) => v.dispose());
  }
});

test("log|det J| from the layers matches the brute-force determinant of the autodiff Jacobian", async () => {
  await initBackend({ quiet: true });
  // logAbsDet itself, on a matrix with a known determinant (-6 -> log 6)
  assert.ok(Math.abs(logAbsDet(Float64Array.from([0, 2, 3, 1]), 2) - Math.log(6)) < 1e-12);
  for (const kind of KINDS) {
    const f = randomFlow({ dim: 5, couplings: 5, hidden: [12], kind }, 7, 0.5);
    const x = new Rng(8).normalArray(5 * 6);
    const c = logDetCheck(f, x);
    assert.ok(
      c.maxAbsError < 1e-3,
      `${kind}: max |error| ${c.maxAbsError} (layers ${Array.from(c.layers)}, brute ${Array.from(c.bruteForce)})`,
    );
    if (kind === "affine")
      assert.ok(
        c.layers.some((v) => Math.abs(v) > 0.1),
        "the affine flow should change volume",
      );
    else
      assert.ok(
        c.layers.every((v, i) => Math.abs(v - c.layers[0]) < 1e-5 + 0 * i),
        "NICE: log-det is the same constant everywhere",
      );
    Object.values(f.params()).forEach((v) => v.dispose());
  }
});

test("a 2-D flow density integrates to 1 +- 1% over a grid", async () => {
  await initBackend({ quiet: true });
  for (const kind of KINDS) {
    const f = randomFlow({ dim: 2, couplings: 4, hidden: [16], kind }, 11, 0.3);
    const g = grid2d({ x: [-9, 9], y: [-9, 9] }, 300);
    const total = densityIntegral(f, g.points, g.cellArea);
    assert.ok(Math.abs(total - 1) < 0.01, `${kind}: integral ${total}`);
    Object.values(f.params()).forEach((v) => v.dispose());
  }
});

test("1-D change of variables: the formula matches the histogram of pushed samples", () => {
  const r = changeOfVariables1D(EXP_MAP, 200000, new Rng(3), [0.05, 4], 40);
  const maxErr = Math.max(...r.formula.map((p, i) => Math.abs(p - r.histogram[i])));
  assert.ok(maxErr < 0.03, `max |histogram - formula| ${maxErr}`);
  // log-normal density at x = 1: N(0) / 1
  const i1 = r.centers.findIndex((c) => Math.abs(c - 1) < 0.06);
  assert.ok(
    Math.abs(
      r.formula[i1] -
        Math.exp(-0.5 * Math.log(r.centers[i1]) ** 2) / Math.sqrt(2 * Math.PI) / r.centers[i1],
    ) < 1e-9,
  );
});

test("parameter count formula, identity at init, temperature and trace", async () => {
  await initBackend({ quiet: true });
  for (const kind of KINDS) {
    const cfg: FlowConfig = { dim: 9, couplings: 3, hidden: [10, 6], kind };
    const f = new Flow("p", cfg, new Rng(1));
    assert.equal(flowParamCount(cfg), countParams(f.params()));
    const x = new Rng(2).normalArray(9 * 4);
    assert.ok(
      flowEncode(f, x).every((v, i) => v === x[i]),
      "a fresh flow is the identity",
    );
    const lp = flowLogProb(f, x);
    assert.ok(
      Math.abs(
        lp[0] - (-0.5 * x.slice(0, 9).reduce((s, v) => s + v * v, 0) - 4.5 * Math.log(2 * Math.PI)),
      ) < 1e-4,
    );
    const tr = flowTrace(f, x);
    assert.equal(tr.length, 1 + 3 + 1);
    const cold = flowSample(f, 2000, new Rng(3), 0.5);
    const sd = Math.sqrt(cold.reduce((s, v) => s + v * v, 0) / cold.length);
    assert.ok(Math.abs(sd - 0.5) < 0.02, `temperature 0.5 gives sd ${sd}`);
    Object.values(f.params()).forEach((v) => v.dispose());
  }
});

test("logit preprocessing: its log-det matches finite differences, decode inverts it, bits/dim of a known density", () => {
  const pre = new LogitPreprocess(1e-6);
  const v = [0, 17, 128, 255];
  const a = pre.encode(v, 4, "mid");
  // d logit(alpha + (1-2alpha) y)/dy by central differences at y = (v + 0.5)/256
  let fd = 0;
  for (const lv of v) {
    const y = (lv + 0.5) / 256,
      h = 1e-7;
    const g = (t: number) => {
      const p = 1e-6 + (1 - 2e-6) * t;
      return Math.log(p / (1 - p));
    };
    fd += Math.log((g(y + h) - g(y - h)) / (2 * h));
  }
  assert.ok(Math.abs(a.logdet[0] - fd) < 1e-4, `${a.logdet[0]} vs ${fd}`);
  const back = pre.decode(a.x, 4);
  back.forEach((y, j) => assert.ok(Math.abs(y - (v[j] + 0.5) / 256) < 1e-5));
  // a permutation is undone by decode
  const perm = new LogitPreprocess(1e-6, Int32Array.from([2, 0, 3, 1]));
  const b = perm.encode(v, 4, "mid");
  assert.equal(b.x[0], a.x[2]);
  perm.decode(b.x, 4).forEach((y, j) => assert.ok(Math.abs(y - (v[j] + 0.5) / 256) < 1e-5));
  assert.ok(Math.abs(b.logdet[0] - a.logdet[0]) < 1e-9);
  // uniform density on [0,1]^D (log p(y) = 0) is exactly 8 bits per dimension
  assert.ok(Math.abs(bitsPerDim([-a.logdet[0]], [a.logdet[0]], 4)[0] - 8) < 1e-12);
  const cb = checkerboardOrder(4, 4);
  assert.deepEqual(Array.from(cb.slice(0, 4)), [0, 2, 5, 7]);
  assert.equal(new Set(cb).size, 16);
});

test("training by maximum likelihood raises the log-likelihood of two moons", async () => {
  await initBackend({ quiet: true });
  const data = twoMoons(1000, new Rng(4)).x;
  const f = new Flow("m", { dim: 2, couplings: 4, hidden: [32, 32], kind: "affine" }, new Rng(5));
  const mean = (a: Float64Array) => a.reduce((s, v) => s + v, 0) / a.length;
  const before = mean(flowLogProb(f, data));
  const h = await trainFlow(
    f,
    data,
    { steps: 150, batchSize: 128, lr: 3e-3 },
    { seed: 6, quiet: true },
  );
  const after = mean(flowLogProb(f, data));
  assert.ok(after > before + 0.3, `log-likelihood ${before} -> ${after}`);
  assert.ok(h.rows.length > 0);
  Object.values(f.params()).forEach((v) => v.dispose());
});

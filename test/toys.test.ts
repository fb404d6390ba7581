import { test } from "node:test";
import assert from "node:assert/strict";
import {
  grid25,
  Mixture,
  mixtureLogDensity,
  PACGAN_GRID,
  PACGAN_RING,
  ring8,
  sampleMixture,
  swissRoll,
  twoMoons,
  unbalanced,
} from "../lib/data/toys";
import { Rng } from "../lib/runtime/random";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

test("ring8: 8 distinct angles 2*pi*k/8 on PacGAN's ring (radius 1, sigma 0.01)", () => {
  const m = ring8();
  assert.equal(m.means.length, 8);
  assert.equal(m.sigma, 0.01);
  assert.equal(PACGAN_RING.radius, 1);
  assert.deepEqual(m.weights, new Array(8).fill(1 / 8));
  const angles = m.means.map(([x, y]) => (Math.atan2(y, x) + 2 * Math.PI) % (2 * Math.PI));
  angles.forEach((a, k) =>
    close(a === 2 * Math.PI ? 0 : a, (2 * Math.PI * k) / 8, 1e-12, `angle ${k}`),
  );
  const rounded = new Set(angles.map((a) => a.toFixed(6)));
  assert.equal(rounded.size, 8, "no repeated angle (not linspace with the endpoint)");
  m.means.forEach(([x, y]) => close(Math.hypot(x, y), 1, 1e-12, "radius"));
  assert.deepEqual(m.means[0], [1, 0]);
  const v = ring8({ radius: 2, sigma: 0.02 });
  close(Math.hypot(...v.means[3]), 2, 1e-12, "custom radius");
  assert.equal(v.sigma, 0.02);
  assert.throws(() => ring8({ sigma: 0 }), /sigma must be a positive/);
  assert.throws(() => ring8({ modes: 0 }), /modes must be a positive integer/);
});

test("grid25: means are exactly {-4,-2,0,2,4}^2, sigma 0.05", () => {
  const m = grid25();
  assert.equal(m.sigma, 0.05);
  assert.equal(PACGAN_GRID.sigma, 0.05);
  const want: string[] = [];
  for (const i of [-4, -2, 0, 2, 4]) for (const j of [-4, -2, 0, 2, 4]) want.push(`${i},${j}`);
  assert.deepEqual(m.means.map(([x, y]) => `${x},${y}`).sort(), want.sort());
  assert.equal(new Set(m.means.map(([x, y]) => `${x},${y}`)).size, 25);
  assert.deepEqual(m.weights, new Array(25).fill(1 / 25));
});

test("unbalanced: one mode at 10%", () => {
  const m = unbalanced();
  assert.deepEqual(
    m.weights.map((w) => +w.toFixed(12)),
    [0.45, 0.45, 0.1],
  );
  m.means.forEach(([x, y]) => close(Math.hypot(x, y), 2, 1e-12, "radius"));
  close(m.means[2][0], 0, 1e-12, "rare mode x");
  close(m.means[2][1], 2, 1e-12, "rare mode y");
  const s = sampleMixture(m, 20000, new Rng(3));
  const frac = s.labels.filter((l) => l === 2).length / 20000;
  close(frac, 0.1, 0.01, "share of the rare mode");
  assert.deepEqual(
    unbalanced({ smallWeight: 0.05 }).weights.map((w) => +w.toFixed(12)),
    [0.475, 0.475, 0.05],
  );
  assert.throws(() => unbalanced({ smallWeight: 1 }), /smallWeight must be in \(0, 1\)/);
});

/** Per-component sample mean and std (pooled over both coordinates) and frequency. */
function stats(mix: Mixture, n: number, seed: number) {
  const { x, labels } = sampleMixture(mix, n, new Rng(seed));
  return mix.means.map((mu, k) => {
    let c = 0;
    let sx = 0;
    let sy = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      if (labels[i] !== k) continue;
      c++;
      sx += x[2 * i];
      sy += x[2 * i + 1];
      ss += (x[2 * i] - mu[0]) ** 2 + (x[2 * i + 1] - mu[1]) ** 2;
    }
    return { freq: c / n, mean: [sx / c, sy / c], std: Math.sqrt(ss / (2 * c)), c };
  });
}

test("samples match the definition: frequencies, means, std", () => {
  for (const mix of [ring8(), grid25()]) {
    const n = 50000;
    const st = stats(mix, n, 7);
    const w = 1 / mix.means.length;
    st.forEach((s, k) => {
      close(s.freq, w, 5 * Math.sqrt((w * (1 - w)) / n), `${mix.name} frequency of ${k}`);
      close(
        s.mean[0],
        mix.means[k][0],
        (5 * mix.sigma) / Math.sqrt(s.c),
        `${mix.name} mean x of ${k}`,
      );
      close(
        s.mean[1],
        mix.means[k][1],
        (5 * mix.sigma) / Math.sqrt(s.c),
        `${mix.name} mean y of ${k}`,
      );
      close(s.std, mix.sigma, 0.06 * mix.sigma, `${mix.name} std of ${k}`);
    });
  }
});

test("same seed same samples, different seed different", () => {
  const m = grid25();
  const a = sampleMixture(m, 500, new Rng(1));
  const b = sampleMixture(m, 500, new Rng(1));
  const c = sampleMixture(m, 500, new Rng(2));
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.labels, b.labels);
  assert.notDeepEqual(a.x, c.x);
  assert.equal(a.x.length, 1000);
  assert.ok(a.x instanceof Float32Array && a.labels instanceof Int32Array);
  const ma = twoMoons(300, new Rng(4), 0.1);
  assert.deepEqual(twoMoons(300, new Rng(4), 0.1).x, ma.x);
  assert.notDeepEqual(twoMoons(300, new Rng(5), 0.1).x, ma.x);
  const sa = swissRoll(300, new Rng(4));
  assert.deepEqual(swissRoll(300, new Rng(4)).x, sa.x);
  assert.notDeepEqual(swissRoll(300, new Rng(5)).x, sa.x);
});

test("mixtureLogDensity integrates to 1 and has the right peak", () => {
  const mix: Mixture = {
    name: "two",
    means: [
      [-1, 0],
      [1, 0.5],
    ],
    sigma: 0.3,
    weights: [3, 7],
  };
  const h = 0.02;
  const pts: number[] = [];
  for (let x = -4 + h / 2; x < 4; x += h)
    for (let y = -3.5 + h / 2; y < 4.5; y += h) pts.push(x, y);
  const lp = mixtureLogDensity(mix, pts);
  assert.equal(lp.length, pts.length / 2);
  let integral = 0;
  for (const v of lp) integral += Math.exp(v) * h * h;
  close(integral, 1, 1e-3, "integral over [-4,4]x[-3.5,4.5]");

  // one component: the log density at the mean is -log(2 pi sigma^2)
  const one: Mixture = { name: "one", means: [[2, -1]], sigma: 0.5, weights: [1] };
  const [atMean, far] = mixtureLogDensity(one, [2, -1, 1002, -1]);
  close(atMean, -Math.log(2 * Math.PI * 0.25), 1e-12, "peak");
  // far away: exact -|d|^2/(2 sigma^2) + norm, no underflow to -Infinity
  close(far, -Math.log(2 * Math.PI * 0.25) - 1000 ** 2 / (2 * 0.25), 1e-6, "far tail");
  // weights are normalised: 3:7 is 0.3/0.7
  const lpMix = mixtureLogDensity(mix, [-1, 0])[0];
  const direct = Math.log(
    0.3 / (2 * Math.PI * 0.09) + (0.7 / (2 * Math.PI * 0.09)) * Math.exp(-(4 + 0.25) / (2 * 0.09)),
  );
  close(lpMix, direct, 1e-12, "two-component value");
});

test("mixture functions reject bad input", () => {
  const m = ring8();
  assert.throws(() => mixtureLogDensity(m, [1, 2, 3]), /3 values, expected an even count/);
  assert.throws(
    () => sampleMixture({ ...m, weights: [1, 2] }, 10, new Rng(1)),
    /2 weights for 8 means/,
  );
  assert.throws(
    () =>
      sampleMixture({ ...m, weights: m.weights.map((w, i) => (i === 0 ? -w : w)) }, 10, new Rng(1)),
    /weight -0.125 is not a non-negative/,
  );
  assert.throws(
    () => sampleMixture({ ...m, weights: new Array(8).fill(0) }, 10, new Rng(1)),
    /weights sum to 0/,
  );
  assert.throws(
    () => sampleMixture({ ...m, sigma: -1 }, 10, new Rng(1)),
    /sigma must be a positive/,
  );
  assert.throws(
    () => sampleMixture({ ...m, means: [] as [number, number][], weights: [] }, 10, new Rng(1)),
    /has no components/,
  );
  assert.throws(
    () => sampleMixture(m, 2.5, new Rng(1)),
    /n must be a non-negative integer, got 2.5/,
  );
  assert.throws(() => twoMoons(-1, new Rng(1)), /twoMoons: n must be/);
  assert.throws(() => twoMoons(10, new Rng(1), -0.1), /noise must be >= 0/);
  assert.throws(
    () => swissRoll(10, new Rng(1), 0.1, { segments: 0 }),
    /segments must be a positive integer/,
  );
});

test("twoMoons: noiseless points lie on the two half circles", () => {
  const n = 401;
  const { x, labels } = twoMoons(n, new Rng(9), 0);
  assert.equal(x.length, 2 * n);
  assert.equal(labels.filter((l) => l === 0).length, 200);
  assert.equal(labels.filter((l) => l === 1).length, 201);
  for (let i = 0; i < n; i++) {
    const px = x[2 * i];
    const py = x[2 * i + 1];
    if (labels[i] === 0) {
      close(Math.hypot(px, py), 1, 1e-6, "outer moon radius");
      assert.ok(py >= -1e-6);
    } else {
      close(Math.hypot(px - 1, py - 0.5), 1, 1e-6, "inner moon radius");
      assert.ok(py <= 0.5 + 1e-6);
    }
  }
  assert.notDeepEqual(
    Array.from(labels.subarray(0, 20)),
    new Array(20).fill(0),
    "labels are mixed, not grouped",
  );
});

test("swissRoll: noiseless points at distance scale*t, t in [1.5pi, 4.5pi], segment labels", () => {
  const { x, labels, t } = swissRoll(1000, new Rng(2), 0);
  for (let i = 0; i < 1000; i++) {
    assert.ok(t[i] >= 1.5 * Math.PI - 1e-5 && t[i] <= 4.5 * Math.PI + 1e-5);
    close(Math.hypot(x[2 * i], x[2 * i + 1]), 0.2 * t[i], 1e-4, "distance from the centre");
    assert.equal(labels[i], Math.min(3, Math.floor(((t[i] / (1.5 * Math.PI) - 1) / 2) * 4 + 1e-9)));
    assert.ok(Math.abs(x[2 * i]) < 3 && Math.abs(x[2 * i + 1]) < 3);
  }
  assert.equal(new Set(labels).size, 4);
});

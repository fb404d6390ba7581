import { test } from "node:test";
import assert from "node:assert/strict";
import { boundsOf, grid2d } from "../lib/display/grid";

test("grid2d: axes, row-major layout with y outer and x inner, cell area", () => {
  const g = grid2d({ x: [0, 2], y: [10, 13] }, 3, 4);
  assert.deepEqual(g.xs, [0, 1, 2]);
  assert.deepEqual(g.ys, [10, 11, 12, 13]);
  assert.equal(g.points.length, 3 * 4 * 2);
  assert.deepEqual(
    Array.from(g.points),
    [0, 10, 1, 10, 2, 10, 0, 11, 1, 11, 2, 11, 0, 12, 1, 12, 2, 12, 0, 13, 1, 13, 2, 13],
  );
  assert.equal(g.cellArea, 1);
  // Point k = i * nx + j sits at (xs[j], ys[i]).
  const h = grid2d({ x: [-1, 1], y: [-3, 5] }, 5, 9);
  for (let i = 0; i < 9; i++) {
    for (let j = 0; j < 5; j++) {
      const k = i * 5 + j;
      assert.equal(h.points[2 * k], Math.fround(h.xs[j]));
      assert.equal(h.points[2 * k + 1], Math.fround(h.ys[i]));
    }
  }
  assert.equal(h.xs[0], -1);
  assert.equal(h.xs[4], 1);
  assert.equal(h.ys[8], 5);
  assert.equal(h.cellArea, (2 / 4) * (8 / 8));
  // ny defaults to nx.
  const sq = grid2d({ x: [0, 1], y: [0, 1] }, 11);
  assert.equal(sq.ys.length, 11);
  assert.ok(Math.abs(sq.cellArea - 0.01) < 1e-15);
});

/** Density of a correlated 2-D Gaussian. */
function gauss2(mx: number, my: number, sx: number, sy: number, rho: number) {
  const norm = 1 / (2 * Math.PI * sx * sy * Math.sqrt(1 - rho * rho));
  return (x: number, y: number) => {
    const u = (x - mx) / sx;
    const v = (y - my) / sy;
    return norm * Math.exp(-(u * u - 2 * rho * u * v + v * v) / (2 * (1 - rho * rho)));
  };
}

test("a Riemann sum over grid2d integrates a 2-D Gaussian density to 1 and recovers its mean", () => {
  const [mx, my, sx, sy, rho] = [0.5, -0.3, 1, 0.7, 0.4];
  const p = gauss2(mx, my, sx, sy, rho);
  const g = grid2d({ x: [mx - 8 * sx, mx + 8 * sx], y: [my - 8 * sy, my + 8 * sy] }, 241, 201);
  let mass = 0,
    ex = 0,
    ey = 0,
    exy = 0;
  for (let k = 0; k < g.points.length / 2; k++) {
    // Coordinates from the float64 axes (the float32 points differ by ~1e-7).
    const x = g.xs[k % g.xs.length];
    const y = g.ys[Math.floor(k / g.xs.length)];
    const w = p(x, y) * g.cellArea;
    mass += w;
    ex += w * x;
    ey += w * y;
    exy += w * (x - mx) * (y - my);
  }
  assert.ok(Math.abs(mass - 1) < 1e-3, `mass ${mass}`);
  assert.ok(Math.abs(ex - mx) < 1e-3, `E[x] ${ex}`);
  assert.ok(Math.abs(ey - my) < 1e-3, `E[y] ${ey}`);
  assert.ok(Math.abs(exy - rho * sx * sy) < 1e-3, `Cov ${exy}`);
  // The float32 points give the same answer to float32 accuracy.
  let mass32 = 0;
  for (let k = 0; k < g.points.length / 2; k++)
    mass32 += p(g.points[2 * k], g.points[2 * k + 1]) * g.cellArea;
  assert.ok(Math.abs(mass32 - 1) < 1e-3, `mass from float32 points ${mass32}`);
  // A grid that cuts the density off at one sigma in x misses what it should: P(|x - mx| < sx) =
  // 0.6827.
  const cut = grid2d({ x: [mx - sx, mx + sx], y: [my - 8 * sy, my + 8 * sy] }, 401, 201);
  let part = 0;
  for (let k = 0; k < cut.points.length / 2; k++)
    part += p(cut.xs[k % 401], cut.ys[Math.floor(k / 401)]) * cut.cellArea;
  // The sum counts the two edge columns as whole cells instead of halves: it adds about
  // 2 * (h / 2) * phi(1) / sx with h = 2 sx / 400 the column width and phi(1) = 0.24197.
  const expected = 0.682689 + ((2 * sx) / 400) * 0.241971;
  assert.ok(Math.abs(part - expected) < 2e-5, `one-sigma strip ${part}, expected ${expected}`);
});

test("grid2d refuses too few, fractional or empty axes with the values in the message", () => {
  const b = { x: [0, 1] as [number, number], y: [0, 1] as [number, number] };
  assert.throws(() => grid2d(b, 1), /at least 2 points per axis, got 1 x 1/);
  assert.throws(() => grid2d(b, 10, 1), /got 10 x 1/);
  assert.throws(() => grid2d(b, 10.5), /got 10.5 x 10.5/);
  assert.throws(() => grid2d(b, NaN), /got NaN x NaN/);
  assert.throws(
    () => grid2d({ x: [1, 0], y: [0, 1] }, 5),
    /bounds\.x must be finite with lo < hi, got \[1, 0\]/,
  );
  assert.throws(
    () => grid2d({ x: [0, 1], y: [2, 2] }, 5),
    /bounds\.y must be finite with lo < hi, got \[2, 2\]/,
  );
  assert.throws(
    () => grid2d({ x: [0, Infinity], y: [0, 1] }, 5),
    /bounds\.x .* got \[0, Infinity\]/,
  );
});

test("boundsOf: the enclosing box widened by margin times the range on each side", () => {
  const pts = new Float32Array([1, -2, 3, 4, -1, 0]);
  assert.deepEqual(boundsOf(pts, 0), { x: [-1, 3], y: [-2, 4] });
  const b = boundsOf(pts); // margin 0.1: x range 4 -> 0.4, y range 6 -> 0.6
  assert.ok(Math.abs(b.x[0] - -1.4) < 1e-12 && Math.abs(b.x[1] - 3.4) < 1e-12, JSON.stringify(b));
  assert.ok(Math.abs(b.y[0] - -2.6) < 1e-12 && Math.abs(b.y[1] - 4.6) < 1e-12, JSON.stringify(b));
  assert.deepEqual(
    boundsOf([2, 5, 2, 5], 0.5),
    { x: [1.5, 2.5], y: [4.5, 5.5] },
    "a zero range widens by margin * 1",
  );
  assert.deepEqual(boundsOf([0, 0, 10, 20], 0.25), { x: [-2.5, 12.5], y: [-5, 25] });
  // What boundsOf returns, grid2d accepts (the way the notebooks use them together).
  const g = grid2d(boundsOf(pts), 7);
  assert.equal(g.xs[0], b.x[0]);
  assert.equal(g.ys[6], b.y[1]);
});

test("boundsOf refuses an empty set, half a point, non-finite values and a bad margin", () => {
  assert.throws(() => boundsOf([]), /boundsOf: no points/);
  assert.throws(
    () => boundsOf([1, 2, 3]),
    /3 values is not a whole number of interleaved \(x, y\) points/,
  );
  assert.throws(() => boundsOf([0, 0, 1, NaN, 2, 2]), /point 1 is \(1, NaN\), not finite/);
  assert.throws(() => boundsOf([0, 0, Infinity, 1]), /point 1 is \(Infinity, 1\)/);
  assert.throws(() => boundsOf([0, 0], -0.1), /margin must be a finite number >= 0, got -0.1/);
});

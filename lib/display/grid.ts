/**
 * Regular 2-D grids for pictures and integrals over the plane: decision boundaries, densities,
 * discriminator outputs. One home for "evaluate f on a grid".
 */

export interface Grid2D {
  /** Coordinates along x (nx values) and y (ny values). */
  xs: number[];
  ys: number[];
  /** Points row by row (y outer, x inner), interleaved: [x0, y0, x1, y0, ...], nx*ny*2 values. */
  points: Float32Array;
  /** Area of one cell (for Riemann sums). */
  cellArea: number;
}

export function grid2d(
  bounds: { x: [number, number]; y: [number, number] },
  nx: number,
  ny = nx,
): Grid2D {
  if (!(Number.isInteger(nx) && Number.isInteger(ny) && nx >= 2 && ny >= 2)) {
    throw new Error(`grid2d needs a whole number of at least 2 points per axis, got ${nx} x ${ny}`);
  }
  for (const axis of ["x", "y"] as const) {
    const [lo, hi] = bounds[axis];
    if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo < hi))
      throw new Error(`grid2d: bounds.${axis} must be finite with lo < hi, got [${lo}, ${hi}]`);
  }
  const lin = (lo: number, hi: number, n: number) =>
    Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / (n - 1));
  const xs = lin(bounds.x[0], bounds.x[1], nx);
  const ys = lin(bounds.y[0], bounds.y[1], ny);
  const points = new Float32Array(nx * ny * 2);
  for (let i = 0; i < ny; i++) {
    for (let j = 0; j < nx; j++) {
      points[2 * (i * nx + j)] = xs[j];
      points[2 * (i * nx + j) + 1] = ys[i];
    }
  }
  const cellArea =
    ((bounds.x[1] - bounds.x[0]) / (nx - 1)) * ((bounds.y[1] - bounds.y[0]) / (ny - 1));
  return { xs, ys, points, cellArea };
}

/** Bounds enclosing interleaved 2-D points, widened by `margin` times the range on each side. */
export function boundsOf(
  points: ArrayLike<number>,
  margin = 0.1,
): { x: [number, number]; y: [number, number] } {
  if (points.length % 2 !== 0)
    throw new Error(
      `boundsOf: ${points.length} values is not a whole number of interleaved (x, y) points`,
    );
  if (!(margin >= 0 && Number.isFinite(margin)))
    throw new Error(`boundsOf: margin must be a finite number >= 0, got ${margin}`);
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  for (let i = 0; i + 1 < points.length; i += 2) {
    if (!Number.isFinite(points[i]) || !Number.isFinite(points[i + 1])) {
      throw new Error(`boundsOf: point ${i / 2} is (${points[i]}, ${points[i + 1]}), not finite`);
    }
    x0 = Math.min(x0, points[i]);
    x1 = Math.max(x1, points[i]);
    y0 = Math.min(y0, points[i + 1]);
    y1 = Math.max(y1, points[i + 1]);
  }
  if (!Number.isFinite(x0)) throw new Error("boundsOf: no points");
  const mx = (x1 - x0 || 1) * margin,
    my = (y1 - y0 || 1) * margin;
  return { x: [x0 - mx, x1 + mx], y: [y0 - my, y1 + my] };
}

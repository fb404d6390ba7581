import { test } from "node:test";
import assert from "node:assert/strict";
import { toFloat } from "../lib/data/batch";
import { loadMnist } from "../lib/data/mnist";
import { gaussianBlur, rotateImages, shiftImages } from "../lib/eval/images";
import { laplacianVariance, meanGradientMagnitude, sharpness } from "../lib/eval/sharpness";

const close = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b} (tol ${tol})`);

function impulse(h: number, w: number, y: number, x: number): Float32Array {
  const a = new Float32Array(h * w);
  a[y * w + x] = 1;
  return a;
}

test("shift and rotate move pixels where expected; four quarter turns are the identity", () => {
  const img = impulse(5, 5, 1, 3);
  const sh = shiftImages(img, 5, 5, [2], [-1]);
  assert.equal(sh[3 * 5 + 2], 1);
  assert.equal(
    sh.reduce((a, b) => a + b, 0),
    1,
  );
  assert.equal(
    shiftImages(img, 5, 5, [0], [2]).reduce((a, b) => a + b, 0),
    0,
    "shifted out of the frame",
  );
  // 90 degrees counter-clockwise as displayed: (row 1, col 3) -> (row 1, col 1).
  const r = rotateImages(img, 5, 5, 90);
  assert.equal(r[1 * 5 + 1], 1);
  assert.equal(
    r.reduce((a, b) => a + b, 0),
    1,
  );
  const digits = toFloat(loadMnist().test).subarray(0, 3 * 784);
  let back: Float32Array = Float32Array.from(digits);
  for (let i = 0; i < 4; i++) back = rotateImages(back, 28, 28, 90);
  for (let i = 0; i < back.length; i++) close(back[i], digits[i], 1e-6, `pixel ${i}`);
  assert.notDeepEqual(Array.from(rotateImages(digits, 28, 28, 180)), Array.from(digits));
});

test("Gaussian blur keeps the mass of an interior impulse and spreads it symmetrically", () => {
  const b = gaussianBlur(impulse(15, 15, 7, 7), 15, 15, 1.5);
  close(
    b.reduce((a, v) => a + v, 0),
    1,
    1e-6,
    "mass",
  );
  close(b[7 * 15 + 5], b[7 * 15 + 9], 1e-7, "left/right symmetry");
  close(b[5 * 15 + 7], b[7 * 15 + 5], 1e-7, "x/y symmetry");
  assert.ok(b[7 * 15 + 7] < 0.2);
});

test("sharpness: exact values on a constant image and on an impulse", () => {
  assert.equal(laplacianVariance(new Float32Array(25).fill(0.7), 5, 5)[0], 0);
  assert.equal(meanGradientMagnitude(new Float32Array(25).fill(0.7), 5, 5)[0], 0);
  // Impulse at the centre of 5x5: the interior Laplacian is -4 at the centre, 1 at its 4
  // neighbours, 0 at 4 corners:
  // mean 0, variance (16 + 4) / 9.
  close(
    laplacianVariance(impulse(5, 5, 2, 2), 5, 5)[0],
    20 / 9,
    1e-12,
    "Laplacian variance of an impulse",
  );
  // Forward differences over the 4x4 top-left pixels: at (2,2) |(-1,-1)| = sqrt2, at (2,1) and
  // (1,2) 1 each; mean over 16.
  close(
    meanGradientMagnitude(impulse(5, 5, 2, 2), 5, 5)[0],
    (Math.SQRT2 + 2) / 16,
    1e-12,
    "gradient magnitude of an impulse",
  );
});

test("sharpness: real digits are sharper than the same digits blurred, more blur is blurrier", () => {
  const x = toFloat(loadMnist().test).subarray(0, 200 * 784);
  const real = sharpness(x, 28, 28);
  const b1 = sharpness(gaussianBlur(x, 28, 28, 1), 28, 28);
  const b2 = sharpness(gaussianBlur(x, 28, 28, 2), 28, 28);
  assert.ok(
    real.laplacianVar > 2 * b1.laplacianVar && b1.laplacianVar > b2.laplacianVar,
    JSON.stringify({ real, b1, b2 }),
  );
  assert.ok(real.gradMag > b1.gradMag && b1.gradMag > b2.gradMag, JSON.stringify({ real, b1, b2 }));
});

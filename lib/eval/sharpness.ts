/**
 * Sharpness of images, per image, on the pixel scale of the input (use floats in [0, 1]):
 * - variance of the Laplacian (4-neighbour kernel [0 1 0; 1 -4 1; 0 1 0], interior pixels): large
 *   for crisp strokes, small for blurry ones (Pech-Pacheco et al. 2000);
 * - mean gradient magnitude sqrt(dx^2 + dy^2) with forward differences over the interior.
 * Reference points: real digits and the same digits blurred (./images.ts gaussianBlur).
 */
import { imageCount } from "./images";

/** Variance of the Laplacian of each image, over its (h-2) x (w-2) interior. */
export function laplacianVariance(images: ArrayLike<number>, h: number, w: number): Float64Array {
  const n = imageCount(images, h, w, "laplacianVariance");
  if (h < 3 || w < 3)
    throw new Error(`laplacianVariance: images must be at least 3x3, got ${h}x${w}`);
  const out = new Float64Array(n);
  const m = (h - 2) * (w - 2);
  for (let k = 0; k < n; k++) {
    const o = k * h * w;
    let s = 0;
    let s2 = 0;
    for (let y = 1; y < h - 1; y++) {
      for (let x = 1; x < w - 1; x++) {
        const i = o + y * w + x;
        const l = images[i - w] + images[i + w] + images[i - 1] + images[i + 1] - 4 * images[i];
        s += l;
        s2 += l * l;
      }
    }
    const mean = s / m;
    out[k] = Math.max(0, s2 / m - mean * mean);
  }
  return out;
}

/**
 * Mean gradient magnitude of each image (forward differences over the (h-1) x (w-1) pixels that
 * have both).
 */
export function meanGradientMagnitude(
  images: ArrayLike<number>,
  h: number,
  w: number,
): Float64Array {
  const n = imageCount(images, h, w, "meanGradientMagnitude");
  if (h < 2 || w < 2)
    throw new Error(`meanGradientMagnitude: images must be at least 2x2, got ${h}x${w}`);
  const out = new Float64Array(n);
  const m = (h - 1) * (w - 1);
  for (let k = 0; k < n; k++) {
    const o = k * h * w;
    let s = 0;
    for (let y = 0; y < h - 1; y++) {
      for (let x = 0; x < w - 1; x++) {
        const i = o + y * w + x;
        s += Math.hypot(images[i + 1] - images[i], images[i + w] - images[i]);
      }
    }
    out[k] = s / m;
  }
  return out;
}

/** Both measures averaged over a set of images. */
export function sharpness(
  images: ArrayLike<number>,
  h: number,
  w: number,
): { laplacianVar: number; gradMag: number } {
  const mean = (a: Float64Array) => a.reduce((x, y) => x + y, 0) / a.length;
  return {
    laplacianVar: mean(laplacianVariance(images, h, w)),
    gradMag: mean(meanGradientMagnitude(images, h, w)),
  };
}

/**
 * Image transforms on stacks of grayscale images (n x h x w, row-major, floats or uint8 0..255;
 * the output is always floats, in the input's scale): Gaussian blur (the blurred reference of the
 * sharpness measure), integer shifts (data augmentation of the MNIST classifier) and rotation
 * (out-of-distribution digits). Pixels shifted or rotated in from outside are 0.
 */
import { Rng } from "../runtime/random";

function imageCount(images: ArrayLike<number>, h: number, w: number, who: string): number {
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0))
    throw new Error(`${who}: h and w must be positive integers, got ${h} x ${w}`);
  if (images.length % (h * w) !== 0)
    throw new Error(`${who}: ${images.length} values is not a whole number of ${h}x${w} images`);
  return images.length / (h * w);
}

/** Normalised 1-D Gaussian kernel of radius ceil(3 sigma). */
function gaussianKernel(sigma: number): Float64Array {
  const r = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * r + 1);
  let s = 0;
  for (let i = -r; i <= r; i++) s += k[i + r] = Math.exp((-i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= s;
  return k;
}

/** Separable Gaussian blur with standard deviation `sigma` pixels (zero padding). */
export function gaussianBlur(
  images: ArrayLike<number>,
  h: number,
  w: number,
  sigma: number,
): Float32Array {
  const n = imageCount(images, h, w, "gaussianBlur");
  if (!(sigma > 0)) throw new Error(`gaussianBlur: sigma must be positive, got ${sigma}`);
  const k = gaussianKernel(sigma);
  const r = (k.length - 1) / 2;
  const out = new Float32Array(images.length);
  const tmp = new Float64Array(h * w);
  for (let m = 0; m < n; m++) {
    const o = m * h * w;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let t = -r; t <= r; t++) {
          const xx = x + t;
          if (xx >= 0 && xx < w) s += k[t + r] * images[o + y * w + xx];
        }
        tmp[y * w + x] = s;
      }
    }
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        let s = 0;
        for (let t = -r; t <= r; t++) {
          const yy = y + t;
          if (yy >= 0 && yy < h) s += k[t + r] * tmp[yy * w + x];
        }
        out[o + y * w + x] = s;
      }
    }
  }
  return out;
}

/** Each image shifted by (dy[i], dx[i]) whole pixels (positive = down / right). */
export function shiftImages(
  images: ArrayLike<number>,
  h: number,
  w: number,
  dy: ArrayLike<number>,
  dx: ArrayLike<number>,
): Float32Array {
  const n = imageCount(images, h, w, "shiftImages");
  if (dy.length !== n || dx.length !== n)
    throw new Error(`shiftImages: ${n} images but ${dy.length} / ${dx.length} shifts`);
  const out = new Float32Array(images.length);
  for (let m = 0; m < n; m++) {
    const o = m * h * w;
    for (let y = 0; y < h; y++) {
      const sy = y - dy[m];
      if (sy < 0 || sy >= h) continue;
      for (let x = 0; x < w; x++) {
        const sx = x - dx[m];
        if (sx >= 0 && sx < w) out[o + y * w + x] = images[o + sy * w + sx];
      }
    }
  }
  return out;
}

/**
 * Random integer shifts in -maxShift..maxShift along each axis, drawn from `rng` (augmentation).
 */
export function randomShifts(
  images: ArrayLike<number>,
  h: number,
  w: number,
  maxShift: number,
  rng: Rng,
): Float32Array {
  const n = imageCount(images, h, w, "randomShifts");
  const dy = new Int32Array(n);
  const dx = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    dy[i] = rng.int(2 * maxShift + 1) - maxShift;
    dx[i] = rng.int(2 * maxShift + 1) - maxShift;
  }
  return shiftImages(images, h, w, dy, dx);
}

/**
 * Each image rotated by `degrees` (counter-clockwise as displayed, rows going down) about its
 * centre, bilinear interpolation. Multiples of 90 degrees are exact permutations of pixels for
 * square images.
 */
export function rotateImages(
  images: ArrayLike<number>,
  h: number,
  w: number,
  degrees: number,
): Float32Array {
  const n = imageCount(images, h, w, "rotateImages");
  const th = (degrees * Math.PI) / 180;
  let c = Math.cos(th);
  let s = Math.sin(th);
  if (Math.abs(c) < 1e-12) c = 0;
  if (Math.abs(s) < 1e-12) s = 0;
  if (Math.abs(Math.abs(c) - 1) < 1e-12) c = Math.sign(c);
  if (Math.abs(Math.abs(s) - 1) < 1e-12) s = Math.sign(s);
  const cy = (h - 1) / 2;
  const cx = (w - 1) / 2;
  const out = new Float32Array(images.length);
  for (let m = 0; m < n; m++) {
    const o = m * h * w;
    const at = (yy: number, xx: number) =>
      yy >= 0 && yy < h && xx >= 0 && xx < w ? images[o + yy * w + xx] : 0;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        // Inverse map: source = R(-theta) (target - centre) + centre, with y pointing down.
        const u = x - cx;
        const v = cy - y;
        const su = c * u + s * v;
        const sv = -s * u + c * v;
        const fx = su + cx;
        const fy = cy - sv;
        const x0 = Math.floor(fx);
        const y0 = Math.floor(fy);
        const ax = fx - x0;
        const ay = fy - y0;
        out[o + y * w + x] =
          (1 - ay) * ((1 - ax) * at(y0, x0) + ax * at(y0, x0 + 1)) +
          ay * ((1 - ax) * at(y0 + 1, x0) + ax * at(y0 + 1, x0 + 1));
      }
    }
  }
  return out;
}

export { imageCount };

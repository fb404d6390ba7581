/**
 * A minimal PNG encoder (8-bit grayscale, RGB or RGBA; no dependencies beyond zlib) and a helper
 * that tiles many small grayscale images into one canvas. Used by lib/display/plot.ts for image
 * grids.
 */
import * as zlib from "zlib";

/** Number of channels per pixel: 1 = grayscale, 3 = RGB, 4 = RGBA. */
export type PngChannels = 1 | 3 | 4;

/** A grayscale canvas: `pixels[y * width + x]` in 0..255. */
export interface GrayCanvas {
  pixels: Uint8Array;
  width: number;
  height: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let crcTable: Uint32Array | undefined;

function getCrcTable(): Uint32Array {
  if (crcTable) return crcTable;
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  crcTable = table;
  return table;
}

/** CRC-32 (ISO 3309 / PNG) of `bytes`, as an unsigned 32-bit number. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  const table = getCrcTable();
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = table[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "ascii");
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8);
  // The CRC covers the chunk type and the data, not the length.
  out.writeUInt32BE(crc32(out, 4, 8 + data.length), 8 + data.length);
  return out;
}

function checkDimension(name: string, v: number): void {
  if (!Number.isInteger(v) || v <= 0 || v > 0x7fffffff)
    throw new Error(`encodePng: ${name} must be a positive integer, got ${v}`);
}

/**
 * Encodes 8-bit pixels (row-major, channels interleaved) as a PNG file.
 * `channels` 1 = grayscale, 3 = RGB, 4 = RGBA.
 */
export function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  channels: PngChannels,
): Buffer {
  checkDimension("width", width);
  checkDimension("height", height);
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new Error(`encodePng: channels must be 1, 3 or 4, got ${channels}`);
  const rowBytes = width * channels;
  if (pixels.length !== rowBytes * height) {
    throw new Error(
      `encodePng: expected ${rowBytes * height} bytes for ${width}x${height}x${channels}, got ${pixels.length}`,
    );
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6; // colour type: gray, RGB, RGBA
  ihdr[10] = 0; // compression: deflate
  ihdr[11] = 0; // filter method 0
  ihdr[12] = 0; // no interlace
  // Each scanline starts with its filter type; 0 (None) keeps the encoder trivial and exact.
  const raw = Buffer.alloc((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) {
    const o = y * (rowBytes + 1);
    raw[o] = 0;
    raw.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), o + 1);
  }
  const idat = zlib.deflateSync(raw, { level: 9 });
  return Buffer.concat([
    PNG_SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/** `data:image/png;base64,...` for a PNG buffer. */
export function pngDataUrl(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString("base64")}`;
}

/** Converts one pixel value to 0..255: Uint8 inputs as they are, floats mapped from `range`. */
function toByte(v: number, isBytes: boolean, lo: number, span: number): number {
  if (isBytes) return v;
  if (!Number.isFinite(v)) return 0;
  const b = Math.round(((v - lo) / span) * 255);
  return b < 0 ? 0 : b > 255 ? 255 : b;
}

/**
 * Tiles `n` grayscale images of `h` x `w` (row-major, concatenated) into one canvas with `cols`
 * columns and `pad` pixels of `padValue` between and around them.
 * Uint8Array / Uint8ClampedArray inputs are taken as 0..255; anything else as floats in
 * `range` (default [0, 1]; use [-1, 1] for tanh outputs), clamped.
 */
export function tileImages(
  images: ArrayLike<number>,
  n: number,
  h: number,
  w: number,
  cols: number,
  pad = 1,
  padValue = 128,
  range: [number, number] = [0, 1],
): GrayCanvas {
  for (const [name, v] of [
    ["n", n],
    ["h", h],
    ["w", w],
    ["cols", cols],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0)
      throw new Error(`tileImages: ${name} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(pad) || pad < 0)
    throw new Error(`tileImages: pad must be a non-negative integer, got ${pad}`);
  if (images.length < n * h * w)
    throw new Error(`tileImages: need ${n}*${h}*${w} = ${n * h * w} values, got ${images.length}`);
  const c = Math.min(cols, n);
  const rows = Math.ceil(n / c);
  const width = c * w + (c + 1) * pad;
  const height = rows * h + (rows + 1) * pad;
  const pixels = new Uint8Array(width * height).fill(padValue);
  const isBytes = images instanceof Uint8Array || images instanceof Uint8ClampedArray;
  const lo = range[0];
  const span = range[1] - range[0] || 1;
  for (let i = 0; i < n; i++) {
    const x0 = pad + (i % c) * (w + pad);
    const y0 = pad + Math.floor(i / c) * (h + pad);
    const base = i * h * w;
    for (let y = 0; y < h; y++) {
      const row = (y0 + y) * width + x0;
      const src = base + y * w;
      for (let x = 0; x < w; x++) pixels[row + x] = toByte(images[src + x], isBytes, lo, span);
    }
  }
  return { pixels, width, height };
}

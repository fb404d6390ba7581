import { test } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "zlib";
import { crc32, encodePng, pngDataUrl, tileImages } from "../lib/display/png";

// ---- an independent, minimal PNG reader (bitwise CRC, inflate, all five filter types) ----

function crcBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

interface Decoded {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
  compression: number;
  filter: number;
  interlace: number;
  chunkTypes: string[];
  pixels: Uint8Array;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

function decodePng(buf: Buffer): Decoded {
  assert.deepEqual(
    [...buf.subarray(0, 8)],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    "PNG signature",
  );
  let pos = 8;
  const chunkTypes: string[] = [];
  const idat: Buffer[] = [];
  let ihdr: Buffer | undefined;
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString("ascii", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    const crc = buf.readUInt32BE(pos + 8 + len);
    assert.equal(crc, crcBitwise(buf.subarray(pos + 4, pos + 8 + len)), `CRC of chunk ${type}`);
    chunkTypes.push(type);
    if (type === "IHDR") ihdr = data;
    if (type === "IDAT") idat.push(data);
    pos += 12 + len;
  }
  assert.equal(pos, buf.length, "chunks end exactly at the end of the file");
  assert.ok(ihdr, "has IHDR");
  assert.equal(ihdr.length, 13);
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const colorType = ihdr[9];
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colorType];
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  assert.equal(raw.length, (stride + 1) * height, "inflated size");
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= channels ? pixels[y * stride + i - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
      const pred = [0, a, b, (a + b) >> 1, paeth(a, b, c)][f];
      assert.ok(pred !== undefined, `filter type ${f}`);
      pixels[y * stride + i] = (x + pred) & 0xff;
    }
  }
  return {
    width,
    height,
    bitDepth: ihdr[8],
    colorType,
    compression: ihdr[10],
    filter: ihdr[11],
    interlace: ihdr[12],
    chunkTypes,
    pixels,
  };
}

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s >>> 24;
  }
  return out;
}

// ---- tests ----

test("crc32 matches the standard check values", () => {
  assert.equal(crc32(Buffer.from("123456789", "ascii")), 0xcbf43926);
  assert.equal(crc32(Buffer.from("IEND", "ascii")), 0xae426082);
  const r = randomBytes(1000, 7);
  assert.equal(crc32(r), crcBitwise(r));
});

for (const [channels, colorType] of [
  [1, 0],
  [3, 2],
  [4, 6],
] as const) {
  test(`encodePng round-trips ${channels}-channel pixels exactly`, () => {
    const width = 13;
    const height = 7;
    const pixels = randomBytes(width * height * channels, channels * 101);
    const png = encodePng(pixels, width, height, channels);
    const d = decodePng(png);
    assert.deepEqual(d.chunkTypes, ["IHDR", "IDAT", "IEND"]);
    assert.equal(d.width, width);
    assert.equal(d.height, height);
    assert.equal(d.bitDepth, 8);
    assert.equal(d.colorType, colorType);
    assert.equal(d.compression, 0);
    assert.equal(d.filter, 0);
    assert.equal(d.interlace, 0);
    assert.deepEqual(d.pixels, pixels);
  });
}

test("encodePng handles a 1x1 image and a subarray view", () => {
  const backing = new Uint8Array([9, 9, 200, 9]);
  const d = decodePng(encodePng(backing.subarray(2, 3), 1, 1, 1));
  assert.deepEqual([...d.pixels], [200]);
});

test("encodePng rejects bad sizes and channel counts", () => {
  assert.throws(() => encodePng(new Uint8Array(5), 2, 2, 1), /expected 4 bytes/);
  assert.throws(() => encodePng(new Uint8Array(0), 0, 1, 1), /width/);
  assert.throws(() => encodePng(new Uint8Array(4), 2, 2, 2 as unknown as 1), /channels/);
});

test("pngDataUrl is a base64 data URL of the same bytes", () => {
  const png = encodePng(new Uint8Array([0, 255]), 2, 1, 1);
  const url = pngDataUrl(png);
  assert.ok(url.startsWith("data:image/png;base64,"));
  assert.deepEqual(Buffer.from(url.slice("data:image/png;base64,".length), "base64"), png);
});

test("tileImages places images, padding and float-to-byte conversion correctly", () => {
  // 3 images of 2x2, 2 columns, pad 1 -> canvas 7 x 7 (the 4th slot stays padding).
  const imgs = new Float32Array([0, 1, 0.5, 0.25, 1, 1, 1, 1, 0, 0, 0, 0]);
  const c = tileImages(imgs, 3, 2, 2, 2, 1, 77);
  assert.equal(c.width, 7);
  assert.equal(c.height, 7);
  const at = (x: number, y: number) => c.pixels[y * c.width + x];
  assert.deepEqual([at(1, 1), at(2, 1), at(1, 2), at(2, 2)], [0, 255, 128, 64]);
  assert.deepEqual([at(4, 1), at(5, 2)], [255, 255]);
  assert.deepEqual([at(1, 4), at(2, 5)], [0, 0]);
  assert.equal(at(0, 0), 77);
  assert.equal(at(3, 1), 77, "gap between columns");
  assert.equal(at(4, 4), 77, "empty 4th slot");
  assert.equal(at(6, 6), 77);
});

test("tileImages takes Uint8 as 0..255, clamps floats, honours a [-1, 1] range", () => {
  const bytes = tileImages(new Uint8Array([10, 20, 30, 40]), 1, 2, 2, 1, 0);
  assert.deepEqual([...bytes.pixels], [10, 20, 30, 40]);
  const clamped = tileImages([-0.5, 1.5, NaN, 0.5], 1, 2, 2, 1, 0);
  assert.deepEqual([...clamped.pixels], [0, 255, 0, 128]);
  const tanh = tileImages([-1, 0, 1, 0.5], 1, 2, 2, 1, 0, 0, [-1, 1]);
  assert.deepEqual([...tanh.pixels], [0, 128, 255, 191]);
  assert.throws(() => tileImages(new Float32Array(3), 1, 2, 2, 1), /need 1\*2\*2/);
});

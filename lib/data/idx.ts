/**
 * Reader and writer for the IDX format of the MNIST files (http://yann.lecun.com/exdb/mnist/,
 * "THE IDX FILE FORMAT"): two zero bytes, a type byte, the number of dimensions, then each
 * dimension as a big-endian 32-bit integer, then the values in row-major order, big-endian.
 *
 * Files may be gzipped (detected by the gzip magic bytes 1f 8b, whatever the name) or raw.
 * Every malformed file gives an Error whose message starts with the file's path and says what
 * was found and what was expected.
 */
import * as fs from "fs";
import * as zlib from "zlib";
import { writeFileAtomic } from "../storage/io";

export type IdxDtype = "uint8" | "int8" | "int16" | "int32" | "float32" | "float64";
export type IdxTypedArray =
  Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** An n-dimensional array read from (or to be written to) an IDX file. */
export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  data: IdxTypedArray;
}

/** What writeIdx accepts: any numbers of the right count (typed array or plain array). */
export interface IdxInput {
  dtype: IdxDtype;
  shape: number[];
  data: ArrayLike<number>;
}

/** The standard type codes of the IDX format. */
export const IDX_TYPE_CODES: Readonly<Record<IdxDtype, number>> = {
  uint8: 0x08,
  int8: 0x09,
  int16: 0x0b,
  int32: 0x0c,
  float32: 0x0d,
  float64: 0x0e,
};

const BYTES: Readonly<Record<IdxDtype, number>> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  int32: 4,
  float32: 4,
  float64: 8,
};

const INT_RANGE: Partial<Record<IdxDtype, [number, number]>> = {
  uint8: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
};

function hex(b: number): string {
  return "0x" + b.toString(16).padStart(2, "0");
}

function dtypeOfCode(code: number): IdxDtype | undefined {
  for (const k of Object.keys(IDX_TYPE_CODES) as IdxDtype[])
    if (IDX_TYPE_CODES[k] === code) return k;
  return undefined;
}

function knownCodes(): string {
  return (Object.keys(IDX_TYPE_CODES) as IdxDtype[])
    .map((k) => `${hex(IDX_TYPE_CODES[k])} ${k}`)
    .join(", ");
}

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads a file's bytes, gunzipping when they start with the gzip magic. */
export function readMaybeGzip(file: string): Uint8Array {
  let raw: Buffer;
  try {
    raw = fs.readFileSync(file);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "ENOENT")
      throw new Error(`${file}: file not found (expected an IDX file, raw or .gz)`, { cause: err });
    if (e.code === "EISDIR")
      throw new Error(`${file}: is a directory, expected an IDX file`, { cause: err });
    throw new Error(`${file}: cannot read (${e.message})`, { cause: err });
  }
  if (!isGzip(raw)) return raw;
  try {
    return zlib.gunzipSync(raw);
  } catch (err) {
    throw new Error(
      `${file}: starts with the gzip magic bytes 1f 8b but is not valid gzip data (${(err as Error).message}); expected a complete .gz file`,
      { cause: err },
    );
  }
}

/**
 * Parses IDX bytes (already gunzipped). `file` is only used in error messages.
 * The returned data is a fresh typed array (never a view into `bytes`).
 */
export function parseIdx(bytes: Uint8Array, file = "<buffer>"): IdxArray {
  const gzHint =
    /\.gz$/i.test(file) && !isGzip(bytes)
      ? " (the name ends in .gz but the content is not gzip either)"
      : "";
  if (bytes.length < 4) {
    throw new Error(
      `${file}: only ${bytes.length} bytes, too short for an IDX header (expected at least 4 bytes: 00 00 <type> <ndims>)${gzHint}`,
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(
      `${file}: wrong magic number: first two bytes are ${hex(bytes[0])} ${hex(bytes[1])}, expected 0x00 0x00 (IDX format)${gzHint}`,
    );
  }
  const code = bytes[2];
  const dtype = dtypeOfCode(code);
  if (dtype === undefined) {
    throw new Error(`${file}: unknown IDX type code ${hex(code)}, expected one of ${knownCodes()}`);
  }
  const ndims = bytes[3];
  if (ndims < 1) throw new Error(`${file}: IDX header says 0 dimensions, expected at least 1`);
  const headerLen = 4 + 4 * ndims;
  if (bytes.length < headerLen) {
    throw new Error(
      `${file}: truncated header: ${bytes.length} bytes, expected ${headerLen} for ${ndims} dimension sizes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let d = 0; d < ndims; d++) shape.push(view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const size = BYTES[dtype];
  const expected = count * size;
  const payload = bytes.length - headerLen;
  if (payload < expected) {
    throw new Error(
      `${file}: truncated: payload has ${payload} bytes, expected ${expected} (${dtype}, shape [${shape.join(", ")}])`,
    );
  }
  if (payload > expected) {
    throw new Error(
      `${file}: ${payload - expected} trailing bytes: payload has ${payload} bytes, expected exactly ${expected} (${dtype}, shape [${shape.join(", ")}])`,
    );
  }
  return { dtype, shape, data: decode(dtype, view, headerLen, count, bytes) };
}

function decode(
  dtype: IdxDtype,
  view: DataView,
  off: number,
  count: number,
  bytes: Uint8Array,
): IdxTypedArray {
  switch (dtype) {
    case "uint8":
      // a copy (Buffer.slice would return a view), as a plain Uint8Array
      return new Uint8Array(bytes.subarray(off, off + count));
    case "int8": {
      const out = new Int8Array(count);
      out.set(new Int8Array(bytes.buffer, bytes.byteOffset + off, count));
      return out;
    }
    case "int16": {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(off + 2 * i, false);
      return out;
    }
    case "int32": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(off + 4 * i, false);
      return out;
    }
    case "float32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(off + 4 * i, false);
      return out;
    }
    case "float64": {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(off + 8 * i, false);
      return out;
    }
  }
}

/** Reads an IDX file (raw or gzipped). */
export function readIdx(file: string): IdxArray {
  return parseIdx(readMaybeGzip(file), file);
}

/** Images: a 3-D ubyte IDX file (n x height x width), pixels row-major. */
export interface IdxImages {
  n: number;
  height: number;
  width: number;
  pixels: Uint8Array;
}

/** Reads an image file; it must be 3-D unsigned bytes. */
export function readIdxImages(file: string): IdxImages {
  const a = readIdx(file);
  if (a.dtype !== "uint8" || a.shape.length !== 3) {
    throw new Error(
      `${file}: expected an image file (3-D uint8, type 0x08, 3 dims), got ${a.dtype} with shape [${a.shape.join(", ")}]`,
    );
  }
  return { n: a.shape[0], height: a.shape[1], width: a.shape[2], pixels: a.data as Uint8Array };
}

/** Reads a label file; it must be 1-D unsigned bytes. */
export function readIdxLabels(file: string): Uint8Array {
  const a = readIdx(file);
  if (a.dtype !== "uint8" || a.shape.length !== 1) {
    throw new Error(
      `${file}: expected a label file (1-D uint8, type 0x08, 1 dim), got ${a.dtype} with shape [${a.shape.join(", ")}]`,
    );
  }
  return a.data as Uint8Array;
}

/** Encodes an array as IDX bytes (uncompressed). Checks shape, count and integer ranges. */
export function encodeIdx(arr: IdxInput, file = "<buffer>"): Uint8Array {
  const { dtype, shape, data } = arr;
  if (!(dtype in IDX_TYPE_CODES))
    throw new Error(
      `${file}: cannot write dtype ${JSON.stringify(dtype)}, expected one of ${Object.keys(IDX_TYPE_CODES).join(", ")}`,
    );
  if (shape.length < 1 || shape.length > 255)
    throw new Error(`${file}: cannot write ${shape.length} dimensions, expected 1..255`);
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0 || d > 0xffffffff)
      throw new Error(
        `${file}: bad dimension ${d} in shape [${shape.join(", ")}], expected integers in 0..2^32-1`,
      );
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count)
    throw new Error(
      `${file}: data has ${data.length} values, expected ${count} for shape [${shape.join(", ")}]`,
    );
  const size = BYTES[dtype];
  const headerLen = 4 + 4 * shape.length;
  const out = new Uint8Array(headerLen + count * size);
  const view = new DataView(out.buffer);
  out[2] = IDX_TYPE_CODES[dtype];
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  const range = INT_RANGE[dtype];
  if (range) {
    for (let i = 0; i < count; i++) {
      const v = data[i];
      if (!Number.isInteger(v) || v < range[0] || v > range[1]) {
        throw new Error(
          `${file}: value ${v} at index ${i} does not fit ${dtype} (expected integers in ${range[0]}..${range[1]})`,
        );
      }
    }
  }
  let off = headerLen;
  switch (dtype) {
    case "uint8":
    case "int8":
      for (let i = 0; i < count; i++) out[off + i] = data[i] & 0xff;
      break;
    case "int16":
      for (let i = 0; i < count; i++, off += 2) view.setInt16(off, data[i], false);
      break;
    case "int32":
      for (let i = 0; i < count; i++, off += 4) view.setInt32(off, data[i], false);
      break;
    case "float32":
      for (let i = 0; i < count; i++, off += 4) view.setFloat32(off, data[i], false);
      break;
    case "float64":
      for (let i = 0; i < count; i++, off += 8) view.setFloat64(off, data[i], false);
      break;
  }
  return out;
}

/**
 * Writes an IDX file atomically. Gzipped when `opts.gzip` is true, or, when it is not given,
 * when the file name ends in .gz.
 */
export function writeIdx(file: string, arr: IdxInput, opts: { gzip?: boolean } = {}): void {
  const bytes = encodeIdx(arr, file);
  const gzip = opts.gzip ?? /\.gz$/i.test(file);
  writeFileAtomic(file, gzip ? zlib.gzipSync(bytes) : bytes);
}

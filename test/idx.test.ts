import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as zlib from "zlib";
import {
  encodeIdx,
  IdxDtype,
  parseIdx,
  readIdx,
  readIdxImages,
  readIdxLabels,
  writeIdx,
} from "../lib/data/idx";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-idx-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const samples: Record<IdxDtype, number[]> = {
  uint8: [0, 1, 127, 128, 254, 255],
  int8: [-128, -1, 0, 1, 100, 127],
  int16: [-32768, -300, -1, 0, 513, 32767],
  int32: [-2147483648, -70000, -1, 0, 65536, 2147483647],
  float32: [-1.5, 0, 0.25, 3.0e38, -1e-30, 7],
  float64: [-1e300, Math.PI, 0, -0.1, 1e-310, 42],
};

for (const dtype of Object.keys(samples) as IdxDtype[]) {
  for (const gz of [false, true]) {
    test(`round trip ${dtype} ${gz ? "gzipped" : "raw"}`, () => {
      const file = path.join(tmp, `rt-${dtype}${gz ? ".gz" : ""}`);
      writeIdx(file, { dtype, shape: [2, 3], data: samples[dtype] });
      const bytes = fs.readFileSync(file);
      assert.equal(
        bytes[0] === 0x1f && bytes[1] === 0x8b,
        gz,
        "gzip magic present exactly when gzipped",
      );
      const a = readIdx(file);
      assert.equal(a.dtype, dtype);
      assert.deepEqual(a.shape, [2, 3]);
      const expected =
        dtype === "float32" ? Array.from(new Float32Array(samples[dtype])) : samples[dtype];
      assert.deepEqual(Array.from(a.data), expected);
    });
  }
}

test("encoded bytes match the IDX spec (big-endian header and values)", () => {
  const u8 = encodeIdx({ dtype: "uint8", shape: [1, 2, 2], data: [1, 2, 3, 250] });
  assert.deepEqual(
    Array.from(u8),
    [0, 0, 0x08, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 250],
  );
  const i16 = encodeIdx({ dtype: "int16", shape: [2], data: [258, -2] });
  assert.deepEqual(Array.from(i16), [0, 0, 0x0b, 1, 0, 0, 0, 2, 0x01, 0x02, 0xff, 0xfe]);
  // a gzip name without opts.gzip still compresses; opts.gzip=false overrides the name
  const f = path.join(tmp, "plain-but-named.gz");
  writeIdx(f, { dtype: "uint8", shape: [1], data: [7] }, { gzip: false });
  assert.equal(fs.readFileSync(f)[0], 0);
  assert.deepEqual(Array.from(readIdx(f).data), [7]);
});

test("readIdxImages and readIdxLabels check rank and type", () => {
  const img = path.join(tmp, "img.gz");
  const lab = path.join(tmp, "lab");
  writeIdx(img, {
    dtype: "uint8",
    shape: [2, 3, 4],
    data: Array.from({ length: 24 }, (_, i) => i * 10),
  });
  writeIdx(lab, { dtype: "uint8", shape: [2], data: [3, 9] });
  const im = readIdxImages(img);
  assert.equal(im.n, 2);
  assert.equal(im.height, 3);
  assert.equal(im.width, 4);
  assert.ok(im.pixels instanceof Uint8Array);
  assert.equal(im.pixels[23], 230);
  assert.deepEqual(Array.from(readIdxLabels(lab)), [3, 9]);
  assert.throws(
    () => readIdxImages(lab),
    (e: Error) =>
      e.message.includes(lab) && /3-D uint8/.test(e.message) && /shape \[2\]/.test(e.message),
  );
  assert.throws(
    () => readIdxLabels(img),
    (e: Error) => e.message.includes(img) && /1-D uint8/.test(e.message),
  );
  const i32 = path.join(tmp, "lab32");
  writeIdx(i32, { dtype: "int32", shape: [2], data: [3, 9] });
  assert.throws(
    () => readIdxLabels(i32),
    (e: Error) => e.message.includes(i32) && /got int32/.test(e.message),
  );
});

/** Writes raw bytes to a file in tmp and returns the path. */
function put(name: string, bytes: number[] | Uint8Array): string {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, Uint8Array.from(bytes));
  return f;
}

function throwsNaming(file: string, pattern: RegExp): void {
  assert.throws(
    () => readIdx(file),
    (e: Error) => {
      assert.ok(e.message.includes(file), `message names the file: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    },
  );
}

test("missing file", () => {
  const f = path.join(tmp, "does-not-exist-idx3-ubyte.gz");
  throwsNaming(f, /file not found/);
});

test("a directory instead of a file", () => {
  throwsNaming(tmp, /directory/);
});

test("bad gzip: magic bytes then garbage, and a cut-off gzip stream", () => {
  throwsNaming(put("junk.gz", [0x1f, 0x8b, 1, 2, 3, 4, 5, 6, 7, 8]), /not valid gzip/);
  const good = zlib.gzipSync(
    encodeIdx({ dtype: "uint8", shape: [100], data: new Uint8Array(100).fill(3) }),
  );
  throwsNaming(put("cut.gz", good.subarray(0, good.length - 6)), /not valid gzip/);
});

test("wrong magic (non-zero first bytes), with a hint for .gz names", () => {
  throwsNaming(
    put("magic", [0, 1, 8, 1, 0, 0, 0, 0]),
    /wrong magic.*0x00 0x01.*expected 0x00 0x00/,
  );
  throwsNaming(put("magic2.gz", [0x50, 0x4b, 3, 4, 0, 0, 0, 0]), /wrong magic.*not gzip either/);
});

test("unknown type code", () => {
  throwsNaming(
    put("type", [0, 0, 0x0a, 1, 0, 0, 0, 1, 5]),
    /unknown IDX type code 0x0a.*0x08 uint8/,
  );
});

test("too short, zero dims, truncated header", () => {
  throwsNaming(put("short", [0, 0]), /too short/);
  throwsNaming(put("zerodims", [0, 0, 8, 0]), /0 dimensions/);
  throwsNaming(put("header", [0, 0, 8, 3, 0, 0, 0, 1, 0, 0]), /truncated header.*expected 16/);
});

test("truncated payload and trailing bytes", () => {
  const ok = encodeIdx({ dtype: "int16", shape: [2, 2], data: [1, 2, 3, 4] });
  throwsNaming(
    put("trunc", ok.subarray(0, ok.length - 1)),
    /truncated: payload has 7 bytes, expected 8/,
  );
  throwsNaming(put("trail", [...ok, 0]), /1 trailing bytes.*expected exactly 8/);
  // the same checks apply inside a gzipped file
  const gzTrunc = zlib.gzipSync(ok.subarray(0, ok.length - 2));
  throwsNaming(put("trunc2.gz", gzTrunc), /truncated: payload has 6 bytes, expected 8/);
});

test("parseIdx without a file name still explains the problem", () => {
  assert.throws(() => parseIdx(new Uint8Array([1, 1, 1, 1])), /<buffer>: wrong magic/);
});

test("writeIdx rejects bad input and names the file", () => {
  const f = path.join(tmp, "bad-write");
  assert.throws(
    () => writeIdx(f, { dtype: "uint8", shape: [2, 2], data: [1, 2, 3] }),
    (e: Error) => e.message.includes(f) && /3 values, expected 4/.test(e.message),
  );
  assert.throws(
    () => writeIdx(f, { dtype: "uint8", shape: [2], data: [1, 256] }),
    (e: Error) => e.message.includes(f) && /256.*does not fit uint8/.test(e.message),
  );
  assert.throws(() => writeIdx(f, { dtype: "int8", shape: [1], data: [0.5] }), /does not fit int8/);
  assert.throws(
    () => writeIdx(f, { dtype: "uint8", shape: [1.5], data: [1] }),
    /bad dimension 1.5/,
  );
  assert.throws(
    () => writeIdx(f, { dtype: "uint16" as IdxDtype, shape: [1], data: [1] }),
    /cannot write dtype "uint16"/,
  );
  assert.equal(fs.existsSync(f), false, "nothing written after a rejected write");
});

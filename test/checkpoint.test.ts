import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import {
  CheckpointMeta,
  checkpointInfo,
  checkpointMeta,
  loadInto,
  readCheckpoint,
  saveCheckpoint,
} from "../lib/storage/checkpoint";

let dir: string;
const savedOut = process.env.GENLAB_OUT;

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-ckpt-"));
  process.env.GENLAB_OUT = dir;
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
  if (savedOut === undefined) delete process.env.GENLAB_OUT;
  else process.env.GENLAB_OUT = savedOut;
});

const META: CheckpointMeta = {
  model: "vae-mlp",
  codeVersion: "0.1.0+abc1234 lib:0123456789ab",
  seed: 42,
  budget: { steps: 200, batch: 128, data: "mnist-10k" },
  mode: "smoke",
  createdAt: "2025-01-02T03:04:05.678Z",
  backend: "cpu",
  metrics: { elbo: -101.25 },
  notes: "ünïcode ok",
};

/** The fixture tensors as plain data: name -> dtype, shape, values. */
const FIXTURE: Record<string, { dtype: "float32" | "int32"; shape: number[]; values: number[] }> = {
  "enc/w": { dtype: "float32", shape: [2, 3], values: [0.5, -1.25, 3e-8, 1e30, -0, 7] },
  "enc/b": { dtype: "float32", shape: [3], values: [1, 2, 3] },
  scale: { dtype: "float32", shape: [], values: [Math.fround(0.1)] },
  step: { dtype: "int32", shape: [], values: [123456] },
  "perm/idx": {
    dtype: "int32",
    shape: [2, 2, 2],
    values: [0, -1, 2147483647, -2147483648, 4, 5, 6, 7],
  },
  empty: { dtype: "float32", shape: [0, 4], values: [] },
};

function fixtureTensors(): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  for (const [name, f] of Object.entries(FIXTURE))
    out[name] = tf.tensor(f.values, f.shape, f.dtype);
  return out;
}

function writeFixture(name: string): string {
  const file = path.join(dir, name);
  const ts = fixtureTensors();
  saveCheckpoint(file, ts, META);
  Object.values(ts).forEach((t) => t.dispose());
  return file;
}

/** An independent minimal safetensors reader: no code shared with lib/storage/checkpoint.ts. */
function minimalRead(file: string): { n: number; header: Record<string, any>; data: Buffer } {
  const buf = fs.readFileSync(file);
  const n = Number(new DataView(buf.buffer, buf.byteOffset, 8).getBigUint64(0, true));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString("utf8"));
  return { n, header, data: buf.subarray(8 + n) };
}

/** Builds a file from a header object and data bytes, for hand-made corrupt cases. */
function craft(
  name: string,
  header: unknown,
  data: Uint8Array = new Uint8Array(0),
  headerLength?: number,
): string {
  const json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header), "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(headerLength ?? json.length));
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.concat([len, json, data]));
  return file;
}

const GENLAB_META = { genlab: JSON.stringify(META) };
const f32 = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

function assertNamesFile(fn: () => unknown, file: string, pattern?: RegExp): void {
  assert.throws(fn, (err: Error) => {
    assert.ok(err.message.includes(file), `error does not name ${file}: ${err.message}`);
    if (pattern) assert.match(err.message, pattern);
    return true;
  });
}

describe("round trip", () => {
  test("F32 and I32, scalar, multi-dim and empty tensors, metadata preserved", () => {
    const file = path.join(dir, "rt.safetensors");
    const ts = fixtureTensors();
    const bytes = saveCheckpoint(file, ts, META);
    Object.values(ts).forEach((t) => t.dispose());
    assert.equal(bytes, fs.statSync(file).size);

    const ck = readCheckpoint(file);
    assert.deepEqual(ck.meta, META);
    assert.deepEqual(Object.keys(ck.entries).sort(), Object.keys(FIXTURE).sort());
    for (const [name, f] of Object.entries(FIXTURE)) {
      const e = ck.entries[name];
      assert.equal(e.dtype, f.dtype === "float32" ? "F32" : "I32", name);
      assert.deepEqual(e.shape, f.shape, name);
      assert.ok(
        f.dtype === "float32" ? e.data instanceof Float32Array : e.data instanceof Int32Array,
        name,
      );
      const expected =
        f.dtype === "float32" ? new Float32Array(f.values) : new Int32Array(f.values);
      assert.deepEqual(
        Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength),
        Buffer.from(expected.buffer),
        name,
      );
    }
    // -0 survives bit for bit
    assert.ok(Object.is(ck.entries["enc/w"].data[4], -0));
  });

  test("byte-exact layout, checked by an independent minimal reader", () => {
    const file = writeFixture("exact.safetensors");
    const { n, header, data } = minimalRead(file);
    assert.equal((8 + n) % 8, 0, "data region starts 8-byte aligned");
    const raw = fs
      .readFileSync(file)
      .subarray(8, 8 + n)
      .toString("utf8");
    assert.equal(
      raw,
      raw.trimEnd() + " ".repeat(raw.length - raw.trimEnd().length),
      "padding is spaces only",
    );
    assert.deepEqual(header.__metadata__, { genlab: JSON.stringify(META) });
    assert.deepEqual(JSON.parse(header.__metadata__.genlab), META);

    const names = Object.keys(FIXTURE).sort();
    assert.deepEqual(
      Object.keys(header)
        .filter((k) => k !== "__metadata__")
        .sort(),
      names,
    );
    let offset = 0;
    for (const name of names) {
      // tensors are laid out back to back in name order
      const f = FIXTURE[name];
      const bytesLen = f.values.length * 4;
      assert.deepEqual(header[name], {
        dtype: f.dtype === "float32" ? "F32" : "I32",
        shape: f.shape,
        data_offsets: [offset, offset + bytesLen],
      });
      const slice = data.subarray(offset, offset + bytesLen);
      for (let i = 0; i < f.values.length; i++) {
        const got = f.dtype === "float32" ? slice.readFloatLE(i * 4) : slice.readInt32LE(i * 4);
        assert.ok(
          Object.is(got, f.dtype === "float32" ? Math.fround(f.values[i]) : f.values[i]),
          `${name}[${i}]`,
        );
      }
      offset += bytesLen;
    }
    assert.equal(data.length, offset, "no trailing bytes");
  });

  test("a file written by an independent writer is read", () => {
    const file = craft(
      "foreign.safetensors",
      {
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        __metadata__: GENLAB_META,
        b: { dtype: "I32", shape: [], data_offsets: [8, 12] },
      },
      Buffer.concat([f32(1.5, -2), new Uint8Array(new Int32Array([9]).buffer)]),
    );
    const ck = readCheckpoint(file);
    assert.deepEqual(Array.from(ck.entries.a.data), [1.5, -2]);
    assert.deepEqual(Array.from(ck.entries.b.data), [9]);
    assert.deepEqual(ck.entries.b.shape, []);
  });

  test("checkpointInfo reports meta, parameter count and size", () => {
    const file = writeFixture("info.safetensors");
    const info = checkpointInfo(file);
    assert.equal(info.parameterCount, 6 + 3 + 1 + 1 + 8 + 0);
    assert.equal(info.tensorCount, 6);
    assert.equal(info.sizeBytes, fs.statSync(file).size);
    assert.deepEqual(info.meta, META);
    assert.match(info.text, /vae-mlp, 6 tensors, 19 parameters/);
    assert.deepEqual(
      info.tensors.map((t) => t.name),
      Object.keys(FIXTURE).sort(),
    );
  });

  test("checkpointMeta fills in the run's facts", () => {
    const m = checkpointMeta({ model: "x", seed: 1, budget: { steps: 3 } });
    assert.match(m.codeVersion, /^\d+\.\d+\.\d+\S*\+\S+ lib:[0-9a-f]{12}$/);
    assert.equal(m.backend, tf.getBackend());
    assert.ok(!Number.isNaN(Date.parse(m.createdAt)));
    assert.ok(["shipped", "full", "smoke"].includes(m.mode));
  });
});

describe("corrupt files give errors naming the file", () => {
  test("missing file and directory", () => {
    const missing = path.join(dir, "nope.safetensors");
    assertNamesFile(() => readCheckpoint(missing), missing, /not found/);
    assertNamesFile(() => checkpointInfo(missing), missing, /not found/);
    assertNamesFile(() => loadInto(missing, {}), missing, /not found/);
    assertNamesFile(() => readCheckpoint(dir), dir, /directory/);
  });

  test("truncated at many points", () => {
    const file = writeFixture("trunc-src.safetensors");
    const full = fs.readFileSync(file);
    const n = minimalRead(file).n;
    const cuts = [
      0,
      1,
      7,
      8,
      9,
      20,
      8 + n - 1,
      8 + n,
      8 + n + 1,
      8 + n + 4,
      full.length - 4,
      full.length - 1,
    ];
    for (const cut of cuts) {
      const t = path.join(dir, `trunc-${cut}.safetensors`);
      fs.writeFileSync(t, full.subarray(0, cut));
      assertNamesFile(() => readCheckpoint(t), t);
      assertNamesFile(() => checkpointInfo(t), t);
    }
    const short = path.join(dir, "trunc-7.safetensors");
    assertNamesFile(() => readCheckpoint(short), short, /shorter than the 8-byte/);
    const midHeader = path.join(dir, "trunc-20.safetensors");
    assertNamesFile(() => readCheckpoint(midHeader), midHeader, /beyond the end of the file/);
    const lastByte = path.join(dir, `trunc-${full.length - 1}.safetensors`);
    assertNamesFile(() => readCheckpoint(lastByte), lastByte, /beyond the .*data region/);
  });

  test("every single header byte flipped", () => {
    const file = writeFixture("flip-src.safetensors");
    const full = fs.readFileSync(file);
    const n = minimalRead(file).n;
    const t = path.join(dir, "flipped.safetensors");
    for (let i = 8; i < 8 + n; i++) {
      const b = Buffer.from(full);
      b[i] ^= 0xff;
      fs.writeFileSync(t, b);
      assertNamesFile(() => readCheckpoint(t), t);
    }
  });

  test("ASCII edits of the header are caught by the structural checks", () => {
    const file = writeFixture("edit-src.safetensors");
    const full = fs.readFileSync(file);
    const n = minimalRead(file).n;
    const text = full.subarray(8, 8 + n).toString("utf8");
    const cases: [string, string, RegExp][] = [
      ['"F32"', '"F16"', /unsupported dtype "F16"/],
      ['"shape":[2,3]', '"shape":[2,4]', /needs 32/],
      ['{"__metadata__"', '["__metadata__"', /not valid JSON/],
      ['"genlab"', '"genlub"', /no "genlab" entry/],
    ];
    for (const [from, to, pattern] of cases) {
      assert.ok(text.includes(from), `fixture header contains ${from}`);
      const edited = Buffer.from(text.replace(from, to), "utf8");
      assert.equal(edited.length, n);
      const t = path.join(dir, "edited.safetensors");
      fs.writeFileSync(t, Buffer.concat([full.subarray(0, 8), edited, full.subarray(8 + n)]));
      assertNamesFile(() => readCheckpoint(t), t, pattern);
    }
  });

  test("wrong header length", () => {
    const file = writeFixture("len-src.safetensors");
    const full = fs.readFileSync(file);
    const n = minimalRead(file).n;
    const jsonLength = full
      .subarray(8, 8 + n)
      .toString("utf8")
      .trimEnd().length;
    const cases: [bigint, RegExp][] = [
      [0n, /too small/],
      [BigInt(jsonLength - 1), /not valid JSON/],
      // cutting only padding leaves valid JSON; then the data region no longer adds up
      [
        BigInt(n - 1),
        n > jsonLength ? /trailing bytes, or a wrong header length/ : /not valid JSON/,
      ],
      [BigInt(n + 1), /./],
      [BigInt(n + 8), /./],
      [BigInt(full.length - 8), /./],
      [BigInt(full.length - 7), /beyond the end of the file/],
      [2n ** 40n, /beyond the end of the file/],
      [2n ** 64n - 1n, /beyond the end of the file/],
    ];
    for (const [len, pattern] of cases) {
      const b = Buffer.from(full);
      b.writeBigUInt64LE(len, 0);
      const t = path.join(dir, `len-${len}.safetensors`);
      fs.writeFileSync(t, b);
      assertNamesFile(() => readCheckpoint(t), t, pattern);
      assertNamesFile(() => checkpointInfo(t), t, pattern);
    }
  });

  test("hand-made bad headers: offsets, overlap, gaps, dtype, metadata", () => {
    const d8 = f32(1, 2);
    const cases: [string, unknown, Uint8Array, RegExp][] = [
      [
        "range",
        { __metadata__: GENLAB_META, a: { dtype: "F32", shape: [2], data_offsets: [0, 12] } },
        d8,
        /beyond the 8-byte data region/,
      ],
      [
        "size",
        { __metadata__: GENLAB_META, a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } },
        d8,
        /has 8 bytes of data but shape \[3\] of F32 needs 12/,
      ],
      [
        "reversed",
        { __metadata__: GENLAB_META, a: { dtype: "F32", shape: [], data_offsets: [8, 4] } },
        d8,
        /begin after end/,
      ],
      [
        "overlap",
        {
          __metadata__: GENLAB_META,
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
          b: { dtype: "F32", shape: [1], data_offsets: [4, 8] },
        },
        d8,
        /"a" \[0, 8\] and "b" \[4, 8\] overlap/,
      ],
      [
        "gap",
        { __metadata__: GENLAB_META, a: { dtype: "F32", shape: [1], data_offsets: [4, 8] } },
        d8,
        /gap in the data region/,
      ],
      [
        "trailing",
        { __metadata__: GENLAB_META, a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } },
        d8,
        /trailing bytes/,
      ],
      [
        "dtype",
        { __metadata__: GENLAB_META, a: { dtype: "F16", shape: [4], data_offsets: [0, 8] } },
        d8,
        /unsupported dtype "F16" \(genlab reads F32 and I32\)/,
      ],
      [
        "offsets",
        { __metadata__: GENLAB_META, a: { dtype: "F32", shape: [2], data_offsets: [0] } },
        d8,
        /invalid data_offsets/,
      ],
      [
        "shape",
        { __metadata__: GENLAB_META, a: { dtype: "F32", shape: [-2], data_offsets: [0, 8] } },
        d8,
        /invalid shape/,
      ],
      ["nometa", { a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, d8, /no __metadata__/],
      [
        "nogenlab",
        { __metadata__: { format: "pt" }, a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } },
        d8,
        /no "genlab" entry/,
      ],
      [
        "genlabjson",
        {
          __metadata__: { genlab: "{oops" },
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        },
        d8,
        /genlab is not valid JSON/,
      ],
      [
        "genlabfields",
        {
          __metadata__: { genlab: JSON.stringify({ ...META, seed: "x", model: 3 }) },
          a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        },
        d8,
        /bad genlab metadata: model must be a string.*seed must be a finite number/,
      ],
      ["array", [1, 2], new Uint8Array(0), /not an object/],
    ];
    for (const [name, header, data, pattern] of cases) {
      const file = craft(`bad-${name}.safetensors`, header, data);
      assertNamesFile(() => readCheckpoint(file), file, pattern);
    }
  });
});

describe("saving refuses bad input", () => {
  test("NaN or Inf refuses to save, naming the tensor, and leaves the existing file intact", () => {
    const file = writeFixture("atomic.safetensors");
    const before = fs.readFileSync(file);
    for (const bad of [NaN, Infinity, -Infinity]) {
      const ok = tf.tensor([1, 2], [2]);
      const broken = tf.tensor([
        [0, 1],
        [bad, 3],
      ]);
      assert.throws(
        () => saveCheckpoint(file, { "a/ok": ok, "dec/w": broken }, META),
        (err: Error) => {
          assert.ok(err.message.includes(file));
          assert.match(
            err.message,
            /tensor "dec\/w" \(shape \[2,2\]\) has 1 non-finite value\(s\), first -?(NaN|Infinity) at flat index 2/,
          );
          return true;
        },
      );
      ok.dispose();
      broken.dispose();
    }
    assert.deepEqual(fs.readFileSync(file), before, "existing checkpoint unchanged");
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.endsWith(".tmp")),
      [],
      "no temporary files left behind",
    );
  });

  test("unsupported dtype, bad names, disposed tensors and bad meta", () => {
    const file = path.join(dir, "refused.safetensors");
    const b = tf.tensor([true, false], [2], "bool");
    assertNamesFile(() => saveCheckpoint(file, { flags: b }, META), file, /"flags" has dtype bool/);
    b.dispose();
    const x = tf.scalar(1);
    assertNamesFile(
      () => saveCheckpoint(file, { __metadata__: x }, META),
      file,
      /not a valid tensor name/,
    );
    assertNamesFile(() => saveCheckpoint(file, { "": x }, META), file, /not a valid tensor name/);
    assertNamesFile(
      () => saveCheckpoint(file, { x: [1, 2] as unknown as tf.Tensor }, META),
      file,
      /not a tf.Tensor/,
    );
    assertNamesFile(
      () => saveCheckpoint(file, { x }, { ...META, seed: NaN }),
      file,
      /seed must be a finite number/,
    );
    assertNamesFile(
      () => saveCheckpoint(file, { x }, { ...META, createdAt: "yesterday" }),
      file,
      /createdAt "yesterday" is not a date/,
    );
    assertNamesFile(
      () => saveCheckpoint(file, { x }, { ...META, metrics: { fid: Infinity } }),
      file,
      /metrics.fid must be a finite number/,
    );
    x.dispose();
    assertNamesFile(() => saveCheckpoint(file, { x }, META), file, /disposed/);
    assert.equal(fs.existsSync(file), false, "nothing written");
  });
});

describe("loadInto", () => {
  function vars(
    spec: Record<string, { shape: number[]; fill: number; dtype?: "float32" | "int32" }>,
  ): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    for (const [name, s] of Object.entries(spec))
      out[name] = tf.variable(
        tf.fill(s.shape, s.fill, s.dtype ?? "float32"),
        true,
        undefined,
        s.dtype ?? "float32",
      );
    return out;
  }

  test("assigns every variable and returns meta", () => {
    const file = path.join(dir, "load-ok.safetensors");
    const w = tf.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    const s = tf.scalar(7, "int32");
    saveCheckpoint(file, { w, s }, META);
    const v = vars({ w: { shape: [2, 3], fill: 0 }, s: { shape: [], fill: 0, dtype: "int32" } });
    const meta = loadInto(file, v);
    assert.deepEqual(meta, META);
    assert.deepEqual(v.w.arraySync(), [
      [1, 2, 3],
      [4, 5, 6],
    ]);
    assert.equal(v.s.arraySync(), 7);
    [w, s, ...Object.values(v)].forEach((t) => t.dispose());
  });

  test("mismatches are listed exactly, with file and model, and nothing is assigned", () => {
    const file = path.join(dir, "load-bad.safetensors");
    const t = {
      a: tf.zeros([3, 2]),
      b: tf.ones([3]),
      d: tf.ones([1]),
      e: tf.ones([2]),
      s: tf.scalar(1, "int32"),
    };
    saveCheckpoint(file, t, META);
    Object.values(t).forEach((x) => x.dispose());
    const v = vars({
      a: { shape: [2, 3], fill: 5 },
      b: { shape: [3], fill: 5 },
      c: { shape: [4], fill: 5 },
      e: { shape: [2], fill: 5 },
      s: { shape: [], fill: 5 },
      z: { shape: [1], fill: 5 },
    });
    assert.throws(
      () => loadInto(file, v),
      (err: Error) => {
        assert.equal(
          err.message,
          [
            `checkpoint ${file} (model "vae-mlp") does not fit the variables; nothing was loaded.`,
            `  missing in the file: c, z`,
            `  unexpected in the file: d`,
            `  mismatch a: expected [2,3], found [3,2]`,
            `  mismatch s: expected dtype F32, found I32`,
          ].join("\n"),
        );
        return true;
      },
    );
    // b and e matched, but nothing may be assigned when anything fails
    for (const [name, x] of Object.entries(v)) {
      const data = Array.from(x.dataSync());
      assert.ok(
        data.every((y) => y === 5),
        `${name} untouched`,
      );
    }
    Object.values(v).forEach((x) => x.dispose());
  });

  test("non-finite values in a foreign file are refused and nothing is assigned", () => {
    const file = craft(
      "load-nan.safetensors",
      {
        __metadata__: GENLAB_META,
        a: { dtype: "F32", shape: [2], data_offsets: [0, 8] },
        b: { dtype: "F32", shape: [2], data_offsets: [8, 16] },
      },
      Buffer.concat([f32(1, 2), f32(NaN, 3)]),
    );
    const v = vars({ a: { shape: [2], fill: 5 }, b: { shape: [2], fill: 5 } });
    assertNamesFile(
      () => loadInto(file, v),
      file,
      /non-finite b: 1 value\(s\), first NaN at flat index 0/,
    );
    assert.deepEqual(Array.from(v.a.dataSync()), [5, 5]);
    Object.values(v).forEach((x) => x.dispose());
  });
});

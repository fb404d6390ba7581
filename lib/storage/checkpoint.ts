/**
 * Model weights on disk in the safetensors format, so Python (safetensors, or a few lines of numpy)
 * can read them too:
 *
 *   8 bytes   N, the header length, unsigned little-endian
 *   N bytes   UTF-8 JSON: {"__metadata__": {"genlab": "<CheckpointMeta as JSON>"},
 *                          "<name>": {"dtype": "F32" | "I32", "shape": [...],
 *                                     "data_offsets": [begin, end]}, ...}
 *             padded with spaces so the data starts on an 8-byte boundary
 *   rest      raw little-endian tensor data; offsets are relative to the start of this region
 *
 * Tensors are laid out in name order, back to back, covering the data region exactly (as the
 * safetensors spec requires; the reader checks it). Only float32 and int32 tensors are handled.
 * Every error message starts with `checkpoint <file>:`.
 */
import * as tf from "@tensorflow/tfjs";
import * as fs from "fs";
import * as os from "os";
import { trainMode } from "../runtime/env";
import { describeFsError, readChecked, writeRecorded } from "./integrity";
import { codeVersion } from "../runtime/version";

/** What a checkpoint says about itself; stored as JSON under the "genlab" metadata key. */
export interface CheckpointMeta {
  model: string;
  codeVersion: string;
  seed: number;
  budget: Record<string, number | string>;
  mode: string;
  /** ISO 8601 time of the save. */
  createdAt: string;
  backend: string;
  metrics?: Record<string, number>;
  notes?: string;
  /** What the model was trained on, e.g. "mnist train: 60000 images (official ...)". */
  data?: string;
}

export type CheckpointDtype = "F32" | "I32";

export interface CheckpointEntry {
  dtype: CheckpointDtype;
  shape: number[];
  data: Float32Array | Int32Array;
}

export interface Checkpoint {
  meta: CheckpointMeta;
  entries: Record<string, CheckpointEntry>;
}

export interface CheckpointInfo {
  file: string;
  meta: CheckpointMeta;
  tensorCount: number;
  /** Total number of elements over all tensors. */
  parameterCount: number;
  /** Size of the file in bytes. */
  sizeBytes: number;
  /** Name, dtype and shape of every tensor, in name order. */
  tensors: { name: string; dtype: CheckpointDtype; shape: number[] }[];
  /** A few lines for display. */
  text: string;
}

/** The safetensors spec caps the header at 100 MB. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const META_KEY = "genlab";
const LITTLE_ENDIAN = os.endianness() === "LE";

function fail(file: string, message: string): never {
  throw new Error(`checkpoint ${file}: ${message}`);
}

/** Meta filled in from the current run: codeVersion(), trainMode(), tf.getBackend(), now. */
export function checkpointMeta(m: {
  model: string;
  seed: number;
  budget: Record<string, number | string>;
  metrics?: Record<string, number>;
  notes?: string;
  data?: string;
}): CheckpointMeta {
  const meta: CheckpointMeta = {
    model: m.model,
    codeVersion: codeVersion(),
    seed: m.seed,
    budget: { ...m.budget },
    mode: trainMode(),
    createdAt: new Date().toISOString(),
    backend: tf.getBackend(),
  };
  if (m.metrics !== undefined) meta.metrics = { ...m.metrics };
  if (m.notes !== undefined) meta.notes = m.notes;
  if (m.data !== undefined) meta.data = m.data;
  return meta;
}

/**
 * Writes `tensors` and `meta` to `file` atomically (a temporary file, then a rename), so an
 * existing checkpoint is either kept whole or replaced whole. Refuses, before writing anything,
 * tensors with NaN or infinite values, dtypes other than float32/int32, and malformed meta. Returns
 * the bytes written.
 */
export function saveCheckpoint(
  file: string,
  tensors: Record<string, tf.Tensor>,
  meta: CheckpointMeta,
): number {
  const problems = validateMeta(meta);
  if (problems.length > 0) fail(file, `refusing to save, bad metadata: ${problems.join("; ")}`);

  const names = Object.keys(tensors).sort(compareNames);
  const chunks: Uint8Array[] = [];
  const header: Record<string, unknown> = { __metadata__: { [META_KEY]: JSON.stringify(meta) } };
  let offset = 0;
  for (const name of names) {
    if (name === "" || name === "__metadata__")
      fail(file, `refusing to save, ${JSON.stringify(name)} is not a valid tensor name`);
    const t = tensors[name];
    if (!(t instanceof tf.Tensor)) fail(file, `refusing to save, "${name}" is not a tf.Tensor`);
    if (t.isDisposed) fail(file, `refusing to save, tensor "${name}" is disposed`);
    let dtype: CheckpointDtype;
    if (t.dtype === "float32") dtype = "F32";
    else if (t.dtype === "int32") dtype = "I32";
    else
      fail(
        file,
        `refusing to save, tensor "${name}" has dtype ${t.dtype}; only float32 and int32 are supported`,
      );
    const values = t.dataSync() as Float32Array | Int32Array;
    if (dtype === "F32") {
      const bad = firstNonFinite(values as Float32Array);
      if (bad !== undefined) {
        fail(
          file,
          `refusing to save, tensor "${name}" (shape [${t.shape.join(",")}]) has ${bad.count} non-finite value(s), ` +
            `first ${bad.value} at flat index ${bad.index}`,
        );
      }
    }
    const bytes = toLittleEndianBytes(values);
    header[name] = { dtype, shape: t.shape.slice(), data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }

  let json = JSON.stringify(header);
  let headerBytes = Buffer.from(json, "utf8");
  const pad = (8 - ((8 + headerBytes.length) % 8)) % 8;
  if (pad > 0) {
    json += " ".repeat(pad);
    headerBytes = Buffer.from(json, "utf8");
  }
  const lengthBytes = Buffer.alloc(8);
  lengthBytes.writeBigUInt64LE(BigInt(headerBytes.length), 0);
  const out = Buffer.concat([lengthBytes, headerBytes, ...chunks]);
  writeRecorded(file, out);
  return out.length;
}

/** Reads and validates a whole checkpoint. Data arrays are fresh copies (safe to keep). */
export function readCheckpoint(file: string): Checkpoint {
  const buf = readChecked(file, `checkpoint ${file}`);
  const parsed = parseHeader(file, buf, buf.length);
  const entries: Record<string, CheckpointEntry> = {};
  for (const e of parsed.tensors) {
    const start = parsed.dataStart + e.begin;
    const bytes = buf.subarray(start, parsed.dataStart + e.end);
    entries[e.name] = {
      dtype: e.dtype,
      shape: e.shape,
      data: fromLittleEndianBytes(bytes, e.dtype),
    };
  }
  return { meta: parsed.meta, entries };
}

/**
 * Loads `file` into `vars`. Checks first, assigns after: if any variable has no tensor, any tensor
 * no variable, or any shape or dtype differs, or a value is NaN/infinite, throws one error listing
 * all of them (with the file and the model name) and assigns nothing. Returns the checkpoint's
 * meta.
 */
export function loadInto(file: string, vars: Record<string, tf.Variable>): CheckpointMeta {
  const ckpt = readCheckpoint(file);
  assignChecked(file, ckpt, vars);
  return ckpt.meta;
}

/**
 * The checks and assignment of loadInto on a checkpoint already read from `file`, for the tensors
 * named `prefix` + variable name (the other tensors are not looked at when a prefix is given, e.g.
 * "param:" in a resume checkpoint). `hint` ends the error (what to do about it).
 */
export function assignChecked(
  file: string,
  ckpt: Checkpoint,
  vars: Record<string, tf.Variable>,
  o: { prefix?: string; hint?: string } = {},
): void {
  const prefix = o.prefix ?? "";
  const entry = (name: string): CheckpointEntry | undefined => ckpt.entries[prefix + name];
  const wanted = Object.keys(vars).sort(compareNames);
  const found = Object.keys(ckpt.entries)
    .filter((n) => n.startsWith(prefix))
    .map((n) => n.slice(prefix.length))
    .sort(compareNames);
  const missing = wanted.filter((n) => entry(n) === undefined);
  const unexpected = found.filter((n) => !Object.prototype.hasOwnProperty.call(vars, n));
  const mismatches: string[] = [];
  const nonFinite: string[] = [];
  for (const name of wanted) {
    const e = entry(name);
    if (e === undefined) continue;
    const v = vars[name];
    const expectedDtype = v.dtype === "float32" ? "F32" : v.dtype === "int32" ? "I32" : v.dtype;
    if (!sameShape(v.shape, e.shape))
      mismatches.push(`${name}: expected [${v.shape.join(",")}], found [${e.shape.join(",")}]`);
    if (expectedDtype !== e.dtype)
      mismatches.push(`${name}: expected dtype ${expectedDtype}, found ${e.dtype}`);
    if (e.dtype === "F32") {
      const bad = firstNonFinite(e.data as Float32Array);
      if (bad !== undefined)
        nonFinite.push(
          `${name}: ${bad.count} value(s), first ${bad.value} at flat index ${bad.index}`,
        );
    }
  }
  if (missing.length + unexpected.length + mismatches.length + nonFinite.length > 0) {
    const lines = [
      `checkpoint ${file} (model "${ckpt.meta.model}") does not fit the variables; nothing was loaded.`,
    ];
    if (missing.length > 0) lines.push(`  missing in the file: ${missing.join(", ")}`);
    if (unexpected.length > 0) lines.push(`  unexpected in the file: ${unexpected.join(", ")}`);
    for (const m of mismatches) lines.push(`  mismatch ${m}`);
    for (const m of nonFinite) lines.push(`  non-finite ${m}`);
    if (o.hint) lines.push(`  ${o.hint}`);
    throw new Error(lines.join("\n"));
  }
  // All checks passed: build every tensor first, then assign.
  const values = wanted.map((name) => entryTensor(entry(name)!));
  try {
    wanted.forEach((name, i) => vars[name].assign(values[i]));
  } finally {
    values.forEach((t) => t.dispose());
  }
}

/** A checkpoint entry as a new tensor (the caller disposes it). */
export function entryTensor(e: CheckpointEntry): tf.Tensor {
  return tf.tensor(e.data, e.shape, e.dtype === "F32" ? "float32" : "int32");
}

/** Meta, tensor list, parameter count and file size, reading only the header. */
export function checkpointInfo(file: string): CheckpointInfo {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (err) {
    return fail(file, describeFsError(err));
  }
  let parsed: ParsedHeader;
  let size: number;
  try {
    size = fs.fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 8));
    fs.readSync(fd, head, 0, head.length, 0);
    let n = 0;
    if (head.length === 8) {
      const big = head.readBigUInt64LE(0);
      if (big <= BigInt(Math.min(size - 8, MAX_HEADER_BYTES))) n = Number(big);
    }
    // When the length is bad, parseHeader sees just the 8 bytes and reports the problem.
    const buf = Buffer.alloc(head.length === 8 ? 8 + n : head.length);
    fs.readSync(fd, buf, 0, buf.length, 0);
    parsed = parseHeader(file, buf, size);
  } finally {
    fs.closeSync(fd);
  }
  const tensors = parsed.tensors.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape }));
  const parameterCount = parsed.tensors.reduce((s, t) => s + t.count, 0);
  const m = parsed.meta;
  const budget = Object.entries(m.budget)
    .map(([k, v]) => `${k}=${v}`)
    .join(", ");
  const text = [
    `${file}`,
    `  model ${m.model}, ${tensors.length} tensors, ${parameterCount.toLocaleString("en-US")} parameters, ${formatBytes(size)}`,
    `  saved ${m.createdAt} by ${m.codeVersion}, mode ${m.mode}, backend ${m.backend}, seed ${m.seed}`,
    `  budget ${budget === "" ? "(none)" : budget}`,
    ...(m.metrics && Object.keys(m.metrics).length > 0
      ? [
          `  metrics ${Object.entries(m.metrics)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")}`,
        ]
      : []),
    ...(m.notes ? [`  notes ${m.notes}`] : []),
    ...(m.data ? [`  data ${m.data}`] : []),
  ].join("\n");
  return {
    file,
    meta: m,
    tensorCount: tensors.length,
    parameterCount,
    sizeBytes: size,
    tensors,
    text,
  };
}

// ---------------------------------------------------------------------------------------------
// Parsing

interface ParsedTensor {
  name: string;
  dtype: CheckpointDtype;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

interface ParsedHeader {
  meta: CheckpointMeta;
  tensors: ParsedTensor[];
  /** Byte offset of the data region in the file. */
  dataStart: number;
}

/** `buf` holds at least the length prefix and header; `fileSize` is the whole file's size. */
function parseHeader(file: string, buf: Buffer, fileSize: number): ParsedHeader {
  if (fileSize < 8)
    fail(
      file,
      `file is ${fileSize} bytes, shorter than the 8-byte header length of a safetensors file`,
    );
  const nBig = buf.readBigUInt64LE(0);
  if (nBig > BigInt(fileSize - 8)) {
    fail(
      file,
      `header length ${nBig} goes beyond the end of the file (${fileSize} bytes; truncated or not a safetensors file)`,
    );
  }
  if (nBig > BigInt(MAX_HEADER_BYTES))
    fail(file, `header length ${nBig} exceeds the 100 MB limit of the format`);
  const n = Number(nBig);
  if (n < 2) fail(file, `header length ${n} is too small to hold a JSON object`);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(buf.subarray(8, 8 + n));
  } catch {
    return fail(file, `header (bytes 8..${8 + n}) is not valid UTF-8; the file is corrupt`);
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    return fail(
      file,
      `header is not valid JSON (${(err as Error).message}); the file is corrupt or the header length is wrong`,
    );
  }
  if (!isPlainObject(header)) fail(file, `header is JSON but not an object`);

  const dataStart = 8 + n;
  const dataLength = fileSize - dataStart;
  const tensors: ParsedTensor[] = [];
  let metaRaw: unknown;
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      metaRaw = value;
      continue;
    }
    if (!isPlainObject(value)) fail(file, `entry "${name}" is not an object`);
    const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
    if (dtype !== "F32" && dtype !== "I32") {
      fail(
        file,
        `tensor "${name}" has unsupported dtype ${JSON.stringify(dtype)} (genlab reads F32 and I32)`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(file, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
    ) {
      fail(file, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as number[];
    if (begin > end)
      fail(file, `tensor "${name}" has data_offsets [${begin}, ${end}] with begin after end`);
    if (end > dataLength) {
      fail(
        file,
        `tensor "${name}" data_offsets [${begin}, ${end}] go beyond the ${dataLength}-byte data region (truncated file?)`,
      );
    }
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4) {
      fail(
        file,
        `tensor "${name}" has ${end - begin} bytes of data but shape [${(shape as number[]).join(",")}] of ${dtype} needs ${count * 4}`,
      );
    }
    tensors.push({ name, dtype, shape: (shape as number[]).slice(), count, begin, end });
  }

  // The tensors must tile the data region: no overlap, no gap, nothing after the last one.
  const byOffset = tensors.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev: ParsedTensor | undefined;
  for (const t of byOffset) {
    if (t.begin < pos) {
      fail(
        file,
        `tensors "${prev!.name}" [${prev!.begin}, ${prev!.end}] and "${t.name}" [${t.begin}, ${t.end}] overlap`,
      );
    }
    if (t.begin > pos)
      fail(file, `gap in the data region: no tensor covers bytes ${pos}..${t.begin}`);
    pos = t.end;
    prev = t;
  }
  if (pos !== dataLength) {
    fail(
      file,
      `the data region has ${dataLength} bytes but the tensors cover ${pos} (trailing bytes, or a wrong header length)`,
    );
  }

  if (metaRaw === undefined)
    fail(
      file,
      `no __metadata__ in the header; genlab checkpoints carry their metadata under "${META_KEY}"`,
    );
  if (!isPlainObject(metaRaw)) fail(file, `__metadata__ is not an object`);
  const genlab = (metaRaw as Record<string, unknown>)[META_KEY];
  if (genlab === undefined)
    fail(file, `__metadata__ has no "${META_KEY}" entry; not a genlab checkpoint`);
  if (typeof genlab !== "string")
    fail(
      file,
      `__metadata__.${META_KEY} is not a string (safetensors metadata values are strings)`,
    );
  let meta: unknown;
  try {
    meta = JSON.parse(genlab);
  } catch (err) {
    return fail(file, `__metadata__.${META_KEY} is not valid JSON (${(err as Error).message})`);
  }
  const problems = validateMeta(meta);
  if (problems.length > 0) fail(file, `bad genlab metadata: ${problems.join("; ")}`);

  tensors.sort((a, b) => compareNames(a.name, b.name));
  return { meta: meta as CheckpointMeta, tensors, dataStart };
}

function validateMeta(meta: unknown): string[] {
  if (!isPlainObject(meta)) return ["metadata is not an object"];
  const m = meta as Record<string, unknown>;
  const p: string[] = [];
  for (const key of ["model", "codeVersion", "mode", "createdAt", "backend"]) {
    if (typeof m[key] !== "string") p.push(`${key} must be a string, got ${describe(m[key])}`);
  }
  if (typeof m.model === "string" && m.model === "") p.push("model must not be empty");
  if (typeof m.createdAt === "string" && Number.isNaN(Date.parse(m.createdAt)))
    p.push(`createdAt ${JSON.stringify(m.createdAt)} is not a date`);
  if (typeof m.seed !== "number" || !Number.isFinite(m.seed))
    p.push(`seed must be a finite number, got ${describe(m.seed)}`);
  if (!isPlainObject(m.budget)) p.push(`budget must be an object, got ${describe(m.budget)}`);
  else {
    for (const [k, v] of Object.entries(m.budget as Record<string, unknown>)) {
      if (!(typeof v === "string" || (typeof v === "number" && Number.isFinite(v))))
        p.push(`budget.${k} must be a finite number or a string, got ${describe(v)}`);
    }
  }
  if (m.metrics !== undefined) {
    if (!isPlainObject(m.metrics)) p.push(`metrics must be an object, got ${describe(m.metrics)}`);
    else {
      for (const [k, v] of Object.entries(m.metrics as Record<string, unknown>)) {
        if (typeof v !== "number" || !Number.isFinite(v))
          p.push(`metrics.${k} must be a finite number, got ${describe(v)}`);
      }
    }
  }
  if (m.notes !== undefined && typeof m.notes !== "string")
    p.push(`notes must be a string, got ${describe(m.notes)}`);
  if (m.data !== undefined && typeof m.data !== "string")
    p.push(`data must be a string, got ${describe(m.data)}`);
  return p;
}

// ---------------------------------------------------------------------------------------------
// Helpers

function firstNonFinite(
  values: Float32Array,
): { index: number; value: number; count: number } | undefined {
  let first = -1;
  let count = 0;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) {
      if (first < 0) first = i;
      count++;
    }
  }
  return first < 0 ? undefined : { index: first, value: values[first], count };
}

function toLittleEndianBytes(values: Float32Array | Int32Array): Uint8Array {
  if (LITTLE_ENDIAN)
    return new Uint8Array(
      values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
    );
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  const isFloat = values instanceof Float32Array;
  for (let i = 0; i < values.length; i++) {
    if (isFloat) view.setFloat32(i * 4, values[i], true);
    else view.setInt32(i * 4, values[i], true);
  }
  return out;
}

function fromLittleEndianBytes(
  bytes: Uint8Array,
  dtype: CheckpointDtype,
): Float32Array | Int32Array {
  // Copy into a fresh, aligned buffer (the file buffer's offset need not be a multiple of 4).
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (LITTLE_ENDIAN)
    return dtype === "F32" ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
  const n = bytes.length / 4;
  const view = new DataView(copy.buffer);
  const out = dtype === "F32" ? new Float32Array(n) : new Int32Array(n);
  for (let i = 0; i < n; i++)
    out[i] = dtype === "F32" ? view.getFloat32(i * 4, true) : view.getInt32(i * 4, true);
  return out;
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return "nothing";
  if (typeof v === "number") return String(v);
  return JSON.stringify(v) ?? String(v);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / (1024 * 1024)).toFixed(2)} MiB`;
}

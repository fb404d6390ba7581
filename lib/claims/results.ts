/**
 * What each notebook measured, saved as out/results/<notebook>.json (GENLAB_OUT moves out/), for
 * the final notebook to gather into a table of claims and verdicts.
 *
 *   const res = openResults("02-vae");
 *   res.metric("test_elbo", -98.4, { unit: "nats" });
 *   const verdict = decideVerdict(checks);
 *   res.verdict("A7", { verdict, summary: "...", numbers: { elbo: -98.4 } });
 *
 * Lifecycle: `openResults` only starts a fresh, empty record in memory and touches no file. The
 * first metric/verdict/note call writes the file, replacing whatever an earlier run of the same
 * notebook left there; every later call rewrites the whole file atomically, so a crash loses
 * nothing already recorded and a reader never sees half a file. Recording the same key twice keeps
 * the last value (re-running a cell is normal). Opening the same notebook twice in one process
 * starts over again at the second object's first write.
 */
import * as fs from "fs";
import * as path from "path";
import { outDir, trainMode } from "../runtime/env";
import { writeJsonAtomic } from "../storage/io";
import { codeVersion } from "../runtime/version";

export type Verdict = "reproduced" | "reproduced with a caveat" | "not reproduced";
export const VERDICTS: readonly Verdict[] = [
  "reproduced",
  "reproduced with a caveat",
  "not reproduced",
];

/** Claim ids of the two blog posts: A1..A99 and B1..B99. */
export const CLAIM_ID = /^[AB]\d{1,2}$/;

export type MetricValue = number | number[] | Record<string, number>;

export interface MetricEntry {
  value: MetricValue;
  unit?: string;
  note?: string;
  /** ISO time of the recording. */
  at: string;
}

export interface VerdictInput {
  verdict: Verdict;
  summary: string;
  numbers: Record<string, number>;
  section?: string;
}

export interface VerdictEntry extends VerdictInput {
  claimId: string;
  at: string;
}

/** The JSON file's content. */
export interface ResultsFile {
  notebook: string;
  /** trainMode() of the run. */
  mode: string;
  /** From the provider given to setBackendNameProvider, or null when none is registered. */
  backend: string | null;
  codeVersion: string;
  startedAt: string;
  updatedAt: string;
  metrics: Record<string, MetricEntry>;
  verdicts: Record<string, VerdictEntry>;
  notes: Record<string, string>;
}

/** An unreadable file found by readAllResults. */
export interface ResultsReadError {
  notebook: string;
  file: string;
  error: string;
}

export type ResultsEntry = (ResultsFile & { error?: undefined }) | ResultsReadError;

let backendNameProvider: (() => string) | undefined;

/**
 * Registers how to name the current backend (e.g. `() => tf.getBackend()`); keeps this module free
 * of tfjs.
 */
export function setBackendNameProvider(fn: (() => string) | undefined): void {
  backendNameProvider = fn;
}

function currentBackendName(): string | null {
  if (backendNameProvider === undefined) return null;
  try {
    const name = backendNameProvider();
    return typeof name === "string" && name !== "" ? name : null;
  } catch {
    return null;
  }
}

const NOTEBOOK_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export class Results {
  readonly notebook: string;
  readonly file: string;
  private readonly state: ResultsFile;

  constructor(notebook: string, file: string) {
    this.notebook = notebook;
    this.file = file;
    const now = new Date().toISOString();
    this.state = {
      notebook,
      mode: trainMode(),
      backend: currentBackendName(),
      codeVersion: codeVersion(),
      startedAt: now,
      updatedAt: now,
      metrics: {},
      verdicts: {},
      notes: {},
    };
  }

  /** Records a finite number, list of numbers, or named numbers under `key`; returns `value`. */
  metric<T extends MetricValue>(
    key: string,
    value: T,
    opts: { unit?: string; note?: string } = {},
  ): T {
    this.checkKey("metric", key);
    const bad = findNonFinite(value);
    if (bad !== undefined) this.fail(`metric "${key}" ${bad}; refusing to record it`);
    if (opts.unit !== undefined && typeof opts.unit !== "string")
      this.fail(`metric "${key}": unit must be a string`);
    if (opts.note !== undefined && typeof opts.note !== "string")
      this.fail(`metric "${key}": note must be a string`);
    const entry: MetricEntry = { value: cloneValue(value), at: new Date().toISOString() };
    if (opts.unit !== undefined) entry.unit = opts.unit;
    if (opts.note !== undefined) entry.note = opts.note;
    this.state.metrics[key] = entry;
    this.write();
    return value;
  }

  /** Records the verdict on one claim of the blog posts ("A7", "B4", ...). */
  verdict(claimId: string, v: VerdictInput): void {
    if (typeof claimId !== "string" || !CLAIM_ID.test(claimId)) {
      this.fail(
        `claim id ${JSON.stringify(claimId)} is not of the form A<n> or B<n> (one or two digits, e.g. "A7", "B12")`,
      );
    }
    if (v === null || typeof v !== "object") this.fail(`verdict for ${claimId} must be an object`);
    if (!VERDICTS.includes(v.verdict)) {
      this.fail(
        `verdict for ${claimId} is ${JSON.stringify(v.verdict)}; use one of ${VERDICTS.map((x) => JSON.stringify(x)).join(", ")}`,
      );
    }
    if (typeof v.summary !== "string" || v.summary.trim() === "")
      this.fail(`verdict for ${claimId} needs a non-empty summary`);
    if (v.numbers === null || typeof v.numbers !== "object" || Array.isArray(v.numbers)) {
      this.fail(`verdict for ${claimId}: numbers must be an object of named numbers`);
    }
    const bad = findNonFinite(v.numbers);
    if (bad !== undefined) this.fail(`verdict for ${claimId}: numbers ${bad}`);
    if (v.section !== undefined && typeof v.section !== "string")
      this.fail(`verdict for ${claimId}: section must be a string`);
    const entry: VerdictEntry = {
      claimId,
      verdict: v.verdict,
      summary: v.summary,
      numbers: { ...v.numbers },
      at: new Date().toISOString(),
    };
    if (v.section !== undefined) entry.section = v.section;
    this.state.verdicts[claimId] = entry;
    this.write();
  }

  /** Records a free-text note. */
  note(key: string, text: string): void {
    this.checkKey("note", key);
    if (typeof text !== "string") this.fail(`note "${key}" must be a string, got ${typeof text}`);
    this.state.notes[key] = text;
    this.write();
  }

  /** A deep copy of what has been recorded so far. */
  snapshot(): ResultsFile {
    return JSON.parse(JSON.stringify(this.state)) as ResultsFile;
  }

  private write(): void {
    this.state.updatedAt = new Date().toISOString();
    const backend = currentBackendName();
    if (backend !== null) this.state.backend = backend;
    writeJsonAtomic(this.file, this.state);
  }

  private checkKey(kind: string, key: string): void {
    if (typeof key !== "string" || key.trim() === "")
      this.fail(`${kind} key must be a non-empty string, got ${JSON.stringify(key)}`);
  }

  private fail(message: string): never {
    throw new Error(`results ${this.file}: ${message}`);
  }
}

/**
 * A fresh results record for `notebook` (a file-name-safe name such as "03-gan"); see the module
 * comment.
 */
export function openResults(notebook: string): Results {
  if (typeof notebook !== "string" || !NOTEBOOK_NAME.test(notebook)) {
    throw new Error(
      `openResults: notebook name ${JSON.stringify(notebook)} must start with a letter or digit and use only letters, digits, ".", "_" and "-"`,
    );
  }
  return new Results(notebook, outDir("results", `${notebook}.json`));
}

/**
 * The verdict implied by a list of checks. A check marked `caveat: true` is a secondary one; the
 * others are essential. Rule:
 *   - any essential check fails                       -> "not reproduced"
 *   - all essential checks pass, a secondary one fails -> "reproduced with a caveat"
 *   - every check passes                              -> "reproduced"
 * An empty list is an error (no evidence is not a verdict), as are a list with no essential check,
 * unnamed checks and repeated names.
 */
export function decideVerdict(
  checks: { name: string; pass: boolean; caveat?: boolean }[],
): Verdict {
  if (!Array.isArray(checks) || checks.length === 0)
    throw new Error("decideVerdict: no checks given; a verdict needs at least one essential check");
  const seen = new Set<string>();
  for (const c of checks) {
    if (typeof c.name !== "string" || c.name === "")
      throw new Error("decideVerdict: every check needs a non-empty name");
    if (seen.has(c.name)) throw new Error(`decideVerdict: check "${c.name}" appears twice`);
    seen.add(c.name);
    if (typeof c.pass !== "boolean")
      throw new Error(`decideVerdict: check "${c.name}" has pass=${String(c.pass)}, not a boolean`);
  }
  const essential = checks.filter((c) => !c.caveat);
  if (essential.length === 0)
    throw new Error(
      "decideVerdict: every check is marked caveat; at least one essential check is needed",
    );
  if (essential.some((c) => !c.pass)) return "not reproduced";
  if (checks.some((c) => !c.pass)) return "reproduced with a caveat";
  return "reproduced";
}

/**
 * Every <notebook>.json in `dir` (default out/results/), keyed by notebook (the file name without
 * .json). A file that cannot be read, is not JSON, or does not look like a results file is returned
 * as { notebook, file, error } naming the file, never dropped. A missing folder gives {} (nothing
 * has run yet). Leftover temporary files of interrupted writes (*.tmp) are not results and are
 * ignored.
 */
export function readAllResults(dir: string = outDir("results")): Record<string, ResultsEntry> {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new Error(`readAllResults: cannot list ${dir}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const out: Record<string, ResultsEntry> = {};
  for (const name of names.filter((n) => n.endsWith(".json")).sort()) {
    const notebook = name.slice(0, -".json".length);
    const file = path.join(dir, name);
    out[notebook] = readOne(notebook, file);
  }
  return out;
}

function readOne(notebook: string, file: string): ResultsEntry {
  const err = (error: string): ResultsReadError => ({ notebook, file, error: `${file}: ${error}` });
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    return err(`cannot read: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return err(`not valid JSON (${(e as Error).message})`);
  }
  const isObj = (v: unknown): boolean => typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObj(data)) return err("not a results object");
  const d = data as Record<string, unknown>;
  const problems: string[] = [];
  for (const k of ["notebook", "mode", "codeVersion", "startedAt", "updatedAt"]) {
    if (typeof d[k] !== "string") problems.push(`"${k}" is not a string`);
  }
  for (const k of ["metrics", "verdicts", "notes"]) {
    if (!isObj(d[k])) problems.push(`"${k}" is not an object`);
  }
  if (typeof d.notebook === "string" && d.notebook !== notebook)
    problems.push(`records notebook "${d.notebook}" but is named ${notebook}.json`);
  if (problems.length > 0) return err(`not a valid results file: ${problems.join("; ")}`);
  return data as ResultsFile;
}

function findNonFinite(value: unknown): string | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? undefined : `is ${value}`;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] !== "number")
        return `has a non-number at index ${i}: ${JSON.stringify(value[i])}`;
      if (!Number.isFinite(value[i])) return `has ${value[i]} at index ${i}`;
    }
    return undefined;
  }
  if (typeof value === "object" && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v !== "number") return `has a non-number under "${k}": ${JSON.stringify(v)}`;
      if (!Number.isFinite(v)) return `has ${v} under "${k}"`;
    }
    return undefined;
  }
  return `is not a number, a list of numbers or an object of numbers (got ${typeof value})`;
}

function cloneValue<T extends MetricValue>(v: T): MetricValue {
  if (typeof v === "number") return v;
  if (Array.isArray(v)) return v.slice();
  return { ...(v as Record<string, number>) };
}

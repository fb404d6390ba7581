import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import {
  backendName,
  describeBackend,
  initBackend,
  parseBackendChoice,
} from "../lib/runtime/backend";

const ROOT = path.resolve(__dirname, "..");

interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts `node --import tsx -e <init backend>` with GENLAB_BACKEND set (undefined = unset). */
function initInChild(backend: string | undefined): Promise<ChildResult> {
  const code = [
    `require(${JSON.stringify(path.join(ROOT, "lib", "runtime", "backend.ts"))}).initBackend()`,
    `.then((i) => { const tf = require("@tensorflow/tfjs"); console.log("tf.getBackend=" + tf.getBackend()); })`,
    `.catch((e) => { console.error("ERROR " + e.message); process.exit(3); })`,
  ].join("");
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (backend === undefined) delete env.GENLAB_BACKEND;
  else env.GENLAB_BACKEND = backend;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "-e", code],
      { cwd: ROOT, env, encoding: "utf8", timeout: 60_000 },
      (err, stdout, stderr) => {
        // execFile's error carries the exit status as a number in `code` (a string code means it
        // did not run).
        const status: unknown = err ? (err as unknown as { code?: unknown }).code : 0;
        resolve({ code: typeof status === "number" ? status : null, stdout, stderr });
      },
    );
  });
}

// The child processes start at once and run side by side; each test awaits its own.
const children = new Map<string, Promise<ChildResult>>();
function child(backend: string | undefined): Promise<ChildResult> {
  const key = String(backend);
  if (!children.has(key)) children.set(key, initInChild(backend));
  return children.get(key)!;
}
for (const b of ["cpu", "wasm", undefined]) child(b);

test("parseBackendChoice: empty means auto; the five choices in any case; unknown lists the choices", () => {
  assert.equal(parseBackendChoice(undefined), "auto");
  assert.equal(parseBackendChoice(""), "auto");
  assert.equal(parseBackendChoice("  "), "auto");
  assert.equal(parseBackendChoice("auto"), "auto");
  assert.equal(parseBackendChoice("CPU"), "cpu");
  assert.equal(parseBackendChoice(" wasm "), "wasm");
  assert.equal(parseBackendChoice("node"), "node");
  assert.equal(parseBackendChoice("node-gpu"), "node-gpu");
  for (const bad of ["gpu", "webgl", "tensorflow", "node_gpu"]) {
    assert.throws(
      () => parseBackendChoice(bad),
      (err: Error) => {
        assert.ok(err.message.includes(`GENLAB_BACKEND=${JSON.stringify(bad)}`), err.message);
        assert.match(err.message, /auto, node-gpu, node, wasm, cpu/);
        return true;
      },
    );
  }
});

test("initBackend: a failed start (bad value, missing native package) is an error and is not memoised", async () => {
  // Runs before any successful start in this process: initBackend remembers only successes.
  const saved = process.env.GENLAB_BACKEND;
  try {
    process.env.GENLAB_BACKEND = "tpu";
    await assert.rejects(
      initBackend({ quiet: true }),
      /^Error: GENLAB_BACKEND="tpu" is not a backend: use one of auto, node-gpu, node, wasm, cpu$/,
    );
    assert.equal(backendName(), "uninitialised");
    let gpuInstalled = true;
    try {
      require.resolve("@tensorflow/tfjs-node-gpu");
    } catch {
      gpuInstalled = false;
    }
    if (!gpuInstalled) {
      // Asked for by name, a missing backend is an error, not a silent fallback to a slower one.
      process.env.GENLAB_BACKEND = "node-gpu";
      await assert.rejects(
        initBackend({ quiet: true }),
        /GENLAB_BACKEND=node-gpu: @tensorflow\/tfjs-node-gpu cannot be used \(not installed\); unset GENLAB_BACKEND to use the fastest backend that loads/,
      );
      assert.equal(backendName(), "uninitialised");
    }
  } finally {
    if (saved === undefined) delete process.env.GENLAB_BACKEND;
    else process.env.GENLAB_BACKEND = saved;
  }
});

test("initBackend is memoised: one start, the same answer, one line per call unless quiet", async () => {
  const saved = process.env.GENLAB_BACKEND;
  process.env.GENLAB_BACKEND = "cpu";
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(" "));
  try {
    const [a, b] = await Promise.all([initBackend({ quiet: true }), initBackend({ quiet: true })]);
    assert.equal(a, b, "concurrent calls share one start");
    assert.equal(lines.length, 0, "quiet prints nothing");
    assert.equal(a.choice, "cpu");
    assert.equal(a.tfBackend, "cpu");
    assert.equal(tf.getBackend(), "cpu");
    assert.equal(backendName(), "cpu");
    assert.equal(a.reason, "forced by GENLAB_BACKEND");
    // A later change of GENLAB_BACKEND does not restart anything: the first answer stands.
    process.env.GENLAB_BACKEND = "wasm";
    const c = await initBackend();
    assert.equal(c, a);
    assert.equal(tf.getBackend(), "cpu");
    assert.deepEqual(lines, [describeBackend(a)]);
    assert.match(
      lines[0],
      /^backend: cpu \(tfjs \d+\.\d+\.\d+, cpu, 1 thread\) - forced by GENLAB_BACKEND$/,
    );
  } finally {
    console.log = log;
    if (saved === undefined) delete process.env.GENLAB_BACKEND;
    else process.env.GENLAB_BACKEND = saved;
  }
});

test("describeBackend: native backends show no thread count", () => {
  const line = describeBackend({
    choice: "node",
    tfBackend: "tensorflow",
    reason: "fastest available",
    threads: 0,
    tfjsVersion: "4.22.0",
  });
  assert.equal(line, "backend: node (tfjs 4.22.0, tensorflow) - fastest available");
});

test("GENLAB_BACKEND=cpu in a child process prints the cpu line", async () => {
  const r = await child("cpu");
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^backend: cpu \(tfjs 4\.22\.0, cpu, 1 thread\) - forced by GENLAB_BACKEND$/m,
  );
  assert.match(r.stdout, /^tf\.getBackend=cpu$/m);
});

test("GENLAB_BACKEND=wasm in a child process prints the wasm line", async () => {
  const r = await child("wasm");
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^backend: wasm \(tfjs 4\.22\.0, wasm, 1 thread\) - forced by GENLAB_BACKEND$/m,
  );
  assert.match(r.stdout, /^tf\.getBackend=wasm$/m);
});

test("GENLAB_BACKEND unset picks the fastest that loads and says why the faster ones do not", async () => {
  const r = await child(undefined);
  assert.equal(r.code, 0, r.stderr);
  const m =
    /^backend: (node-gpu|node|wasm|cpu) \(tfjs 4\.22\.0, [a-z]+(, 1 thread)?\) - (.*)$/m.exec(
      r.stdout,
    );
  assert.ok(m, r.stdout);
  if (m[1] === "wasm") {
    // Both native packages were tried first and each is named with its reason.
    assert.match(
      m[3],
      /^faster ones unavailable: @tensorflow\/tfjs-node-gpu [^;]+; tfjs-node-native .+$/,
    );
    assert.match(r.stdout, /^tf\.getBackend=wasm$/m);
  }
});

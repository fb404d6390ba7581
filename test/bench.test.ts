/** The bench's argument parsing and its JSON line, on one tiny workload run for a few steps. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { BenchArgError, main, parseArgs } from "../bench/run";
import { WORKLOAD_NAMES } from "../bench/workloads";

describe("bench arguments", () => {
  test("no workload means all of them, with the defaults", () => {
    const a = parseArgs([]);
    assert.deepEqual(a.workloads, [...WORKLOAD_NAMES]);
    assert.equal(a.steps, 20);
    assert.equal(a.peer, true);
    assert.equal(a.fused, true);
    assert.equal(a.patches, "all");
    assert.equal(a.soak, null);
  });
  test("workloads and options", () => {
    const a = parseArgs([
      "dcgan",
      "toy-gan",
      "--steps",
      "30",
      "--warmup",
      "0",
      "--no-peer",
      "--unfused",
      "--patches",
      "BatchMatMul,Conv2DBackpropFilter",
      "--soak",
      "1000",
    ]);
    assert.deepEqual(a.workloads, ["dcgan", "toy-gan"]);
    assert.equal(a.steps, 30);
    assert.equal(a.warmup, 0);
    assert.equal(a.peer, false);
    assert.equal(a.fused, false);
    assert.deepEqual(a.patches, ["BatchMatMul", "Conv2DBackpropFilter"]);
    assert.equal(a.soak, 1000);
  });
  test("an unknown workload is an error that lists the valid ones", () => {
    assert.throws(
      () => parseArgs(["vae"]),
      (e: Error) =>
        e instanceof BenchArgError && WORKLOAD_NAMES.every((w) => e.message.includes(w)),
    );
    assert.throws(() => parseArgs(["--steps", "x"]), /--steps needs a whole number/);
    assert.throws(() => parseArgs(["--patches", "Nope"]), /use all, none or a comma list/);
    assert.throws(() => parseArgs(["--fast"]), /unknown option/);
  });
});

describe("bench run", () => {
  test("one tiny workload prints one JSON line with the fields of issue 3", async () => {
    const lines: string[] = [];
    const log = console.log;
    const err = console.error;
    const errors: string[] = [];
    console.log = (s: string) => lines.push(s);
    console.error = (s: string) => errors.push(String(s));
    const python = process.env.GENLAB_PYTHON;
    process.env.GENLAB_PYTHON = "/nonexistent/python3"; // peer absent: ratio null, never a failure
    let code: number;
    try {
      code = await main(["toy-gan", "--steps", "3", "--warmup", "1", "--batch", "8"]);
    } finally {
      console.log = log;
      console.error = err;
      if (python === undefined) delete process.env.GENLAB_PYTHON;
      else process.env.GENLAB_PYTHON = python;
    }
    assert.equal(code, 0);
    assert.equal(lines.length, 1);
    const j = JSON.parse(lines[0]);
    assert.equal(j.workload, "toy-gan");
    assert.equal(typeof j.backend, "string");
    assert.ok(j.ms_per_step > 0);
    assert.equal(j.steps, 3);
    assert.equal(j.peer, "pytorch");
    assert.equal(j.peer_ms_per_step, null);
    assert.equal(j.ratio, null);
    assert.match(j.peer_note, /PyTorch peer skipped/);
    assert.ok(j.rss_mb.start > 0 && j.rss_mb.end > 0);
    assert.equal(j.tensors.start, j.tensors.end, "a training step leaks tensors");
    assert.ok(errors.some((e) => /ratio is null/.test(e)));
  });
});

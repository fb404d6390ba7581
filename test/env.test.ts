import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TRAIN_MODES, byMode, dataDir, outDir, projectRoot, trainMode } from "../lib/runtime/env";

const ROOT = path.resolve(__dirname, "..");

/** Runs `fn` with some environment variables set (undefined = unset), then puts them back. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

test("trainMode: unset, empty, blank and 0 mean shipped; full and smoke in any case and spacing", () => {
  assert.equal(trainMode({}), "shipped");
  assert.equal(trainMode({ GENLAB_TRAIN: "" }), "shipped");
  assert.equal(trainMode({ GENLAB_TRAIN: "   " }), "shipped");
  assert.equal(trainMode({ GENLAB_TRAIN: "0" }), "shipped");
  assert.equal(trainMode({ GENLAB_TRAIN: "shipped" }), "shipped");
  assert.equal(trainMode({ GENLAB_TRAIN: "full" }), "full");
  assert.equal(trainMode({ GENLAB_TRAIN: " FULL\n" }), "full");
  assert.equal(trainMode({ GENLAB_TRAIN: "smoke" }), "smoke");
  assert.equal(trainMode({ GENLAB_TRAIN: "Smoke" }), "smoke");
  assert.deepEqual([...TRAIN_MODES], ["shipped", "full", "smoke"]);
});

test("trainMode: an unknown value is an error naming the value and the choices", () => {
  for (const bad of ["fast", "1", "fulll", "smoke,full"]) {
    assert.throws(
      () => trainMode({ GENLAB_TRAIN: bad }),
      (err: Error) => {
        assert.ok(err.message.includes(`GENLAB_TRAIN=${JSON.stringify(bad)}`), err.message);
        assert.match(err.message, /full/);
        assert.match(err.message, /smoke/);
        assert.match(err.message, /unset/);
        return true;
      },
    );
  }
});

test("trainMode reads process.env by default", () => {
  withEnv({ GENLAB_TRAIN: "smoke" }, () => assert.equal(trainMode(), "smoke"));
  withEnv({ GENLAB_TRAIN: undefined }, () => assert.equal(trainMode(), "shipped"));
  withEnv({ GENLAB_TRAIN: "nope" }, () => assert.throws(() => trainMode(), /"nope"/));
});

test("byMode picks smoke only in smoke mode; shipped and full both take the full value", () => {
  const v = { full: 5000, smoke: 20 };
  assert.equal(byMode(v, "smoke"), 20);
  assert.equal(byMode(v, "full"), 5000);
  assert.equal(byMode(v, "shipped"), 5000);
  withEnv({ GENLAB_TRAIN: "smoke" }, () => assert.equal(byMode(v), 20));
  withEnv({ GENLAB_TRAIN: "" }, () => assert.equal(byMode(v), 5000));
  withEnv({ GENLAB_TRAIN: "bogus" }, () => assert.throws(() => byMode(v), /bogus/));
});

test("projectRoot is the folder of genlab's package.json, and is stable", () => {
  assert.equal(projectRoot(), ROOT);
  assert.equal(
    JSON.parse(fs.readFileSync(path.join(projectRoot(), "package.json"), "utf8")).name,
    "genlab",
  );
  assert.equal(projectRoot(), projectRoot());
});

test("projectRoot honours GENLAB_ROOT (a child process, as the root is cached per process)", () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "genlab-root-"));
  try {
    fs.writeFileSync(path.join(tmp, "package.json"), JSON.stringify({ name: "genlab" }));
    fs.mkdirSync(path.join(tmp, "sub"));
    const code = `const e = require(${JSON.stringify(path.join(ROOT, "lib", "runtime", "env.ts"))}); console.log(JSON.stringify([e.projectRoot(), e.dataDir("weights"), e.outDir()]))`;
    const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], {
      cwd: ROOT,
      env: { ...process.env, GENLAB_ROOT: path.join(tmp, "sub"), GENLAB_DATA: "", GENLAB_OUT: "" },
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const [root, data, out] = JSON.parse(r.stdout.trim()) as string[];
    // GENLAB_ROOT names a folder below the root: the search walks up to the package.json.
    assert.equal(fs.realpathSync(root), fs.realpathSync(tmp));
    assert.equal(data, path.join(root, "data", "weights"));
    assert.equal(out, path.join(root, "out"));
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

test("outDir: out/ by default; GENLAB_OUT relative to the root, or absolute", () => {
  withEnv({ GENLAB_OUT: undefined }, () => {
    assert.equal(outDir(), path.join(ROOT, "out"));
    assert.equal(
      outDir("weights", "a.safetensors"),
      path.join(ROOT, "out", "weights", "a.safetensors"),
    );
  });
  withEnv({ GENLAB_OUT: "" }, () => assert.equal(outDir(), path.join(ROOT, "out")));
  withEnv({ GENLAB_OUT: "out/smoke" }, () => {
    assert.equal(outDir(), path.join(ROOT, "out", "smoke"));
    assert.equal(outDir("results"), path.join(ROOT, "out", "smoke", "results"));
  });
  // Relative to the root, not to the cwd.
  const cwd = process.cwd();
  try {
    process.chdir(os.tmpdir());
    withEnv({ GENLAB_OUT: "elsewhere" }, () =>
      assert.equal(outDir(), path.join(ROOT, "elsewhere")),
    );
  } finally {
    process.chdir(cwd);
  }
  const abs = path.join(os.tmpdir(), "genlab-out-abs");
  withEnv({ GENLAB_OUT: abs }, () => assert.equal(outDir("x"), path.join(abs, "x")));
});

test("dataDir: data/ by default; GENLAB_DATA relative to the root, or absolute", () => {
  withEnv({ GENLAB_DATA: undefined }, () => {
    assert.equal(dataDir(), path.join(ROOT, "data"));
    assert.equal(dataDir("weights"), path.join(ROOT, "data", "weights"));
  });
  withEnv({ GENLAB_DATA: "" }, () => assert.equal(dataDir(), path.join(ROOT, "data")));
  withEnv({ GENLAB_DATA: "scratch/data" }, () =>
    assert.equal(dataDir("weights"), path.join(ROOT, "scratch", "data", "weights")),
  );
  const abs = path.join(os.tmpdir(), "genlab-data-abs");
  withEnv({ GENLAB_DATA: abs }, () =>
    assert.equal(dataDir("runtimes.json"), path.join(abs, "runtimes.json")),
  );
  // GENLAB_DATA and GENLAB_OUT are independent.
  withEnv({ GENLAB_DATA: abs, GENLAB_OUT: undefined }, () =>
    assert.equal(outDir(), path.join(ROOT, "out")),
  );
});

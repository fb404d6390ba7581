import { after, before } from "node:test";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * A fresh temporary folder for the tests of a file (or of a describe block), with environment
 * variables set from it (undefined: removed), all undone afterwards. `dir` is filled in by the
 * before hook.
 */
export function tempEnv(
  prefix: string,
  vars: (dir: string) => Record<string, string | undefined>,
): { dir: string } {
  const state = { dir: "" };
  const saved: Record<string, string | undefined> = {};
  before(() => {
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    for (const [k, v] of Object.entries(vars(state.dir))) {
      saved[k] = process.env[k];
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  after(() => {
    fs.rmSync(state.dir, { recursive: true, force: true });
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
  return state;
}

/**
 * tempEnv with GENLAB_DATA and GENLAB_OUT inside the folder and GENLAB_TRAIN unset (shipped mode).
 */
export function tempGenlabDirs(prefix: string): { dir: string } {
  return tempEnv(prefix, (dir) => ({
    GENLAB_DATA: path.join(dir, "data"),
    GENLAB_OUT: path.join(dir, "out"),
    GENLAB_TRAIN: undefined,
  }));
}

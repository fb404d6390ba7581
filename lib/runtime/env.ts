/**
 * Where things are and how this run was asked to behave: the project root, the data and output
 * folders, and the run mode chosen by GENLAB_TRAIN. One home for every environment variable:
 *
 * - GENLAB_ROOT: where to start looking for the project root (default: this file's folder, then the
 *   cwd).
 * - GENLAB_DATA: the data folder (shipped weights, run times), absolute or relative to the root;
 *   default data/.
 * - GENLAB_OUT: the output folder, absolute or relative to the root; default out/.
 * - GENLAB_TRAIN: the run mode, see trainMode().
 * - GENLAB_BACKEND: the tfjs backend, see lib/runtime/backend.ts.
 * - GENLAB_NATIVE_BLAS: the optional OpenBLAS accelerator, see nativeBlasSetting().
 * - GENLAB_JOBS: worker processes for independent training runs, see jobCount().
 */
import * as os from "os";
import * as fs from "fs";
import * as path from "path";

let cachedRoot: string | undefined;

/**
 * The project root: the nearest folder above this file (or the cwd) whose package.json is genlab's.
 */
export function projectRoot(): string {
  if (cachedRoot !== undefined) return cachedRoot;
  const starts = [process.env.GENLAB_ROOT, __dirname, process.cwd()].filter(
    (s): s is string => !!s,
  );
  for (const start of starts) {
    let dir = path.resolve(start);
    for (;;) {
      const pkg = path.join(dir, "package.json");
      if (fs.existsSync(pkg)) {
        try {
          if (JSON.parse(fs.readFileSync(pkg, "utf8")).name === "genlab") {
            cachedRoot = dir;
            return dir;
          }
        } catch {
          /* not ours; keep walking up */
        }
      }
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error(
    `cannot find the genlab project root above ${starts.join(" or ")}; set GENLAB_ROOT`,
  );
}

/**
 * data/ under the root (shipped weights and data files); GENLAB_DATA (relative to the root)
 * overrides.
 */
export function dataDir(...parts: string[]): string {
  const base = process.env.GENLAB_DATA
    ? path.resolve(projectRoot(), process.env.GENLAB_DATA)
    : path.join(projectRoot(), "data");
  return path.join(base, ...parts);
}

/**
 * out/ under the root (executed notebooks, results, smoke-mode weights); GENLAB_OUT (relative to
 * the root) overrides.
 */
export function outDir(...parts: string[]): string {
  const base = process.env.GENLAB_OUT
    ? path.resolve(projectRoot(), process.env.GENLAB_OUT)
    : path.join(projectRoot(), "out");
  return path.join(base, ...parts);
}

/** The three run modes. `shipped`: load shipped weights (train with the full budget if none). */
export type TrainMode = "shipped" | "full" | "smoke";
export const TRAIN_MODES: readonly TrainMode[] = ["shipped", "full", "smoke"];

/** Reads GENLAB_TRAIN: unset or empty = shipped, `full`, `smoke`; anything else is an error. */
export function trainMode(env: NodeJS.ProcessEnv = process.env): TrainMode {
  const raw = (env.GENLAB_TRAIN ?? "").trim().toLowerCase();
  if (raw === "" || raw === "shipped" || raw === "0") return "shipped";
  if (raw === "full" || raw === "smoke") return raw;
  throw new Error(
    `GENLAB_TRAIN=${JSON.stringify(env.GENLAB_TRAIN)} is not a run mode: use full, smoke, or leave it unset to load the shipped weights`,
  );
}

/** Picks the value for the current mode: `budget({full: 5000, smoke: 20})`. */
export function byMode<T>(values: { full: T; smoke: T }, mode: TrainMode = trainMode()): T {
  return mode === "smoke" ? values.smoke : values.full;
}

/**
 * Reads GENLAB_NATIVE_BLAS: unset, empty, 1, on, true or yes = use the accelerator when it is
 * built; 0, off, false or no = never. Anything else is an error (a typo must not silently pick).
 */
export function nativeBlasSetting(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = (env.GENLAB_NATIVE_BLAS ?? "").trim().toLowerCase();
  if (["", "1", "on", "true", "yes"].includes(raw)) return true;
  if (["0", "off", "false", "no"].includes(raw)) return false;
  throw new Error(
    `GENLAB_NATIVE_BLAS=${JSON.stringify(env.GENLAB_NATIVE_BLAS)} is not a setting: use 0 to run ` +
      "without the OpenBLAS accelerator, 1 (or leave it unset) to use it when it is built",
  );
}

/** GENLAB_JOBS: the number of worker processes (default: the machine's cores). */
export function jobCount(env: NodeJS.ProcessEnv = process.env): number {
  const raw = (env.GENLAB_JOBS ?? "").trim();
  if (raw === "") return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(
      `GENLAB_JOBS=${JSON.stringify(env.GENLAB_JOBS)} is not a number of workers: use a positive integer (1 runs everything in this process)`,
    );
  return n;
}

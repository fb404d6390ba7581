/**
 * Which code produced a result or a checkpoint: `<package version>+<git short commit>[-dirty]
 * lib:<hash>`, e.g. "0.1.0+c25e6a3 lib:3f9a0c1d2e4b". Without git (not installed, or no repository)
 * the commit reads "nogit". "-dirty" means `git status --porcelain -- lib` lists something. The lib
 * hash is the first 12 hex digits of a sha256 over the sorted relative paths and contents of
 * lib/**\/*.ts, so two runs with the same lib hash ran the same library code even when git cannot
 * tell. Computed once per process (a kernel restart picks up edits, as it must for the code
 * anyway).
 */
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { projectRoot } from "./env";

let cached: string | undefined;

export function codeVersion(): string {
  if (cached === undefined) cached = computeCodeVersion(projectRoot());
  return cached;
}

/** Uncached, for a given root (tests). */
export function computeCodeVersion(root: string): string {
  const pkgVersion = readPackageVersion(root);
  const commit = git(root, ["rev-parse", "--short", "HEAD"]);
  let gitPart = "nogit";
  if (commit !== undefined && /^[0-9a-f]{4,40}$/.test(commit)) {
    const status = git(root, ["status", "--porcelain", "--", "lib"]);
    gitPart = commit + (status !== undefined && status !== "" ? "-dirty" : "");
  }
  return `${pkgVersion}+${gitPart} lib:${libHash(path.join(root, "lib"))}`;
}

function readPackageVersion(root: string): string {
  const file = path.join(root, "package.json");
  try {
    const v = JSON.parse(fs.readFileSync(file, "utf8")).version;
    return typeof v === "string" && v !== "" ? v : "0.0.0";
  } catch (err) {
    throw new Error(
      `codeVersion: cannot read the version from ${file}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** git's trimmed stdout, or undefined when git is missing or fails (no repository, etc.). */
function git(cwd: string, args: string[]): string | undefined {
  try {
    return execFileSync("git", args, {
      cwd,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 10_000,
    }).trim();
  } catch {
    return undefined;
  }
}

/**
 * First 12 hex digits of sha256 over every *.ts file under `libDir` (recursively, symlinked folders
 * not followed), sorted by path relative to the folder above `libDir` with "/" separators
 * ("lib/runtime/env.ts"). Each file contributes `path NUL byteLength NUL contents`.
 */
export function libHash(libDir: string): string {
  const base = path.dirname(libDir);
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, ent.name);
      if (ent.isDirectory()) {
        if (ent.name !== "node_modules") walk(full);
      } else if ((ent.isFile() || ent.isSymbolicLink()) && ent.name.endsWith(".ts")) {
        files.push(full);
      }
    }
  };
  if (fs.existsSync(libDir)) walk(libDir);
  const rel = files.map((f) => ({
    full: f,
    rel: path.relative(base, f).split(path.sep).join("/"),
  }));
  rel.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
  const h = crypto.createHash("sha256");
  for (const f of rel) {
    let content: Buffer;
    try {
      content = fs.readFileSync(f.full);
    } catch {
      continue; // a dangling symlink or a file removed while walking
    }
    h.update(f.rel, "utf8");
    h.update("\0" + content.length + "\0", "utf8");
    h.update(content);
  }
  return h.digest("hex").slice(0, 12);
}

/**
 * npm run runtimes [-- DIR ...]: the one command that changes the tracked run times. It copies the
 * measurements that `npm run reproduce` left in DIR/runtimes.json (default: out/ and every folder
 * under it that has one, e.g. out/smoke/) into data/runtimes.json, then rebuilds the time columns
 * of the README's seminar table from data/runtimes.json. Later measurements win over earlier
 * ones. `--check` changes nothing and exits 1 when data/runtimes.json or the README would change.
 */
import * as fs from "fs";
import * as path from "path";
import { dataDir, outDir, projectRoot } from "../lib/runtime/env";
import { writeFileAtomic, writeJsonAtomic } from "../lib/storage/io";
import {
  mergeRuntimes,
  readmeWithRuntimes,
  readRuntimes,
  type Runtimes,
} from "../lib/storage/runtimes";

function measuredDirs(args: string[]): string[] {
  if (args.length) return args.map((a) => path.resolve(a));
  const base = outDir();
  if (!fs.existsSync(base)) return [];
  const subs = fs
    .readdirSync(base, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .map((e) => path.join(base, e.name));
  return [base, ...subs].filter((d) => fs.existsSync(path.join(d, "runtimes.json")));
}

function main(): void {
  const args = process.argv.slice(2);
  const check = args.includes("--check");
  const dirs = measuredDirs(args.filter((a) => a !== "--check"));
  const tracked = dataDir("runtimes.json");
  let all: Runtimes = readRuntimes(tracked);
  // Oldest first, so the newest measurement of a notebook and mode wins.
  const files = dirs
    .map((d) => path.join(d, "runtimes.json"))
    .filter((f) => fs.existsSync(f))
    .sort((a, b) => fs.statSync(a).mtimeMs - fs.statSync(b).mtimeMs);
  for (const f of files) all = mergeRuntimes(all, readRuntimes(f));
  const readmeFile = path.join(projectRoot(), "README.md");
  const readme = fs.readFileSync(readmeFile, "utf8");
  const newReadme = readmeWithRuntimes(readme, all);
  const newJson = JSON.stringify(all, null, 2) + "\n";
  const oldJson = fs.existsSync(tracked) ? fs.readFileSync(tracked, "utf8") : "";
  const changed = [newJson !== oldJson && tracked, newReadme !== readme && readmeFile].filter(
    Boolean,
  );
  const rel = (f: string) => path.relative(projectRoot(), f);
  console.log(
    `runtimes: measurements from ${files.map(rel).join(", ") || "nowhere (run npm run reproduce first)"}`,
  );
  if (check) {
    console.log(
      changed.length
        ? `runtimes: would change ${changed.map((f) => rel(f as string)).join(", ")}`
        : "runtimes: up to date",
    );
    process.exit(changed.length ? 1 : 0);
  }
  if (newJson !== oldJson) writeJsonAtomic(tracked, all);
  if (newReadme !== readme) writeFileAtomic(readmeFile, newReadme);
  console.log(
    changed.length
      ? `runtimes: updated ${changed.map((f) => rel(f as string)).join(", ")}`
      : "runtimes: nothing to change",
  );
}

try {
  main();
} catch (err) {
  console.error(`runtimes: ${(err as Error).message}`);
  process.exit(2);
}

/**
 * npm run format (through this script for the notebooks): formats every notebook code cell with
 * Prettier (the project's .prettierrc.json, print width 100) and lints the cells with ESLint (the
 * project's eslint.config.mjs), so notebook code follows the same rules as lib/.
 *
 *   node --import tsx scripts/format-notebooks.ts           format the cells in place and apply
 *                                                           ESLint's fixes
 *   node --import tsx scripts/format-notebooks.ts --check   fail if a cell is unformatted or a
 *                                                           lint rule fails (npm test runs this)
 *
 * The cells of one notebook are linted together, in order, as one module (a name defined in one
 * cell and used in a later one is used). Also prints line and cell lengths.
 *
 * Both modes also fail on what formatting cannot fix: a line of a formatted cell over the print
 * width (a long string: shorten it, or build it in lib/ or with the `sentence` template of
 * lib/display/format.ts) and a cell over MAX_CELL_LINES lines (move its logic into lib/lessons/,
 * or split it with a sentence of prose between). A cell should stay at about 15 lines; the limit
 * leaves room for the few that read better whole.
 */
import * as fs from "fs";
import * as path from "path";
import * as prettier from "prettier";
import { ESLint } from "eslint";
import { projectRoot } from "../lib/runtime/env";

interface Cell {
  cell_type: string;
  source: string[] | string;
}

const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join("") : c.source);

function toSource(s: string): string[] {
  const lines = s.split("\n");
  return lines.map((l, i) => (i < lines.length - 1 ? `${l}\n` : l)).filter((l) => l !== "");
}

/** The formatter's print width: no notebook code line may be longer. */
export const MAX_LINE = 100;
/** The most lines a notebook code cell may have (aim at 15). */
export const MAX_CELL_LINES = 18;

/** What formatting cannot fix in a formatted cell: lines over MAX_LINE, length over the limit. */
export function cellLimitProblems(source: string): string[] {
  const lines = source.split("\n");
  const long = lines
    .map((l, k) => ({ k, n: l.length }))
    .filter(({ n }) => n > MAX_LINE)
    .map(({ k, n }) => `line ${k + 1} has ${n} characters (limit ${MAX_LINE})`);
  const tall =
    lines.length > MAX_CELL_LINES
      ? [
          `${lines.length} lines (limit ${MAX_CELL_LINES}): move logic into lib/lessons/ or split it`,
        ]
      : [];
  return [...long, ...tall];
}

export interface CellStats {
  lines: number;
  over100: number;
  longest: number;
  cellsOver15: number;
  cells: number;
}

export function cellStats(cells: string[]): CellStats {
  const lines = cells.flatMap((c) => c.split("\n"));
  return {
    lines: lines.length,
    over100: lines.filter((l) => l.length > 100).length,
    longest: Math.max(0, ...lines.map((l) => l.length)),
    cellsOver15: cells.filter((c) => c.split("\n").length > 15).length,
    cells: cells.length,
  };
}

/**
 * Formats (or with `check`, checks) every notebook in `dir`; returns the number of problems (an
 * unformatted cell, a cell that does not parse, a lint message) and the cells' statistics. Cells
 * are linted under the project's notebook rules whatever folder `dir` is.
 */
export async function formatNotebooks(
  dir: string,
  check: boolean,
): Promise<{ problems: number; stats: CellStats }> {
  const root = projectRoot();
  const options = {
    ...(await prettier.resolveConfig(path.join(root, "lib", "x.ts"))),
    parser: "typescript",
  };
  const eslint = new ESLint({ cwd: root });
  const fixer = new ESLint({ cwd: root, fix: true });
  let problems = 0;
  const all: string[] = [];
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.endsWith(".ipynb"))
    .sort()) {
    const file = path.join(dir, f);
    const raw = fs.readFileSync(file, "utf8");
    const nb = JSON.parse(raw) as { cells: Cell[] };
    const code = nb.cells.map((c, i) => ({ c, i })).filter(({ c }) => c.cell_type === "code");
    let changed = 0;
    for (const { c, i } of code) {
      const src = text(c);
      let out: string;
      try {
        out = (await prettier.format(src, options)).replace(/\n$/, "");
      } catch (e) {
        console.error(`${f} cell ${i}: does not parse: ${(e as Error).message.split("\n")[0]}`);
        problems++;
        continue;
      }
      for (const p of cellLimitProblems(out)) {
        console.error(`${f} cell ${i}: ${p}`);
        problems++;
      }
      if (out !== src) {
        changed++;
        if (check) console.error(`${f} cell ${i}: not formatted (npm run format fixes it)`);
        else c.source = toSource(out);
      }
    }
    if (check) problems += changed;
    else if (changed) {
      fs.writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
      console.log(`${f}: formatted ${changed} cell(s)`);
    }
    // Lint the cells as one module (fixing what ESLint can fix unless --check); report the rest
    // at its cell and line.
    const SEP = "\n// @@genlab-cell-boundary@@\n";
    const starts: { cell: number; line: number }[] = [];
    let line = 1;
    for (const { c, i } of code) {
      starts.push({ cell: i, line });
      line += text(c).split("\n").length + 1;
    }
    const joined = code.map(({ c }) => text(c)).join(SEP);
    const lintFile = path.join(root, "notebooks", `${f}.cells.ts`);
    const [res] = await (check ? eslint : fixer).lintText(joined, { filePath: lintFile });
    if (!check && res.output !== undefined && res.output !== joined) {
      const fixed = res.output.split(SEP);
      if (fixed.length !== code.length) throw new Error(`${f}: lint fixes moved a cell boundary`);
      for (const [k, { c }] of code.entries()) {
        c.source = toSource((await prettier.format(fixed[k], options)).replace(/\n$/, ""));
      }
      fs.writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
      console.log(`${f}: lint fixes applied`);
    }
    all.push(...code.map(({ c }) => text(c)));
    for (const m of res.messages) {
      const at = [...starts].reverse().find((s) => s.line <= m.line) ?? starts[0];
      console.error(
        `${f} cell ${at.cell}, line ${m.line - at.line + 1}: ${m.message} (${m.ruleId})`,
      );
      problems++;
    }
  }
  return { problems, stats: cellStats(all) };
}

async function main(): Promise<void> {
  const check = process.argv.includes("--check");
  const { problems, stats: s } = await formatNotebooks(
    path.join(projectRoot(), "notebooks"),
    check,
  );
  console.log(
    `notebook code: ${s.cells} cells, ${s.lines} lines, ${s.over100} over 100 characters ` +
      `(longest ${s.longest}), ${s.cellsOver15} cells over 15 lines`,
  );
  if (problems) {
    console.error(`format-notebooks: ${problems} problem(s)`);
    process.exit(1);
  }
}

if (require.main === module) void main();

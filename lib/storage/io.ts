/**
 * File writes that never leave a half-written file behind: write to a temporary name, then rename.
 */
import * as fs from "fs";
import * as path from "path";

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (err) {
    fs.rmSync(tmp, { force: true });
    const e = err as NodeJS.ErrnoException;
    const kept = fs.existsSync(file)
      ? `the previous ${file} is unchanged`
      : `${file} was not created`;
    const hint =
      e.code === "ENOSPC" || e.code === "EDQUOT"
        ? "free some disk space and run again"
        : e.code === "EACCES" || e.code === "EPERM" || e.code === "EROFS"
          ? `make ${path.dirname(file)} writable and run again`
          : "fix the cause and run again";
    throw new Error(
      `could not write ${file} (${e.code ?? "error"}: ${e.message}); ${kept}; ${hint}`,
      { cause: err },
    );
  }
}

/**
 * JSON indented by two spaces, except that an array of plain numbers stays on one line (samples,
 * curves: one number per line would double the size of data/), with a trailing newline.
 */
export function jsonText(value: unknown): string {
  // An indented array opens with "[" and a newline, which no JSON string can hold.
  const text = JSON.stringify(value, null, 2);
  return text.replace(/\[\n[-\d.eE+,\s]*\]/g, (arr) => arr.replace(/\s+/g, "")) + "\n";
}

/** jsonText(value), written atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, jsonText(value));
}

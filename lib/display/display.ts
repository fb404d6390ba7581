/**
 * Rich output that works in a tslab notebook and degrades to text in a terminal or a test.
 * Inside the kernel tslab's display API is live; elsewhere it throws "Not ready". `inNotebook()`
 * tells the two apart without loading tslab: its public module pulls in tslab's TypeScript
 * compiler (about a second of start-up in every script and test), so tslab is only required once
 * we know the kernel, which has loaded it already, is there.
 */
import type * as Tslab from "tslab";

/** tslab's kernel-side module, when this process is a tslab kernel that has loaded it. */
function loadedJupyterModule(): { lastWriteDisplayData: unknown } | undefined {
  let id: string;
  try {
    id = require.resolve("tslab/dist/jupyter");
  } catch {
    return undefined; // tslab is not installed: not a notebook
  }
  // The kernel (tslab/dist/main.js) requires this module before it runs any cell.
  const cache = (require as NodeJS.Require).cache as NodeJS.Dict<NodeModule> | undefined;
  if (cache) return cache[id]?.exports as { lastWriteDisplayData: unknown } | undefined;
  return require(id) as { lastWriteDisplayData: unknown };
}

export function inNotebook(): boolean {
  if (notebookFlag === undefined) {
    try {
      notebookFlag = loadedJupyterModule()?.lastWriteDisplayData != null;
    } catch {
      notebookFlag = false;
    }
  }
  return notebookFlag;
}
let notebookFlag: boolean | undefined;

/** tslab's public API; only called after inNotebook() said yes. */
function tslab(): typeof Tslab {
  return require("tslab") as typeof Tslab;
}

/** Shows HTML in a notebook; in a terminal prints `fallback` (or nothing when it is undefined). */
export function showHtml(html: string, fallback?: string): void {
  if (inNotebook()) tslab().display.html(html);
  else if (fallback !== undefined) console.log(fallback);
}

/** Shows Markdown in a notebook, the raw text elsewhere. */
export function showMarkdown(md: string): void {
  if (inNotebook()) tslab().display.markdown(md);
  else console.log(md);
}

/** A display slot that can be rewritten in place (progress bars, live plots). */
export interface LiveDisplay {
  html(html: string, fallback?: string): void;
}

export function newLiveDisplay(): LiveDisplay {
  if (inNotebook()) {
    const d = tslab().newDisplay();
    return { html: (h: string) => d.html(h) };
  }
  return {
    html: (_h: string, fallback?: string) => {
      if (fallback !== undefined) console.log(fallback);
    },
  };
}

/** Escapes text for HTML. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

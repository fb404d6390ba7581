/**
 * Rich output that works in a tslab notebook and degrades to text in a terminal or a test.
 * Inside the kernel tslab's display API is live; elsewhere it throws "Not ready", which is how
 * `inNotebook()` tells the two apart.
 */
import * as tslab from "tslab";

export function inNotebook(): boolean {
  try {
    // Displaying an empty text output is the only public probe; do it once and remember.
    if (notebookFlag === undefined) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: unknown };
      notebookFlag = jupyter.lastWriteDisplayData != null;
    }
    return notebookFlag;
  } catch {
    notebookFlag = false;
    return false;
  }
}
let notebookFlag: boolean | undefined;

/** Shows HTML in a notebook; in a terminal prints `fallback` (or nothing when it is undefined). */
export function showHtml(html: string, fallback?: string): void {
  if (inNotebook()) tslab.display.html(html);
  else if (fallback !== undefined) console.log(fallback);
}

/** Shows Markdown in a notebook, the raw text elsewhere. */
export function showMarkdown(md: string): void {
  if (inNotebook()) tslab.display.markdown(md);
  else console.log(md);
}

/** A display slot that can be rewritten in place (progress bars, live plots). */
export interface LiveDisplay {
  html(html: string, fallback?: string): void;
}

export function newLiveDisplay(): LiveDisplay {
  if (inNotebook()) {
    const d = tslab.newDisplay();
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
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

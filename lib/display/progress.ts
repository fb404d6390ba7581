/**
 * Progress bars for long work: a live HTML bar in a notebook (updated in place through tslab's
 * display API), a single rewritten line on a terminal, and a few plain lines in a log (CI).
 */
import { escapeHtml, inNotebook, newLiveDisplay, type LiveDisplay } from "./display";
import { notifyRunner } from "../runtime/ipc";

/** A duration for a progress line: "12.3 s", "4 min 05 s", "2 h 07 min" (rounded, never "60 s"). */
export function fmtSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 59.95) return `${s.toFixed(1)} s`;
  const t = Math.round(s);
  if (t < 3600) return `${Math.floor(t / 60)} min ${String(t % 60).padStart(2, "0")} s`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`;
}

function fmtInfo(info: Record<string, number>): string {
  return Object.entries(info)
    .map(
      ([k, v]) =>
        `${k}=${Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toPrecision(4)}`,
    )
    .join(" ");
}

/** Lets queued output (Jupyter messages, terminal writes) go out during a long synchronous loop. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export class ProgressBar {
  private readonly start = Date.now();
  private lastRender = -Infinity;
  private lastLoggedDecile = -1;
  private readonly live: LiveDisplay | null;
  private readonly tty: boolean;

  constructor(
    readonly total: number,
    readonly label: string,
    /** Minimum milliseconds between two renders. */
    readonly intervalMs = 250,
  ) {
    if (!(total > 0)) throw new Error(`ProgressBar ${label}: total must be positive, got ${total}`);
    this.live = inNotebook() ? newLiveDisplay() : null;
    this.tty = !this.live && !!process.stderr.isTTY;
  }

  /** Elapsed seconds since the bar was made. */
  elapsed(): number {
    return (Date.now() - this.start) / 1000;
  }

  /**
   * Reports `done` of `total`; renders at most every intervalMs and then yields to the event loop.
   */
  async update(done: number, info: Record<string, number> = {}): Promise<void> {
    const now = Date.now();
    if (done < this.total && now - this.lastRender < this.intervalMs) return;
    this.lastRender = now;
    this.render(done, info, false);
    await yieldToEventLoop();
  }

  /** Final render (100% or where it stopped), with the total time. */
  finish(done = this.total, info: Record<string, number> = {}): void {
    this.render(done, info, true);
  }

  private render(done: number, info: Record<string, number>, final: boolean): void {
    // In a training worker, the runner draws one bar for all runs from these messages.
    if (notifyRunner({ kind: "progress", label: this.label, done, total: this.total })) return;
    const frac = Math.min(1, Math.max(0, done / this.total));
    const el = this.elapsed();
    const eta = frac > 0 ? (el / frac) * (1 - frac) : NaN;
    const time = final
      ? `${fmtSeconds(el)}`
      : `${fmtSeconds(el)} elapsed, ~${fmtSeconds(eta)} left`;
    const text =
      `${this.label}: ${Number.isInteger(done) ? done : done.toFixed(1)}/${this.total} (${(100 * frac).toFixed(0)}%) ${time} ${fmtInfo(info)}`.trimEnd();
    if (this.live) {
      const pct = (100 * frac).toFixed(1);
      const color = final && done < this.total ? "#d62728" : "#1f77b4";
      this.live.html(
        `<div style="font-family:monospace;font-size:12px"><div style="display:inline-block;width:240px;height:10px;border:1px solid #999;vertical-align:middle">` +
          `<div style="width:${pct}%;height:100%;background:${color}"></div></div> ${escapeHtml(text)}</div>`,
      );
    } else if (this.tty) {
      process.stderr.write(`\r${text}\x1b[K${final ? "\n" : ""}`);
    } else {
      // A log gets a line per tenth of the way (0%, 10%, ..., 90%) and the final line from
      // finish():
      // at most 11 lines, and 100% is said once, by finish(), with the total time.
      const decile = Math.floor(frac * 10);
      if (final || (decile > this.lastLoggedDecile && decile < 10)) {
        this.lastLoggedDecile = decile;
        console.log(text);
      }
    }
  }
}

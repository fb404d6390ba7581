import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { inNotebook } from "../lib/display/display";
import { fmtSeconds, ProgressBar, yieldToEventLoop } from "../lib/display/progress";

/**
 * Runs `fn` with a fake clock (Date.now returns `clock.t`), stderr reported as a TTY or not, and
 * console.log / process.stderr.write captured. Everything is put back afterwards.
 */
async function capture(
  opts: { tty: boolean },
  fn: (clock: { t: number }) => Promise<void> | void,
): Promise<{ log: string[]; stderr: string[] }> {
  const log: string[] = [];
  const stderr: string[] = [];
  const clock = { t: 1_000_000 };
  const saved = {
    now: Date.now,
    log: console.log,
    write: process.stderr.write,
    tty: process.stderr.isTTY,
  };
  Date.now = () => clock.t;
  console.log = (...args: unknown[]) => void log.push(args.join(" "));
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr.push(String(chunk));
    return true;
  }) as typeof process.stderr.write;
  process.stderr.isTTY = opts.tty;
  try {
    await fn(clock);
  } finally {
    Date.now = saved.now;
    console.log = saved.log;
    process.stderr.write = saved.write;
    process.stderr.isTTY = saved.tty;
  }
  return { log, stderr };
}

test("the test process is not a notebook, so bars print text", () => {
  assert.equal(inNotebook(), false);
});

test("in a log (no TTY, no notebook) a bar prints one line per tenth and one final line", async () => {
  const total = 200;
  const { log, stderr } = await capture({ tty: false }, async (clock) => {
    const bar = new ProgressBar(total, "train");
    for (let i = 1; i <= total; i++) {
      clock.t += 50; // 50 ms a step: with the default 250 ms interval a render every 5 steps
      await bar.update(i, { loss: 1 / i });
    }
    clock.t += 50;
    bar.finish(total, { loss: 0.005 });
  });
  assert.deepEqual(stderr, [], "nothing on stderr without a TTY");
  // The first update renders, then one every 250 ms (5 steps): 1, 6, 11, ...; the first render of
  // each tenth is logged: steps 1, 21, 41, ..., 181, then the final line.
  assert.equal(log.length, 11, log.join("\n"));
  const steps = log.map((l) => Number(/^train: (\d+)\/200 /.exec(l)?.[1]));
  assert.deepEqual(steps, [1, 21, 41, 61, 81, 101, 121, 141, 161, 181, 200]);
  for (const line of log.slice(0, 10)) {
    const m =
      /^train: (\d+)\/200 \((\d+)%\) ([\d.]+) s elapsed, ~([\d.]+) s left loss=[\d.]+$/.exec(line);
    assert.ok(m, line);
    const done = Number(m[1]);
    assert.equal(Number(m[2]), Math.round((100 * done) / total));
    const elapsed = (done * 50) / 1000;
    assert.ok(Math.abs(Number(m[3]) - elapsed) <= 0.051, line);
    // The estimate is elapsed * (remaining / done).
    assert.ok(Math.abs(Number(m[4]) - (elapsed * (total - done)) / done) <= 0.051, line);
  }
  assert.equal(log[0], "train: 1/200 (1%) 0.1 s elapsed, ~9.9 s left loss=1.000");
  // The final line gives the total time and no estimate; 100% appears once.
  assert.equal(log[10], "train: 200/200 (100%) 10.1 s loss=0.005000");
  assert.equal(log.filter((l) => l.includes("(100%)")).length, 1);
});

test("a real child process with piped output (no TTY) logs at most 11 lines, none on stderr", () => {
  const lib = JSON.stringify(path.join(__dirname, "..", "lib", "display", "progress.ts"));
  const code = `const { ProgressBar } = require(${lib});
    (async () => { const bar = new ProgressBar(100, "child", 0);
      for (let i = 1; i <= 100; i++) await bar.update(i, { loss: 1 });
      bar.finish(); })();`;
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", code], {
    encoding: "utf8",
    stdio: "pipe",
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 11, r.stdout);
  assert.match(lines[0], /^child: 1\/100 \(1%\) /);
  assert.match(lines[10], /^child: 100\/100 \(100%\) [\d.]+ s$/);
  assert.equal(r.stderr, "");
});

test("a bar stopped early (finish below the total) ends with where it stopped", async () => {
  const { log } = await capture({ tty: false }, async (clock) => {
    const bar = new ProgressBar(100, "gan", 0);
    for (let i = 1; i <= 30; i++) {
      clock.t += 100;
      await bar.update(i);
    }
    bar.finish(30, { d_loss: NaN });
  });
  assert.deepEqual(
    log.map((l) => Number(/\((\d+)%\)/.exec(l)?.[1])),
    [1, 10, 20, 30, 30],
  );
  assert.equal(log[log.length - 1], "gan: 30/100 (30%) 3.0 s d_loss=NaN");
});

test("ETA text: seconds below a minute, minutes and seconds above, ? before any progress", async () => {
  const { log } = await capture({ tty: false }, async (clock) => {
    const a = new ProgressBar(4, "a", 0);
    await a.update(0);
    const b = new ProgressBar(4, "b", 0);
    clock.t += 90_000;
    await b.update(2);
    const c = new ProgressBar(3, "c", 0);
    clock.t += 30_000;
    await c.update(1, { big: 123456, small: 0.00012, zero: 0, neg: -2.5 });
  });
  assert.equal(log[0], "a: 0/4 (0%) 0.0 s elapsed, ~? left");
  assert.equal(log[1], "b: 2/4 (50%) 1 min 30 s elapsed, ~1 min 30 s left");
  assert.equal(
    log[2],
    "c: 1/3 (33%) 30.0 s elapsed, ~1 min 00 s left big=1.235e+5 small=1.200e-4 zero=0.000 neg=-2.500",
  );
});

test("updates closer together than the interval are skipped, but reaching the total always renders", async () => {
  const { stderr } = await capture({ tty: true }, async (clock) => {
    const bar = new ProgressBar(10, "x", 1000);
    await bar.update(1); // renders (first)
    clock.t += 100;
    await bar.update(2); // skipped: 100 ms < 1000 ms
    clock.t += 1000;
    await bar.update(3); // renders
    await bar.update(10); // renders: done
  });
  assert.equal(stderr.length, 3);
  assert.deepEqual(
    stderr.map((s) => /(\d+)\/10/.exec(s)?.[1]),
    ["1", "3", "10"],
  );
});

test("on a TTY the bar rewrites one line on stderr and ends it with a newline", async () => {
  const { log, stderr } = await capture({ tty: true }, async (clock) => {
    const bar = new ProgressBar(3, "tty", 0);
    for (let i = 1; i <= 3; i++) {
      clock.t += 1000;
      await bar.update(i);
    }
    bar.finish();
  });
  assert.deepEqual(log, [], "nothing on stdout");
  assert.equal(stderr.length, 4);
  for (const s of stderr) {
    assert.ok(s.startsWith("\r"), JSON.stringify(s));
    assert.equal(s.split("\n").length - 1, s === stderr[3] ? 1 : 0, JSON.stringify(s));
  }
  assert.equal(stderr[0], "\rtty: 1/3 (33%) 1.0 s elapsed, ~2.0 s left\x1b[K");
  assert.equal(stderr[3], "\rtty: 3/3 (100%) 3.0 s\x1b[K\n");
});

test("a total that is not positive is refused, naming the bar", () => {
  assert.throws(() => new ProgressBar(0, "vae"), /ProgressBar vae: total must be positive, got 0/);
  assert.throws(() => new ProgressBar(-5, "vae"), /got -5/);
  assert.throws(() => new ProgressBar(NaN, "vae"), /got NaN/);
});

test("yieldToEventLoop lets a pending timer run", async () => {
  let ran = false;
  setTimeout(() => (ran = true), 0);
  await yieldToEventLoop();
  await yieldToEventLoop();
  assert.equal(ran, true);
});

test("fmtSeconds rounds before it splits: never '60 s', hours past an hour", () => {
  assert.equal(fmtSeconds(12.34), "12.3 s");
  assert.equal(fmtSeconds(59.97), "1 min 00 s");
  assert.equal(fmtSeconds(12839.7), "3 h 34 min");
  assert.equal(fmtSeconds(125.6), "2 min 06 s");
  assert.equal(fmtSeconds(3599.6), "1 h 00 min");
  assert.equal(fmtSeconds(NaN), "?");
});

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../lib/runtime/backend";
import { loadInto } from "../lib/storage/checkpoint";
import { dataDir } from "../lib/runtime/env";
import { type ModeCoverage } from "../lib/eval/modes";
import { Rng } from "../lib/runtime/random";
import { countParams } from "../lib/runtime/nn";
import { runOrLoad, type RunSpec } from "../lib/storage/runs";
import { Flow, trainFlow } from "../lib/models/flow";
import { VAE, calibrateDecoderVariance, sampleVAE } from "../lib/models/vae";
import { tempEnv } from "./support/temp-env";
import {
  B11_SUCCESS,
  b11Run,
  b11Success,
  b11Summary,
  checkB11Result,
  type B11Run,
} from "../lib/models/b11";
import {
  TOY_FLOW_CONFIG,
  TOY_VAE_CONFIG,
  decoderSigma,
  fitToyDiffusion,
  fitToyVAE,
  newToyVAE,
  sampleToyVAE,
  scoreToyDiffusion,
  scoreToyFlow,
  scoreToyVAE,
  toyMixture,
  toyParamCounts,
} from "../lib/models/toys";

const LOG_2PI = Math.log(2 * Math.PI);

/** Sets every parameter of a model to seeded random values. */
function randomise(params: Record<string, tf.Variable>, seed: number, std = 0.5): void {
  const rng = new Rng(seed);
  for (const v of Object.values(params))
    v.assign(tf.tensor(rng.normalArray(v.size, 0, std), v.shape));
}

/** y = x W + b with x one row, W [in, out] row-major. */
function dense(
  x: number[],
  w: Float32Array | Int32Array | Uint8Array,
  b: ArrayLike<number>,
  relu: boolean,
): number[] {
  const out = Array.from(b, Number);
  for (let i = 0; i < x.length; i++)
    for (let j = 0; j < out.length; j++) out[j] += x[i] * w[i * out.length + j];
  return relu ? out.map((v) => Math.max(0, v)) : out;
}

/** The MLP of `prefix` (layers prefix.0, prefix.1, ...) applied to one row by hand. */
function mlpByHand(params: Record<string, tf.Variable>, prefix: string, x: number[]): number[] {
  let h = x;
  const layers = Object.keys(params).filter(
    (k) => k.startsWith(`${prefix}.`) && k.endsWith(".w"),
  ).length;
  for (let l = 0; l < layers; l++)
    h = dense(
      h,
      params[`${prefix}.${l}.w`].dataSync(),
      params[`${prefix}.${l}.b`].dataSync(),
      l + 1 < layers,
    );
  return h;
}

describe("Gaussian-decoder VAE", () => {
  test("ELBO terms match a hand computation (stored variance and the batch's maximum-likelihood variance)", async () => {
    await initBackend({ quiet: true });
    const vae = new VAE(
      "tiny",
      { inputDim: 2, hidden: [3], latent: 1, decoderHidden: [4], likelihood: "gaussian" },
      new Rng(1),
    );
    const p = vae.params();
    assert.ok("tiny.dec.logvar" in p);
    randomise(p, 2);
    const xs = [
      [0.3, -0.7],
      [1.2, 0.4],
      [-0.5, 0.9],
    ];
    const eps = [0.5, -1.1, 0.2];
    const lvx = Array.from(vae.logvarX!.dataSync());
    const z: number[] = [],
      kl: number[] = [],
      m: number[][] = [];
    for (let i = 0; i < xs.length; i++) {
      const [mu, lv] = mlpByHand(p, "tiny.enc", xs[i]);
      z.push(mu + Math.exp(lv / 2) * eps[i]);
      kl.push(0.5 * (mu * mu + Math.exp(lv) - 1 - lv));
      m.push(mlpByHand(p, "tiny.dec", [z[i]]));
    }
    const recon = xs.map((x, i) =>
      x.reduce(
        (s, xj, j) => s - 0.5 * ((xj - m[i][j]) ** 2 / Math.exp(lvx[j]) + lvx[j] + LOG_2PI),
        0,
      ),
    );
    const batchVar = [0, 1].map(
      (j) => xs.reduce((s, x, i) => s + (x[j] - m[i][j]) ** 2, 0) / xs.length + 1e-6,
    );
    const reconBatch = xs.map((x, i) =>
      x.reduce(
        (s, xj, j) =>
          s - 0.5 * ((xj - m[i][j]) ** 2 / batchVar[j] + Math.log(batchVar[j]) + LOG_2PI),
        0,
      ),
    );
    const x = tf.tensor2d(xs.flat(), [3, 2]);
    const e = tf.tensor2d(eps, [3, 1]);
    for (const [batch, want] of [
      [false, recon],
      [true, reconBatch],
    ] as const) {
      const t = vae.elboTerms(x, e, batch);
      const got = Array.from(t.recon.dataSync());
      want.forEach((w, i) =>
        assert.ok(
          Math.abs(got[i] - w) < 1e-4 * Math.max(1, Math.abs(w)),
          `batchVariance ${batch}, row ${i}: recon ${got[i]} vs hand ${w}`,
        ),
      );
      Array.from(t.kl.dataSync()).forEach((k, i) =>
        assert.ok(Math.abs(k - kl[i]) < 1e-5, `row ${i}: KL ${k} vs hand ${kl[i]}`),
      );
      tf.dispose([t.recon, t.kl]);
    }
    // The loss is -(mean recon - mean KL).
    const loss = vae.loss(x, e).dataSync()[0];
    const want = -(recon.reduce((a, b) => a + b, 0) / 3 - kl.reduce((a, b) => a + b, 0) / 3);
    assert.ok(
      Math.abs(loss - want) < 1e-4 * Math.max(1, Math.abs(want)),
      `loss ${loss} vs ${want}`,
    );
    // calibrateDecoderVariance sets the variance to the mean squared residual under z ~ q(z|x)
    // drawn from its Rng.
    const sigma = calibrateDecoderVariance(vae, new Float32Array(xs.flat()), new Rng(9));
    const ez = new Rng(9).normalArray(3);
    const res = [0, 0];
    xs.forEach((row, i) => {
      const [mu, lv] = mlpByHand(p, "tiny.enc", row);
      const mm = mlpByHand(p, "tiny.dec", [mu + Math.exp(lv / 2) * ez[i]]);
      row.forEach((v, j) => (res[j] += (v - mm[j]) ** 2 / 3));
    });
    res.forEach((r, j) =>
      assert.ok(
        Math.abs(sigma[j] - Math.sqrt(r + 1e-6)) < 1e-4,
        `sigma ${sigma[j]} vs hand ${Math.sqrt(r + 1e-6)}`,
      ),
    );
    tf.dispose([x, e, ...Object.values(p)]);
  });

  test("a Bernoulli VAE keeps its parameters (no decoder variance) and loads shipped MNIST weights", async () => {
    await initBackend({ quiet: true });
    const vae = new VAE(
      "vae-mnist-z2",
      { inputDim: 784, hidden: [200, 200], latent: 2 },
      new Rng(202),
    );
    assert.equal(vae.logvarX, null);
    assert.ok(!Object.keys(vae.params()).some((k) => k.includes("logvar")));
    const file = dataDir("weights", "vae-mnist-z2.safetensors");
    if (fs.existsSync(file)) loadInto(file, vae.params());
    tf.dispose(Object.values(vae.params()));
  });

  test("the toy VAE: about the toy GAN's size, and its samples are the decoder mean plus sigma times noise, reproducible per seed", async () => {
    await initBackend({ quiet: true });
    const counts = toyParamCounts();
    assert.equal(counts.vae, 51080);
    assert.equal(counts.flow, 35346);
    const vae = newToyVAE("t", 3);
    randomise(vae.params(), 4, 0.2);
    vae.logvarX!.assign(tf.tensor1d([-3, -2]));
    const a = sampleToyVAE(vae, 50, new Rng(5));
    assert.deepEqual(a, sampleToyVAE(vae, 50, new Rng(5)));
    assert.notDeepEqual(a, sampleToyVAE(vae, 50, new Rng(6)));
    const mean = sampleToyVAE(vae, 50, new Rng(5), { meanOnly: true });
    const r = new Rng(5);
    r.normalArray(50 * TOY_VAE_CONFIG.latent);
    const noise = r.normalArray(100);
    const sd = decoderSigma(vae);
    for (let i = 0; i < 100; i++)
      assert.ok(Math.abs(a[i] - (mean[i] + sd[i % 2] * noise[i])) < 1e-5);
    assert.deepEqual(sampleVAE(vae, 50, new Rng(5)), a);
    const mix = toyMixture("ring8");
    assert.deepEqual(scoreToyVAE(vae, mix, 2), scoreToyVAE(vae, mix, 2));
    tf.dispose(Object.values(vae.params()));
    const flow = new Flow("f", TOY_FLOW_CONFIG, new Rng(1));
    randomise(flow.params(), 2, 0.1);
    assert.deepEqual(scoreToyFlow(flow, mix, 0), scoreToyFlow(flow, mix, 0));
    tf.dispose(Object.values(flow.params()));
  });
});

test("trainFlow with clipNorm: the same maths as without when the clip never binds, and the norm logged", async () => {
  await initBackend({ quiet: true });
  const data = new Rng(3).normalArray(2 * 64);
  const run = async (clipNorm?: number) => {
    const f = new Flow("clip", { dim: 2, couplings: 2, hidden: [8], kind: "affine" }, new Rng(1));
    randomise(f.params(), 5, 0.2);
    const h = await trainFlow(
      f,
      data,
      { steps: 3, batchSize: 16, lr: 1e-2, ...(clipNorm === undefined ? {} : { clipNorm }) },
      { seed: 2, quiet: true },
    );
    const w = Object.values(f.params()).flatMap((v) => Array.from(v.dataSync()));
    tf.dispose(Object.values(f.params()));
    return { h, w };
  };
  const plain = await run();
  const loose = await run(1e30);
  const tight = await run(1e-3);
  plain.w.forEach((v, i) =>
    assert.ok(Math.abs(v - loose.w[i]) < 1e-6, `parameter ${i}: ${v} vs ${loose.w[i]}`),
  );
  assert.ok(!plain.h.keys().includes("gradNorm"));
  assert.ok(loose.h.column("gradNorm").every((g) => g > 1e-3 && Number.isFinite(g)));
  assert.ok(
    tight.w.some((v, i) => Math.abs(v - plain.w[i]) > 1e-6),
    "a binding clip changes the updates",
  );
});

describe("runOrLoad", () => {
  const tmp = tempEnv("genlab-runs-", (d) => ({
    GENLAB_DATA: path.join(d, "data"),
    GENLAB_OUT: path.join(d, "out"),
    GENLAB_TRAIN: "",
  }));

  type B = { steps: number; lrs: number[] };
  const spec = (
    calls: { budget: B; seeds: number[] }[],
    over: Partial<RunSpec<B, { total: number }>> = {},
  ): RunSpec<B, { total: number }> => ({
    name: "grid-test",
    seeds: { full: [0, 1], smoke: [0] },
    budget: { full: { steps: 100, lrs: [1, 2] }, smoke: { steps: 3, lrs: [1] } },
    compute: async (budget, seeds) => {
      calls.push({ budget, seeds });
      return { total: budget.steps * seeds.length + calls.length };
    },
    check: (r) => (typeof (r as { total?: unknown })?.total === "number" ? null : "no total"),
    ...over,
  });

  test("shipped: computes with the full budget when missing, then loads without computing; full recomputes; smoke goes to out/", async () => {
    delete process.env.GENLAB_TRAIN;
    const calls: { budget: B; seeds: number[] }[] = [];
    const first = await runOrLoad(spec(calls));
    assert.equal(first.source, "computed");
    assert.equal(first.file, path.join(tmp.dir, "data", "runs", "grid-test.json"));
    assert.deepEqual(calls, [{ budget: { steps: 100, lrs: [1, 2] }, seeds: [0, 1] }]);
    const rec = first.record;
    assert.deepEqual(
      [rec.format, rec.name, rec.seeds, rec.budget, rec.mode, rec.result],
      ["genlab-run/1", "grid-test", [0, 1], { steps: 100, lrs: [1, 2] }, "shipped", { total: 201 }],
    );
    assert.match(rec.codeVersion, / lib:[0-9a-f]{12}$/);
    assert.ok(
      !Number.isNaN(Date.parse(rec.createdAt)) &&
        rec.seconds >= 0 &&
        typeof rec.backend === "string",
    );
    const again = await runOrLoad(spec(calls));
    assert.equal(again.source, "shipped");
    assert.equal(calls.length, 1);
    assert.deepEqual(again.record, rec);
    process.env.GENLAB_TRAIN = "full";
    const full = await runOrLoad(spec(calls));
    assert.equal(full.source, "computed");
    assert.equal(full.record.mode, "full");
    assert.deepEqual(full.record.result, { total: 202 });
    process.env.GENLAB_TRAIN = "smoke";
    const smoke = await runOrLoad(spec(calls));
    assert.equal(smoke.file, path.join(tmp.dir, "out", "runs", "grid-test.json"));
    assert.deepEqual(
      [smoke.record.mode, smoke.record.seeds, smoke.record.budget, smoke.record.result],
      ["smoke", [0], { steps: 3, lrs: [1] }, { total: 6 }],
    );
    // The shipped file is untouched by smoke mode.
    delete process.env.GENLAB_TRAIN;
    assert.deepEqual((await runOrLoad(spec(calls))).record.result, { total: 202 });
    assert.equal(calls.length, 3);
  });

  test("a corrupt, foreign or mismatching file is an error that says how to recompute", async () => {
    delete process.env.GENLAB_TRAIN;
    const calls: { budget: B; seeds: number[] }[] = [];
    const file = path.join(tmp.dir, "data", "runs", "grid-test.json");
    await runOrLoad(spec(calls, { mode: "full" }));
    const good = fs.readFileSync(file, "utf8");
    // Without the manifest (SHA256SUMS) each format check is reached; with it,
    // test/bad-input.test.ts.
    fs.rmSync(path.join(path.dirname(file), "SHA256SUMS"));
    const expectError = async (over: Partial<RunSpec<B, { total: number }>>, pattern: RegExp) => {
      await assert.rejects(runOrLoad(spec(calls, over)), (err: Error) => {
        assert.match(err.message, pattern);
        assert.match(err.message, /GENLAB_TRAIN=full/);
        assert.match(err.message, /grid-test\.json/);
        return true;
      });
    };
    fs.writeFileSync(file, good.slice(0, 40));
    await expectError({}, /not readable JSON/);
    fs.writeFileSync(file, JSON.stringify({ hello: 1 }));
    await expectError({}, /not a genlab-run\/1 file/);
    fs.writeFileSync(file, good);
    await expectError(
      { budget: { full: { steps: 200, lrs: [1, 2] }, smoke: { steps: 3, lrs: [1] } } },
      /budget .*"steps":100.*the code asks for .*"steps":200/,
    );
    await expectError(
      { seeds: { full: [0, 1, 2], smoke: [0] } },
      /seeds \[0,1\] \(the code asks for \[0,1,2\]\)/,
    );
    await expectError({ check: () => "wrong shape" }, /not what this code reads: wrong shape/);
    assert.equal(calls.length, 1, "a bad file is never silently recomputed in shipped mode");
    // A result with NaN cannot be written as JSON faithfully.
    await assert.rejects(
      runOrLoad(spec(calls, { mode: "smoke", compute: async () => ({ total: NaN }) })),
      /NaN at key "total"/,
    );
  });
});

describe("B11", () => {
  const cov = (
    modes: number,
    rkl: number,
  ): Pick<ModeCoverage, "modesCaptured" | "modes" | "reverseKl"> => ({
    modesCaptured: modes,
    modes: 8,
    reverseKl: rkl,
  });

  test("success needs every mode and reverse KL strictly below 0.2, and no divergence", () => {
    assert.equal(B11_SUCCESS.maxReverseKl, 0.2);
    assert.equal(b11Success(cov(8, 0.05)), true);
    assert.equal(b11Success(cov(8, 0.1999)), true);
    assert.equal(b11Success(cov(8, 0.2)), false);
    assert.equal(b11Success(cov(8, 0.5)), false);
    assert.equal(b11Success(cov(7, 0.01)), false);
    assert.equal(b11Success(cov(8, NaN)), false);
    assert.equal(b11Success({ modesCaptured: 0, modes: 8, reverseKl: null }), false);
    assert.equal(b11Success(cov(8, 0.05), true), false);
  });

  test("the summary gives the success fraction and the spread per family", () => {
    const row = (
      family: B11Run["family"],
      modes: number,
      rkl: number | null,
      lrFactor = 1,
    ): B11Run => ({
      family,
      seed: 0,
      lrFactor,
      lr: 1e-3,
      steps: 10,
      modes,
      hq: 0.5,
      rkl,
      divergedAt: null,
      seconds: 1,
      success: b11Success({ modesCaptured: modes, modes: 8, reverseKl: rkl }),
    });
    const runs = [
      row("vae", 8, 0.1),
      row("vae", 8, 0.3),
      row("gan", 8, 0.05),
      row("gan", 2, 1.2),
      row("gan", 0, null),
      row("wgan-gp", 8, 0.01, 10),
    ];
    const [vae, gan, wgan] = b11Summary(runs);
    assert.deepEqual([vae.family, vae.runs, vae.successes, vae.successRate], ["vae", 2, 1, 0.5]);
    assert.deepEqual([gan.runs, gan.successes], [3, 1]);
    assert.ok(Math.abs(gan.successRate - 1 / 3) < 1e-12);
    assert.deepEqual([gan.modes.min, gan.modes.max], [0, 8]);
    assert.ok(Math.abs(gan.modes.mean - 10 / 3) < 1e-12);
    assert.ok(
      Math.abs(
        gan.modes.sd - Math.sqrt(((8 - 10 / 3) ** 2 + (2 - 10 / 3) ** 2 + (10 / 3) ** 2) / 3),
      ) < 1e-12,
    );
    // A run with no HQ sample counts as log 8 in the reverse-KL spread.
    assert.ok(Math.abs(gan.rkl.max - Math.log(8)) < 1e-12 && Math.abs(gan.rkl.min - 0.05) < 1e-12);
    assert.equal(wgan.successRate, 1);
    assert.equal(b11Summary(runs, { lrFactor: 10 })[0].runs, 0);
    assert.equal(checkB11Result({ dataset: "ring8", recipes: {}, runs }), null);
    assert.match(
      checkB11Result({ dataset: "ring8", runs: [{ family: "vae" }] })!,
      /run 0 is not a B11 row/,
    );
  });

  test("one tiny run of each family trains and is scored", async () => {
    await initBackend({ quiet: true });
    for (const family of ["vae", "gan", "wgan-gp"] as const) {
      const r = await b11Run(family, "ring8", 3, 1, 0, { quiet: true });
      assert.equal(r.family, family);
      assert.equal(r.steps, 3);
      assert.ok(r.modes >= 0 && r.modes <= 8 && r.hq >= 0 && r.hq <= 1);
      assert.equal(r.lr, family === "wgan-gp" ? 1e-4 : 1e-3);
      assert.equal(
        r.success,
        b11Success({ modesCaptured: r.modes, modes: 8, reverseKl: r.rkl }, r.divergedAt !== null),
      );
    }
  });
});

describe("fitToyVAE in smoke mode", () => {
  const tmp = tempEnv("genlab-toyvae-", (d) => ({ GENLAB_OUT: d, GENLAB_TRAIN: "smoke" }));

  test("trains, logs mode coverage over training, stores the PacGAN score and writes to out/weights", async () => {
    await initBackend({ quiet: true });
    const { vae, fit, mix } = await fitToyVAE("unbalanced", 0, { quiet: true });
    assert.equal(fit.file, path.join(tmp.dir, "weights", "vae-unbalanced-s0.safetensors"));
    assert.ok(fs.existsSync(fit.file.replace(/\.safetensors$/, ".history.json")));
    assert.ok(fit.history!.keys().includes("modes") && fit.history!.keys().includes("kl"));
    const c = scoreToyVAE(vae, mix, 0);
    assert.equal(fit.meta.metrics!.modes, c.modesCaptured);
    assert.equal(fit.meta.metrics!.params, 51080);
    assert.ok(decoderSigma(vae).every((s) => s > 0 && Number.isFinite(s)));
    tf.dispose(Object.values(vae.params()));
  });
});

describe("fitToyDiffusion in smoke mode", () => {
  const tmp = tempEnv("genlab-toyddpm-", (d) => ({ GENLAB_OUT: d, GENLAB_TRAIN: "smoke" }));

  test("trains, logs coverage at its last row, stores the PacGAN score; a foreign file is an error", async () => {
    await initBackend({ quiet: true });
    const { net, fit, mix } = await fitToyDiffusion("ring8", 0, { quiet: true });
    assert.equal(fit.file, path.join(tmp.dir, "weights", "ddpm-ring8-s0.safetensors"));
    const withModes = fit.history!.rows.filter((r) => r.modes !== undefined);
    assert.deepEqual(
      withModes.map((r) => r.step),
      [10, 20, 30, 40],
      "coverage on every 10th row (smoke: one row per step) and the last",
    );
    const c = scoreToyDiffusion(net, mix, 0);
    assert.equal(fit.meta.metrics!.modes, c.modesCaptured);
    assert.equal(fit.meta.metrics!.hq, c.hqFraction);
    assert.equal(fit.meta.metrics!.params, countParams(net.params()));
    // a toy VAE's weights cannot load into the denoiser: the error names the file
    const vae = await fitToyVAE("ring8", 0, { quiet: true });
    assert.throws(
      () => loadInto(vae.fit.file, net.params()),
      (e: Error) => e.message.includes("vae-ring8-s0.safetensors"),
    );
    tf.dispose([...Object.values(net.params()), ...Object.values(vae.vae.params())]);
  });
});

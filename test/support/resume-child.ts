/**
 * Training runs for test/resume.test.ts, in a process of their own so the test can kill them: the
 * models named on the command line (all of RUNS when none), one after another, each through
 * fitOrLoad in GENLAB_TRAIN=full mode (smoke for the toy flow, whose budget is fixed), small enough
 * to train in a second or two. Prints {model: {file, snapshots?}} as JSON on its last line.
 */
import { initBackend } from "../../lib/runtime/backend";
import { trainEvalClassifier } from "../../lib/models/eval-classifier";
import { MLPClassifier } from "../../lib/models/classifier";
import { fitFlow, LogitPreprocess } from "../../lib/models/flow";
import { fitToyGAN } from "../../lib/models/gan";
import { fitMADE } from "../../lib/models/made";
import { fitToyFlow } from "../../lib/models/toys";
import { fitVAE } from "../../lib/models/vae";
import { fitVAEGAN } from "../../lib/models/vaegan";
import { fitToyWGAN } from "../../lib/models/wgan";
import { Rng } from "../../lib/runtime/random";
import { fitOrLoad } from "../../lib/training/weights";

type Done = { file: string; snapshots?: number };

/** Pixel probabilities in [0, 1], n rows of d. */
const probs = (seed: number, n: number, d: number) => new Rng(seed).uniformArray(n * d);

const RUNS: Record<string, () => Promise<Done>> = {
  // A toy GAN on the ring: the learning-rate decay and snapshots on the way.
  "gan-ring8-s7": async () => {
    const snapshots = { n: 20, frames: 4 };
    const r = await fitToyGAN("ring8", 7, { budget: { steps: 150 }, snapshots, quiet: true });
    return { file: r.fit.file, snapshots: r.snapshots?.length };
  },
  // WGAN with clipping: RMSProp (tfjs's own optimiser), 5 critic steps, and dropout in the critic.
  "wgan-clip-ring8-s3": async () => {
    const config = { gHidden: [32, 32], dHidden: [32, 32], dDropout: 0.2 };
    const r = await fitToyWGAN("clip", "ring8", 3, { budget: { steps: 50 }, config, quiet: true });
    return { file: r.fit.file };
  },
  // A small VAE with dynamic binarisation.
  "vae-resume-test": async () => {
    const data = probs(3, 256, 784);
    const o = { model: "vae-resume-test", latent: 4, hidden: [32], data, seed: 5, steps: 200 };
    return { file: (await fitVAE({ ...o, batchSize: 32 })).fit.file };
  },
  // RealNVP on 8 x 8 grey levels: dequantisation noise, the logit transform, the decay.
  "flow-resume-test": async () => {
    const data = Uint8Array.from(probs(7, 256, 64), (p) => Math.floor(p * 256));
    const r = await fitFlow({
      model: "flow-resume-test",
      config: { dim: 64, couplings: 4, hidden: [32], kind: "affine" },
      data,
      pre: new LogitPreprocess(),
      seed: 9,
      steps: 200,
      batchSize: 32,
      decay: { factor: 0.1, frac: 0.3 },
    });
    return { file: r.fit.file };
  },
  // MADE: dynamic binarisation, the cosine decay, weight decay, held-out NLL in the history.
  "made-resume-test": async () => {
    const heldOut = Float32Array.from(probs(10, 64, 64), (p) => (p < 0.5 ? 1 : 0));
    const o = { model: "made-resume-test", inputDim: 64, hidden: [32], data: probs(11, 256, 64) };
    const r = await fitMADE({ ...o, heldOut, seed: 12, steps: 300, batchSize: 32 });
    return { file: r.fit.file };
  },
  // VAE-GAN: two optimisers, D's dropout.
  "vaegan-resume-test": async () => {
    const b = { batchSize: 32, lr: 1e-3, lrD: 2e-4, beta1D: 0.5, gamma: 0.5, realLabel: 0.9 };
    const r = await fitVAEGAN({
      model: "vaegan-resume-test",
      config: { vae: { inputDim: 64, hidden: [32], latent: 4 }, dHidden: [32], dDropout: 0.3 },
      budget: { full: { ...b, steps: 200 }, smoke: { ...b, steps: 20 } },
      data: probs(13, 256, 64),
      seed: 14,
    });
    return { file: r.fit.file };
  },
  // The evaluation classifier's training (three phases, shifted digits) on a small MLP.
  "classifier-resume-test": async () => {
    const model = new MLPClassifier("classifier-resume-test", [784, 16, 10], new Rng(15));
    const rng = new Rng(16);
    const y = Array.from({ length: 256 }, () => rng.int(10));
    const data = { x: probs(17, 256, 784), dim: 784, y };
    const b = { batchSize: 32, maxShift: 2 };
    const fit = await fitOrLoad({
      model: "classifier-resume-test",
      params: model.params(),
      seed: 15,
      budget: { full: { ...b, steps: 300 }, smoke: { ...b, steps: 30 } },
      train: (budget, ctx) => trainEvalClassifier(model, data, budget, ctx),
    });
    return { file: fit.file };
  },
  // A toy flow of notebook 06 (its smoke budget: 40 steps, mode coverage at every row).
  "flow-pacgan-ring8-s0": async () => {
    process.env.GENLAB_TRAIN = "smoke";
    try {
      return { file: (await fitToyFlow("ring8", 0, { quiet: true })).fit.file };
    } finally {
      process.env.GENLAB_TRAIN = "full";
    }
  },
};

async function main(): Promise<void> {
  await initBackend({ quiet: true });
  const names = process.argv.slice(2);
  const out: Record<string, Done> = {};
  for (const name of names.length ? names : Object.keys(RUNS)) {
    const run = RUNS[name];
    if (!run) throw new Error(`resume-child: no run ${name}; known: ${Object.keys(RUNS)}`);
    const t0 = Date.now();
    out[name] = await run();
    console.log(`resume-child: ${name} done in ${Date.now() - t0} ms`);
  }
  console.log(JSON.stringify(out));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

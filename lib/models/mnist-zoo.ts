/**
 * The shipped MNIST models of notebooks 02-05, each defined once: the notebook that teaches a model
 * and notebook 06, which compares them, load the same weights through the same call.
 *
 *   VAE (latent 20, notebook 02)      fitMnistVAE(xTrain)
 *   IWAE pair (k = 1, 5, notebook 02) fitMnistIWAE(xTrain, k)
 *   smaller VAEs (notebook 02)        fitLessonVAE(xTrain, name)
 *   GAN (MLP, notebook 03)            fitMnistGAN(xTrain)            (lib/models/gan.ts)
 *   WGAN-GP (MLP, notebook 04)        fitMnistWGAN(xTrain, xTest)    (lib/models/wgan.ts)
 *   RealNVP (MLP couplings, nb 05)    fitMnistFlow(pixels)
 *   RealNVP (conv, multi-scale, 05)   fitMnistConvFlow(pixels)
 *   MADE (autoregressive, nb 06)      fitMnistMADE(xTrain, heldOut)
 *   VAE + adversarial term (nb 06)    fitMnistVAEGAN(xTrain)         (lib/models/vaegan.ts)
 */
import type { FitResult } from "../training/weights";
import { loadMnist, trainingData, type Dataset } from "../data/mnist";
import { binarizeStatic, toFloat } from "../data/batch";
import { byMode, trainMode } from "../runtime/env";
import { evalClassifier } from "./eval-classifier";
import { fitVAEGAN, type VAEGAN, type VAEGANBudget, type VAEGANConfig } from "./vaegan";
import { disposeParams } from "../runtime/nn";
import { Rng } from "../runtime/random";
import { runOrLoad, type RunOutcome } from "../storage/runs";
import {
  Flow,
  LogitPreprocess,
  checkerboardOrder,
  fitFlow,
  flowParamCount,
  imageBitsPerDim,
  type FlowConfig,
  type FlowModel,
} from "./flow";
import { ConvFlow, type ConvFlowConfig } from "./conv-flow";
import { MADE, MADE_MNIST, fitMADE } from "./made";
import { VAE, activeUnits, encodeAll, fitVAE, iwaeLogLik } from "./vae";

import { fitMnistGAN } from "./gan";
import { fitMnistWGAN } from "./wgan";

export { fitMnistGAN, fitMnistWGAN };

/**
 * The test digits every MNIST VAE's likelihood is measured on: the official test set, binarised
 * once by seeded Bernoulli draws (seed 2024, as notebook 02 does), rows of 784 values in {0, 1}.
 */
export function vaeTestDigits(): Float32Array {
  return toFloat(binarizeStatic(loadMnist().test, 2024));
}

/**
 * -log p(x) by IWAE-5000 (seed 5100, notebook 02's), mean over the first 10,000 test digits (smoke
 * mode: 2): computed once after training and stored with the weights (nllIwae5000, in nats, and
 * nllTestDigits), since at about 0.1 s per digit it costs 17 minutes.
 */
export function vaeNllMetrics(vae: VAE): Record<string, number> {
  const n = byMode({ full: 10000, smoke: 2 });
  const x = vaeTestDigits().subarray(0, n * 784);
  const ll = iwaeLogLik(vae, x, 5000, new Rng(5100));
  return { nllIwae5000: -ll.reduce((a, b) => a + b, 0) / ll.length, nllTestDigits: ll.length };
}

/**
 * Notebook 02's main VAE: latent 20, MLP 784-200-200-(2x20), Bernoulli decoder, dynamic
 * binarisation, batches of 128, Adam 1e-3 (1e-4 for the last quarter), 200,000 steps (427 epochs
 * of the 60,000 official training digits); its IWAE-5000 on all 10,000 test digits is stored with
 * the weights.
 */
export const MNIST_VAE = {
  model: "vae-mnist-z20",
  latent: 20,
  hidden: [200, 200],
  seed: 220,
  steps: 200000,
  lrDecay: 0.1,
  decayFrac: 0.25,
} as const;

/** xTrain: toFloat(loadMnist().train), which `dataName` describes (stored with the weights). */
export function fitMnistVAE(
  xTrain: Float32Array,
  dataName: string = trainingData(loadMnist()),
): Promise<{ vae: VAE; fit: FitResult }> {
  const o = { ...MNIST_VAE, hidden: [...MNIST_VAE.hidden] };
  return fitVAE({ ...o, data: xTrain, dataName, metrics: vaeNllMetrics });
}

/**
 * The IWAE objective (A11's extension, Burda et al. 2015): the same VAE trained on the IWAE bound
 * with k = 5 samples ("iwae-mnist-z20-k5") and on the ELBO (k = 1, "iwae-mnist-z20-k1"), with the
 * same seed and budget, 100,000 steps (213 epochs), otherwise as MNIST_VAE.
 */
export const MNIST_IWAE = {
  latent: 20,
  hidden: [200, 200],
  seed: 221,
  steps: 100000,
  lrDecay: 0.1,
  decayFrac: 0.25,
  ks: [1, 5],
} as const;

export async function fitMnistIWAE(
  xTrain: Float32Array,
  k: number,
  dataName: string = trainingData(loadMnist()),
): Promise<{ vae: VAE; fit: FitResult }> {
  const { ks, ...o } = MNIST_IWAE;
  if (!(ks as readonly number[]).includes(k))
    throw new Error(`fitMnistIWAE: k = ${k} has no shipped model; use one of ${ks.join(", ")}`);
  const config = { ...o, hidden: [...o.hidden], k, model: `iwae-mnist-z20-k${k}` };
  return fitVAE({ ...config, data: xTrain, dataName, metrics: vaeNllMetrics });
}

/** One model of the IWAE pair as its run record keeps it. */
export interface IwaePairModel {
  model: string;
  k: number;
  /** -log p(x) by IWAE-5000 over the first `testDigits` test digits (vaeNllMetrics), nats. */
  nllIwae5000: number;
  testDigits: number;
  /** activeUnits of the posterior means on every test digit (vaeTestDigits). */
  activeUnits: number;
  steps: number;
  batchSize: number;
  trainDigits: number;
  trainMinutes: number | null;
  /** Provenance of the weights that were evaluated. */
  weights: { codeVersion: string; mode: string; createdAt: string; backend: string; data?: string };
  /** The training curve: minus the bound trained (the ELBO for k = 1), per history row. */
  history: { step: number[]; loss: number[] } | null;
}

/**
 * The IWAE pair (fitMnistIWAE, k = 1 and 5) as a shipped run record
 * (data/runs/iwae-pair-mnist.json) rather than shipped weights: notebook 02 needs only their
 * numbers and curves, and two more MNIST VAEs would take 3.2 MB of data/. GENLAB_TRAIN=full (or a
 * missing record) trains both again (about 100 minutes on one core) and evaluates them.
 */
export async function mnistIwaeRun(): Promise<
  RunOutcome<{ steps: number; ks: number[] }, IwaePairModel[]>
> {
  const ks = [...MNIST_IWAE.ks];
  return runOrLoad({
    name: "iwae-pair-mnist",
    seeds: { full: [MNIST_IWAE.seed], smoke: [MNIST_IWAE.seed] },
    budget: { full: { steps: MNIST_IWAE.steps, ks }, smoke: { steps: 20, ks } },
    check: (r) => {
      if (!Array.isArray(r) || r.length !== ks.length) return `expected ${ks.length} models`;
      const bad = r.find(
        (m: Partial<IwaePairModel>) =>
          typeof m.nllIwae5000 !== "number" ||
          typeof m.activeUnits !== "number" ||
          typeof m.k !== "number",
      );
      return bad ? `a model lacks its numbers: ${JSON.stringify(bad).slice(0, 120)}` : null;
    },
    compute: async () => {
      const mnist = loadMnist();
      const xTrain = toFloat(mnist.train);
      const xTest = vaeTestDigits();
      const out: IwaePairModel[] = [];
      for (const k of ks) {
        const { vae, fit } = await fitMnistIWAE(xTrain, k);
        const m = fit.meta.metrics ?? vaeNllMetrics(vae);
        const h = fit.history;
        out.push({
          model: vae.name,
          k,
          nllIwae5000: m.nllIwae5000,
          testDigits: m.nllTestDigits,
          activeUnits: activeUnits(encodeAll(vae, xTest).mu, vae.latent),
          steps: Number(fit.meta.budget.steps),
          batchSize: Number(fit.meta.budget.batchSize),
          trainDigits: mnist.train.n,
          trainMinutes: h && h.rows.length ? (h.last()!.seconds as number) / 60 : null,
          weights: {
            codeVersion: fit.meta.codeVersion,
            mode: fit.meta.mode,
            createdAt: fit.meta.createdAt,
            backend: fit.meta.backend,
            data: fit.meta.data,
          },
          history: h
            ? {
                step: h.rows.map((r) => r.step as number),
                loss: h.rows.map((r) => r.loss as number),
              }
            : null,
        });
        disposeParams(vae.params());
      }
      return out;
    },
  });
}

/**
 * Notebook 02's smaller VAEs (784-200-200, batches of 128, Adam 1e-3): the 1- and 2-D latents,
 * beta = 0 (the blog post's loss), and B10's latent-size sweep (all 4,000 steps, seed 200 + L;
 * its latent 2 is "vae-mnist-z2").
 */
export const LESSON_VAES: Record<
  string,
  { latent: number; seed: number; steps: number; beta?: number }
> = {
  "vae-mnist-z1": { latent: 1, seed: 101, steps: 3000 },
  "vae-mnist-z2": { latent: 2, seed: 202, steps: 4000 },
  "vae-mnist-z2-beta0": { latent: 2, seed: 202, steps: 4000, beta: 0 },
  ...Object.fromEntries(
    [5, 10, 20, 50].map((L) => [`vae-sweep-z${L}`, { latent: L, seed: 200 + L, steps: 4000 }]),
  ),
};

export async function fitLessonVAE(
  xTrain: Float32Array,
  model: string,
  dataName: string = trainingData(loadMnist()),
): Promise<{ vae: VAE; fit: FitResult }> {
  const o = LESSON_VAES[model];
  if (!o)
    throw new Error(
      `fitLessonVAE: no VAE "${model}"; notebook 02's are ${Object.keys(LESSON_VAES).join(", ")}`,
    );
  return fitVAE({ ...o, model, hidden: [200, 200], data: xTrain, dataName });
}

/**
 * Notebook 06's VAE with an adversarial term (B9, lib/models/vaegan.ts): notebook 02's VAE
 * (784-200-200, z = 20, Adam 1e-3, batches of 128, 8,000 steps, dynamic binarisation) and notebook
 * 03's MNIST discriminator (784-512-256-1, leaky ReLU, dropout 0.3, Adam 2e-4 with beta1 0.5, real
 * label 0.9).
 */
export const MNIST_VAEGAN_CONFIG: VAEGANConfig = {
  vae: { inputDim: 784, hidden: [200, 200], latent: 20 },
  dHidden: [512, 256],
  dDropout: 0.3,
};
export const MNIST_VAEGAN = {
  model: "vaegan-mnist-z20",
  seed: 230,
  budget: {
    steps: 8000,
    batchSize: 128,
    lr: 1e-3,
    lrD: 2e-4,
    beta1D: 0.5,
    gamma: 5,
    realLabel: 0.9,
  } satisfies VAEGANBudget,
} as const;

export function fitMnistVAEGAN(
  xTrain: Float32Array,
  budget: Partial<VAEGANBudget> = {},
  model: string = MNIST_VAEGAN.model,
  dataName: string = trainingData(loadMnist()),
): Promise<{ model: VAEGAN; fit: FitResult }> {
  const full = { ...MNIST_VAEGAN.budget, ...budget };
  return fitVAEGAN({
    model,
    config: MNIST_VAEGAN_CONFIG,
    budget: { full, smoke: { ...full, steps: 20 } },
    data: xTrain,
    dataName,
    seed: MNIST_VAEGAN.seed,
  });
}

/**
 * Notebook 05's RealNVP: 8 affine couplings on the 784 logit pixels, checkerboard halves, s/t MLPs
 * 392-256-256-784.
 */
export const MNIST_FLOW_CONFIG: FlowConfig = {
  dim: 784,
  couplings: 8,
  hidden: [256, 256],
  kind: "affine",
};

/** The dequantisation + logit preprocessing of notebook 05 (alpha 1e-6, checkerboard order). */
export function mnistFlowPreprocess(): LogitPreprocess {
  return new LogitPreprocess(1e-6, checkerboardOrder(28, 28));
}

/**
 * Notebook 05's MNIST RealNVP on uint8 pixels (weights flow-mnist-realnvp), with its preprocessing.
 * Adam 1e-3, a tenth of it for the last quarter, gradients clipped at global norm 5,000 (about 5x
 * the median, measured over its first 400 steps on the official digits): on the 60,000 digits,
 * without either, training bits/dim jumped from 1.87 to 325 at step 7,200 and recovered only to
 * 2.25.
 */
export async function fitMnistFlow(
  pixels: Uint8Array,
  dataName: string = trainingData(loadMnist()),
): Promise<{ flow: Flow; fit: FitResult; pre: LogitPreprocess }> {
  const pre = mnistFlowPreprocess();
  const r = await fitFlow({
    model: "flow-mnist-realnvp",
    config: MNIST_FLOW_CONFIG,
    data: pixels,
    dataName,
    pre,
    seed: 501,
    steps: 8000,
    decay: { factor: 0.1, frac: 0.25 },
    clipNorm: 5000,
  });
  return { ...r, pre };
}

/**
 * Mean held-out and training bits/dim of an MNIST flow: one seeded dequantisation draw per digit
 * (seeds 60 and 61, notebook 05's).
 */
export function mnistFlowBitsPerDim(
  flow: FlowModel,
  pre: LogitPreprocess,
  mnist: Dataset,
  nTrain: number,
): { test: Float64Array; train: Float64Array; bpdTest: number; bpdTrain: number } {
  const test = imageBitsPerDim(flow, pre, mnist.test.pixels, new Rng(60));
  const train = imageBitsPerDim(
    flow,
    pre,
    mnist.train.pixels.subarray(0, nTrain * 784),
    new Rng(61),
  );
  const avg = (v: Float64Array) => v.reduce((a, b) => a + b, 0) / v.length;
  return { test, train, bpdTest: avg(test), bpdTrain: avg(train) };
}

export interface MlpFlowRun {
  bpdTest: number;
  bpdTrain: number;
  params: number;
  steps: number;
  batchSize: number;
  trainMinutes: number | null;
  /** Provenance of the weights that were evaluated. */
  weights: { codeVersion: string; mode: string; createdAt: string; backend: string; data?: string };
  /** The training curve (dequantised training batches). */
  history: { step: number[]; bpd: number[] } | null;
}

/**
 * Notebook 05's first MNIST flow, the MLP-coupling RealNVP (fitMnistFlow), as a shipped run record
 * (data/runs/flow-mnist-mlp.json) rather than shipped weights: its 2.9M parameters would take 11.8
 * MB of data/, and notebook 05 needs only its numbers and training curve next to the convolutional
 * flow. GENLAB_TRAIN=full (or a missing record) trains it again (about 14 minutes) and re-evaluates
 * it.
 */
export async function mnistMlpFlowRun(
  mnist: Dataset,
  nTrainEval: number,
): Promise<RunOutcome<{ steps: number; nTrainEval: number }, MlpFlowRun>> {
  return runOrLoad({
    name: "flow-mnist-mlp",
    seeds: { full: [501], smoke: [501] },
    budget: { full: { steps: 8000, nTrainEval }, smoke: { steps: 20, nTrainEval } },
    check: (r) => {
      const o = r as Partial<MlpFlowRun> | null;
      if (!o || typeof o !== "object") return "the result is not an object";
      const bad = (["bpdTest", "bpdTrain", "params", "steps", "batchSize"] as const).filter(
        (k) => typeof o[k] !== "number",
      );
      if (bad.length) return `the result lacks the numbers ${bad.join(", ")}`;
      if (
        o.history !== null &&
        !(
          o.history &&
          Array.isArray(o.history.step) &&
          Array.isArray(o.history.bpd) &&
          o.history.step.length === o.history.bpd.length
        )
      )
        return "the history is not two columns of equal length";
      return null;
    },
    compute: async () => {
      const { flow, fit, pre } = await fitMnistFlow(mnist.train.pixels, trainingData(mnist));
      try {
        const b = mnistFlowBitsPerDim(flow, pre, mnist, nTrainEval);
        const h = fit.history;
        return {
          bpdTest: b.bpdTest,
          bpdTrain: b.bpdTrain,
          params: flowParamCount(MNIST_FLOW_CONFIG),
          steps: Number(fit.meta.budget.steps),
          batchSize: Number(fit.meta.budget.batchSize),
          trainMinutes: h && h.rows.length ? (h.last()!.seconds as number) / 60 : null,
          weights: {
            codeVersion: fit.meta.codeVersion,
            mode: fit.meta.mode,
            createdAt: fit.meta.createdAt,
            backend: fit.meta.backend,
            data: fit.meta.data,
          },
          history: h
            ? { step: h.rows.map((r) => r.step as number), bpd: h.rows.map((r) => r.bpd as number) }
            : null,
        };
      } finally {
        disposeParams(flow.params());
      }
    },
  });
}

/**
 * Notebook 05's convolutional multi-scale RealNVP (Dinh et al. 2016; UvA tutorial 11's layout):
 * 4 checkerboard couplings on 1 x 28 x 28 (32 hidden channels), squeeze, 2 channel couplings on
 * 4 x 14 x 14 (48), split half to the latent, squeeze, 4 channel couplings on 4 x 7 x 7 (64);
 * each coupling's network is 3 x 3 convolutions in -> hidden -> hidden -> 2 x out (ReLU); a final
 * learned scale per dimension.
 */
export const MNIST_CONV_FLOW_CONFIG: ConvFlowConfig = {
  height: 28,
  width: 28,
  channels: 1,
  depth: 1,
  levels: [
    { mask: "checkerboard", couplings: 4, hidden: 32 },
    { mask: "channel", couplings: 2, hidden: 48, squeeze: true, split: true },
    { mask: "channel", couplings: 4, hidden: 64, squeeze: true },
  ],
};

/**
 * The MLP flow's dequantisation + logit (alpha 1e-6), with the pixels in image order (the
 * convolutions need the grid).
 */
export function mnistConvFlowPreprocess(): LogitPreprocess {
  return new LogitPreprocess(1e-6);
}

export const MNIST_CONV_FLOW = {
  model: "flow-mnist-convnvp",
  seed: 510,
  steps: 4000,
  batchSize: 64,
  lr: 1e-3,
  decay: { factor: 0.1, frac: 0.25 },
} as const;

/**
 * The convolutional RealNVP on uint8 pixels (weights flow-mnist-convnvp), with its preprocessing.
 */
export async function fitMnistConvFlow(
  pixels: Uint8Array,
  dataName: string = trainingData(loadMnist()),
): Promise<{ flow: ConvFlow; fit: FitResult; pre: LogitPreprocess }> {
  const pre = mnistConvFlowPreprocess();
  const r = await fitFlow<ConvFlow>({
    ...MNIST_CONV_FLOW,
    decay: { ...MNIST_CONV_FLOW.decay },
    build: (name, rng) => new ConvFlow(name, MNIST_CONV_FLOW_CONFIG, rng),
    data: pixels,
    dataName,
    pre,
  });
  return { ...r, pre };
}

/**
 * Notebook 06's MADE (weights made-mnist): MADE_MNIST of lib/models/made.ts (one hidden layer of
 * 500, the paper's MNIST model).
 */
export function fitMnistMADE(
  xTrain: Float32Array,
  heldOut?: Float32Array,
  dataName: string = trainingData(loadMnist()),
): Promise<{ made: MADE; fit: FitResult }> {
  return fitMADE({ ...MADE_MNIST, data: xTrain, heldOut, dataName });
}

/** What a zoo fit hands back: the fit, and the parameters to free once its metrics are read. */
interface ZooFit {
  fit: FitResult;
  params: Parameters<typeof disposeParams>[0];
}

/** The zoo's fits beyond the VAEs, by model name, each the call its notebook makes. */
const ZOO_FITS: Record<string, (mnist: Dataset) => Promise<ZooFit>> = {
  [MADE_MNIST.model]: async (m) => {
    const r = await fitMnistMADE(toFloat(m.train), vaeTestDigits());
    return { fit: r.fit, params: r.made.params() };
  },
  [MNIST_VAEGAN.model]: async (m) => {
    const r = await fitMnistVAEGAN(toFloat(m.train));
    return { fit: r.fit, params: r.model.params() };
  },
  [MNIST_CONV_FLOW.model]: async (m) => {
    const r = await fitMnistConvFlow(m.train.pixels);
    return { fit: r.fit, params: r.flow.params() };
  },
  "gan-mnist": async (m) => {
    const r = await fitMnistGAN(toFloat(m.train));
    return { fit: r.fit, params: r.gan.params() };
  },
  "wgan-gp-mnist": async (m) => {
    const r = await fitMnistWGAN(toFloat(m.train), toFloat(m.test));
    return { fit: r.fit, params: r.gan.params() };
  },
};

/**
 * The zoo's models that `npm run train` retrains by name (scripts/train.ts), each through the call
 * its notebook makes: notebook 02's VAEs, the GAN and WGAN-GP of 03 and 04, the convolutional flow
 * of 05, and 06's MADE and VAE-GAN.
 */
export function zooModelNames(): string[] {
  return [
    MNIST_VAE.model,
    ...MNIST_IWAE.ks.map((k) => `iwae-mnist-z20-k${k}`),
    ...Object.keys(LESSON_VAES),
    ...Object.keys(ZOO_FITS),
  ];
}

/** One VAE of notebook 02 by name, or null if the name is not one. */
async function fitZooVAE(name: string, xTrain: Float32Array): Promise<ZooFit | null> {
  const iwae = /^iwae-mnist-z20-k(\d+)$/.exec(name);
  let fitted: { vae: VAE; fit: FitResult };
  if (name === MNIST_VAE.model) fitted = await fitMnistVAE(xTrain);
  else if (iwae) fitted = await fitMnistIWAE(xTrain, Number(iwae[1]));
  else if (name in LESSON_VAES) fitted = await fitLessonVAE(xTrain, name);
  else return null;
  return { fit: fitted.fit, params: fitted.vae.params() };
}

/**
 * Fits one zoo model by name on the training set loadMnist() gives (a run for trainInParallel);
 * returns where its weights are and the metrics stored with them. Only the named model trains: the
 * evaluation classifier it may measure with (the WGAN-GP's Fréchet log) is the shipped one.
 */
export async function fitZooModel(
  name: string,
): Promise<{ model: string; file: string; metrics: Record<string, number> }> {
  const mnist = loadMnist();
  if (trainMode() === "full") await evalClassifier("shipped");
  const fitted =
    name in ZOO_FITS ? await ZOO_FITS[name](mnist) : await fitZooVAE(name, toFloat(mnist.train));
  if (!fitted)
    throw new Error(`no zoo model "${name}"; npm run train knows ${zooModelNames().join(", ")}`);
  disposeParams(fitted.params);
  return { model: name, file: fitted.fit.file, metrics: fitted.fit.meta.metrics ?? {} };
}

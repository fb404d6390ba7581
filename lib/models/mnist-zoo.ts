/**
 * The shipped MNIST models of notebooks 02-05, each defined once: the notebook that teaches a model
 * and notebook 06, which compares them, load the same weights through the same call.
 *
 *   VAE (latent 20, notebook 02)      fitMnistVAE(xTrain)
 *   GAN (MLP, notebook 03)            fitMnistGAN(xTrain)            (lib/models/gan.ts)
 *   WGAN-GP (MLP, notebook 04)        fitMnistWGAN(xTrain, xTest)    (lib/models/wgan.ts)
 *   RealNVP (MLP couplings, nb 05)    fitMnistFlow(pixels)
 *   MADE (autoregressive, nb 06)      fitMnistMADE(xTrain, heldOut)
 */
import type { FitResult } from "../weights";
import { Flow, LogitPreprocess, checkerboardOrder, fitFlow, type FlowConfig } from "./flow";
import { MADE, MADE_MNIST, fitMADE } from "./made";
import { VAE, fitVAE } from "./vae";

export { fitMnistGAN } from "./gan";
export { fitMnistWGAN } from "./wgan";

/** Notebook 02's main VAE: latent 20, MLP 784-200-200-(2x20), Bernoulli decoder, 8,000 steps of batch 128. */
export const MNIST_VAE = { model: "vae-mnist-z20", latent: 20, hidden: [200, 200], seed: 220, steps: 8000 } as const;

export function fitMnistVAE(xTrain: Float32Array): Promise<{ vae: VAE; fit: FitResult }> {
  return fitVAE({ ...MNIST_VAE, hidden: [...MNIST_VAE.hidden], data: xTrain });
}

/** Notebook 05's RealNVP: 8 affine couplings on the 784 logit pixels, checkerboard halves, s/t MLPs 392-256-256-784. */
export const MNIST_FLOW_CONFIG: FlowConfig = { dim: 784, couplings: 8, hidden: [256, 256], kind: "affine" };

/** The dequantisation + logit preprocessing of notebook 05 (alpha 1e-6, checkerboard order). */
export function mnistFlowPreprocess(): LogitPreprocess {
  return new LogitPreprocess(1e-6, checkerboardOrder(28, 28));
}

/** Notebook 05's MNIST RealNVP on uint8 pixels (weights flow-mnist-realnvp), with its preprocessing. */
export async function fitMnistFlow(pixels: Uint8Array): Promise<{ flow: Flow; fit: FitResult; pre: LogitPreprocess }> {
  const pre = mnistFlowPreprocess();
  const r = await fitFlow({ model: "flow-mnist-realnvp", config: MNIST_FLOW_CONFIG, data: pixels, pre, seed: 501, steps: 8000 });
  return { ...r, pre };
}

/** Notebook 06's MADE (weights made-mnist): MADE_MNIST of lib/models/made.ts (one hidden layer of 500, the paper's MNIST model). */
export function fitMnistMADE(xTrain: Float32Array, heldOut?: Float32Array): Promise<{ made: MADE; fit: FitResult }> {
  return fitMADE({ ...MADE_MNIST, data: xTrain, heldOut });
}

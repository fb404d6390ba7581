/**
 * The benchmark workloads of issue 3, written with plain tfjs ops so that bench/peer.py can
 * mirror them op for op in PyTorch (same shapes, batch, optimizer and hyper-parameters).
 *
 * Each workload builds its model and a fixed batch once; `step()` runs one full training step
 * (forward, backward, update; for GANs one D step then one G step) and reads the loss back
 * (a scalar dataSync, so the step is finished when it returns on every backend).
 */
import * as tf from "@tensorflow/tfjs";
import { adam as fusedAdam } from "../lib/runtime/optim";
import { Rng } from "../lib/runtime/random";
import { leakyReluGradReady } from "../lib/runtime/wasm-kernels";
import { leakyReluComposite } from "../lib/runtime/nn";

export const WORKLOAD_NAMES = ["vae-mlp", "dcgan", "realnvp", "toy-gan", "wgan-gp"] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export interface WorkloadOptions {
  /** Use tf.fused.matMul (matMul + bias + activation in one kernel) in dense layers where the
   * gradient allows it (not inside the WGAN-GP critic, which needs second-order gradients). */
  fused: boolean;
  /** Batch size override (tests use a tiny batch). */
  batch?: number;
  /**
   * Which Adam: tfjs's tf.train.adam (default) or lib/runtime/optim.ts's adam(), one kernel call
   * per variable on wasm (same numbers).
   */
  adam?: AdamKind;
}

export const ADAM_KINDS = ["tfjs", "fused"] as const;
export type AdamKind = (typeof ADAM_KINDS)[number];

/** The Adam constructor a workload uses (same signature as tf.train.adam). */
function adamOf(
  opts: WorkloadOptions,
): (lr: number, beta1?: number, beta2?: number) => tf.Optimizer {
  return opts.adam === "fused" ? fusedAdam : (lr, beta1, beta2) => tf.train.adam(lr, beta1, beta2);
}

export interface WorkloadInstance {
  /** One training step; returns the (first) loss value. */
  step(): number;
  dispose(): void;
}

export interface Workload {
  name: WorkloadName;
  description: string;
  batch: number;
  build(opts: WorkloadOptions): WorkloadInstance;
}

// ---------------------------------------------------------------------------------------------
// Building blocks

type Act = "linear" | "relu" | "leakyRelu" | "leakyReluSO" | "tanh";

class Linear {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  constructor(rng: Rng, inDim: number, outDim: number) {
    // PyTorch's nn.Linear default init: U(-1/sqrt(in), 1/sqrt(in)) for weight and bias.
    const k = 1 / Math.sqrt(inDim);
    this.w = tf.variable(tf.tensor2d(rng.uniformArray(inDim * outDim, -k, k), [inDim, outDim]));
    this.b = tf.variable(tf.tensor1d(rng.uniformArray(outDim, -k, k)));
  }
  apply(x: tf.Tensor, act: Act, fused: boolean): tf.Tensor {
    const x2 = x as tf.Tensor2D;
    if (fused && (act === "linear" || act === "relu" || act === "leakyRelu")) {
      return tf.fused.matMul({
        a: x2,
        b: this.w as tf.Tensor2D,
        bias: this.b,
        activation: act === "leakyRelu" ? "leakyrelu" : act,
        leakyreluAlpha: 0.2,
      });
    }
    return activation(tf.add(tf.matMul(x2, this.w as tf.Tensor2D), this.b), act);
  }
  vars(): tf.Variable[] {
    return [this.w, this.b];
  }
}

function activation(x: tf.Tensor, act: Act): tf.Tensor {
  switch (act) {
    case "linear":
      return x;
    case "relu":
      return tf.relu(x);
    case "leakyRelu":
      return tf.leakyRelu(x, 0.2);
    case "leakyReluSO":
      // relu(x) - a*relu(-x): has a second-order gradient in tfjs (PLATFORM.md).
      return leakyReluComposite(x, 0.2);
    case "tanh":
      return tf.tanh(x);
  }
}

class Mlp {
  readonly layers: Linear[] = [];
  constructor(
    rng: Rng,
    sizes: number[],
    readonly hidden: Act,
    readonly out: Act,
  ) {
    for (let i = 0; i + 1 < sizes.length; i++)
      this.layers.push(new Linear(rng, sizes[i], sizes[i + 1]));
  }
  apply(x: tf.Tensor, fused: boolean): tf.Tensor {
    let h = x;
    this.layers.forEach(
      (l, i) => (h = l.apply(h, i + 1 === this.layers.length ? this.out : this.hidden, fused)),
    );
    return h;
  }
  vars(): tf.Variable[] {
    return this.layers.flatMap((l) => l.vars());
  }
}

/** Mean over the batch of binary cross-entropy with logits, summed over features. */
function bceWithLogits(logits: tf.Tensor, target: tf.Tensor | number): tf.Tensor {
  // max(l, 0) - l*t + log(1 + exp(-|l|)), the stable form PyTorch uses.
  const t = typeof target === "number" ? tf.scalar(target) : target;
  return tf.add(
    tf.sub(tf.relu(logits), tf.mul(logits, t)),
    tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
  );
}

function step1(opt: tf.Optimizer, vars: tf.Variable[], f: () => tf.Scalar): number {
  const cost = opt.minimize(f, true, vars)!;
  const v = cost.dataSync()[0];
  cost.dispose();
  return v;
}

function disposeAll(ts: tf.Tensor[], opts: tf.Optimizer[]): void {
  for (const t of ts) t.dispose();
  for (const o of opts) o.dispose();
}

// ---------------------------------------------------------------------------------------------
// vae-mlp: 784-400-20 (ReLU), Bernoulli decoder, batch 128, Adam(1e-3)

function vaeMlp(opts: WorkloadOptions): WorkloadInstance {
  const adam = adamOf(opts);
  const B = opts.batch ?? 128;
  const rng = new Rng(1);
  const enc = new Linear(rng, 784, 400);
  const mu = new Linear(rng, 400, 20);
  const logvar = new Linear(rng, 400, 20);
  const dec1 = new Linear(rng, 20, 400);
  const dec2 = new Linear(rng, 400, 784);
  const vars = [enc, mu, logvar, dec1, dec2].flatMap((l) => l.vars());
  const x = tf.tensor2d(
    rng.uniformArray(B * 784).map((u) => (u < 0.13 ? 1 : 0)),
    [B, 784],
  );
  const eps = tf.tensor2d(rng.normalArray(B * 20), [B, 20]);
  const opt = adam(1e-3);
  const f = opts.fused;
  return {
    step: () =>
      step1(opt, vars, () => {
        const h = enc.apply(x, "relu", f);
        const m = mu.apply(h, "linear", f);
        const lv = logvar.apply(h, "linear", f);
        const z = tf.add(m, tf.mul(tf.exp(tf.mul(0.5, lv)), eps));
        const logits = dec2.apply(dec1.apply(z, "relu", f), "linear", f);
        const rec = tf.sum(bceWithLogits(logits, x));
        const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, lv), tf.square(m)), tf.exp(lv))));
        return tf.div(tf.add(rec, kl), B) as tf.Scalar;
      }),
    dispose: () => disposeAll([...vars, x, eps], [opt]),
  };
}

// ---------------------------------------------------------------------------------------------
// dcgan: G = dense 100 -> 7x7x128, BN, ReLU, convT 4x4/2 -> 14x14x64, BN, ReLU, convT 4x4/2 ->
// 28x28x1, tanh. D = conv 4x4/2 -> 14x14x64, lReLU, conv 4x4/2 -> 7x7x128, lReLU, dense -> 1.
// Batch 64, Adam(2e-4, 0.5). One D step (G's output held fixed) and one G step.

class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  constructor(
    readonly axes: number[],
    ch: number,
  ) {
    this.gamma = tf.variable(tf.ones([ch]));
    this.beta = tf.variable(tf.zeros([ch]));
  }
  apply(x: tf.Tensor): tf.Tensor {
    const { mean, variance } = tf.moments(x, this.axes);
    return tf.batchNorm(x, mean, variance, this.beta, this.gamma, 1e-5);
  }
  vars(): tf.Variable[] {
    return [this.gamma, this.beta];
  }
}

function convVar(
  rng: Rng,
  kh: number,
  kw: number,
  a: number,
  b: number,
  fanIn: number,
): tf.Variable {
  return tf.variable(
    tf.tensor4d(rng.normalArray(kh * kw * a * b, 0, Math.sqrt(1 / fanIn)), [kh, kw, a, b]),
  );
}

function dcgan(opts: WorkloadOptions): WorkloadInstance {
  const adam = adamOf(opts);
  const B = opts.batch ?? 64;
  const Z = 100;
  const rng = new Rng(2);
  const gFc = new Linear(rng, Z, 7 * 7 * 128);
  const gBn0 = new BatchNorm([0], 7 * 7 * 128);
  // conv2dTranspose filters are [kh, kw, outChannels, inChannels]
  const gW1 = convVar(rng, 4, 4, 64, 128, 128 * 16);
  const gB1 = tf.variable(tf.zeros([64]));
  const gBn1 = new BatchNorm([0, 1, 2], 64);
  const gW2 = convVar(rng, 4, 4, 1, 64, 64 * 16);
  const gB2 = tf.variable(tf.zeros([1]));
  const dW1 = convVar(rng, 4, 4, 1, 64, 16);
  const dB1 = tf.variable(tf.zeros([64]));
  const dW2 = convVar(rng, 4, 4, 64, 128, 64 * 16);
  const dB2 = tf.variable(tf.zeros([128]));
  const dFc = new Linear(rng, 7 * 7 * 128, 1);
  const gVars = [...gFc.vars(), ...gBn0.vars(), gW1, gB1, ...gBn1.vars(), gW2, gB2];
  const dVars = [dW1, dB1, dW2, dB2, ...dFc.vars()];
  const real = tf.tensor4d(rng.uniformArray(B * 784, -1, 1), [B, 28, 28, 1]);
  const z = tf.tensor2d(rng.normalArray(B * Z), [B, Z]);
  const optD = adam(2e-4, 0.5);
  const optG = adam(2e-4, 0.5);
  const f = opts.fused;
  const G = (zz: tf.Tensor): tf.Tensor => {
    let h = tf.relu(gBn0.apply(gFc.apply(zz, "linear", f)));
    h = tf.reshape(h, [B, 7, 7, 128]);
    h = tf.add(
      tf.conv2dTranspose(h as tf.Tensor4D, gW1 as tf.Tensor4D, [B, 14, 14, 64], 2, "same"),
      gB1,
    );
    h = tf.relu(gBn1.apply(h));
    h = tf.add(
      tf.conv2dTranspose(h as tf.Tensor4D, gW2 as tf.Tensor4D, [B, 28, 28, 1], 2, "same"),
      gB2,
    );
    return tf.tanh(h);
  };
  const D = (x: tf.Tensor): tf.Tensor => {
    let h = tf.leakyRelu(
      tf.add(tf.conv2d(x as tf.Tensor4D, dW1 as tf.Tensor4D, 2, "same"), dB1),
      0.2,
    );
    h = tf.leakyRelu(tf.add(tf.conv2d(h as tf.Tensor4D, dW2 as tf.Tensor4D, 2, "same"), dB2), 0.2);
    return dFc.apply(tf.reshape(h, [B, 7 * 7 * 128]), "linear", f);
  };
  return {
    step: () => {
      const fake = tf.tidy(() => G(z));
      const ld = step1(
        optD,
        dVars,
        () =>
          tf.add(
            tf.mean(bceWithLogits(D(real), 1)),
            tf.mean(bceWithLogits(D(fake), 0)),
          ) as tf.Scalar,
      );
      fake.dispose();
      step1(optG, gVars, () => tf.mean(bceWithLogits(D(G(z)), 1)) as tf.Scalar);
      return ld;
    },
    dispose: () => disposeAll([...gVars, ...dVars, real, z], [optD, optG]),
  };
}

// ---------------------------------------------------------------------------------------------
// realnvp: 784-d, 8 affine couplings (halves alternate), each s,t = MLP 392-512-512-784 (ReLU),
// s = tanh(raw s); standard normal base; NLL per example; batch 128, Adam(1e-3).

function realnvp(opts: WorkloadOptions): WorkloadInstance {
  const adam = adamOf(opts);
  const B = opts.batch ?? 128;
  const D = 784;
  const H = D / 2;
  const rng = new Rng(3);
  const nets = [...Array(8)].map(() => new Mlp(rng, [H, 512, 512, D], "relu", "linear"));
  const vars = nets.flatMap((n) => n.vars());
  const x = tf.tensor2d(rng.uniformArray(B * D), [B, D]);
  const opt = adam(1e-3);
  const halfLog2Pi = 0.5 * Math.log(2 * Math.PI);
  return {
    step: () =>
      step1(opt, vars, () => {
        let a: tf.Tensor = tf.slice(x, [0, 0], [B, H]);
        let b: tf.Tensor = tf.slice(x, [0, H], [B, H]);
        let logdet: tf.Tensor = tf.zeros([B]);
        for (const net of nets) {
          const st = net.apply(a, opts.fused);
          const s = tf.tanh(tf.slice(st, [0, 0], [B, H]));
          const t = tf.slice(st, [0, H], [B, H]);
          const nb = tf.add(tf.mul(b, tf.exp(s)), t);
          logdet = tf.add(logdet, tf.sum(s, 1));
          b = a; // the next coupling transforms the other half
          a = nb;
        }
        const zz = tf.concat([a, b], 1);
        const logp = tf.sub(tf.mul(-0.5, tf.sum(tf.square(zz), 1)), D * halfLog2Pi);
        return tf.neg(tf.mean(tf.add(logp, logdet))) as tf.Scalar;
      }),
    dispose: () => disposeAll([...vars, x], [opt]),
  };
}

// ---------------------------------------------------------------------------------------------
// toy-gan: G 2-128-128-2 (ReLU), D 2-128-128-1 (leaky ReLU 0.2), batch 256, Adam(2e-4, 0.5),
// non-saturating BCE losses. wgan-gp: the same pair, WGAN losses with gradient penalty
// (lambda 10) on random interpolates, Adam(1e-4, 0.5, 0.9); the critic's leaky ReLU is
// second-order safe (as lib/runtime/nn.ts picks it) and it uses no fused kernels.

function ringSamples(rng: Rng, n: number): Float32Array {
  const out = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const k = rng.int(8);
    out[2 * i] = 2 * Math.cos((k * Math.PI) / 4) + 0.02 * rng.normal();
    out[2 * i + 1] = 2 * Math.sin((k * Math.PI) / 4) + 0.02 * rng.normal();
  }
  return out;
}

function toyGan(opts: WorkloadOptions): WorkloadInstance {
  const adam = adamOf(opts);
  const B = opts.batch ?? 256;
  const rng = new Rng(4);
  const G = new Mlp(rng, [2, 128, 128, 2], "relu", "linear");
  const Dn = new Mlp(rng, [2, 128, 128, 1], "leakyRelu", "linear");
  const real = tf.tensor2d(ringSamples(rng, B), [B, 2]);
  const z = tf.tensor2d(rng.normalArray(B * 2), [B, 2]);
  const optD = adam(2e-4, 0.5);
  const optG = adam(2e-4, 0.5);
  const f = opts.fused;
  return {
    step: () => {
      const fake = tf.tidy(() => G.apply(z, f));
      const ld = step1(
        optD,
        Dn.vars(),
        () =>
          tf.add(
            tf.mean(bceWithLogits(Dn.apply(real, f), 1)),
            tf.mean(bceWithLogits(Dn.apply(fake, f), 0)),
          ) as tf.Scalar,
      );
      fake.dispose();
      step1(
        optG,
        G.vars(),
        () => tf.mean(bceWithLogits(Dn.apply(G.apply(z, f), f), 1)) as tf.Scalar,
      );
      return ld;
    },
    dispose: () => disposeAll([...G.vars(), ...Dn.vars(), real, z], [optD, optG]),
  };
}

function wganGp(opts: WorkloadOptions): WorkloadInstance {
  const adam = adamOf(opts);
  const B = opts.batch ?? 256;
  const rng = new Rng(5);
  const G = new Mlp(rng, [2, 128, 128, 2], "relu", "linear");
  // lib/runtime/nn.ts's choice: one LeakyRelu kernel where the backend has genlab's LeakyReluGrad
  // (its
  // second derivative is right), else the second-order-safe composite.
  const C = new Mlp(
    rng,
    [2, 128, 128, 1],
    leakyReluGradReady() ? "leakyRelu" : "leakyReluSO",
    "linear",
  );
  const real = tf.tensor2d(ringSamples(rng, B), [B, 2]);
  const z = tf.tensor2d(rng.normalArray(B * 2), [B, 2]);
  const alpha = tf.tensor2d(rng.uniformArray(B), [B, 1]);
  const optD = adam(1e-4, 0.5, 0.9);
  const optG = adam(1e-4, 0.5, 0.9);
  const f = opts.fused;
  const critic = (x: tf.Tensor) => C.apply(x, false);
  const gradOfCritic = tf.grad((x: tf.Tensor) => tf.sum(critic(x)));
  return {
    step: () => {
      const fake = tf.tidy(() => G.apply(z, f));
      const ld = step1(optD, C.vars(), () => {
        const xhat = tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake));
        const g = gradOfCritic(xhat);
        const norm = tf.sqrt(tf.add(tf.sum(tf.square(g), 1), 1e-12));
        const gp = tf.mean(tf.square(tf.sub(norm, 1)));
        return tf.add(
          tf.sub(tf.mean(critic(fake)), tf.mean(critic(real))),
          tf.mul(10, gp),
        ) as tf.Scalar;
      });
      fake.dispose();
      step1(optG, G.vars(), () => tf.neg(tf.mean(critic(G.apply(z, f)))) as tf.Scalar);
      return ld;
    },
    dispose: () => disposeAll([...G.vars(), ...C.vars(), real, z, alpha], [optD, optG]),
  };
}

export const WORKLOADS: Record<WorkloadName, Workload> = {
  "vae-mlp": {
    name: "vae-mlp",
    description: "VAE 784-400-20 ReLU, Bernoulli decoder, batch 128, Adam",
    batch: 128,
    build: vaeMlp,
  },
  dcgan: {
    name: "dcgan",
    description:
      "DCGAN MNIST pair (2 stride-2 convT + BN / 2 stride-2 conv + dense), batch 64, D+G step",
    batch: 64,
    build: dcgan,
  },
  realnvp: {
    name: "realnvp",
    description: "RealNVP 784-d, 8 affine couplings, MLP 512-512, batch 128, NLL",
    batch: 128,
    build: realnvp,
  },
  "toy-gan": {
    name: "toy-gan",
    description: "toy GAN G 2-128-128-2 / D 2-128-128-1, batch 256, D+G step",
    batch: 256,
    build: toyGan,
  },
  "wgan-gp": {
    name: "wgan-gp",
    description: "toy WGAN-GP (gradient penalty, 2nd-order grads), batch 256, D+G step",
    batch: 256,
    build: wganGp,
  },
};

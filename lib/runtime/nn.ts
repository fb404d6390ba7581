/**
 * A small, explicit module system on top of tfjs variables: every parameter has a stable name,
 * so checkpoints can be checked name by name and shape by shape, and initial values come from a
 * seeded Rng (same seed, same network on every backend). Names live in the params() maps, not
 * in tfjs (tfjs variable names are global, so re-running a notebook cell would clash).
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "./random";
import { leakyReluGradReady } from "./wasm-kernels";

export type Activation = "linear" | "relu" | "leakyRelu" | "tanh" | "sigmoid" | "softplus" | "elu";

/**
 * Applies an activation. leakyRelu is one LeakyRelu kernel where the backend has genlab's
 * LeakyReluGrad kernel (wasm, lib/runtime/wasm-kernels.ts), which gives it a correct second
 * derivative; elsewhere it is written as relu(x) - a*relu(-x), because tfjs's own leakyRelu
 * gradient has no second derivative through x (PLATFORM.md) and the gradient penalty of WGAN-GP
 * needs one. Both forms give the same values and gradients (test/nn.test.ts).
 */
export function activate(x: tf.Tensor, act: Activation, alpha = 0.2): tf.Tensor {
  switch (act) {
    case "linear":
      return x;
    case "relu":
      return tf.relu(x);
    case "leakyRelu":
      return leakyReluGradReady() ? tf.leakyRelu(x, alpha) : leakyReluComposite(x, alpha);
    case "tanh":
      return tf.tanh(x);
    case "sigmoid":
      return tf.sigmoid(x);
    case "softplus":
      return tf.softplus(x);
    case "elu":
      return tf.elu(x);
    default:
      // Reached only from untyped code (a notebook cell with a typo).
      throw new Error(
        `unknown activation ${JSON.stringify(act as string)}: use linear, relu, leakyRelu, tanh, sigmoid, softplus or elu`,
      );
  }
}

/** leakyRelu as relu(x) - a*relu(-x): ops whose second derivatives tfjs computes correctly. */
export function leakyReluComposite(x: tf.Tensor, alpha = 0.2): tf.Tensor {
  return tf.sub(tf.relu(x), tf.mul(alpha, tf.relu(tf.neg(x))));
}

/** Anything that owns named variables. */
export interface HasParams {
  params(): Record<string, tf.Variable>;
}

export type Init = "he" | "glorot" | "zeros" | { std: number };

function initValues(rng: Rng, fanIn: number, fanOut: number, n: number, init: Init): Float32Array {
  if (init === "zeros") return new Float32Array(n);
  const std =
    typeof init === "object"
      ? init.std
      : init === "he"
        ? Math.sqrt(2 / fanIn)
        : Math.sqrt(2 / (fanIn + fanOut));
  return rng.normalArray(n, 0, std);
}

/**
 * The weight `<name>.w` of `shape` (drawn by `init` with the given fan-in and fan-out) and the zero
 * bias `<name>.b` of the last dimension's size: the variables of Dense and Conv2D.
 */
function weightAndBias(
  kind: string,
  name: string,
  shape: number[],
  fanIn: number,
  fanOut: number,
  rng: Rng,
  init: Init,
): { w: tf.Variable; b: tf.Variable } {
  if (typeof init === "object" && !(init.std >= 0 && Number.isFinite(init.std))) {
    throw new Error(`${kind} ${name}: init std must be a finite number >= 0, got ${init.std}`);
  }
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    w: tf.tidy(() => tf.variable(tf.tensor(initValues(rng, fanIn, fanOut, n, init), shape))),
    b: tf.tidy(() => tf.variable(tf.zeros([shape[shape.length - 1]]))),
  };
}

/**
 * A fully connected layer y = act(x W + b) with variables `<name>.w` [in, out] and `<name>.b`
 * [out].
 */
export class Dense implements HasParams {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  constructor(
    readonly name: string,
    readonly inDim: number,
    readonly outDim: number,
    rng: Rng,
    readonly act: Activation = "linear",
    init: Init = act === "relu" || act === "leakyRelu" ? "he" : "glorot",
  ) {
    if (!Number.isInteger(inDim) || inDim < 1 || !Number.isInteger(outDim) || outDim < 1) {
      throw new Error(
        `Dense ${name}: inDim and outDim must be positive integers, got ${inDim} and ${outDim}`,
      );
    }
    ({ w: this.w, b: this.b } = weightAndBias(
      "Dense",
      name,
      [inDim, outDim],
      inDim,
      outDim,
      rng,
      init,
    ));
  }
  apply(x: tf.Tensor): tf.Tensor {
    return activate(tf.add(tf.matMul(x as tf.Tensor2D, this.w as tf.Tensor2D), this.b), this.act);
  }
  params(): Record<string, tf.Variable> {
    return { [`${this.name}.w`]: this.w, [`${this.name}.b`]: this.b };
  }
}

/**
 * A 2-D convolution y = act(conv(x, W) + b) on NHWC tensors, stride 1, "same" padding, with
 * variables `<name>.w` [k, k, in, out] and `<name>.b` [out].
 */
export class Conv2D implements HasParams {
  readonly w: tf.Variable;
  readonly b: tf.Variable;
  constructor(
    readonly name: string,
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernel: number,
    rng: Rng,
    readonly act: Activation = "linear",
    init: Init = act === "relu" || act === "leakyRelu" ? "he" : "glorot",
  ) {
    for (const [what, v] of [
      ["inChannels", inChannels],
      ["outChannels", outChannels],
      ["kernel", kernel],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`Conv2D ${name}: ${what} must be a positive integer, got ${v}`);
    }
    const k2 = kernel * kernel;
    ({ w: this.w, b: this.b } = weightAndBias(
      "Conv2D",
      name,
      [kernel, kernel, inChannels, outChannels],
      k2 * inChannels,
      k2 * outChannels,
      rng,
      init,
    ));
  }
  apply(x: tf.Tensor): tf.Tensor {
    return activate(
      tf.add(tf.conv2d(x as tf.Tensor4D, this.w as tf.Tensor4D, 1, "same"), this.b),
      this.act,
    );
  }
  params(): Record<string, tf.Variable> {
    return { [`${this.name}.w`]: this.w, [`${this.name}.b`]: this.b };
  }
}

/**
 * max over the last axis of h [n, units, pieces]: [n, units], its gradient going to the arg-max
 * piece of each unit (the first of tied ones). The same values and, without ties, the same
 * gradient as tf.max(h, 2), whose gradient builds an Equal mask with broadcasting that the wasm
 * backend computes slowly (135 of PacGAN's 200 ms per step, measured with tf.profile). First-order
 * only: no gradient of this gradient (no gradient penalty through it).
 */
export const maxOfPieces = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [h, save] = args as [tf.Tensor, tf.GradSaveFunc];
  const [n, units, pieces] = h.shape;
  const arg = tf.argMax(h, 2);
  save([arg]);
  return {
    value: tf.max(h, 2),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      // tfjs-backend-wasm 4.22's OneHot writes zeros when asked for float32: cast the int32 one.
      const mask = tf.cast(tf.oneHot(tf.reshape(saved[0], [-1]) as tf.Tensor1D, pieces), "float32");
      return tf.mul(tf.reshape(mask, [n, units, pieces]), tf.expandDims(dy as tf.Tensor, 2));
    },
  };
}) as (h: tf.Tensor3D) => tf.Tensor2D;

/**
 * 2x2 max-pooling with stride 2 of NHWC x (even height and width): tf.maxPool's values, and as
 * gradient dy copied to each window's maximum (to every tied maximum; a tie at a ReLU's 0 gets no
 * gradient anyway, ReLU's gradient being 0 there). tfjs-backend-wasm's MaxPoolGrad took 89 of a
 * small CNN's 150 ms per step (tf.profile); this gradient is an upsampling, an Equal mask of the
 * same shape and a multiply. First-order only.
 */
export const maxPool2x2 = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor4D, tf.GradSaveFunc];
  const [n, h, w, c] = x.shape;
  if (h % 2 !== 0 || w % 2 !== 0)
    throw new Error(`maxPool2x2: height and width must be even, got ${h}x${w}`);
  const up = (t: tf.Tensor) =>
    tf.reshape(tf.tile(tf.reshape(t, [n, h / 2, 1, w / 2, 1, c]), [1, 1, 2, 1, 2, 1]), [
      n,
      h,
      w,
      c,
    ]);
  const y = tf.maxPool(x, 2, 2, "valid");
  save([x, y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const mask = tf.cast(tf.equal(saved[0], up(saved[1])), "float32");
      return tf.mul(mask, up(dy as tf.Tensor));
    },
  };
}) as (x: tf.Tensor4D) => tf.Tensor4D;

/**
 * A maxout layer (Goodfellow et al., 2013): `units` outputs, each the maximum of `pieces` affine
 * pieces, y_j = max_k (x W_{j,k} + b_{j,k}). Variables `<name>.w` [in, units * pieces] and
 * `<name>.b` [units * pieces], the pieces of unit j in columns j * pieces ... (j + 1) * pieces - 1.
 */
export class Maxout implements HasParams {
  readonly linear: Dense;
  constructor(
    readonly name: string,
    readonly inDim: number,
    readonly units: number,
    readonly pieces: number,
    rng: Rng,
    init: Init = "glorot",
  ) {
    if (!Number.isInteger(pieces) || pieces < 1)
      throw new Error(`Maxout ${name}: pieces must be a positive integer, got ${pieces}`);
    this.linear = new Dense(name, inDim, units * pieces, rng, "linear", init);
  }
  apply(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const h = this.linear.apply(x);
      return maxOfPieces(tf.reshape(h, [-1, this.units, this.pieces]) as tf.Tensor3D);
    });
  }
  params(): Record<string, tf.Variable> {
    return this.linear.params();
  }
}

/**
 * Batch normalisation of features [n, dim] (Ioffe & Szegedy, 2015): y = gamma (x - mu) /
 * sqrt(var + eps) + beta. In training, mu and var are the batch's (biased variance) and the
 * running averages move towards them by `momentum` (running = (1 - momentum) running + momentum
 * batch); otherwise the running averages are used. Variables `<name>.gamma`, `<name>.beta` and the
 * running `<name>.mean`, `<name>.var` (not trained, but saved with the weights).
 */
export class BatchNorm implements HasParams {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runMean: tf.Variable;
  readonly runVar: tf.Variable;
  constructor(
    readonly name: string,
    readonly dim: number,
    readonly momentum = 0.05,
    readonly eps = 1e-5,
  ) {
    this.gamma = tf.variable(tf.ones([dim]));
    this.beta = tf.variable(tf.zeros([dim]));
    this.runMean = tf.variable(tf.zeros([dim]), false);
    this.runVar = tf.variable(tf.ones([dim]), false);
  }
  apply(x: tf.Tensor, training = false): tf.Tensor {
    if (!training)
      return tf.batchNorm(x, this.runMean, this.runVar, this.beta, this.gamma, this.eps);
    const { mean, variance } = tf.moments(x, 0);
    tf.tidy(() => {
      const m = this.momentum;
      this.runMean.assign(tf.add(tf.mul(this.runMean, 1 - m), tf.mul(mean, m)));
      this.runVar.assign(tf.add(tf.mul(this.runVar, 1 - m), tf.mul(variance, m)));
    });
    return tf.batchNorm(x, mean, variance, this.beta, this.gamma, this.eps);
  }
  /** The trained variables (gamma, beta). */
  trainable(): Record<string, tf.Variable> {
    return { [`${this.name}.gamma`]: this.gamma, [`${this.name}.beta`]: this.beta };
  }
  params(): Record<string, tf.Variable> {
    return {
      ...this.trainable(),
      [`${this.name}.mean`]: this.runMean,
      [`${this.name}.var`]: this.runVar,
    };
  }
}

/**
 * A multilayer perceptron: sizes [in, h1, ..., out], `hidden` activation between, `output` at the
 * end.
 */
export class MLP implements HasParams {
  readonly layers: Dense[];
  constructor(
    readonly name: string,
    readonly sizes: number[],
    rng: Rng,
    hidden: Activation = "relu",
    output: Activation = "linear",
  ) {
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new Error(
        `MLP ${name}: sizes must be at least two positive integers, got [${sizes.join(", ")}]`,
      );
    }
    this.layers = [];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const last = i + 2 === sizes.length;
      this.layers.push(
        new Dense(
          `${name}.${i}`,
          sizes[i],
          sizes[i + 1],
          rng.fork(`${name}.${i}`),
          last ? output : hidden,
        ),
      );
    }
  }
  apply(x: tf.Tensor): tf.Tensor {
    let h = x;
    for (const l of this.layers) h = l.apply(h);
    return h;
  }
  params(): Record<string, tf.Variable> {
    return collectParams(this.layers);
  }
}

/** Merges the variables of several modules; a repeated name is an error. */
export function collectParams(mods: HasParams[]): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const m of mods) {
    for (const [k, v] of Object.entries(m.params())) {
      if (k in out) throw new Error(`two parameters share the name ${k}`);
      out[k] = v;
    }
  }
  return out;
}

/** Total number of scalar parameters. */
export function countParams(params: Record<string, tf.Variable>): number {
  return Object.values(params).reduce((s, v) => s + v.size, 0);
}

/** Disposes every variable of the given modules. */
export function disposeParams(params: Record<string, tf.Variable>): void {
  for (const v of Object.values(params)) v.dispose();
}

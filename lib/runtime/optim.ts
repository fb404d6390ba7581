/**
 * Adam with each variable's whole update in one kernel call on the wasm backend.
 *
 * `adam(lr, beta1?, beta2?, epsilon?)` is a drop-in for `tf.train.adam(...)`: a tf.Optimizer
 * (minimize, computeGradients, applyGradients, dispose, a writable `learningRate`) with the same
 * maths as tfjs's AdamOptimizer (tfjs-core/src/optimizers/adam_optimizer.ts): the moments
 * m' = beta1 m + (1 - beta1) g and v' = beta2 v + (1 - beta2) g^2, the bias corrections
 * 1 - beta1^t and 1 - beta2^t kept as float32 products like tfjs's accBeta1/accBeta2, and
 * x' = x - lr * mHat / (sqrt(vHat) + epsilon), epsilon outside the square root.
 *
 * Why: tf.train.adam issues 14 kernel calls per variable per step (mul, add, square, div, sqrt,
 * ...), each with 10-30 us of tfjs overhead on wasm. On wasm with genlab's kernels registered
 * (lib/runtime/wasm-kernels.ts, FusedAdam) each variable costs one call, computed op for op in
 * float32 as tfjs does, so parameters come out bit-identical to tf.train.adam's
 * (test/optim.test.ts). Measured (bench/RESULTS.md, `npm run bench -- --adam both`): 10-18% off a
 * toy-gan step, 5-9% off wgan-gp, 27-29% off vae-mlp (CPU time). Elsewhere (cpu, tfjs-node, wasm
 * without genlab's kernels, or a variable that is not float32) the update runs as tfjs's own
 * sequence of ops.
 *
 * Differences from tf.train.adam: the moments are kept per variable (by name) rather than by
 * position in the list of gradients, so calling minimize with another variable list does not mix
 * up moments (tfjs would); beta1^t and beta2^t are JS numbers rounded to float32, not two scalar
 * tensors; getWeights/setWeights save and restore the whole state (moments by variable name, the
 * step count, beta1^t and beta2^t) for a training run's resume checkpoint (lib/training/resume.ts).
 */
import * as tf from "@tensorflow/tfjs";

type NamedTensor = { name: string; tensor: tf.Tensor };
import { FUSED_ADAM, type FusedAdamAttrs } from "./wasm-kernels";

interface Moments {
  m: tf.Variable;
  v: tf.Variable;
}

export class FusedAdam extends tf.Optimizer {
  static get className(): string {
    return "GenlabFusedAdam";
  }

  /** Read at every step: set it to decay the rate, as with tf.train.adam. */
  learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  /** beta1^t and beta2^t for the next step t, as float32 products (tfjs's accBeta1/accBeta2). */
  private accBeta1: number;
  private accBeta2: number;
  private moments = new Map<string, Moments>();
  /** Kernel calls made by the last applyGradients: fused variables, and those done op by op. */
  lastStep = { fused: 0, unfused: 0 };

  constructor(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) {
    super();
    this.learningRate = learningRate;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon ?? tf.backend().epsilon();
    this.accBeta1 = Math.fround(beta1);
    this.accBeta2 = Math.fround(beta2);
  }

  /** Whether the one-call path is available on the running backend. */
  static fusedAvailable(): boolean {
    return tf.getBackend() === "wasm" && tf.getKernel(FUSED_ADAM, "wasm") !== undefined;
  }

  override applyGradients(
    variableGradients: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[],
  ): void {
    const list = Array.isArray(variableGradients)
      ? variableGradients.map((t) => [t.name, t.tensor] as const)
      : Object.keys(variableGradients).map((k) => [k, variableGradients[k]] as const);
    const fused = FusedAdam.fusedAvailable();
    const f = Math.fround;
    const attrs: FusedAdamAttrs = {
      lr: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      oneMinusAccBeta1: f(1 - this.accBeta1),
      oneMinusAccBeta2: f(1 - this.accBeta2),
    };
    const count = { fused: 0, unfused: 0 };
    tf.tidy(() => {
      for (const [name, gradient] of list) {
        const value = tf.engine().registeredVariables[name];
        if (!value) throw new Error(`adam: no variable named ${name}`);
        const s = this.state(name, value);
        if (gradient == null) continue; // as tfjs: moments made, no update
        if (fused && value.dtype === "float32" && gradient.dtype === "float32") {
          const [x1, m1, v1] = tf
            .engine()
            .runKernel(
              FUSED_ADAM,
              { x: value, m: s.m, v: s.v, g: gradient },
              attrs as unknown as tf.NamedAttrMap,
            ) as tf.Tensor[];
          s.m.assign(m1);
          s.v.assign(v1);
          value.assign(x1);
          count.fused++;
        } else {
          unfusedStep(value, s, gradient, this, attrs);
          count.unfused++;
        }
      }
    });
    this.accBeta1 = f(this.accBeta1 * f(this.beta1));
    this.accBeta2 = f(this.accBeta2 * f(this.beta2));
    this.lastStep = count;
    this.incrementIterations();
  }

  private state(name: string, value: tf.Variable): Moments {
    let s = this.moments.get(name);
    if (!s) {
      s = { m: tf.zerosLike(value).variable(false), v: tf.zerosLike(value).variable(false) };
      this.moments.set(name, s);
    }
    return s;
  }

  /** Tensors this optimiser holds (two moments per variable it has seen). */
  get numStateTensors(): number {
    return 2 * this.moments.size;
  }

  override dispose(): void {
    for (const s of this.moments.values()) {
      s.m.dispose();
      s.v.dispose();
    }
    this.moments.clear();
    super.dispose();
  }

  /**
   * The state as named tensors: "iter", "accBeta1", "accBeta2", then "<variable>/m" and
   * "<variable>/v".
   */
  override async getWeights(): Promise<NamedTensor[]> {
    const out: NamedTensor[] = [
      { name: "iter", tensor: tf.scalar(this.iterations, "int32") },
      { name: "accBeta1", tensor: tf.scalar(this.accBeta1) },
      { name: "accBeta2", tensor: tf.scalar(this.accBeta2) },
    ];
    for (const [name, s] of this.moments) {
      out.push(
        { name: `${name}/m`, tensor: s.m.clone() },
        { name: `${name}/v`, tensor: s.v.clone() },
      );
    }
    return out;
  }

  /** Puts back a state from getWeights (the moments are copied; the tensors stay the caller's). */
  override async setWeights(weights: NamedTensor[]): Promise<void> {
    const byName = new Map(weights.map((w) => [w.name, w.tensor]));
    const need = (n: string) => {
      const t = byName.get(n);
      if (!t) throw new Error(`adam.setWeights: no "${n}" in the saved state`);
      return t.dataSync()[0];
    };
    this.iterations_ = need("iter");
    this.accBeta1 = need("accBeta1");
    this.accBeta2 = need("accBeta2");
    for (const s of this.moments.values()) tf.dispose([s.m, s.v]);
    this.moments.clear();
    for (const [n, t] of byName) {
      const hit = /^(.*)\/m$/.exec(n);
      if (!hit) continue;
      const v = byName.get(`${hit[1]}/v`);
      if (!v) throw new Error(`adam.setWeights: "${n}" has no "${hit[1]}/v"`);
      this.moments.set(hit[1], { m: t.clone().variable(false), v: v.clone().variable(false) });
    }
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
    };
  }
}

/** tfjs's AdamOptimizer update of one variable, op for op (the path off the wasm kernel). */
function unfusedStep(
  value: tf.Variable,
  s: Moments,
  g: tf.Tensor,
  o: FusedAdam,
  a: FusedAdamAttrs,
): void {
  const m1 = tf.add(tf.mul(s.m, o.beta1), tf.mul(g, 1 - o.beta1));
  const v1 = tf.add(tf.mul(s.v, o.beta2), tf.mul(tf.square(g), 1 - o.beta2));
  const mHat = tf.div(m1, a.oneMinusAccBeta1);
  const vHat = tf.div(v1, a.oneMinusAccBeta2);
  s.m.assign(m1);
  s.v.assign(v1);
  value.assign(
    tf.add(tf.mul(tf.div(mHat, tf.add(tf.sqrt(vHat), o.epsilon)), -o.learningRate), value),
  );
}

/**
 * A drop-in for `tf.train.adam(learningRate, beta1, beta2, epsilon)` (same defaults: 0.001, 0.9,
 * 0.999, the backend's epsilon, 1e-7 on wasm and cpu) whose update is one kernel call per
 * variable on the wasm backend.
 */
export function adam(
  learningRate = 0.001,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon: number | null = null,
): FusedAdam {
  return new FusedAdam(learningRate, beta1, beta2, epsilon);
}

/**
 * The budgets' step decay of the learning rate: at step round(steps * (1 - decayFrac)) it becomes
 * `lr * lrDecay` (nothing happens when lrDecay is 1 or absent). Call it at every step `i`.
 */
export function stepDecay(
  opt: tf.Optimizer,
  lr: number,
  b: { steps: number; lrDecay?: number; decayFrac?: number },
  i: number,
): void {
  const f = b.lrDecay ?? 1;
  if (f === 1 || i !== Math.round(b.steps * (1 - (b.decayFrac ?? 0)))) return;
  // Every optimiser (tfjs's and FusedAdam) reads its learning rate at each update; tfjs's
  // typings mark the field protected.
  (opt as unknown as { learningRate: number }).learningRate = lr * f;
}

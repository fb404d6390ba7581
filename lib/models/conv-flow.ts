/**
 * A convolutional, multi-scale RealNVP for images (Dinh et al. 2016, section 3.6; the layout of
 * UvA's tutorial 11): the same affine coupling as flow.ts, but the networks computing s and t are
 * small convolutional nets, so every pixel is transformed from its neighbourhood with shared
 * weights.
 *
 *   level 1 (1 x 28 x 28):  checkerboard couplings   the mask alternates between the two colours
 *   squeeze (4 x 14 x 14):  every 2 x 2 patch becomes 4 channels (a permutation: log|det| = 0)
 *   level 2:                channel couplings        half the channels condition the other half
 *   split:                  half the channels leave for the latent z ("factored out")
 *   squeeze (8 x 7 x 7), level 3: channel couplings
 *
 * Checkerboard coupling with mask m (1 on the conditioning pixels):
 *   (raw_s, raw_t) = NN(m * x, m),
 *   y = x * exp(s) + t,   s = (1 - m) * c tanh(raw_s / c),   t = (1 - m) * raw_t,
 * so the pixels under the mask pass unchanged and log|det dy/dx| = sum s. Channel coupling: the
 * same with (a, b) = channel halves, b' = b * exp(s(a)) + t(a), the roles alternating.
 *
 * Tensors are NHWC; rows in and out are images flattened in (row, column, channel) order, and
 * z is the factored-out channels of every split followed by the last level's output, each
 * flattened, then scaled by one learned exp(logScale) per dimension (NICE's scaling layer), so
 * the model is a FlowModel and every helper of flow.ts works with it.
 */
import * as tf from "@tensorflow/tfjs";
import { Conv2D, collectParams, type HasParams } from "../runtime/nn";
import { Rng } from "../runtime/random";
import { changeOfVariablesLogProb, type FlowModel } from "./flow";

export interface ConvFlowLevel {
  /**
   * "checkerboard": a spatial mask whose colour alternates; "channel": channel halves that
   * alternate.
   */
  mask: "checkerboard" | "channel";
  couplings: number;
  /** Channels of the hidden layers of each coupling's network. */
  hidden: number;
  /** Squeeze (2 x 2 space to depth) before the level. */
  squeeze?: boolean;
  /** After the level, half of the channels leave for the latent. */
  split?: boolean;
}

export interface ConvFlowConfig {
  height: number;
  width: number;
  channels: number;
  levels: ConvFlowLevel[];
  /** Hidden 3 x 3 convolutions after the first in each network (default 1). */
  depth?: number;
  /** s = scaleClamp * tanh(raw / scaleClamp) (default 2). */
  scaleClamp?: number;
  /**
   * A final diagonal scaling z = y * exp(logScale), one learned scale per latent dimension (default
   * true).
   */
  scaling?: boolean;
}

type Shape3 = [number, number, number];

class ConvCoupling {
  constructor(
    readonly mask: "checkerboard" | "channel",
    /** checkerboard: which colour conditions; channel: whether the second half conditions. */
    readonly parity: number,
    readonly convs: Conv2D[],
    /** Checkerboard mask [1, H, W, 1] (1 = conditioning pixel); null for channel couplings. */
    readonly m: tf.Tensor4D | null,
  ) {}
}

function checkerboardMask(h: number, w: number, parity: number): tf.Tensor4D {
  const v = new Float32Array(h * w);
  for (let r = 0; r < h; r++)
    for (let c = 0; c < w; c++) v[r * w + c] = (r + c) % 2 === parity ? 1 : 0;
  return tf.tensor4d(v, [1, h, w, 1]);
}

/** [B, H, W, C] -> [B, H/2, W/2, 4C]: each 2 x 2 patch becomes the channels (a permutation). */
export function squeeze2x2(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c] = x.shape;
  return tf.tidy(() =>
    x
      .reshape([b, h / 2, 2, w / 2, 2, c])
      .transpose([0, 1, 3, 2, 4, 5])
      .reshape([b, h / 2, w / 2, 4 * c]),
  );
}

/** The inverse of squeeze2x2. */
export function unsqueeze2x2(x: tf.Tensor4D): tf.Tensor4D {
  const [b, h, w, c4] = x.shape;
  const c = c4 / 4;
  return tf.tidy(() =>
    x
      .reshape([b, h, w, 2, 2, c])
      .transpose([0, 1, 3, 2, 4, 5])
      .reshape([b, 2 * h, 2 * w, c]),
  );
}

function numel(s: Shape3): number {
  return s[0] * s[1] * s[2];
}

export class ConvFlow implements FlowModel {
  readonly couplings: ConvCoupling[][] = [];
  /** Shape (H, W, C) each level works on, and the shape it factors out (null: no split). */
  readonly shapes: { level: Shape3; out: Shape3 | null }[] = [];
  readonly dim: number;
  readonly clamp: number;
  readonly logScale: tf.Variable | null;
  constructor(
    readonly name: string,
    readonly config: ConvFlowConfig,
    rng: Rng,
  ) {
    const { height, width, channels, levels } = config;
    for (const [what, v] of [
      ["height", height],
      ["width", width],
      ["channels", channels],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new Error(`ConvFlow ${name}: ${what} must be a positive integer, got ${v}`);
    }
    if (!Array.isArray(levels) || levels.length === 0)
      throw new Error(`ConvFlow ${name}: needs at least one level`);
    this.dim = height * width * channels;
    this.clamp = config.scaleClamp ?? 2;
    const depth = config.depth ?? 1;
    let shape: Shape3 = [height, width, channels];
    levels.forEach((lv, li) => {
      if (lv.mask !== "checkerboard" && lv.mask !== "channel")
        throw new Error(
          `ConvFlow ${name}: level ${li} mask must be "checkerboard" or "channel", got ${JSON.stringify(lv.mask)}`,
        );
      if (
        !Number.isInteger(lv.couplings) ||
        lv.couplings < 1 ||
        !Number.isInteger(lv.hidden) ||
        lv.hidden < 1
      ) {
        throw new Error(
          `ConvFlow ${name}: level ${li} needs positive integer couplings and hidden, got ${lv.couplings} and ${lv.hidden}`,
        );
      }
      if (lv.squeeze) {
        if (shape[0] % 2 || shape[1] % 2)
          throw new Error(
            `ConvFlow ${name}: level ${li} squeezes ${shape[0]} x ${shape[1]}, which is not even`,
          );
        shape = [shape[0] / 2, shape[1] / 2, shape[2] * 4];
      }
      const [h, w, c] = shape;
      if ((lv.mask === "channel" || lv.split) && c % 2)
        throw new Error(`ConvFlow ${name}: level ${li} splits ${c} channels, which is not even`);
      const cIn = lv.mask === "checkerboard" ? c + 1 : c / 2;
      const cOut = lv.mask === "checkerboard" ? 2 * c : c;
      const level: ConvCoupling[] = [];
      for (let k = 0; k < lv.couplings; k++) {
        const r = rng.fork(`l${li}c${k}`);
        const base = `${name}.l${li}c${k}`;
        const convs = [new Conv2D(`${base}.0`, cIn, lv.hidden, 3, r.fork("0"), "relu")];
        for (let d = 1; d <= depth; d++)
          convs.push(new Conv2D(`${base}.${d}`, lv.hidden, lv.hidden, 3, r.fork(`${d}`), "relu"));
        const last = new Conv2D(
          `${base}.out`,
          lv.hidden,
          cOut,
          3,
          r.fork("out"),
          "linear",
          "zeros",
        );
        convs.push(last); // zero output: every coupling starts as the identity
        const parity = k % 2;
        level.push(
          new ConvCoupling(
            lv.mask,
            parity,
            convs,
            lv.mask === "checkerboard" ? tf.keep(checkerboardMask(h, w, parity)) : null,
          ),
        );
      }
      this.couplings.push(level);
      const out: Shape3 | null = lv.split ? [h, w, c / 2] : null;
      this.shapes.push({ level: [h, w, c], out });
      if (lv.split) shape = [h, w, c / 2];
    });
    this.logScale = config.scaling === false ? null : tf.variable(tf.zeros([this.dim]));
  }

  params(): Record<string, tf.Variable> {
    const p = collectParams(this.couplings.flat().flatMap((c): HasParams[] => c.convs));
    if (this.logScale) p[`${this.name}.logScale`] = this.logScale;
    return p;
  }

  /** Releases the constant masks (the variables belong to params()). */
  disposeMasks(): void {
    for (const c of this.couplings.flat()) c.m?.dispose();
  }

  private net(c: ConvCoupling, input: tf.Tensor4D): tf.Tensor4D {
    let h: tf.Tensor = input;
    for (const conv of c.convs) h = conv.apply(h);
    return h as tf.Tensor4D;
  }

  /** (s, t) for the transformed part, and how to split/join: one coupling in either direction. */
  private couple(
    c: ConvCoupling,
    x: tf.Tensor4D,
    dir: 1 | -1,
  ): { y: tf.Tensor4D; logdet: tf.Tensor1D } {
    const C = x.shape[3];
    if (c.m) {
      const m = c.m;
      const inv = tf.sub(1, m);
      const cond = tf.mul(x, m);
      const out = this.net(
        c,
        tf.concat([cond, tf.tile(m, [x.shape[0], 1, 1, 1])], 3) as tf.Tensor4D,
      );
      const rawS = tf.slice(out, [0, 0, 0, 0], [-1, -1, -1, C]);
      const s = tf.mul(inv, tf.mul(this.clamp, tf.tanh(tf.div(rawS, this.clamp))));
      const t = tf.mul(inv, tf.slice(out, [0, 0, 0, C], [-1, -1, -1, C]));
      const y =
        dir === 1 ? tf.add(tf.mul(x, tf.exp(s)), t) : tf.mul(tf.sub(x, t), tf.exp(tf.neg(s)));
      return { y: y as tf.Tensor4D, logdet: tf.sum(s, [1, 2, 3]) as tf.Tensor1D };
    }
    const half = C / 2;
    const a = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, half]) as tf.Tensor4D;
    const b = tf.slice(x, [0, 0, 0, half], [-1, -1, -1, half]) as tf.Tensor4D;
    const [cond, moving] = c.parity ? [b, a] : [a, b];
    const out = this.net(c, cond);
    const s = tf.mul(
      this.clamp,
      tf.tanh(tf.div(tf.slice(out, [0, 0, 0, 0], [-1, -1, -1, half]), this.clamp)),
    );
    const t = tf.slice(out, [0, 0, 0, half], [-1, -1, -1, half]);
    const moved =
      dir === 1
        ? tf.add(tf.mul(moving, tf.exp(s)), t)
        : tf.mul(tf.sub(moving, t), tf.exp(tf.neg(s)));
    const y = c.parity ? tf.concat([moved, cond], 3) : tf.concat([cond, moved], 3);
    return { y: y as tf.Tensor4D, logdet: tf.sum(s, [1, 2, 3]) as tf.Tensor1D };
  }

  private rows(factored: tf.Tensor4D[], h: tf.Tensor4D): tf.Tensor2D {
    const b = h.shape[0];
    return tf.concat(
      [...factored, h].map((t) => t.reshape([b, -1])),
      1,
    ) as tf.Tensor2D;
  }

  forward(
    x: tf.Tensor2D,
    trace?: (y: tf.Tensor2D) => void,
  ): { z: tf.Tensor2D; logdet: tf.Tensor1D } {
    if (x.shape[1] !== this.dim)
      throw new Error(
        `ConvFlow ${this.name}: rows of ${this.dim} values expected, got ${x.shape[1]}`,
      );
    return tf.tidy(() => {
      const { height, width, channels, levels } = this.config;
      let h = x.reshape([x.shape[0], height, width, channels]) as tf.Tensor4D;
      let logdet: tf.Tensor = tf.zeros([x.shape[0]]);
      const factored: tf.Tensor4D[] = [];
      levels.forEach((lv, li) => {
        if (lv.squeeze) h = squeeze2x2(h);
        for (const c of this.couplings[li]) {
          const r = this.couple(c, h, 1);
          h = r.y;
          logdet = tf.add(logdet, r.logdet);
          if (trace) trace(tf.keep(this.rows(factored, h)));
        }
        if (lv.split) {
          const half = h.shape[3] / 2;
          factored.push(tf.slice(h, [0, 0, 0, half], [-1, -1, -1, half]));
          h = tf.slice(h, [0, 0, 0, 0], [-1, -1, -1, half]);
        }
      });
      let z = this.rows(factored, h);
      if (this.logScale) {
        z = tf.mul(z, tf.exp(this.logScale)) as tf.Tensor2D;
        logdet = tf.add(logdet, tf.sum(this.logScale));
        if (trace) trace(tf.keep(z.clone()));
      }
      return { z, logdet: logdet as tf.Tensor1D };
    });
  }

  inverse(z: tf.Tensor2D): tf.Tensor2D {
    if (z.shape[1] !== this.dim)
      throw new Error(
        `ConvFlow ${this.name}: rows of ${this.dim} values expected, got ${z.shape[1]}`,
      );
    return tf.tidy(() => {
      const b = z.shape[0];
      const { levels } = this.config;
      if (this.logScale) z = tf.mul(z, tf.exp(tf.neg(this.logScale))) as tf.Tensor2D;
      // Cut z into the factored parts (in split order) and the last level's output.
      const parts: tf.Tensor4D[] = [];
      let offset = 0;
      for (const sh of this.shapes) {
        if (!sh.out) continue;
        parts.push(
          tf.slice(z, [0, offset], [-1, numel(sh.out)]).reshape([b, ...sh.out]) as tf.Tensor4D,
        );
        offset += numel(sh.out);
      }
      const lastShape = this.shapes[this.shapes.length - 1];
      const finalShape: Shape3 = lastShape.out ? lastShape.out : lastShape.level;
      let h = tf
        .slice(z, [0, offset], [-1, numel(finalShape)])
        .reshape([b, ...finalShape]) as tf.Tensor4D;
      for (let li = levels.length - 1; li >= 0; li--) {
        if (levels[li].split) h = tf.concat([h, parts.pop()!], 3) as tf.Tensor4D;
        const cs = this.couplings[li];
        for (let k = cs.length - 1; k >= 0; k--) h = this.couple(cs[k], h, -1).y;
        if (levels[li].squeeze) h = unsqueeze2x2(h);
      }
      return h.reshape([b, this.dim]) as tf.Tensor2D;
    });
  }

  logProb(x: tf.Tensor2D): tf.Tensor1D {
    return changeOfVariablesLogProb(this, x);
  }
}

/** Number of scalar parameters of a ConvFlow with this config (without building it). */
export function convFlowParamCount(c: ConvFlowConfig): number {
  const depth = c.depth ?? 1;
  let ch = c.channels;
  let n = c.scaling === false ? 0 : c.height * c.width * c.channels;
  for (const lv of c.levels) {
    if (lv.squeeze) ch *= 4;
    const cIn = lv.mask === "checkerboard" ? ch + 1 : ch / 2;
    const cOut = lv.mask === "checkerboard" ? 2 * ch : ch;
    const per =
      9 * cIn * lv.hidden +
      lv.hidden +
      depth * (9 * lv.hidden * lv.hidden + lv.hidden) +
      9 * lv.hidden * cOut +
      cOut;
    n += lv.couplings * per;
    if (lv.split) ch /= 2;
  }
  return n;
}

/** Activation codes of sgemm's epilogue. */
export type ActCode = 0 | 1 | 2 | 3 | 4 | 5; // linear, relu, relu6, elu, leakyrelu, sigmoid
/**
 * C_b = act(op(A_b) op(B_b) + bias) for b < batch, row-major; X_b starts at b*strideX
 * (stride 0 broadcasts). Bias has 1, N or M*N values. Runs on OpenBLAS with 1 thread.
 */
export function sgemm(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  A: Float32Array, B: Float32Array, C: Float32Array,
  batch: number, strideA: number, strideB: number, strideC: number,
  bias?: Float32Array | null, act?: ActCode, actAlpha?: number,
): void;
/**
 * NHWC x [B,H,W,C] to conv rows cols [B*oh*ow, kh*kw*C] (strides sh/sw, dilations dh/dw, top/left
 * padding pt/pl; zeros outside x), so that cols x filter[kh*kw*C, O] is the conv output.
 */
export function im2col(
  x: Float32Array, B: number, H: number, W: number, C: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, oh: number, ow: number,
  cols: Float32Array,
): void;
/** The adjoint of im2col: x = 0, then each in-bounds cols entry is added to the x element it came from. */
export function col2im(
  cols: Float32Array, B: number, H: number, W: number, C: number, kh: number, kw: number,
  sh: number, sw: number, dh: number, dw: number, pt: number, pl: number, oh: number, ow: number,
  x: Float32Array,
): void;
export function numThreads(): number;
export function setNumThreads(n: number): void;
export function config(): string;

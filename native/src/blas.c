/*
 * genlab-blas: sgemm on Float32Arrays through OpenBLAS's CBLAS, as a Node-API addon.
 *
 * Exports
 *   sgemm(transA, transB, M, N, K, A, B, C, batch, strideA, strideB, strideC, bias, act, actAlpha)
 *     For b in [0, batch): C_b[M,N] = act(op(A_b) op(B_b) + bias), row-major, where
 *     op(A_b) is [M,K] (A_b stored [K,M] when transA), op(B_b) is [K,N] (B_b stored [N,K] when
 *     transB), X_b starts at element b*strideX of X (a stride of 0 broadcasts one matrix).
 *     bias: null/undefined, or a Float32Array of 1 (scalar), N (per column) or M*N (per
 *     element) values, the same for every batch. act: 0 linear, 1 relu, 2 relu6, 3 elu,
 *     4 leakyrelu (slope actAlpha), 5 sigmoid. Every array is bounds-checked before any write.
 *   im2col(x, B, H, W, C, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, cols) and its adjoint
 *   col2im(cols, B, H, W, C, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, x): see below.
 *   numThreads() -> OpenBLAS's thread count (forced to 1 when the module loads).
 *   setNumThreads(n)
 *   config() -> openblas_get_config() + " / " + openblas_get_corename()
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <cblas.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CHECK(call)                                                    \
  do {                                                                 \
    if ((call) != napi_ok) {                                           \
      napi_throw_error(env, NULL, "genlab-blas: N-API call failed: " #call); \
      return NULL;                                                     \
    }                                                                  \
  } while (0)

static bool get_f32(napi_env env, napi_value v, float **data, size_t *len, const char *what) {
  bool is_ta = false;
  napi_typedarray_type type;
  void *ptr = NULL;
  napi_value ab;
  size_t off;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta ||
      napi_get_typedarray_info(env, v, &type, len, &ptr, &ab, &off) != napi_ok || type != napi_float32_array) {
    char msg[128];
    snprintf(msg, sizeof msg, "genlab-blas: %s must be a Float32Array", what);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  *data = (float *)ptr;
  return true;
}

static bool get_i64(napi_env env, napi_value v, int64_t *out, const char *what) {
  if (napi_get_value_int64(env, v, out) != napi_ok || *out < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "genlab-blas: %s must be a whole number >= 0", what);
    napi_throw_type_error(env, NULL, msg);
    return false;
  }
  return true;
}

/* Elements a batch of `batch` matrices of `size` elements `stride` apart needs. */
static bool fits(size_t len, int64_t batch, int64_t stride, int64_t size) {
  if (batch == 0 || size == 0) return true;
  return (uint64_t)((batch - 1) * stride + size) <= (uint64_t)len;
}

static void activate(float *c, int64_t n, int act, float alpha) {
  switch (act) {
    case 1:
      for (int64_t i = 0; i < n; i++) c[i] = c[i] > 0.f ? c[i] : 0.f;
      break;
    case 2:
      for (int64_t i = 0; i < n; i++) c[i] = c[i] < 0.f ? 0.f : (c[i] > 6.f ? 6.f : c[i]);
      break;
    case 3:
      for (int64_t i = 0; i < n; i++) c[i] = c[i] > 0.f ? c[i] : expf(c[i]) - 1.f;
      break;
    case 4:
      for (int64_t i = 0; i < n; i++) c[i] = c[i] < 0.f ? alpha * c[i] : c[i];
      break;
    case 5:
      for (int64_t i = 0; i < n; i++) c[i] = 1.f / (1.f + expf(-c[i]));
      break;
    default:
      break;
  }
}

static napi_value sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 15;
  napi_value argv[15];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 12) {
    napi_throw_type_error(env, NULL, "genlab-blas: sgemm needs at least 12 arguments");
    return NULL;
  }
  bool ta, tb;
  if (napi_get_value_bool(env, argv[0], &ta) != napi_ok || napi_get_value_bool(env, argv[1], &tb) != napi_ok) {
    napi_throw_type_error(env, NULL, "genlab-blas: transA and transB must be booleans");
    return NULL;
  }
  int64_t M, N, K, batch, sA, sB, sC;
  if (!get_i64(env, argv[2], &M, "M") || !get_i64(env, argv[3], &N, "N") || !get_i64(env, argv[4], &K, "K")) return NULL;
  float *A, *B, *C;
  size_t lA, lB, lC;
  if (!get_f32(env, argv[5], &A, &lA, "A") || !get_f32(env, argv[6], &B, &lB, "B") || !get_f32(env, argv[7], &C, &lC, "C")) return NULL;
  if (!get_i64(env, argv[8], &batch, "batch") || !get_i64(env, argv[9], &sA, "strideA") || !get_i64(env, argv[10], &sB, "strideB") ||
      !get_i64(env, argv[11], &sC, "strideC"))
    return NULL;
  if (M > INT32_MAX || N > INT32_MAX || K > INT32_MAX) {
    napi_throw_range_error(env, NULL, "genlab-blas: matrix dimension too large for CBLAS int");
    return NULL;
  }
  float *bias = NULL;
  size_t lBias = 0;
  int32_t act = 0;
  double actAlpha = 0;
  if (argc > 12) {
    napi_valuetype t;
    CHECK(napi_typeof(env, argv[12], &t));
    if (t != napi_null && t != napi_undefined && !get_f32(env, argv[12], &bias, &lBias, "bias")) return NULL;
  }
  if (argc > 13 && napi_get_value_int32(env, argv[13], &act) != napi_ok) {
    napi_throw_type_error(env, NULL, "genlab-blas: act must be an integer");
    return NULL;
  }
  if (argc > 14 && napi_get_value_double(env, argv[14], &actAlpha) != napi_ok) {
    napi_throw_type_error(env, NULL, "genlab-blas: actAlpha must be a number");
    return NULL;
  }
  if (act < 0 || act > 5) {
    napi_throw_range_error(env, NULL, "genlab-blas: act must be 0..5");
    return NULL;
  }
  if (bias && !(lBias == 1 || lBias == (size_t)N || lBias == (size_t)(M * N))) {
    napi_throw_range_error(env, NULL, "genlab-blas: bias must have 1, N or M*N values");
    return NULL;
  }
  if (!fits(lA, batch, sA, M * K) || !fits(lB, batch, sB, K * N) || !fits(lC, batch, sC, M * N)) {
    napi_throw_range_error(env, NULL, "genlab-blas: an operand is shorter than batch, strides and shapes need");
    return NULL;
  }
  if (sC < M * N && batch > 1) {
    napi_throw_range_error(env, NULL, "genlab-blas: output matrices overlap (strideC < M*N)");
    return NULL;
  }
  const int lda = ta ? (int)M : (int)K, ldb = tb ? (int)K : (int)N, ldc = (int)N;
  for (int64_t b = 0; b < batch; b++) {
    float *c = C + b * sC;
    float beta = 0.f;
    if (bias) {
      if (lBias == 1)
        for (int64_t i = 0; i < M * N; i++) c[i] = bias[0];
      else if (lBias == (size_t)N && lBias != (size_t)(M * N))
        for (int64_t i = 0; i < M; i++) memcpy(c + i * N, bias, (size_t)N * sizeof(float));
      else
        memcpy(c, bias, (size_t)(M * N) * sizeof(float));
      beta = 1.f;
    } else if (K == 0) {
      memset(c, 0, (size_t)(M * N) * sizeof(float));
    }
    if (M > 0 && N > 0 && K > 0)
      cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, (int)M, (int)N, (int)K, 1.f, A + b * sA,
                  lda > 0 ? lda : 1, B + b * sB, ldb > 0 ? ldb : 1, beta, c, ldc > 0 ? ldc : 1);
    if (act) activate(c, M * N, act, (float)actAlpha);
  }
  return NULL;
}

/*
 * im2col(x, B, H, W, C, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, cols): NHWC x to the rows of a
 * conv as a GEMM: cols[(b*oh + oy)*ow + ox][(ki*kw + kj)*C + c] = x[b][oy*sh - pt + ki*dh]
 * [ox*sw - pl + kj*dw][c], 0 outside x. With the filter [kh, kw, C, O] as a [kh*kw*C, O] matrix,
 * cols x filter is the conv's output [B*oh*ow, O].
 */
static napi_value im2col(napi_env env, napi_callback_info info) {
  size_t argc = 16;
  napi_value argv[16];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 16) {
    napi_throw_type_error(env, NULL, "genlab-blas: im2col needs 16 arguments");
    return NULL;
  }
  float *x, *cols;
  size_t lx, lc;
  if (!get_f32(env, argv[0], &x, &lx, "x") || !get_f32(env, argv[15], &cols, &lc, "cols")) return NULL;
  int64_t v[14];
  static const char *names[14] = {"B", "H", "W", "C", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pl", "oh", "ow"};
  for (int i = 0; i < 14; i++)
    if (!get_i64(env, argv[i + 1], &v[i], names[i])) return NULL;
  const int64_t B = v[0], H = v[1], W = v[2], C = v[3], kh = v[4], kw = v[5], sh = v[6], sw = v[7], dh = v[8], dw = v[9], pt = v[10],
                pl = v[11], oh = v[12], ow = v[13];
  const int64_t K = kh * kw * C;
  if ((uint64_t)(B * H * W * C) > lx || (uint64_t)(B * oh * ow * K) > lc) {
    napi_throw_range_error(env, NULL, "genlab-blas: im2col: x or cols is shorter than the shapes need");
    return NULL;
  }
  for (int64_t b = 0; b < B; b++) {
    const float *xb = x + b * H * W * C;
    for (int64_t oy = 0; oy < oh; oy++) {
      for (int64_t ox = 0; ox < ow; ox++) {
        float *row = cols + ((b * oh + oy) * ow + ox) * K;
        for (int64_t ki = 0; ki < kh; ki++) {
          const int64_t iy = oy * sh - pt + ki * dh;
          if (iy < 0 || iy >= H) {
            memset(row + ki * kw * C, 0, (size_t)(kw * C) * sizeof(float));
            continue;
          }
          for (int64_t kj = 0; kj < kw; kj++) {
            const int64_t ix = ox * sw - pl + kj * dw;
            float *dst = row + (ki * kw + kj) * C;
            if (ix < 0 || ix >= W)
              memset(dst, 0, (size_t)C * sizeof(float));
            else
              memcpy(dst, xb + (iy * W + ix) * C, (size_t)C * sizeof(float));
          }
        }
      }
    }
  }
  return NULL;
}

/*
 * col2im(cols, B, H, W, C, kh, kw, sh, sw, dh, dw, pt, pl, oh, ow, x): the adjoint of im2col:
 * x = 0, then every in-bounds entry of cols is added back to the x element it was read from.
 * With cols = dy[B*oh*ow, O] x filter[kh*kw*C, O]^T this is a conv's input gradient.
 */
static napi_value col2im(napi_env env, napi_callback_info info) {
  size_t argc = 16;
  napi_value argv[16];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 16) {
    napi_throw_type_error(env, NULL, "genlab-blas: col2im needs 16 arguments");
    return NULL;
  }
  float *x, *cols;
  size_t lx, lc;
  if (!get_f32(env, argv[0], &cols, &lc, "cols") || !get_f32(env, argv[15], &x, &lx, "x")) return NULL;
  int64_t v[14];
  static const char *names[14] = {"B", "H", "W", "C", "kh", "kw", "sh", "sw", "dh", "dw", "pt", "pl", "oh", "ow"};
  for (int i = 0; i < 14; i++)
    if (!get_i64(env, argv[i + 1], &v[i], names[i])) return NULL;
  const int64_t B = v[0], H = v[1], W = v[2], C = v[3], kh = v[4], kw = v[5], sh = v[6], sw = v[7], dh = v[8], dw = v[9], pt = v[10],
                pl = v[11], oh = v[12], ow = v[13];
  const int64_t K = kh * kw * C;
  if ((uint64_t)(B * H * W * C) > lx || (uint64_t)(B * oh * ow * K) > lc) {
    napi_throw_range_error(env, NULL, "genlab-blas: col2im: x or cols is shorter than the shapes need");
    return NULL;
  }
  memset(x, 0, (size_t)(B * H * W * C) * sizeof(float));
  for (int64_t b = 0; b < B; b++) {
    float *xb = x + b * H * W * C;
    for (int64_t oy = 0; oy < oh; oy++) {
      for (int64_t ox = 0; ox < ow; ox++) {
        const float *row = cols + ((b * oh + oy) * ow + ox) * K;
        for (int64_t ki = 0; ki < kh; ki++) {
          const int64_t iy = oy * sh - pt + ki * dh;
          if (iy < 0 || iy >= H) continue;
          for (int64_t kj = 0; kj < kw; kj++) {
            const int64_t ix = ox * sw - pl + kj * dw;
            if (ix < 0 || ix >= W) continue;
            float *dst = xb + (iy * W + ix) * C;
            const float *src = row + (ki * kw + kj) * C;
            for (int64_t c = 0; c < C; c++) dst[c] += src[c];
          }
        }
      }
    }
  }
  return NULL;
}

static napi_value num_threads(napi_env env, napi_callback_info info) {
  napi_value out;
  CHECK(napi_create_int32(env, openblas_get_num_threads(), &out));
  return out;
}

static napi_value set_num_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t n = 1;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1) {
    napi_throw_type_error(env, NULL, "genlab-blas: setNumThreads needs a whole number >= 1");
    return NULL;
  }
  openblas_set_num_threads(n);
  return NULL;
}

static napi_value config(napi_env env, napi_callback_info info) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s / %s", openblas_get_config(), openblas_get_corename());
  napi_value out;
  CHECK(napi_create_string_utf8(env, buf, NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value init(napi_env env, napi_value exports) {
  /* One thread, like the 1-thread PyTorch peer, and because tfjs's own kernels run on the same
     (shared) cores. */
  openblas_set_num_threads(1);
  napi_property_descriptor props[] = {
      {"sgemm", NULL, sgemm, NULL, NULL, NULL, napi_enumerable, NULL},
      {"im2col", NULL, im2col, NULL, NULL, NULL, napi_enumerable, NULL},
      {"col2im", NULL, col2im, NULL, NULL, NULL, napi_enumerable, NULL},
      {"numThreads", NULL, num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setNumThreads", NULL, set_num_threads, NULL, NULL, NULL, napi_enumerable, NULL},
      {"config", NULL, config, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

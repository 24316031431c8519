/*
 * Native kernels for face-comparer's wasm backend, called through Deno's FFI on tensors in the
 * wasm heap (lib/backend/native_kernels.ts); built by native/build.sh. NHWC tensors, filters
 * [kh, kw, Cin, Cout] as in TensorFlow. The convolutions work on chunks of output positions:
 * the chunk's image patches are gathered into a column matrix small enough to stay in cache
 * (im2col), and the arithmetic is one OpenBLAS sgemm per chunk. Every function returns 0, or 1
 * when memory for the column matrix could not be allocated.
 */
#include <math.h>
#include <stdio.h>
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

/* Geometry, in this order, as an int32 array of 13. */
typedef struct {
  int batch, in_h, in_w, in_c, out_h, out_w, out_c, kh, kw, sh, sw, pad_top, pad_left;
} geometry;

/*
 * The column matrix of a convolution, processed in chunks of output positions (n, p, q): each
 * chunk's matrix is rows x k floats, k = kh*kw*Cin, about 2 MiB so that it stays in cache.
 */
typedef struct {
  int k, total, chunk;
  float *cols;
} column_plan;

/* Allocates the plan's column buffer; returns 1 when out of memory. */
static int plan_columns(const geometry *g, column_plan *p) {
  p->k = g->kh * g->kw * g->in_c;
  p->total = g->batch * g->out_h * g->out_w;
  p->chunk = (1 << 19) / p->k;
  if (p->chunk < 16) p->chunk = 16;
  p->cols = malloc(sizeof(float) * (size_t)p->chunk * p->k);
  return p->cols ? 0 : 1;
}

/* Rows of the chunk starting at row0. */
static int chunk_size(const column_plan *p, int row0) {
  return p->total - row0 < p->chunk ? p->total - row0 : p->chunk;
}

static void im2col(const geometry *g, const float *x, int row0, int rows, float *cols) {
  const int k = g->kh * g->kw * g->in_c;
  const int plane = g->out_h * g->out_w;
  for (int r = 0; r < rows; r++) {
    int idx = row0 + r;
    int n = idx / plane, pq = idx % plane, p = pq / g->out_w, q = pq % g->out_w;
    float *dst = cols + (size_t)r * k;
    for (int i = 0; i < g->kh; i++) {
      int h = p * g->sh + i - g->pad_top;
      if (h < 0 || h >= g->in_h) {
        memset(dst, 0, sizeof(float) * g->kw * g->in_c);
        dst += g->kw * g->in_c;
        continue;
      }
      const float *src_row = x + ((size_t)(n * g->in_h + h) * g->in_w) * g->in_c;
      int w0 = q * g->sw - g->pad_left;
      if (w0 >= 0 && w0 + g->kw <= g->in_w) {
        memcpy(dst, src_row + (size_t)w0 * g->in_c, sizeof(float) * g->kw * g->in_c);
        dst += g->kw * g->in_c;
        continue;
      }
      for (int j = 0; j < g->kw; j++, dst += g->in_c) {
        int w = w0 + j;
        if (w < 0 || w >= g->in_w) memset(dst, 0, sizeof(float) * g->in_c);
        else memcpy(dst, src_row + (size_t)w * g->in_c, sizeof(float) * g->in_c);
      }
    }
  }
}

/* dx[patch pixels] += cols rows: the transpose of im2col. */
static void col2im_add(const geometry *g, const float *cols, int row0, int rows, float *dx) {
  const int k = g->kh * g->kw * g->in_c;
  const int plane = g->out_h * g->out_w;
  for (int r = 0; r < rows; r++) {
    int idx = row0 + r;
    int n = idx / plane, pq = idx % plane, p = pq / g->out_w, q = pq % g->out_w;
    const float *src = cols + (size_t)r * k;
    for (int i = 0; i < g->kh; i++) {
      int h = p * g->sh + i - g->pad_top;
      if (h < 0 || h >= g->in_h) {
        src += g->kw * g->in_c;
        continue;
      }
      float *dst_row = dx + ((size_t)(n * g->in_h + h) * g->in_w) * g->in_c;
      for (int j = 0; j < g->kw; j++, src += g->in_c) {
        int x = q * g->sw - g->pad_left + j;
        if (x < 0 || x >= g->in_w) continue;
        float *d = dst_row + (size_t)x * g->in_c;
        for (int c = 0; c < g->in_c; c++) d[c] += src[c];
      }
    }
  }
}

/* y = act(conv(x, w) + bias); act 0: none, 1: leaky ReLU with alpha. bias may be NULL. */
int fc_conv_forward(const float *x, const float *w, const float *bias, float *y, const int *geo,
                    float alpha, int act) {
  const geometry *g = (const geometry *)geo;
  column_plan plan;
  if (plan_columns(g, &plan)) return 1;
  const int k = plan.k;
  float *cols = plan.cols;
  for (int row0 = 0; row0 < plan.total; row0 += plan.chunk) {
    const int rows = chunk_size(&plan, row0);
    float *out = y + (size_t)row0 * g->out_c;
    if (bias) {
      for (int r = 0; r < rows; r++) memcpy(out + (size_t)r * g->out_c, bias, sizeof(float) * g->out_c);
    }
    im2col(g, x, row0, rows, cols);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, g->out_c, k, 1.0f, cols, k, w,
                g->out_c, bias ? 1.0f : 0.0f, out, g->out_c);
    if (act == 1) {
      size_t n = (size_t)rows * g->out_c;
      for (size_t i = 0; i < n; i++) out[i] = out[i] < 0 ? out[i] * alpha : out[i];
    }
  }
  free(cols);
  return 0;
}

/* dw[kh, kw, Cin, Cout] = sum over rows of patches(x)^T dy. */
int fc_conv_backprop_filter(const float *x, const float *dy, float *dw, const int *geo) {
  const geometry *g = (const geometry *)geo;
  column_plan plan;
  if (plan_columns(g, &plan)) return 1;
  const int k = plan.k;
  float *cols = plan.cols;
  for (int row0 = 0; row0 < plan.total; row0 += plan.chunk) {
    const int rows = chunk_size(&plan, row0);
    im2col(g, x, row0, rows, cols);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, k, g->out_c, rows, 1.0f, cols, k,
                dy + (size_t)row0 * g->out_c, g->out_c, row0 == 0 ? 0.0f : 1.0f, dw, g->out_c);
  }
  free(cols);
  return 0;
}

/* dx = col2im(dy w^T): the columns' gradient, added back to the pixels they were read from. */
int fc_conv_backprop_input(const float *dy, const float *w, float *dx, const int *geo) {
  const geometry *g = (const geometry *)geo;
  column_plan plan;
  if (plan_columns(g, &plan)) return 1;
  const int k = plan.k;
  float *cols = plan.cols;
  memset(dx, 0, sizeof(float) * (size_t)g->batch * g->in_h * g->in_w * g->in_c);
  for (int row0 = 0; row0 < plan.total; row0 += plan.chunk) {
    const int rows = chunk_size(&plan, row0);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, k, g->out_c, 1.0f,
                dy + (size_t)row0 * g->out_c, g->out_c, w, g->out_c, 0.0f, cols, k);
    col2im_add(g, cols, row0, rows, dx);
  }
  free(cols);
  return 0;
}

/* c[b] = op(a[b]) op(b[b]) for b < batch; dims = batch, m, n, k, transpose a, transpose b. */
int fc_matmul(const float *a, const float *b, float *c, const int *dims) {
  const int batch = dims[0], m = dims[1], n = dims[2], k = dims[3], ta = dims[4], tb = dims[5];
  for (int i = 0; i < batch; i++) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, m,
                n, k, 1.0f, a + (size_t)i * m * k, ta ? m : k, b + (size_t)i * k * n, tb ? k : n,
                0.0f, c + (size_t)i * m * n, n);
  }
  return 0;
}

/*
 * The gradient of z -> leaky ReLU(z) at output y (alpha > 0: y > 0 exactly when z > 0) and of
 * its bias: dz = dy * (y > 0 ? 1 : alpha), db[c] = sum of dz[.., c]. size is a multiple of
 * channels.
 */
int fc_leaky_relu_bias_grad(const float *dy, const float *y, float *dz, float *db, int size,
                            int channels, float alpha) {
  double *sums = calloc((size_t)channels, sizeof(double));
  float *partial = calloc((size_t)channels, sizeof(float));
  if (!sums || !partial) { free(sums); free(partial); return 1; }
  const int rows = size / channels;
  /* Float partial sums over blocks of 64 rows vectorise; doubles across blocks keep precision. */
  for (int r0 = 0; r0 < rows; r0 += 64) {
    int r1 = r0 + 64 < rows ? r0 + 64 : rows;
    for (int c = 0; c < channels; c++) partial[c] = 0;
    for (int r = r0; r < r1; r++) {
      const size_t base = (size_t)r * channels;
      for (int c = 0; c < channels; c++) {
        float g = y[base + c] > 0 ? dy[base + c] : alpha * dy[base + c];
        dz[base + c] = g;
        partial[c] += g;
      }
    }
    for (int c = 0; c < channels; c++) sums[c] += partial[c];
  }
  for (int c = 0; c < channels; c++) db[c] = (float)sums[c];
  free(sums);
  free(partial);
  return 0;
}

/*
 * One Adam step in place: m = b1 m + c1 g, v = b2 v + c2 g^2, w -= (m lr) / (sqrt(v) + eps),
 * with k = b1, c1, b2, c2, lr, eps. Each operation is rounded to float32 in the order tfjs's
 * ops apply them (lib/train/adam.ts), so the result is theirs bit for bit: the build keeps
 * multiply-adds unfused (-ffp-contract=off), and sqrt and division are exact IEEE operations.
 */
void fc_adam_step(float *restrict w, float *restrict m, float *restrict v,
                  const float *restrict g, int size, const float *k) {
  const float b1 = k[0], c1 = k[1], b2 = k[2], c2 = k[3], lr = k[4], eps = k[5];
  for (int i = 0; i < size; i++) {
    const float mi = m[i] * b1 + g[i] * c1;
    const float vi = v[i] * b2 + (g[i] * g[i]) * c2;
    m[i] = mi;
    v[i] = vi;
    w[i] = w[i] - (mi * lr) / (sqrtf(vi) + eps);
  }
}

/* Threads each OpenBLAS call may use (the caller parallelises across pairs itself). */
void fc_set_threads(int n) { openblas_set_num_threads(n); }

/* Writes "<OpenBLAS build>|<CPU kernel family>" into text; returns its length. */
int fc_describe(char *text, int size) {
  int length = snprintf(text, (size_t)size, "%s|%s", openblas_get_config(),
                        openblas_get_corename());
  return length < size ? length : size - 1;
}

#ifndef FC_SOURCE_SHA256
#define FC_SOURCE_SHA256 "unknown"
#endif

/*
 * Instruction-set extensions this build may use (-march=native enables those of the CPU it was
 * built on), named as in /proc/cpuinfo, so that a library copied to an older CPU is refused
 * before it runs an illegal instruction.
 */
static const char FC_FEATURES[] = ""
#ifdef __SSE4_2__
    " sse4_2"
#endif
#ifdef __AVX__
    " avx"
#endif
#ifdef __AVX2__
    " avx2"
#endif
#ifdef __FMA__
    " fma"
#endif
#ifdef __F16C__
    " f16c"
#endif
#ifdef __BMI2__
    " bmi2"
#endif
#ifdef __AVX512F__
    " avx512f"
#endif
#ifdef __AVX512DQ__
    " avx512dq"
#endif
#ifdef __AVX512CD__
    " avx512cd"
#endif
#ifdef __AVX512BW__
    " avx512bw"
#endif
#ifdef __AVX512VL__
    " avx512vl"
#endif
#ifdef __AVX512VNNI__
    " avx512_vnni"
#endif
#ifdef __AVX512BF16__
    " avx512_bf16"
#endif
#ifdef __AVXVNNI__
    " avx_vnni"
#endif
    "";

/*
 * Writes "<sha256 of the source it was built from>|<features>|<OpenBLAS threading: 0
 * sequential, 1 pthreads, 2 OpenMP>" into text; returns its length.
 */
int fc_build_info(char *text, int size) {
  int length = snprintf(text, (size_t)size, "%s|%s|%d", FC_SOURCE_SHA256, FC_FEATURES,
                        openblas_get_parallel());
  return length < size ? length : size - 1;
}

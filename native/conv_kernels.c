/*
 * Native kernels for face-comparer's wasm backend, called through Deno's FFI on tensors in the
 * wasm heap (lib/backend/native_kernels.ts); built by native/build.sh. NHWC tensors, filters
 * [kh, kw, Cin, Cout] as in TensorFlow. The convolutions work on chunks of output positions:
 * the chunk's image patches are gathered into a column matrix small enough to stay in cache
 * (im2col), and the arithmetic is one OpenBLAS sgemm per chunk. Every function returns 0, or 1
 * when memory for the column matrix could not be allocated.
 */
#include <math.h>
#include <pthread.h>
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

/*
 * Dense root-SIFT of one-channel images [batch, side, side] into out [batch, count * count, 128],
 * count = (side - 4 cell) / step + 1; dims = batch, side, cell, step. The same arithmetic as the
 * tfjs composite of lib/model/fisher_vectors.ts (rootSift), which the browser runs: central
 * differences with the border pixels repeated; each gradient's magnitude split linearly between
 * its two nearest of 8 orientations; every cell x cell mean of them; at each place (every step
 * pixels) the 4 x 4 cells `cell` apart, value (4 cy + cx) 8 + o; then L2-normalised, clipped at
 * 0.2, L1-normalised and square-rooted. Returns 0, 1 when out of memory, 2 for a bad geometry.
 */
int fc_dense_sift(const float *images, float *out, const int *dims) {
  const int batch = dims[0], side = dims[1], cell = dims[2], step = dims[3];
  if (batch < 0 || cell < 1 || step < 1 || side < 4 * cell) return 2;
  const int count = (side - 4 * cell) / step + 1, cells = side - cell + 1;
  const float quarter = 3.14159265358979f / 4;
  float *oriented = malloc(sizeof(float) * (size_t)side * side * 8);
  float *rows = malloc(sizeof(float) * (size_t)side * cells * 8);
  float *means = malloc(sizeof(float) * (size_t)cells * cells * 8);
  if (!oriented || !rows || !means) {
    free(oriented), free(rows), free(means);
    return 1;
  }
  const float area = (float)(cell * cell);
  for (int b = 0; b < batch; b++) {
    const float *img = images + (size_t)b * side * side;
    for (int y = 0; y < side; y++) {
      const float *up = img + (y > 0 ? y - 1 : 0) * side, *down = img + (y < side - 1 ? y + 1 : y) * side;
      const float *row = img + y * side;
      for (int x = 0; x < side; x++) {
        const float gx = (row[x < side - 1 ? x + 1 : x] - row[x > 0 ? x - 1 : 0]) / 2;
        const float gy = (down[x] - up[x]) / 2;
        const float magnitude = sqrtf(gx * gx + gy * gy), angle = atan2f(gy, gx);
        float *v = oriented + ((size_t)y * side + x) * 8;
        /* Split between the orientations either side, o pi / 4 <= angle < (o + 1) pi / 4. */
        const float turns = angle / quarter, below = floorf(turns), share = turns - below;
        const int o = ((int)below % 8 + 8) % 8;
        memset(v, 0, sizeof(float) * 8);
        v[o] = magnitude * (1 - share);
        v[(o + 1) % 8] = magnitude * share;
      }
    }
    /* Cell sums across, then down: means[Y][X][o] of the cell whose top left is (X, Y). */
    for (int y = 0; y < side; y++) {
      const float *src = oriented + (size_t)y * side * 8;
      float *dst = rows + (size_t)y * cells * 8;
      for (int x = 0; x < cells; x++)
        for (int o = 0; o < 8; o++) {
          float sum = 0;
          for (int i = 0; i < cell; i++) sum += src[(x + i) * 8 + o];
          dst[x * 8 + o] = sum;
        }
    }
    for (int y = 0; y < cells; y++)
      for (int j = 0; j < cells * 8; j++) {
        float sum = 0;
        for (int i = 0; i < cell; i++) sum += rows[(size_t)(y + i) * cells * 8 + j];
        means[(size_t)y * cells * 8 + j] = sum / area;
      }
    for (int py = 0; py < count; py++)
      for (int px = 0; px < count; px++) {
        float *d = out + (((size_t)b * count + py) * count + px) * 128;
        for (int cy = 0; cy < 4; cy++)
          for (int cx = 0; cx < 4; cx++)
            memcpy(d + (4 * cy + cx) * 8,
                   means + ((size_t)(py * step + cy * cell) * cells + px * step + cx * cell) * 8,
                   sizeof(float) * 8);
        float squares = 0;
        for (int i = 0; i < 128; i++) squares += d[i] * d[i];
        const float norm = sqrtf(squares) + 1e-6f;
        float total = 0;
        for (int i = 0; i < 128; i++) {
          const float u = d[i] / norm;
          d[i] = u < 0.2f ? u : 0.2f;
          total += d[i];
        }
        total += 1e-6f;
        for (int i = 0; i < 128; i++) d[i] = sqrtf(d[i] / total);
      }
  }
  free(oriented), free(rows), free(means);
  return 0;
}

/*
 * e^x for x <= 0 (Cephes's expf: x = n ln 2 + r, a degree-6 polynomial of r, times 2^n; relative
 * error about 1e-7), 0 below e^-87 (as XNNPACK's softmax, which tfjs's wasm backend runs), written
 * so that loops of it vectorise (glibc's expf does not here).
 */
static inline float exp_nonpositive(float x) {
  x = x < -87.0f ? -87.0f : x;
  /* n = x / ln 2 rounded to the nearest integer by adding and removing 1.5 x 2^23. */
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = x - n * 0.693359375f + n * 2.12194440e-4f;
  const float p = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
                    4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
  const float e = p * (r * r) + r + 1.0f;
  const union { int bits; float value; } scale = {.bits = ((int)n + 127) << 23};
  return x > -87.0f ? e * scale.value : 0.0f;
}

/*
 * Softmax of each of the n rows of p [n, g] in place. The maximum and the sum are taken in 16
 * lanes so that they vectorise (a single running sum cannot without reassociating it).
 */
static void softmax_rows(float *p, int n, int g) {
  const int whole = g - g % 16;
  for (int i = 0; i < n; i++, p += g) {
    float top = p[0], lanes[16];
    for (int j = 0; j < 16; j++) lanes[j] = top;
    for (int k = 0; k < whole; k += 16)
      for (int j = 0; j < 16; j++) lanes[j] = p[k + j] > lanes[j] ? p[k + j] : lanes[j];
    for (int j = 0; j < 16; j++) top = lanes[j] > top ? lanes[j] : top;
    for (int k = whole; k < g; k++) top = p[k] > top ? p[k] : top;
    for (int k = 0; k < g; k++) p[k] = exp_nonpositive(p[k] - top);
    for (int j = 0; j < 16; j++) lanes[j] = 0;
    for (int k = 0; k < whole; k += 16)
      for (int j = 0; j < 16; j++) lanes[j] += p[k + j];
    float total = 0;
    for (int j = 0; j < 16; j++) total += lanes[j];
    for (int k = whole; k < g; k++) total += p[k];
    const float inverse = 1 / total;
    for (int k = 0; k < g; k++) p[k] *= inverse;
  }
}

/* Rows of the mixture's inputs processed at once: their products stay in cache. */
#define MOMENT_ROWS 256

/* A share of one batch item's rows, summed into its own sums [g, 2 d + 1]. */
typedef struct {
  const float *x, *weights;
  float *sums;
  int rows, d, g, status;
} moment_share;

/* Sums the share's posterior moments, MOMENT_ROWS rows at a time; status 1 when out of memory. */
static void *moment_share_sums(void *arg) {
  moment_share *share = arg;
  const int d = share->d, g = share->g, width = 2 * d + 1;
  float *wide = malloc(sizeof(float) * MOMENT_ROWS * width);
  float *post = malloc(sizeof(float) * MOMENT_ROWS * g);
  share->status = !wide || !post;
  memset(share->sums, 0, sizeof(float) * (size_t)g * width);
  for (int start = 0; !share->status && start < share->rows; start += MOMENT_ROWS) {
    const int n = share->rows - start < MOMENT_ROWS ? share->rows - start : MOMENT_ROWS;
    const float *src = share->x + (size_t)start * d;
    for (int i = 0; i < n; i++) {
      float *w = wide + (size_t)i * width;
      for (int j = 0; j < d; j++) {
        const float v = src[(size_t)i * d + j];
        w[j] = v * v;
        w[d + j] = v;
      }
      w[2 * d] = 1;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, g, width, 1.0f, wide, width,
                share->weights, g, 0.0f, post, g);
    softmax_rows(post, n, g);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, g, width, n, 1.0f, post, g, wide, width,
                1.0f, share->sums, width);
  }
  free(wide), free(post);
  return NULL;
}

/* Most threads one call of fc_mixture_moments shares its rows between. */
#define MOMENT_THREADS 16

/*
 * The moments of a diagonal Gaussian mixture's posteriors, summed over each batch item's rows:
 * x [batch, rows, d]; weights [2 d + 1, g], the log-likelihoods' weights of the rows widened to
 * [x^2, x, 1] (lib/model/fisher_vectors.ts, logLikelihoodWeights); out second [batch, g, d] (sum
 * of posterior x^2), first [batch, g, d] (posterior x) and mass [batch, g] (posterior); dims =
 * batch, rows, d, g. The arithmetic of mixtureMomentsOps there, block by block: the widened rows,
 * one product for the log-likelihoods, a softmax, one product for the moments, without the
 * [rows, g] posteriors of a whole batch in memory. Each item's rows are shared between as many
 * threads as OpenBLAS may use (fc_set_threads; one, in the workers that describe faces side by
 * side), each with one-thread products. Returns 0, or 1 when out of memory.
 */
int fc_mixture_moments(const float *x, const float *weights, float *second, float *first,
                       float *mass, const int *dims) {
  const int batch = dims[0], rows = dims[1], d = dims[2], g = dims[3], width = 2 * d + 1;
  const int allowed = openblas_get_num_threads();
  int threads = allowed < 1 ? 1 : allowed > MOMENT_THREADS ? MOMENT_THREADS : allowed;
  if (threads > rows / MOMENT_ROWS) threads = rows / MOMENT_ROWS > 1 ? rows / MOMENT_ROWS : 1;
  moment_share shares[MOMENT_THREADS];
  pthread_t helpers[MOMENT_THREADS];
  float *sums = malloc(sizeof(float) * (size_t)threads * g * width);
  if (!sums) return 1;
  if (threads > 1) openblas_set_num_threads(1);
  int status = 0;
  for (int b = 0; b < batch && !status; b++) {
    int started = 0;
    for (int t = 0; t < threads; t++) {
      const int from = (int)((long)rows * t / threads), to = (int)((long)rows * (t + 1) / threads);
      shares[t] = (moment_share){x + ((size_t)b * rows + from) * d, weights,
                                 sums + (size_t)t * g * width, to - from, d, g, 0};
      /* The first share runs on this thread; a helper that cannot start leaves its share here. */
      if (t > 0 && pthread_create(&helpers[t], NULL, moment_share_sums, &shares[t]) == 0) {
        started |= 1 << t;
      }
    }
    moment_share_sums(&shares[0]);
    for (int t = 1; t < threads; t++) {
      if (started & (1 << t)) pthread_join(helpers[t], NULL);
      else moment_share_sums(&shares[t]);
    }
    for (int t = 0; t < threads; t++) status |= shares[t].status;
    for (int t = 1; t < threads; t++) {
      const float *part = sums + (size_t)t * g * width;
      for (size_t i = 0; i < (size_t)g * width; i++) sums[i] += part[i];
    }
    for (int k = 0; k < g; k++) {
      const float *s = sums + (size_t)k * width;
      memcpy(second + ((size_t)b * g + k) * d, s, sizeof(float) * d);
      memcpy(first + ((size_t)b * g + k) * d, s + d, sizeof(float) * d);
      mass[(size_t)b * g + k] = s[2 * d];
    }
  }
  if (threads > 1) openblas_set_num_threads(allowed);
  free(sums);
  return status;
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

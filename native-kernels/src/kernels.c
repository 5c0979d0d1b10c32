#include "kernels.h"

#include <string.h>

/* The widest vectors the CPU has, chosen when the library loads (glibc's ifunc); elsewhere the baseline build. The
 * results are the same either way: no clone contracts into fused multiply-adds or reorders a sum. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define UPF_VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define UPF_VECTOR_CLONES
#endif

UPF_VECTOR_CLONES
/* acc[x] (+)= wy wx[x - x0] src[x - x0] for x in [from, to): added below `filled`, written from it. Pointers are only
 * ever formed inside their arrays. */
static void weighted_row(float *acc, const float *src, const float *wx, int x0, int from, int to, int filled, double wy) {
  const int mid = filled < from ? from : (filled > to ? to : filled);
  float *add = acc + from;
  const float *s = src + (from - x0);
  const float *w = wx + (from - x0);
  for (int x = 0; x < mid - from; x++) add[x] = (float)((double)add[x] + wy * (double)w[x] * (double)s[x]);
  float *put = acc + mid;
  s = src + (mid - x0);
  w = wx + (mid - x0);
  for (int x = 0; x < to - mid; x++) put[x] = (float)(wy * (double)w[x] * (double)s[x]);
}

/* One plane's row to bytes: (v + 1) 127.5 + 0.5 is exact in float64 for a float32 v, so truncating it rounds half up
 * exactly; clamped to [0, 255]. Returns nonzero when a value is NaN or infinite. */
UPF_VECTOR_CLONES
static int quantise_plane_row(const float *v, uint8_t *out, int width) {
  int bad = 0;
  for (int x = 0; x < width; x++) {
    const double q = ((double)v[x] + 1) * 127.5 + 0.5;
    bad |= !(q - q == 0);
    double c = q > 0.0 ? q : 0.0;
    c = c < 255.0 ? c : 255.0;
    out[x] = (uint8_t)(int32_t)c;
  }
  return bad;
}

UPF_VECTOR_CLONES
static void interleave_rgb(const uint8_t *r, const uint8_t *g, const uint8_t *b, uint8_t *out, int width) {
  for (int x = 0; x < width; x++) {
    out[3 * x] = r[x];
    out[3 * x + 1] = g[x];
    out[3 * x + 2] = b[x];
  }
}

int upf_blend_frame(const upf_tile *tiles, int tile_count, int frame, const upf_crop *crop, const float *previous,
                    double fade, float *keep, uint8_t *rgb, float *scratch) {
  const int width = crop->width;
  const int height = crop->height;
  const size_t plane = (size_t)width * height;
  int bad = 0;
  for (int y = 0; y < height; y++) {
    const int py = crop->top + y;
    for (int ch = 0; ch < 3; ch++) {
      float *acc = scratch + (size_t)ch * width;
      /* Columns [0, filled) of this row hold a share already: later tiles add there and write past it. Tiles come in
       * row-major order and cover the picture, so a tile never starts past `filled`. */
      int filled = 0;
      for (int i = 0; i < tile_count; i++) {
        const upf_tile *t = &tiles[i];
        if (py < t->y0 || py >= t->y0 + t->th) continue;
        const int from = t->x0 > crop->left ? t->x0 - crop->left : 0;
        const int end = t->x0 + t->tw - crop->left;
        const int to = end < width ? end : width;
        if (from >= to) continue;
        const int ty = py - t->y0;
        const float *row = t->data + (((size_t)frame * 3 + ch) * t->th + ty) * t->tw;
        /* Column x of the crop is tile column x - (x0 - left). */
        weighted_row(acc, row, t->wx, t->x0 - crop->left, from, to, filled, (double)t->wy[ty]);
        if (to > filled) filled = to;
      }
      if (previous) upf_fade(acc, previous + ch * plane + (size_t)y * width, (size_t)width, fade);
      if (keep) memcpy(keep + ch * plane + (size_t)y * width, acc, sizeof(float) * width);
    }
    if (rgb) {
      uint8_t *bytes = (uint8_t *)(scratch + 3 * (size_t)width);
      for (int ch = 0; ch < 3; ch++) bad |= quantise_plane_row(scratch + (size_t)ch * width, bytes + (size_t)ch * width, width);
      interleave_rgb(bytes, bytes + width, bytes + 2 * (size_t)width, rgb + (size_t)y * width * 3, width);
    }
  }
  return bad;
}

void upf_resize_bilinear(const uint8_t *src, int sw, int sh, int dw, int dh, int pw, int ph, int left, int top,
                         float pad, const int32_t *xlo, const int32_t *xhi, const double *xfrac, const int32_t *ylo,
                         const int32_t *yhi, const double *yfrac, double *rows, float *out) {
  /* Separable: each source row is interpolated horizontally once, in float64 exactly as the two-dimensional formula
   * computes its top and bottom. */
  for (int r = 0; r < sh; r++) {
    const uint8_t *line = src + (size_t)r * sw * 3;
    for (int ch = 0; ch < 3; ch++) {
      double *to = rows + ((size_t)r * 3 + ch) * dw;
      for (int x = 0; x < dw; x++) {
        const double a = line[xlo[x] * 3 + ch];
        to[x] = a + xfrac[x] * ((double)line[xhi[x] * 3 + ch] - a);
      }
    }
  }
  const size_t plane = (size_t)pw * ph;
  for (int ch = 0; ch < 3; ch++) {
    float *dst = out + ch * plane;
    for (int y = 0; y < ph; y++) {
      float *line = dst + (size_t)y * pw;
      if (y < top || y >= top + dh) {
        for (int x = 0; x < pw; x++) line[x] = pad;
        continue;
      }
      for (int x = 0; x < left; x++) line[x] = pad;
      for (int x = left + dw; x < pw; x++) line[x] = pad;
      const int yy = y - top;
      const double *upper = rows + ((size_t)ylo[yy] * 3 + ch) * dw;
      const double *lower = rows + ((size_t)yhi[yy] * 3 + ch) * dw;
      const double fy = yfrac[yy];
      float *o = line + left;
      for (int x = 0; x < dw; x++) o[x] = (float)((upper[x] + fy * (lower[x] - upper[x])) / 127.5 - 1);
    }
  }
}

UPF_VECTOR_CLONES
void upf_scale(float *dst, const float *src, size_t n, double c) {
  for (size_t e = 0; e < n; e++) dst[e] = (float)(c * (double)src[e]);
}

void upf_guidance(const float *cond, const float *uncond, float *out, size_t n, double scale, double shift_cond,
                  double shift_out, double *sums) {
  if (!sums) {
    for (size_t i = 0; i < n; i++) {
      const double u = uncond[i];
      out[i] = (float)(u + scale * ((double)cond[i] - u));
    }
    return;
  }
  double cond_sum = 0, cond_squares = 0, out_sum = 0, out_squares = 0;
  for (size_t i = 0; i < n; i++) {
    const double c = cond[i];
    const double u = uncond[i];
    const double o = u + scale * (c - u);
    out[i] = (float)o;
    const double dc = c - shift_cond;
    const double dout = o - shift_out;
    cond_sum += dc;
    cond_squares += dc * dc;
    out_sum += dout;
    out_squares += dout * dout;
  }
  sums[0] = cond_sum;
  sums[1] = cond_squares;
  sums[2] = out_sum;
  sums[3] = out_squares;
}

static int not_finite(float v) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  return (bits & 0x7f800000u) == 0x7f800000u;
}

UPF_VECTOR_CLONES
int upf_prediction_to_x0(float *prediction, const float *x, size_t n, int kind, double alpha, double sigma_scaled,
                         double scale) {
  int bad = 0;
  if (kind == 0) {
    for (size_t e = 0; e < n; e++) {
      const float v = (float)(alpha * (double)x[e] - sigma_scaled * (double)prediction[e]);
      prediction[e] = v;
      bad |= not_finite(v);
    }
  } else if (kind == 1) {
    for (size_t e = 0; e < n; e++) {
      const float v = (float)(((double)x[e] - sigma_scaled * (double)prediction[e]) / alpha);
      prediction[e] = v;
      bad |= not_finite(v);
    }
  } else if (scale != 1) {
    for (size_t e = 0; e < n; e++) {
      const float v = (float)(scale * (double)prediction[e]);
      prediction[e] = v;
      bad |= not_finite(v);
    }
  } else {
    for (size_t e = 0; e < n; e++) bad |= not_finite(prediction[e]);
  }
  return bad;
}

UPF_VECTOR_CLONES
void upf_solver_step(float *x, const float *d, float *old, const float *z, size_t n, double cx, double cd, double cold,
                     double cnoise) {
  if (old && z) {
    for (size_t e = 0; e < n; e++) {
      const float de = d[e];
      x[e] = (float)(cx * (double)x[e] + cd * (double)de + cold * (double)old[e] + cnoise * (double)z[e]);
      old[e] = de;
    }
  } else if (old) {
    for (size_t e = 0; e < n; e++) {
      const float de = d[e];
      x[e] = (float)(cx * (double)x[e] + cd * (double)de + cold * (double)old[e]);
      old[e] = de;
    }
  } else if (z) {
    for (size_t e = 0; e < n; e++) x[e] = (float)(cx * (double)x[e] + cd * (double)d[e] + cnoise * (double)z[e]);
  } else {
    for (size_t e = 0; e < n; e++) x[e] = (float)(cx * (double)x[e] + cd * (double)d[e]);
  }
}

UPF_VECTOR_CLONES
void upf_posterior_sample(float *eps, const float *mean, const double *std, size_t n, double scale) {
  for (size_t e = 0; e < n; e++) eps[e] = (float)(((double)mean[e] + std[e] * (double)eps[e]) * scale);
}

UPF_VECTOR_CLONES
void upf_fade(float *next, const float *previous, size_t n, double c) {
  if (c == 0) {
    memmove(next, previous, sizeof(float) * n);
    return;
  }
  const double keep = 1 - c;
  for (size_t e = 0; e < n; e++) next[e] = (float)(keep * (double)previous[e] + c * (double)next[e]);
}

void upf_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]) {
  uint32_t x0 = counter[0], x1 = counter[1], x2 = counter[2], x3 = counter[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < 10; round++) {
    const uint64_t p0 = (uint64_t)0xd2511f53u * x0;
    const uint64_t p1 = (uint64_t)0xcd9e8d57u * x2;
    const uint32_t y0 = (uint32_t)(p1 >> 32) ^ x1 ^ k0;
    const uint32_t y2 = (uint32_t)(p0 >> 32) ^ x3 ^ k1;
    x1 = (uint32_t)p1;
    x3 = (uint32_t)p0;
    x0 = y0;
    x2 = y2;
    k0 += 0x9e3779b9u;
    k1 += 0xbb67ae85u;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

void upf_normals(uint64_t first_block, const uint32_t stream[2], const uint32_t key[2], size_t skip, float *out, size_t n,
                 const double *segments, const float *tails) {
  size_t written = 0;
  for (uint64_t b = first_block; written < n; b++) {
    const uint32_t counter[4] = {(uint32_t)b, (uint32_t)(b >> 32), stream[0], stream[1]};
    uint32_t seed[4];
    upf_philox4x32(counter, key, seed);
    uint32_t s0 = seed[0], s1 = seed[1], s2 = seed[2], s3 = seed[3];
    /* xoshiro's all-zero state is a fixed point. */
    if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
    const size_t first = b == first_block ? skip : 0;
    size_t last = first + (n - written);
    if (last > UPF_NOISE_BLOCK) last = UPF_NOISE_BLOCK;
    for (size_t k = 0; k < last; k++) {
      const uint32_t r = s1 * 5u;
      const uint32_t word = ((r << 7) | (r >> 25)) * 9u;
      const uint32_t t = s1 << 9;
      s2 ^= s0;
      s3 ^= s1;
      s1 ^= s2;
      s0 ^= s3;
      s2 ^= t;
      s3 = (s3 << 11) | (s3 >> 21);
      if (k < first) continue;
      const uint32_t segment = word >> 16;
      const uint32_t low = word & 0xffffu;
      float v;
      if (segment == 0) v = tails[low];
      else if (segment == 0xffffu) v = tails[65536 + low];
      else v = (float)(segments[2 * segment] + ((double)low + 0.5) * segments[2 * segment + 1]);
      out[written++] = v;
    }
  }
}

void upf_copy_rect(const float *src, size_t planes, int h, int w, int y0, int x0, int th, int tw, float *out) {
  for (size_t p = 0; p < planes; p++) {
    for (int y = 0; y < th; y++) {
      memcpy(out + (p * th + y) * tw, src + (p * h + y0 + y) * (size_t)w + x0, sizeof(float) * tw);
    }
  }
}

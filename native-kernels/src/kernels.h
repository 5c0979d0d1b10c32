/* The engine's per-element loops (main/engine/native/kernels.ts documents each one's contract). Every kernel
 * computes in float64 and stores float32 exactly where the TypeScript it replaced did, so a job's output is the same
 * to the bit; the arguments are checked by the binding before they get here. */
#ifndef UPFRAME_KERNELS_H
#define UPFRAME_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/* One decoded spatial tile: frames of [3, th, tw] placed at (y0, x0) of the padded picture, with its normalised
 * blend weights w(y) w(x) (all tiles' weights sum to 1 at every pixel). */
typedef struct {
  const float *data;
  int y0, x0, th, tw;
  const float *wy;
  const float *wx;
} upf_tile;

/* The kept rectangle of the padded picture. */
typedef struct {
  int padded_w, padded_h, left, top, width, height;
} upf_crop;

/* Frame `frame` of the tiles, blended (first tile over a pixel writes, later ones add, in tile order), inside the
 * crop; then cross-faded with `previous` ([3, height, width], may be NULL) as (1 - fade) previous + fade v; then
 * stored to `keep` ([3, height, width], may be NULL) and quantised to packed rgb24 (may be NULL).
 * `scratch` holds 4 * width floats. Returns 1 when a value to quantise is NaN or infinite, else 0. */
int upf_blend_frame(const upf_tile *tiles, int tile_count, int frame, const upf_crop *crop, const float *previous,
                    double fade, float *keep, uint8_t *rgb, float *scratch);

/* Bilinear resize of packed rgb24 [sh, sw, 3] to [3, ph, pw] in [-1, 1], the picture (dh x dw) at (top, left), the
 * rest `pad`. Taps per destination index: lo, hi and the weight of hi. `rows` holds sh * 3 * dw doubles. */
void upf_resize_bilinear(const uint8_t *src, int sw, int sh, int dw, int dh, int pw, int ph, int left, int top,
                         float pad, const int32_t *xlo, const int32_t *xhi, const double *xfrac, const int32_t *ylo,
                         const int32_t *yhi, const double *yfrac, double *rows, float *out);

/* dst = c src */
void upf_scale(float *dst, const float *src, size_t n, double c);

/* out = u + scale (c - u) (out may be cond or uncond). With `sums`, also the four float64 sums the rescale needs,
 * of values shifted by shift_cond and shift_out: sum(c - sc), sum((c - sc)^2), sum(o - so), sum((o - so)^2), in
 * element order. */
void upf_guidance(const float *cond, const float *uncond, float *out, size_t n, double scale, double shift_cond,
                  double shift_out, double *sums);

/* The prediction -> x0 in place: kind 0 (v): alpha x - s p; 1 (eps): (x - s p) / alpha; 2 (x0): scale p, with
 * s = sigma scale. Returns 1 when a result is NaN or infinite. */
int upf_prediction_to_x0(float *prediction, const float *x, size_t n, int kind, double alpha, double sigma_scaled,
                         double scale);

/* x = cx x + cd d + cold old + cnoise z; old = d. `old` and `z` may be NULL (their terms are then absent). */
void upf_solver_step(float *x, const float *d, float *old, const float *z, size_t n, double cx, double cd, double cold,
                     double cnoise);

/* A posterior sample in place of its noise: eps = (mean + std eps) scale, with mean the first n moments. */
void upf_posterior_sample(float *eps, const float *mean, const double *std, size_t n, double scale);

/* next = (1 - c) previous + c next; c = 0 copies previous. */
void upf_fade(float *next, const float *previous, size_t n, double c);

/* Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the counter-based
 * generator of Random123, cuRAND and PyTorch's CUDA RNG: out = bijection(counter, key), so any block of any stream is
 * computed directly, with no state to carry between chunks, machines or runs. */
void upf_philox4x32(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

/* Standard normals of the blocks first_block, first_block + 1, ... of one stream: block b's xoshiro128** generator is
 * seeded with Philox4x32-10 of counter (b low, b high, stream[0], stream[1]) and key (key[0], key[1]) and gives 1024
 * outputs; the first `skip` outputs of the first block are dropped and `n` written. Each 32-bit output maps through
 * the quantile table: its top 16 bits pick a segment, base + ((low 16 bits) + 0.5) step with (base, step) =
 * segments[2 seg], [2 seg + 1] (side by side: one cache line per lookup); the outermost two segments come from
 * `tails` (65536 values each, indexed by the low 16 bits). */
void upf_normals(uint64_t first_block, const uint32_t stream[2], const uint32_t key[2], size_t skip, float *out, size_t n,
                 const double *segments, const float *tails);

/* Rows [y0, y0 + th) and columns [x0, x0 + tw) of each of `planes` [h, w] planes into out ([planes, th, tw]). */
void upf_copy_rect(const float *src, size_t planes, int h, int w, int y0, int x0, int th, int tw, float *out);

#define UPF_NOISE_BLOCK 1024

#endif

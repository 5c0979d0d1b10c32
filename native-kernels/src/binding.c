/* Node-API glue: checks every argument's type and size (a kernel never reads or writes past an array), then calls
 * the kernel. Errors are thrown as TypeError or RangeError with the argument's name. */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "kernels.h"

/* Runs half(context, 0) here and half(context, 1) on a new thread, then joins: the chunk-sized passes of the denoise
 * loop take both cores while the main thread would otherwise work alone. Where no thread can be started both halves
 * run here, in the same split, so a result never depends on it. */
typedef struct {
  void (*half)(void *context, int which);
  void *context;
} half_call;

static void second_half(void *arg) {
  half_call *call = arg;
  call->half(call->context, 1);
}

static void both_halves(void (*half)(void *context, int which), void *context) {
  half_call call = {half, context};
  uv_thread_t thread;
  const int started = uv_thread_create(&thread, second_half, &call) == 0;
  half(context, 0);
  if (started) uv_thread_join(&thread);
  else half(context, 1);
}

/* Passes shorter than this run on the calling thread alone (a thread costs tens of microseconds). */
#define SPLIT_AT_LEAST 65536

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) return throw_last(env);                   \
  } while (0)

static napi_value throw_last(napi_env env) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(env, &info);
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) napi_throw_error(env, NULL, info && info->error_message ? info->error_message : "Node-API call failed");
  return NULL;
}

static napi_value fail(napi_env env, int range, const char *fn, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", fn, what);
  if (range) napi_throw_range_error(env, NULL, message);
  else napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* A typed array of `type` with at least `min` elements, or NULL (with an exception pending). `nullable` accepts null
 * and undefined as "absent" (*data NULL, returns 1). */
static int typed(napi_env env, napi_value value, napi_typedarray_type type, size_t min, int nullable, void **data,
                 size_t *length, const char *fn, const char *name) {
  napi_valuetype kind;
  if (napi_typeof(env, value, &kind) != napi_ok) return throw_last(env), 0;
  if (nullable && (kind == napi_null || kind == napi_undefined)) {
    *data = NULL;
    if (length) *length = 0;
    return 1;
  }
  bool is_typed = false;
  napi_is_typedarray(env, value, &is_typed);
  char what[160];
  static const char *names[] = {"Int8Array",    "Uint8Array",   "Uint8ClampedArray", "Int16Array",
                                "Uint16Array",  "Int32Array",   "Uint32Array",       "Float32Array",
                                "Float64Array", "BigInt64Array", "BigUint64Array"};
  if (!is_typed) {
    snprintf(what, sizeof what, "%s must be a %s", name, names[type]);
    return fail(env, 0, fn, what), 0;
  }
  napi_typedarray_type actual;
  size_t count;
  if (napi_get_typedarray_info(env, value, &actual, &count, data, NULL, NULL) != napi_ok) return throw_last(env), 0;
  if (actual != type) {
    snprintf(what, sizeof what, "%s must be a %s", name, names[type]);
    return fail(env, 0, fn, what), 0;
  }
  if (count < min) {
    snprintf(what, sizeof what, "%s has %zu values; %zu needed", name, count, min);
    return fail(env, 1, fn, what), 0;
  }
  if (length) *length = count;
  return 1;
}

static int number(napi_env env, napi_value value, double *out, const char *fn, const char *name) {
  if (napi_get_value_double(env, value, out) != napi_ok) {
    char what[96];
    snprintf(what, sizeof what, "%s must be a number", name);
    return fail(env, 0, fn, what), 0;
  }
  return 1;
}

static int integer(napi_env env, napi_value value, int64_t min, int64_t max, int64_t *out, const char *fn,
                   const char *name) {
  double v;
  if (!number(env, value, &v, fn, name)) return 0;
  if (!(v >= (double)min && v <= (double)max) || v != (double)(int64_t)v) {
    char what[128];
    snprintf(what, sizeof what, "%s must be a whole number in [%lld, %lld], got %g", name, (long long)min,
             (long long)max, v);
    return fail(env, 1, fn, what), 0;
  }
  *out = (int64_t)v;
  return 1;
}

static napi_value boolean(napi_env env, int value) {
  napi_value out;
  napi_get_boolean(env, value != 0, &out);
  return out;
}

#define ARGS(n)                                                                   \
  size_t argc = (n);                                                              \
  napi_value argv[(n)];                                                           \
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));                    \
  if (argc < (n)) return fail(env, 0, FN, "too few arguments")

#define INT_MAX_PIXELS 1073741823

#define MAX_TILES 4096

/* The tiles (an array of { data, y0, x0, th, tw, wy, wx }) into a new array of `*count`, each with data for frames
 * [0, frames); NULL with an exception pending when one is not usable. */
static upf_tile *read_tiles(napi_env env, napi_value array, const upf_crop *crop, int64_t frames, uint32_t *count,
                            const char *fn) {
  bool is_array = false;
  if (napi_is_array(env, array, &is_array) != napi_ok) return throw_last(env), NULL;
  if (!is_array) return fail(env, 0, fn, "tiles must be an array"), NULL;
  if (napi_get_array_length(env, array, count) != napi_ok) return throw_last(env), NULL;
  if (*count == 0 || *count > MAX_TILES) return fail(env, 1, fn, "tiles must hold 1 to 4096 tiles"), NULL;
  upf_tile *tiles = calloc(*count, sizeof *tiles);
  if (!tiles) return fail(env, 1, fn, "out of memory"), NULL;
  for (uint32_t i = 0; i < *count; i++) {
    napi_value tile, field;
    int64_t g[4];
    static const char *geometry[] = {"y0", "x0", "th", "tw"};
    if (napi_get_element(env, array, i, &tile) != napi_ok) goto error;
    for (int k = 0; k < 4; k++) {
      if (napi_get_named_property(env, tile, geometry[k], &field) != napi_ok) goto error;
      if (!integer(env, field, k < 2 ? 0 : 1, INT_MAX_PIXELS, &g[k], fn, geometry[k])) goto failed;
    }
    tiles[i].y0 = (int)g[0];
    tiles[i].x0 = (int)g[1];
    tiles[i].th = (int)g[2];
    tiles[i].tw = (int)g[3];
    if (g[0] + g[2] > crop->padded_h || g[1] + g[3] > crop->padded_w) {
      fail(env, 1, fn, "a tile lies outside the padded picture");
      goto failed;
    }
    const size_t tile_floats = (size_t)frames * 3 * (size_t)g[2] * (size_t)g[3];
    if (napi_get_named_property(env, tile, "data", &field) != napi_ok) goto error;
    if (!typed(env, field, napi_float32_array, tile_floats, 0, (void **)&tiles[i].data, NULL, fn, "tile data")) goto failed;
    if (napi_get_named_property(env, tile, "wy", &field) != napi_ok) goto error;
    if (!typed(env, field, napi_float32_array, (size_t)g[2], 0, (void **)&tiles[i].wy, NULL, fn, "wy")) goto failed;
    if (napi_get_named_property(env, tile, "wx", &field) != napi_ok) goto error;
    if (!typed(env, field, napi_float32_array, (size_t)g[3], 0, (void **)&tiles[i].wx, NULL, fn, "wx")) goto failed;
  }
  return tiles;
error:
  throw_last(env);
failed:
  free(tiles);
  return NULL;
}

static int read_crop(napi_env env, napi_value value, upf_crop *crop, const char *fn) {
  int32_t *c;
  if (!typed(env, value, napi_int32_array, 6, 0, (void **)&c, NULL, fn, "crop")) return 0;
  *crop = (upf_crop){c[0], c[1], c[2], c[3], c[4], c[5]};
  if (crop->width < 1 || crop->height < 1 || crop->left < 0 || crop->top < 0 || crop->left + crop->width > crop->padded_w ||
      crop->top + crop->height > crop->padded_h) {
    return fail(env, 1, fn, "crop must be a non-empty rectangle inside the padded picture"), 0;
  }
  return 1;
}

/* One frame's outputs: previous | null, fade, keep | null, rgb | null, checked against the crop. */
typedef struct {
  int frame;
  const float *previous;
  double fade;
  float *keep;
  uint8_t *rgb;
} frame_outputs;

static int read_outputs(napi_env env, napi_value previous, napi_value fade, napi_value keep, napi_value rgb,
                        const upf_crop *crop, frame_outputs *out, const char *fn) {
  const size_t plane = (size_t)crop->width * crop->height;
  if (!typed(env, previous, napi_float32_array, 3 * plane, 1, (void **)&out->previous, NULL, fn, "previous")) return 0;
  if (!number(env, fade, &out->fade, fn, "fade")) return 0;
  if (!typed(env, keep, napi_float32_array, 3 * plane, 1, (void **)&out->keep, NULL, fn, "keep")) return 0;
  if (!typed(env, rgb, napi_uint8_array, 3 * plane, 1, (void **)&out->rgb, NULL, fn, "rgb")) return 0;
  if (out->previous && out->previous == out->keep) return fail(env, 0, fn, "previous and keep must be different arrays"), 0;
  return 1;
}

/* blendFrame(tiles, frame, crop Int32Array[6], previous | null, fade, keep | null, rgb | null, scratch) -> finite */
#define FN "blendFrame"
static napi_value blend_frame(napi_env env, napi_callback_info info) {
  ARGS(8);
  upf_crop crop;
  int64_t frame;
  float *scratch;
  frame_outputs out;
  if (!integer(env, argv[1], 0, INT_MAX_PIXELS, &frame, FN, "frame")) return NULL;
  if (!read_crop(env, argv[2], &crop, FN)) return NULL;
  if (!read_outputs(env, argv[3], argv[4], argv[5], argv[6], &crop, &out, FN)) return NULL;
  if (!typed(env, argv[7], napi_float32_array, 4 * (size_t)crop.width, 0, (void **)&scratch, NULL, FN, "scratch")) return NULL;
  uint32_t count;
  upf_tile *tiles = read_tiles(env, argv[0], &crop, frame + 1, &count, FN);
  if (!tiles) return NULL;
  const int bad = upf_blend_frame(tiles, (int)count, (int)frame, &crop, out.previous, out.fade, out.keep, out.rgb, scratch);
  free(tiles);
  return boolean(env, !bad);
}
#undef FN

/* A kernel run on a libuv worker thread: each job's struct starts with this. The arguments it reads are held
 * (references) until it settles; `execute` may set `error`; `value` gives what the promise resolves to (undefined when
 * NULL); `release` frees the rest of the job. */
typedef struct async_job async_job;
struct async_job {
  napi_async_work work;
  napi_deferred deferred;
  napi_ref refs[12];
  int ref_count;
  const char *name;
  const char *error;
  napi_value (*value)(napi_env env, async_job *job);
  void (*release)(async_job *job);
};

static void release_job(napi_env env, async_job *job) {
  for (int k = 0; k < job->ref_count; k++) napi_delete_reference(env, job->refs[k]);
  if (job->release) job->release(job);
  free(job);
}

static void job_complete(napi_env env, napi_status status, void *data) {
  async_job *job = data;
  if (status == napi_ok && !job->error) {
    napi_value value;
    if (job->value) value = job->value(env, job);
    else napi_get_undefined(env, &value);
    napi_resolve_deferred(env, job->deferred, value);
  } else {
    char text[128];
    snprintf(text, sizeof text, "%s: %s", job->name, job->error ? job->error : "the work was cancelled");
    napi_value message, error;
    napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, job->deferred, error);
  }
  napi_delete_async_work(env, job->work);
  release_job(env, job);
}

/* Holds the arguments argv[held[0..count)] and queues the job; its promise, or NULL with an exception pending (the
 * job released). */
static napi_value queue_job(napi_env env, async_job *job, const char *name, napi_value *argv, const int *held, int count,
                            napi_async_execute_callback execute) {
  job->name = name;
  napi_value promise, resource;
  for (int k = 0; k < count; k++) {
    if (napi_create_reference(env, argv[held[k]], 1, &job->refs[k]) != napi_ok) goto error;
    job->ref_count = k + 1;
  }
  if (napi_create_promise(env, &job->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource) != napi_ok ||
      napi_create_async_work(env, NULL, resource, execute, job_complete, job, &job->work) != napi_ok) {
    goto error;
  }
  if (napi_queue_async_work(env, job->work) != napi_ok) {
    napi_delete_async_work(env, job->work);
    goto error;
  }
  return promise;
error:
  throw_last(env);
  release_job(env, job);
  return NULL;
}

/* blendFramesAsync(tiles, crop, frames: { frame, previous, fade, keep, rgb }[]) -> Promise<finite>: blendFrame for
 * each entry in order, on a libuv worker thread. The arguments are held until it settles and must not be touched
 * (or, for the outputs, read) before then. */
typedef struct {
  async_job base;
  upf_tile *tiles;
  uint32_t tile_count;
  upf_crop crop;
  frame_outputs *frames;
  uint32_t frame_count;
  float *scratch;
  int bad;
} blend_job;

static void blend_execute(napi_env env, void *data) {
  (void)env;
  blend_job *job = data;
  for (uint32_t i = 0; i < job->frame_count; i++) {
    const frame_outputs *f = &job->frames[i];
    job->bad |= upf_blend_frame(job->tiles, (int)job->tile_count, f->frame, &job->crop, f->previous, f->fade, f->keep,
                                f->rgb, job->scratch);
  }
}

static napi_value blend_value(napi_env env, async_job *job) {
  return boolean(env, !((blend_job *)job)->bad);
}

static void blend_release(async_job *base) {
  blend_job *job = (blend_job *)base;
  free(job->tiles);
  free(job->frames);
  free(job->scratch);
}

#define FN "blendFramesAsync"
static napi_value blend_frames_async(napi_env env, napi_callback_info info) {
  ARGS(3);
  blend_job *job = calloc(1, sizeof *job);
  if (!job) return fail(env, 1, FN, "out of memory");
  job->base.value = blend_value;
  job->base.release = blend_release;
  if (!read_crop(env, argv[1], &job->crop, FN)) goto failed;
  bool is_array = false;
  if (napi_is_array(env, argv[2], &is_array) != napi_ok) goto error;
  if (!is_array) {
    fail(env, 0, FN, "frames must be an array");
    goto failed;
  }
  if (napi_get_array_length(env, argv[2], &job->frame_count) != napi_ok) goto error;
  job->frames = calloc(job->frame_count ? job->frame_count : 1, sizeof *job->frames);
  job->scratch = malloc(sizeof(float) * 4 * (size_t)job->crop.width);
  if (!job->frames || !job->scratch) {
    fail(env, 1, FN, "out of memory");
    goto failed;
  }
  int64_t last = 0;
  for (uint32_t i = 0; i < job->frame_count; i++) {
    napi_value entry, frame, previous, fade, keep, rgb;
    int64_t index;
    if (napi_get_element(env, argv[2], i, &entry) != napi_ok || napi_get_named_property(env, entry, "frame", &frame) != napi_ok ||
        napi_get_named_property(env, entry, "previous", &previous) != napi_ok ||
        napi_get_named_property(env, entry, "fade", &fade) != napi_ok || napi_get_named_property(env, entry, "keep", &keep) != napi_ok ||
        napi_get_named_property(env, entry, "rgb", &rgb) != napi_ok) {
      goto error;
    }
    if (!integer(env, frame, 0, INT_MAX_PIXELS, &index, FN, "frame")) goto failed;
    if (!read_outputs(env, previous, fade, keep, rgb, &job->crop, &job->frames[i], FN)) goto failed;
    job->frames[i].frame = (int)index;
    if (index > last) last = index;
  }
  job->tiles = read_tiles(env, argv[0], &job->crop, last + 1, &job->tile_count, FN);
  if (!job->tiles) goto failed;
  static const int held[3] = {0, 1, 2};
  return queue_job(env, &job->base, FN, argv, held, 3, blend_execute);
error:
  throw_last(env);
failed:
  release_job(env, &job->base);
  return NULL;
}
#undef FN

/* The arguments of resizeBilinear and resizeBilinearAsync: (src, dims Int32Array[8]: sw sh dw dh pw ph left top, pad,
 * xlo, xhi, xfrac, ylo, yhi, yfrac, then the sync form's rows scratch, then out). */
typedef struct {
  const uint8_t *src;
  int sw, sh, dw, dh, pw, ph, left, top;
  float pad;
  const int32_t *xlo, *xhi, *ylo, *yhi;
  const double *xfrac, *yfrac;
  float *out;
} resize_args;

static int read_resize(napi_env env, napi_value *argv, napi_value out_value, resize_args *a, const char *fn) {
  int32_t *d;
  if (!typed(env, argv[1], napi_int32_array, 8, 0, (void **)&d, NULL, fn, "dims")) return 0;
  a->sw = d[0], a->sh = d[1], a->dw = d[2], a->dh = d[3], a->pw = d[4], a->ph = d[5], a->left = d[6], a->top = d[7];
  if (a->sw < 1 || a->sh < 1 || a->dw < 1 || a->dh < 1 || a->left < 0 || a->top < 0 || a->left + a->dw > a->pw || a->top + a->dh > a->ph) {
    return fail(env, 1, fn, "dims must place a non-empty picture inside the padded one"), 0;
  }
  double pad;
  if (!typed(env, argv[0], napi_uint8_array, (size_t)a->sw * a->sh * 3, 0, (void **)&a->src, NULL, fn, "src")) return 0;
  if (!number(env, argv[2], &pad, fn, "pad")) return 0;
  a->pad = (float)pad;
  if (!typed(env, argv[3], napi_int32_array, (size_t)a->dw, 0, (void **)&a->xlo, NULL, fn, "xlo")) return 0;
  if (!typed(env, argv[4], napi_int32_array, (size_t)a->dw, 0, (void **)&a->xhi, NULL, fn, "xhi")) return 0;
  if (!typed(env, argv[5], napi_float64_array, (size_t)a->dw, 0, (void **)&a->xfrac, NULL, fn, "xfrac")) return 0;
  if (!typed(env, argv[6], napi_int32_array, (size_t)a->dh, 0, (void **)&a->ylo, NULL, fn, "ylo")) return 0;
  if (!typed(env, argv[7], napi_int32_array, (size_t)a->dh, 0, (void **)&a->yhi, NULL, fn, "yhi")) return 0;
  if (!typed(env, argv[8], napi_float64_array, (size_t)a->dh, 0, (void **)&a->yfrac, NULL, fn, "yfrac")) return 0;
  if (!typed(env, out_value, napi_float32_array, (size_t)3 * a->pw * a->ph, 0, (void **)&a->out, NULL, fn, "out")) return 0;
  for (int x = 0; x < a->dw; x++) {
    if (a->xlo[x] < 0 || a->xlo[x] >= a->sw || a->xhi[x] < 0 || a->xhi[x] >= a->sw) return fail(env, 1, fn, "a horizontal tap is outside the source"), 0;
  }
  for (int y = 0; y < a->dh; y++) {
    if (a->ylo[y] < 0 || a->ylo[y] >= a->sh || a->yhi[y] < 0 || a->yhi[y] >= a->sh) return fail(env, 1, fn, "a vertical tap is outside the source"), 0;
  }
  return 1;
}

static void run_resize(const resize_args *a, double *rows) {
  upf_resize_bilinear(a->src, a->sw, a->sh, a->dw, a->dh, a->pw, a->ph, a->left, a->top, a->pad, a->xlo, a->xhi, a->xfrac,
                      a->ylo, a->yhi, a->yfrac, rows, a->out);
}

#define FN "resizeBilinear"
static napi_value resize_bilinear(napi_env env, napi_callback_info info) {
  ARGS(11);
  resize_args a;
  double *rows;
  if (!read_resize(env, argv, argv[10], &a, FN)) return NULL;
  if (!typed(env, argv[9], napi_float64_array, (size_t)a.sh * 3 * a.dw, 0, (void **)&rows, NULL, FN, "rows")) return NULL;
  run_resize(&a, rows);
  return NULL;
}
#undef FN

/* resizeBilinearAsync(src, dims, pad, xlo, xhi, xfrac, ylo, yhi, yfrac, out) -> Promise<void>: on a libuv worker thread,
 * with scratch of its own; every array is held until it settles, and `out` must not be touched before. */
typedef struct {
  async_job base;
  resize_args args;
} resize_job;

static void resize_execute(napi_env env, void *data) {
  (void)env;
  resize_job *job = data;
  double *rows = malloc(sizeof(double) * (size_t)job->args.sh * 3 * job->args.dw);
  if (!rows) {
    job->base.error = "out of memory";
    return;
  }
  run_resize(&job->args, rows);
  free(rows);
}

#define FN "resizeBilinearAsync"
static napi_value resize_bilinear_async(napi_env env, napi_callback_info info) {
  ARGS(10);
  resize_job *job = calloc(1, sizeof *job);
  if (!job) return fail(env, 1, FN, "out of memory");
  if (!read_resize(env, argv, argv[9], &job->args, FN)) {
    free(job);
    return NULL;
  }
  /* The arrays: every argument but pad (2). */
  static const int held[9] = {0, 1, 3, 4, 5, 6, 7, 8, 9};
  return queue_job(env, &job->base, FN, argv, held, 9, resize_execute);
}
#undef FN

/* scale(dst, src, c) */
#define FN "scale"
static napi_value scale(napi_env env, napi_callback_info info) {
  ARGS(3);
  float *dst, *src;
  size_t n;
  double c;
  if (!typed(env, argv[1], napi_float32_array, 0, 0, (void **)&src, &n, FN, "src")) return NULL;
  if (!typed(env, argv[0], napi_float32_array, n, 0, (void **)&dst, NULL, FN, "dst")) return NULL;
  if (!number(env, argv[2], &c, FN, "c")) return NULL;
  upf_scale(dst, src, n, c);
  return NULL;
}
#undef FN

/* guidance(cond, uncond, out, scale, sums Float64Array[4] | null). With sums, a long pass is split in two halves at
 * n / 2 (whatever the machine), each summed in element order with the shifts of element 0, the halves' sums added. */
typedef struct {
  const float *cond, *uncond;
  float *out;
  size_t n;
  double scale, shift_cond, shift_out;
  double sums[2][4];
} guidance_pass;

static void guidance_half(void *context, int which) {
  guidance_pass *p = context;
  const size_t from = which == 0 ? 0 : p->n / 2;
  const size_t to = which == 0 ? p->n / 2 : p->n;
  upf_guidance(p->cond + from, p->uncond + from, p->out + from, to - from, p->scale, p->shift_cond, p->shift_out, p->sums[which]);
}

#define FN "guidance"
static napi_value guidance(napi_env env, napi_callback_info info) {
  ARGS(5);
  float *cond, *uncond, *out;
  double *sums, s;
  size_t n;
  if (!typed(env, argv[0], napi_float32_array, 0, 0, (void **)&cond, &n, FN, "cond")) return NULL;
  if (!typed(env, argv[1], napi_float32_array, n, 0, (void **)&uncond, NULL, FN, "uncond")) return NULL;
  if (!typed(env, argv[2], napi_float32_array, n, 0, (void **)&out, NULL, FN, "out")) return NULL;
  if (!number(env, argv[3], &s, FN, "scale")) return NULL;
  if (!typed(env, argv[4], napi_float64_array, 4, 1, (void **)&sums, NULL, FN, "sums")) return NULL;
  if (!sums) {
    upf_guidance(cond, uncond, out, n, s, 0, 0, NULL);
    return NULL;
  }
  if (n == 0) {
    sums[0] = sums[1] = sums[2] = sums[3] = 0;
    return NULL;
  }
  guidance_pass pass = {cond, uncond, out, n, s, cond[0], (double)uncond[0] + s * ((double)cond[0] - (double)uncond[0]), {{0}}};
  if (n < SPLIT_AT_LEAST) {
    upf_guidance(cond, uncond, out, n, s, pass.shift_cond, pass.shift_out, sums);
    return NULL;
  }
  both_halves(guidance_half, &pass);
  for (int k = 0; k < 4; k++) sums[k] = pass.sums[0][k] + pass.sums[1][k];
  return NULL;
}
#undef FN

/* predictionToX0(prediction, x, kind 0|1|2, alpha, sigmaScaled, scale) -> finite; a long pass runs in two halves. */
typedef struct {
  float *prediction;
  const float *x;
  size_t n;
  int kind;
  double alpha, sigma_scaled, scale;
  int bad[2];
} x0_pass;

static void x0_half(void *context, int which) {
  x0_pass *p = context;
  const size_t from = which == 0 ? 0 : p->n / 2;
  const size_t to = which == 0 ? p->n / 2 : p->n;
  p->bad[which] = upf_prediction_to_x0(p->prediction + from, p->x + from, to - from, p->kind, p->alpha, p->sigma_scaled, p->scale);
}

#define FN "predictionToX0"
static napi_value prediction_to_x0(napi_env env, napi_callback_info info) {
  ARGS(6);
  float *prediction, *x;
  size_t n;
  int64_t kind;
  double alpha, sigma_scaled, s;
  if (!typed(env, argv[0], napi_float32_array, 0, 0, (void **)&prediction, &n, FN, "prediction")) return NULL;
  if (!typed(env, argv[1], napi_float32_array, n, 0, (void **)&x, NULL, FN, "x")) return NULL;
  if (!integer(env, argv[2], 0, 2, &kind, FN, "kind")) return NULL;
  if (!number(env, argv[3], &alpha, FN, "alpha") || !number(env, argv[4], &sigma_scaled, FN, "sigmaScaled") ||
      !number(env, argv[5], &s, FN, "scale")) {
    return NULL;
  }
  x0_pass pass = {prediction, x, n, (int)kind, alpha, sigma_scaled, s, {0, 0}};
  if (n < SPLIT_AT_LEAST) return boolean(env, !upf_prediction_to_x0(prediction, x, n, (int)kind, alpha, sigma_scaled, s));
  both_halves(x0_half, &pass);
  return boolean(env, !(pass.bad[0] | pass.bad[1]));
}
#undef FN

/* solverStep(x, d, old | null, z | null, cx, cd, cold, cnoise) */
#define FN "solverStep"
static napi_value solver_step(napi_env env, napi_callback_info info) {
  ARGS(8);
  float *x, *d, *old, *z;
  size_t n;
  double c[4];
  if (!typed(env, argv[0], napi_float32_array, 0, 0, (void **)&x, &n, FN, "x")) return NULL;
  if (!typed(env, argv[1], napi_float32_array, n, 0, (void **)&d, NULL, FN, "d")) return NULL;
  if (!typed(env, argv[2], napi_float32_array, n, 1, (void **)&old, NULL, FN, "old")) return NULL;
  if (!typed(env, argv[3], napi_float32_array, n, 1, (void **)&z, NULL, FN, "z")) return NULL;
  static const char *names[] = {"cx", "cd", "cold", "cnoise"};
  for (int k = 0; k < 4; k++) {
    if (!number(env, argv[4 + k], &c[k], FN, names[k])) return NULL;
  }
  upf_solver_step(x, d, old, z, n, c[0], c[1], c[2], c[3]);
  return NULL;
}
#undef FN

/* posteriorSample(eps, moments, std, scale): moments holds the mean first (at least eps.length values) */
#define FN "posteriorSample"
static napi_value posterior_sample(napi_env env, napi_callback_info info) {
  ARGS(4);
  float *eps, *mean;
  double *std, s;
  size_t n;
  if (!typed(env, argv[0], napi_float32_array, 0, 0, (void **)&eps, &n, FN, "eps")) return NULL;
  if (!typed(env, argv[1], napi_float32_array, n, 0, (void **)&mean, NULL, FN, "moments")) return NULL;
  if (!typed(env, argv[2], napi_float64_array, n, 0, (void **)&std, NULL, FN, "std")) return NULL;
  if (!number(env, argv[3], &s, FN, "scale")) return NULL;
  upf_posterior_sample(eps, mean, std, n, s);
  return NULL;
}
#undef FN

/* fade(next, previous, c) */
#define FN "fade"
static napi_value fade(napi_env env, napi_callback_info info) {
  ARGS(3);
  float *next, *previous;
  size_t n;
  double c;
  if (!typed(env, argv[0], napi_float32_array, 0, 0, (void **)&next, &n, FN, "next")) return NULL;
  if (!typed(env, argv[1], napi_float32_array, n, 0, (void **)&previous, NULL, FN, "previous")) return NULL;
  if (!number(env, argv[2], &c, FN, "c")) return NULL;
  upf_fade(next, previous, n, c);
  return NULL;
}
#undef FN

/* The arguments of normals and normalsAsync: (ids Uint32Array[4]: stream a, stream b, key low, key high; first block;
 * skip; out; segments Float64Array[2 * 65536]; tails Float32Array[131072]). */
typedef struct {
  uint32_t stream[2], key[2];
  uint64_t first_block;
  size_t skip, n;
  float *out;
  const double *segments;
  const float *tails;
} normals_args;

static int read_normals(napi_env env, napi_value *argv, normals_args *a, const char *fn) {
  uint32_t *ids;
  int64_t first, skip;
  float *tails;
  double *segments;
  if (!typed(env, argv[0], napi_uint32_array, 4, 0, (void **)&ids, NULL, fn, "ids")) return 0;
  if (!integer(env, argv[1], 0, 9007199254740991LL, &first, fn, "first block")) return 0;
  if (!integer(env, argv[2], 0, UPF_NOISE_BLOCK - 1, &skip, fn, "skip")) return 0;
  if (!typed(env, argv[3], napi_float32_array, 0, 0, (void **)&a->out, &a->n, fn, "out")) return 0;
  if (!typed(env, argv[4], napi_float64_array, 2 * 65536, 0, (void **)&segments, NULL, fn, "segments")) return 0;
  if (!typed(env, argv[5], napi_float32_array, 2 * 65536, 0, (void **)&tails, NULL, fn, "tails")) return 0;
  a->stream[0] = ids[0];
  a->stream[1] = ids[1];
  a->key[0] = ids[2];
  a->key[1] = ids[3];
  a->first_block = (uint64_t)first;
  a->skip = (size_t)skip;
  a->segments = segments;
  a->tails = tails;
  return 1;
}

#define FN "normals"
static napi_value normals(napi_env env, napi_callback_info info) {
  ARGS(6);
  normals_args a;
  if (!read_normals(env, argv, &a, FN)) return NULL;
  upf_normals(a.first_block, a.stream, a.key, a.skip, a.out, a.n, a.segments, a.tails);
  return NULL;
}
#undef FN

/* normalsAsync(same arguments) -> Promise<void>: normals on a libuv worker thread. The arrays are held until it
 * settles; the caller must not touch `out` before then. */
typedef struct {
  async_job base;
  normals_args args;
} normals_job;

static void normals_execute(napi_env env, void *data) {
  (void)env;
  const normals_args *a = &((normals_job *)data)->args;
  upf_normals(a->first_block, a->stream, a->key, a->skip, a->out, a->n, a->segments, a->tails);
}

#define FN "normalsAsync"
static napi_value normals_async(napi_env env, napi_callback_info info) {
  ARGS(6);
  normals_job *job = calloc(1, sizeof *job);
  if (!job) return fail(env, 1, FN, "out of memory");
  if (!read_normals(env, argv, &job->args, FN)) {
    free(job);
    return NULL;
  }
  static const int held[3] = {3, 4, 5};
  return queue_job(env, &job->base, FN, argv, held, 3, normals_execute);
}
#undef FN

/* philox4x32(counter Uint32Array[4], key Uint32Array[2], out Uint32Array[4]) */
#define FN "philox4x32"
static napi_value philox(napi_env env, napi_callback_info info) {
  ARGS(3);
  uint32_t *counter, *key, *out;
  if (!typed(env, argv[0], napi_uint32_array, 4, 0, (void **)&counter, NULL, FN, "counter")) return NULL;
  if (!typed(env, argv[1], napi_uint32_array, 2, 0, (void **)&key, NULL, FN, "key")) return NULL;
  if (!typed(env, argv[2], napi_uint32_array, 4, 0, (void **)&out, NULL, FN, "out")) return NULL;
  upf_philox4x32(counter, key, out);
  return NULL;
}
#undef FN

/* copyRect(src, planes, h, w, y0, x0, th, tw, out) */
#define FN "copyRect"
static napi_value copy_rect(napi_env env, napi_callback_info info) {
  ARGS(9);
  int64_t g[7];
  static const char *names[] = {"planes", "h", "w", "y0", "x0", "th", "tw"};
  for (int k = 0; k < 7; k++) {
    if (!integer(env, argv[1 + k], k == 3 || k == 4 ? 0 : 1, INT_MAX_PIXELS, &g[k], FN, names[k])) return NULL;
  }
  const int64_t planes = g[0], h = g[1], w = g[2], y0 = g[3], x0 = g[4], th = g[5], tw = g[6];
  if (y0 + th > h || x0 + tw > w) return fail(env, 1, FN, "the rectangle lies outside the planes");
  float *src, *out;
  if (!typed(env, argv[0], napi_float32_array, (size_t)(planes * h * w), 0, (void **)&src, NULL, FN, "src")) return NULL;
  if (!typed(env, argv[8], napi_float32_array, (size_t)(planes * th * tw), 0, (void **)&out, NULL, FN, "out")) return NULL;
  upf_copy_rect(src, (size_t)planes, (int)h, (int)w, (int)y0, (int)x0, (int)th, (int)tw, out);
  return NULL;
}
#undef FN

static napi_value init(napi_env env, napi_value exports) {
  const napi_property_descriptor functions[] = {
      {"blendFrame", NULL, blend_frame, NULL, NULL, NULL, napi_enumerable, NULL},
      {"blendFramesAsync", NULL, blend_frames_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"resizeBilinear", NULL, resize_bilinear, NULL, NULL, NULL, napi_enumerable, NULL},
      {"resizeBilinearAsync", NULL, resize_bilinear_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"scale", NULL, scale, NULL, NULL, NULL, napi_enumerable, NULL},
      {"guidance", NULL, guidance, NULL, NULL, NULL, napi_enumerable, NULL},
      {"predictionToX0", NULL, prediction_to_x0, NULL, NULL, NULL, napi_enumerable, NULL},
      {"solverStep", NULL, solver_step, NULL, NULL, NULL, napi_enumerable, NULL},
      {"fade", NULL, fade, NULL, NULL, NULL, napi_enumerable, NULL},
      {"posteriorSample", NULL, posterior_sample, NULL, NULL, NULL, napi_enumerable, NULL},
      {"normals", NULL, normals, NULL, NULL, NULL, napi_enumerable, NULL},
      {"normalsAsync", NULL, normals_async, NULL, NULL, NULL, napi_enumerable, NULL},
      {"philox4x32", NULL, philox, NULL, NULL, NULL, napi_enumerable, NULL},
      {"copyRect", NULL, copy_rect, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(env, exports, sizeof functions / sizeof functions[0], functions) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }

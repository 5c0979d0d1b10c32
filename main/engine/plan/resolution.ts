// Output size, model padding and the key-frame resize (ENHANCEMENT.md 2.2; reference: VEnhancer
// enhance_a_video.py target resolution, video_to_video_model.py `F.interpolate(..., mode='bilinear')` and
// `pad_to_fit` + `F.pad(..., value=1)`).
//
// Padding (manifest resolution.pad, schema version 2) follows the reference's `pad_to_fit` per axis: a side below the
// checkpoint's working size is centred on it, a side at it is left alone, a larger one is padded at the bottom /
// right by the rule's floor formula. The padding is cropped after decoding.
import kernels from '@upframe/native-kernels';
import type { PadAxisRule, ResolutionPolicy } from '../pack/manifest';

export type ResolutionPlan = {
  srcWidth: number;
  srcHeight: number;
  width: number;
  height: number /* resized, even */;
  paddedWidth: number;
  paddedHeight: number;
  padLeft: number;
  padTop: number;
  latentWidth: number;
  latentHeight: number;
};

/**
 * Output area A = srcW srcH scale^2 clamped to [areaMin, areaMax]; each side scales by sqrt(A / (srcW srcH)) and is
 * floored to even; then padded per axis by the pack's rule (padAxis).
 */
export function planResolution(
  srcWidth: number,
  srcHeight: number,
  scale: number,
  policy: ResolutionPolicy,
  downscale: number,
): ResolutionPlan {
  for (const [name, v] of [['source width', srcWidth], ['source height', srcHeight]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`The ${name} must be a whole number of pixels >= 1, got ${v}`);
  }
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`Scale must be a positive number, got ${scale}`);
  if (!Number.isInteger(downscale) || downscale < 1) throw new Error(`Latent downscale must be >= 1, got ${downscale}`);
  if (policy.areaMin > policy.areaMax) {
    throw new Error(`The pack's resolution policy has areaMin ${policy.areaMin} above areaMax ${policy.areaMax}`);
  }
  const srcArea = srcWidth * srcHeight;
  const area = srcArea * scale * scale;
  const clamped = Math.min(policy.areaMax, Math.max(policy.areaMin, area));
  // Unclamped, the factor is the user's scale itself: sqrt(s^2) may land an ulp below s and floor a side that is
  // exactly even (e.g. 20 * 1.1) down by 2.
  const factor = clamped === area ? scale : Math.sqrt(clamped / srcArea);
  const evenFloor = (v: number) => Math.max(2, 2 * Math.floor(v / 2 + 1e-9));
  const width = evenFloor(srcWidth * factor);
  const height = evenFloor(srcHeight * factor);
  const horizontal = padAxis(width, policy.pad.width);
  const vertical = padAxis(height, policy.pad.height);
  for (const [axis, size, padded] of [['width', width, horizontal.padded], ['height', height, vertical.padded]] as const) {
    if (padded < size || padded % downscale !== 0) {
      throw new Error(
        `The pack's padding rule (resolution.pad.${axis}) turns a ${axis} of ${size} px into ${padded} px, which ` +
          `${padded < size ? 'is smaller' : `its latent downscale ${downscale} does not divide`}: the pack manifest is inconsistent`,
      );
    }
  }
  return {
    srcWidth,
    srcHeight,
    width,
    height,
    paddedWidth: horizontal.padded,
    paddedHeight: vertical.padded,
    padLeft: horizontal.before,
    padTop: vertical.before,
    latentWidth: horizontal.padded / downscale,
    latentHeight: vertical.padded / downscale,
  };
}

/** The reference's `pad_to_fit` on one axis: the padded size and the padding before the image (centred only below min). */
export function padAxis(size: number, rule: PadAxisRule): { padded: number; before: number } {
  if (size < rule.min) return { padded: rule.min, before: Math.floor((rule.min - size) / 2) };
  if (size === rule.min) return { padded: size, before: 0 };
  return { padded: Math.floor((size + rule.addend) / rule.multiple) * rule.multiple + rule.offset, before: 0 };
}

/**
 * Bilinear resize of a packed rgb24 frame to plan.width x plan.height, placed at (padLeft, padTop) in a
 * [3, paddedHeight, paddedWidth] planar image in [-1, 1], the rest filled with padValue. Matches torch
 * F.interpolate(mode='bilinear', align_corners=False, antialias=False): half-pixel centres, source coordinate
 * (d + 0.5) in/out - 0.5 clamped at 0, neighbours clamped at the last pixel. Separable, in float64 exactly as the
 * two-dimensional formula computes it (native resizeBilinear), so the result is the same to the bit.
 */
export function resizeBilinearToPadded(src: Uint8Array, plan: ResolutionPlan, padValue: number, into?: Float32Array): Float32Array {
  const { srcWidth: sw, srcHeight: sh, width: dw, height: dh, paddedWidth: pw, paddedHeight: ph } = plan;
  if (src.length !== sw * sh * 3) {
    throw new Error(`Frame has ${src.length} bytes; ${sw}x${sh} rgb24 needs ${sw * sh * 3}`);
  }
  const plane = pw * ph;
  if (into && into.length !== 3 * plane) throw new Error(`resizeBilinearToPadded: the output has ${into.length} values; [3, ${ph}, ${pw}] needs ${3 * plane}`);
  const out = into ?? new Float32Array(3 * plane);
  const taps = resizeTaps(plan);
  kernels.resizeBilinear(src, taps.dims, padValue, taps.xs.lo, taps.xs.hi, taps.xs.frac, taps.ys.lo, taps.ys.hi, taps.ys.frac, taps.rows, out);
  return out;
}

export const NON_FINITE_DECODE = 'The decoded image contains NaN or infinite values: the model produced invalid output (try fp32 or the CPU provider)';

/** As resizeBilinearToPadded, into `into`, on a worker thread: `src` and `into` must not be touched until it
 *  resolves, and several may run at once (the key frames of an encoder batch resize side by side). */
export async function resizeBilinearToPaddedAsync(src: Uint8Array, plan: ResolutionPlan, padValue: number, into: Float32Array): Promise<void> {
  const { srcWidth: sw, srcHeight: sh, paddedWidth: pw, paddedHeight: ph } = plan;
  if (src.length !== sw * sh * 3) throw new Error(`Frame has ${src.length} bytes; ${sw}x${sh} rgb24 needs ${sw * sh * 3}`);
  if (into.length !== 3 * pw * ph) throw new Error(`resizeBilinearToPadded: the output has ${into.length} values; [3, ${ph}, ${pw}] needs ${3 * pw * ph}`);
  const taps = resizeTaps(plan);
  await kernels.resizeBilinearAsync(src, taps.dims, padValue, taps.xs.lo, taps.xs.hi, taps.xs.frac, taps.ys.lo, taps.ys.hi, taps.ys.frac, into);
}

type Taps = { lo: Int32Array; hi: Int32Array; frac: Float64Array };

/** The last plan's taps and row scratch: a job resizes every key frame with the same plan. */
let lastTaps: { key: string; dims: Int32Array; xs: Taps; ys: Taps; rows: Float64Array } | null = null;

function resizeTaps(plan: ResolutionPlan): NonNullable<typeof lastTaps> {
  const { srcWidth: sw, srcHeight: sh, width: dw, height: dh, paddedWidth: pw, paddedHeight: ph, padLeft, padTop } = plan;
  const key = [sw, sh, dw, dh, pw, ph, padLeft, padTop].join();
  if (lastTaps?.key !== key) {
    lastTaps = {
      key,
      dims: new Int32Array([sw, sh, dw, dh, pw, ph, padLeft, padTop]),
      xs: sourceTaps(sw, dw),
      ys: sourceTaps(sh, dh),
      rows: new Float64Array(sh * 3 * dw),
    };
  }
  return lastTaps;
}

/** For each destination index, the two source indices and the weight of the second (align_corners=False). */
function sourceTaps(srcSize: number, dstSize: number): Taps {
  const lo = new Int32Array(dstSize);
  const hi = new Int32Array(dstSize);
  const frac = new Float64Array(dstSize);
  const ratio = srcSize / dstSize;
  for (let d = 0; d < dstSize; d++) {
    const s = Math.max(0, (d + 0.5) * ratio - 0.5);
    const i = Math.min(Math.floor(s), srcSize - 1);
    lo[d] = i;
    hi[d] = Math.min(i + 1, srcSize - 1);
    frac[d] = s - i;
  }
  return { lo, hi, frac };
}

/** Crops the padding off a [3, paddedHeight, paddedWidth] image in [-1, 1] and packs it as rgb24 (rounded, clamped):
 *  the decoder's blendFrame over one whole-picture tile of weight 1. */
export function cropToRgb24(image: Float32Array, plan: ResolutionPlan, into?: Uint8Array): Uint8Array {
  const { width: w, height: h, paddedWidth: pw, paddedHeight: ph } = plan;
  if (image.length !== 3 * pw * ph) {
    throw new Error(`Image has ${image.length} values; [3, ${ph}, ${pw}] needs ${3 * pw * ph}`);
  }
  if (into && into.length !== w * h * 3) throw new Error(`cropToRgb24: the output buffer has ${into.length} bytes for ${w}x${h} rgb24`);
  const out = into ?? new Uint8Array(w * h * 3);
  const tile = { data: image, y0: 0, x0: 0, th: ph, tw: pw, wy: new Float32Array(ph).fill(1), wx: new Float32Array(pw).fill(1) };
  const crop = new Int32Array([pw, ph, plan.padLeft, plan.padTop, w, h]);
  if (!kernels.blendFrame([tile], 0, crop, null, 1, null, out, new Float32Array(4 * w))) throw new Error(NON_FINITE_DECODE);
  return out;
}

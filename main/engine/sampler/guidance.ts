// Classifier-free guidance with guidance rescale, on the model output (v, eps or x0 alike).
// Reference: VEnhancer video_to_video/diffusion/diffusion_sdedit.py GaussianDiffusion.denoise:
//   out = u + w (c - u); out *= rescale * std(c) / (std(out) + 1e-12) + (1 - rescale).
// The std is torch's default, unbiased (n - 1), over each batch item, as the reference computes it (with its 1e-12 in
// the denominator the choice is not quite neutral). Sums are accumulated in float64 because a chunk's output has
// millions of elements; the per-element pass is native (kernels.guidance).
import kernels from '@upframe/native-kernels';

/** u + scale (c - u), rescaled toward std(cond) by `rescale` in [0, 1], written into `out` (a new array by default;
 *  `out` may be cond or uncond itself: std(cond) is taken before anything is written). */
export function applyGuidance(
  cond: Float32Array,
  uncond: Float32Array,
  scale: number,
  rescale: number,
  out: Float32Array = new Float32Array(cond.length),
): Float32Array {
  const factor = combineGuidance(cond, uncond, scale, rescale, out);
  if (factor !== 1) for (let i = 0; i < out.length; i++) out[i] *= factor;
  return out;
}

/**
 * The guided prediction before its rescale, u + scale (c - u), written into `out` (which may be cond or uncond), and
 * the rescale factor it still needs: rescale * std(c) / (std(out) + 1e-12) + (1 - rescale), 1 without rescale. One
 * pass over the chunk, so the caller can fold the factor into its own next pass (the denoise loop folds it into x0)
 * instead of two more. The two standard deviations come from sums of values shifted by the array's first element,
 * in float64: the shift keeps the sum of squares from cancelling where the mean is large against the spread.
 */
export function combineGuidance(cond: Float32Array, uncond: Float32Array, scale: number, rescale: number, out: Float32Array): number {
  if (cond.length !== uncond.length || out.length !== cond.length) {
    throw new Error(`Guidance needs equal-length predictions (cond ${cond.length}, uncond ${uncond.length}, out ${out.length})`);
  }
  if (!Number.isFinite(scale)) throw new Error(`Guidance scale must be a finite number, got ${scale}`);
  if (!(rescale >= 0 && rescale <= 1)) throw new Error(`Guidance rescale must be in [0, 1], got ${rescale}`);
  const n = cond.length;
  if (rescale === 0 || n === 0) {
    kernels.guidance(cond, uncond, out, scale, null);
    return 1;
  }
  const sums = new Float64Array(4);
  kernels.guidance(cond, uncond, out, scale, sums);
  const [condSum, condSquares, outSum, outSquares] = sums;
  const std = (sum: number, squares: number) => (n < 2 ? Number.NaN : Math.sqrt(Math.max(0, squares - (sum * sum) / n) / (n - 1)));
  return rescale * (std(condSum, condSquares) / (std(outSum, outSquares) + 1e-12)) + (1 - rescale);
}

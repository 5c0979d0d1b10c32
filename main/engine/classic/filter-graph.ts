// The classic engine's ffmpeg filter chain, from a clip's settings and the source's size and rate. Pure.
// Order: temporal clean-up on the source frames (cheapest, and motion estimation works best on clean frames),
// then frame interpolation at the source size, then the upscale, then sharpening of the final image.
import type { Rational } from '../../common/model';
import { insertedFrames, type ClipSettings } from '../../common/settings';

export type ClassicSource = {
  /** Display size (after rotation: ffmpeg rotates while decoding). */
  width: number;
  height: number;
  fps: Rational;
};

export type ClassicPlan = {
  /** The filters in order; empty when the settings change nothing. */
  filters: string[];
  /** The comma-joined chain for -vf, or null when there is nothing to do. */
  graph: string | null;
  width: number;
  height: number;
  /** Frames inserted between two source frames (same rule as the diffusion engine). */
  insertedFrames: number;
  fps: Rational;
};

export type ClassicSettings = Pick<ClipSettings, 'scale' | 'targetFps' | 'classic'>;

const LANCZOS = 'lanczos+accurate_rnd+full_chroma_int';

/** Largest even size not above `value` (4:2:0 encoders need even sides), at least 2. */
export function evenFloor(value: number): number {
  return Math.max(2, Math.floor(value / 2 + 1e-9) * 2);
}

export function buildClassicFilterGraph(settings: ClassicSettings, source: ClassicSource): ClassicPlan {
  if (!(source.width > 0 && source.height > 0)) throw new RangeError(`Invalid source size ${source.width}x${source.height}`);
  if (!(source.fps.num > 0 && source.fps.den > 0)) throw new RangeError(`Invalid source frame rate ${source.fps.num}/${source.fps.den}`);
  const filters: string[] = [];
  const { classic } = settings;

  if (classic.deflicker) filters.push('deflicker=size=5:mode=am');
  if (classic.denoise === 'hqdn3d') filters.push('hqdn3d=4:3:6:4.5');
  if (classic.denoise === 'nlmeans') filters.push('nlmeans=s=3:p=7:r=15');

  const sourceFps = source.fps.num / source.fps.den;
  const k = insertedFrames(sourceFps, settings.targetFps);
  const fps = reduce({ num: source.fps.num * (k + 1), den: source.fps.den });
  if (k > 0) {
    // minterpolate needs frames after the last one and would end the clip about two output frames early; two
    // cloned frames at the end keep the output as long as the source (the engine caps the frame count).
    filters.push('tpad=stop_mode=clone:stop=2');
    filters.push(`minterpolate=fps=${fps.num}/${fps.den}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1`);
  }

  const width = evenFloor(source.width * settings.scale);
  const height = evenFloor(source.height * settings.scale);
  if (width !== source.width || height !== source.height) filters.push(`scale=${width}:${height}:flags=${LANCZOS}`);

  if (classic.sharpen === 'cas') filters.push('cas=strength=0.5');
  if (classic.sharpen === 'unsharp') filters.push('unsharp=luma_msize_x=5:luma_msize_y=5:luma_amount=0.8');

  return { filters, graph: filters.length ? filters.join(',') : null, width, height, insertedFrames: k, fps };
}

function reduce(r: Rational): Rational {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(r.num, r.den);
  return { num: r.num / g, den: r.den / g };
}

// The classic engine's ffmpeg filter chain, from a clip's settings and the source's size and rate. Pure.
// Order: temporal clean-up on the source frames (cheapest, and motion estimation works best on clean frames),
// then frame interpolation at the source size, then the upscale, then sharpening of the final image. An interlaced
// source is deinterlaced before all of it: every later filter assumes whole progressive frames.
import type { Rational } from '../../common/model';
import { insertedFrames, type ClipSettings } from '../../common/settings';
import { motionInterpolationFilter } from '../../media/rate-filters';

export type ClassicSource = {
  /** Display size (after rotation: ffmpeg rotates while decoding). */
  width: number;
  height: number;
  fps: Rational;
  /** Stored as interlaced fields (probe's field order). */
  interlaced?: boolean;
  /** The probe found variable frame timing: the output is conformed to a constant rate. */
  variableFrameRate?: boolean;
};

export type ClassicPlanOptions = {
  /** Resample to the exact target rate (whole-file jobs). Without it the output rate is the source rate times
   *  k + 1, the grid that chunked rendering counts frames on. */
  exactRate?: boolean;
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
  /** bwdif runs first in the chain. */
  deinterlaced: boolean;
  /** What was done to the frame rate, for the job's notes; null when the rate is kept as it is. */
  rateNote: string | null;
};

export type ClassicSettings = Pick<ClipSettings, 'scale' | 'targetFps' | 'classic'>;

/** One field-aware deinterlacer, frame rate kept (one frame per frame), field order from the stream. */
export const DEINTERLACE_FILTER = 'bwdif=mode=send_frame:parity=auto:deint=all';

const LANCZOS = 'lanczos+accurate_rnd+full_chroma_int';

/** Largest even size not above `value` (4:2:0 encoders need even sides), at least 2. */
export function evenFloor(value: number): number {
  return Math.max(2, Math.floor(value / 2 + 1e-9) * 2);
}

export function buildClassicFilterGraph(settings: ClassicSettings, source: ClassicSource, options: ClassicPlanOptions = {}): ClassicPlan {
  if (!(source.width > 0 && source.height > 0)) throw new RangeError(`Invalid source size ${source.width}x${source.height}`);
  if (!(source.fps.num > 0 && source.fps.den > 0)) throw new RangeError(`Invalid source frame rate ${source.fps.num}/${source.fps.den}`);
  const filters: string[] = [];
  const { classic } = settings;

  const deinterlaced = shouldDeinterlace(classic.deinterlace ?? 'auto', source.interlaced === true);
  if (deinterlaced) filters.push(DEINTERLACE_FILTER);
  if (classic.deflicker) filters.push('deflicker=size=5:mode=am');
  if (classic.denoise === 'hqdn3d') filters.push('hqdn3d=4:3:6:4.5');
  if (classic.denoise === 'nlmeans') filters.push('nlmeans=s=3:p=7:r=15');

  const sourceFps = source.fps.num / source.fps.den;
  const k = insertedFrames(sourceFps, settings.targetFps);
  const gridFps = reduce({ num: source.fps.num * (k + 1), den: source.fps.den });
  const target = options.exactRate && settings.targetFps !== null ? rateAsRational(settings.targetFps) : null;
  const fps = target ?? gridFps;
  const resampled = target !== null && !sameRate(target, gridFps);
  if (k > 0 || resampled) {
    // minterpolate needs frames after the last one and would end the clip about two output frames early; two
    // cloned frames at the end keep the output as long as the source (the engine caps the frame count). One
    // motion-compensated pass to the exact rate does both the k inserted frames and the resampling.
    filters.push('tpad=stop_mode=clone:stop=2');
    filters.push(motionInterpolationFilter(`${fps.num}/${fps.den}`));
  }
  const rateNote = describeRate(source, fps, k, resampled);

  const width = evenFloor(source.width * settings.scale);
  const height = evenFloor(source.height * settings.scale);
  if (width !== source.width || height !== source.height) filters.push(`scale=${width}:${height}:flags=${LANCZOS}`);

  if (classic.sharpen === 'cas') filters.push('cas=strength=0.5');
  if (classic.sharpen === 'unsharp') filters.push('unsharp=luma_msize_x=5:luma_msize_y=5:luma_amount=0.8');

  return { filters, graph: filters.length ? filters.join(',') : null, width, height, insertedFrames: k, fps, deinterlaced, rateNote };
}

export function shouldDeinterlace(mode: 'auto' | 'on' | 'off', interlaced: boolean): boolean {
  return mode === 'on' || (mode === 'auto' && interlaced);
}

/** A frame rate typed as a decimal, as an exact rational: the NTSC rates (23.976, 29.97, 59.94, ...) become
 *  N*1000/1001, anything else is kept to the millisecond-per-second. */
export function rateAsRational(fps: number): Rational {
  if (!(fps > 0) || !Number.isFinite(fps)) throw new RangeError(`Invalid frame rate ${fps}`);
  const ntsc = Math.round((fps * 1001) / 1000);
  if (!Number.isInteger(fps) && Math.abs(fps - (ntsc * 1000) / 1001) < 0.0051) return reduce({ num: ntsc * 1000, den: 1001 });
  return reduce({ num: Math.round(fps * 1000), den: 1000 });
}

export function formatFps(fps: Rational): string {
  const value = fps.num / fps.den;
  return Number.isInteger(value) ? String(value) : value.toFixed(3).replace(/0+$/, '');
}

function sameRate(a: Rational, b: Rational): boolean {
  return a.num * b.den === b.num * a.den;
}

function describeRate(source: ClassicSource, fps: Rational, k: number, resampled: boolean): string | null {
  const from = source.variableFrameRate ? `variable rate (average ${formatFps(source.fps)} fps)` : `${formatFps(source.fps)} fps`;
  if (resampled) return `${from} -> ${formatFps(fps)} fps: motion-compensated`;
  if (k > 0) return `${from} -> ${formatFps(fps)} fps: ${k} motion-compensated frame${k === 1 ? '' : 's'} inserted between source frames`;
  if (source.variableFrameRate) return `${from} conformed to constant ${formatFps(fps)} fps, frames placed by their timestamps`;
  return null;
}

function reduce(r: Rational): Rational {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const g = gcd(r.num, r.den);
  return { num: r.num / g, den: r.den / g };
}

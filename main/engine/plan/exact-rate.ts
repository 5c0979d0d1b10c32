// Whole-file jobs of the model engines end at the exact rate a clip asks for, as the classic engine's do. The model
// inserts k frames between source frames (the source rate times k + 1: the grid that chunked rendering counts frames
// on); where that grid is not the target (25 fps asked for 24, 10 for 24, a pack that caps k), neighbouring frames
// are blended onto the target's own frame grid, the default of Export › Frame rate conversion. Chunks and kept ranges
// (preview segments, export pieces) stay on the grid: the export converts those.
import { frameBlendFilter } from '../../media/rate-filters';
import { formatFps, rateAsRational } from '../classic/filter-graph';

export type ExactRate = {
  fps: number;
  /** Output frames: the grid's duration at the target rate. */
  frames: number;
  /** ffmpeg filters for the encoder, after whatever makes the grid. */
  filters: string[];
  note: string;
};

export function exactRateConversion(gridFps: number, targetFps: number | null, gridFrames: number): ExactRate | null {
  if (targetFps === null) return null;
  const target = rateAsRational(targetFps);
  const grid = rateAsRational(gridFps);
  if (target.num * grid.den === grid.num * target.den) return null;
  const fps = target.num / target.den;
  const frames = Math.max(1, Math.round((gridFrames * fps) / gridFps));
  return {
    fps,
    frames,
    // Two cloned frames at the end give the blend a neighbour past the last frame, so the clip keeps its length;
    // the trim then makes the count exact.
    filters: ['tpad=stop_mode=clone:stop=2', frameBlendFilter(`${target.num}/${target.den}`), `trim=end_frame=${frames}`, 'setpts=PTS-STARTPTS'],
    note: `${formatFps(grid)} fps converted to exactly ${formatFps(target)} fps: neighbouring frames blended onto the ${formatFps(target)} fps frame grid`,
  };
}

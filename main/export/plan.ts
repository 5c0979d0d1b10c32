// The export planner: turns a range of the timeline into segments (the topmost visible clip at each frame, or a
// gap) and the segments into pieces that are encoded independently. Pure: no node, no ffmpeg, no store.
// Output frames are counted on one grid for the whole export (frame i shows timeline time i / fps), so segment and
// piece boundaries never drift, and frame interpolation never changes a duration.
import { ApiError } from '../common/api-error';
import type { Clip, Rational, Track } from '../common/model';
import type { ExportRange, ExportSpec } from '../common/render-model';

export type ClipOutput = { width: number; height: number; fps: Rational };

export type PlanInput = {
  projectFps: Rational;
  /** Project size: the output of a range that holds no clip (only gaps). */
  projectSize: { width: number; height: number };
  markIn: number | null;
  markOut: number | null;
  tracks: Track[];
  clips: Clip[];
  range: ExportRange;
  conform: ExportSpec['conform'];
  /** What each clip's settings produce (the chunk renderer's variant output). */
  outputOf(clip: Clip): ClipOutput;
  /** Output seconds per piece. */
  pieceSec: number;
};

export type GapSegment = { kind: 'gap'; outputStart: number; outputEnd: number };
export type ClipSegment = {
  kind: 'clip';
  clipId: number;
  mediaId: number;
  /** The clip's track is muted: its audio is replaced by silence. */
  muted: boolean;
  /** Timeline frames [timelineStart, timelineEnd) of the clip shown by this segment. */
  timelineStart: number;
  timelineEnd: number;
  /** Media time shown at the segment's first output frame. */
  mediaStartSec: number;
  outputStart: number;
  outputEnd: number;
};
export type ExportSegment = GapSegment | ClipSegment;

/** Output frames [outputStart, outputStart + frames) of one segment. */
export type ExportPiece = { index: number; segment: number; outputStart: number; frames: number };

export type ExportPlan = {
  width: number;
  height: number;
  fps: Rational;
  frames: number;
  segments: ExportSegment[];
  pieces: ExportPiece[];
  /** Short description of the range for file names ({range}) and labels. */
  rangeLabel: string;
};

/** A span of the output made of timeline frames [from, to) (gaps have clip null). */
type Span = { clip: Clip | null; muted: boolean; from: number; to: number };

export function planExport(input: PlanInput): ExportPlan {
  const { spans, rangeLabel } = spansOf(input);
  const clipOutputs = spans.filter((s) => s.clip).map((s) => input.outputOf(s.clip!));
  const out = conformOutput(input, clipOutputs);

  // Each span occupies a run of "range frames" (project frames counted from the range's start); the output grid
  // maps range frame r to output frame round(r * outFps / projectFps).
  const toOutput = (rangeFrame: number) =>
    Math.round((rangeFrame * input.projectFps.den * out.fps.num) / (input.projectFps.num * out.fps.den));
  const segments: ExportSegment[] = [];
  let position = 0;
  for (const span of spans) {
    const length = span.to - span.from;
    const outputStart = toOutput(position);
    const outputEnd = toOutput(position + length);
    position += length;
    if (outputEnd <= outputStart) continue;
    if (!span.clip) {
      segments.push({ kind: 'gap', outputStart, outputEnd });
      continue;
    }
    const clip = span.clip;
    // The segment's first output frame shows range time outputStart / outFps, which is the span's start plus
    // the grid's rounding (less than half an output frame).
    const shiftSec = (outputStart * out.fps.den) / out.fps.num - frameSec(position - length, input.projectFps);
    const mediaStartSec = frameSec(clip.sourceIn + (span.from - clip.start), input.projectFps) + shiftSec;
    segments.push({
      kind: 'clip',
      clipId: clip.id,
      mediaId: clip.mediaId,
      muted: span.muted,
      timelineStart: span.from,
      timelineEnd: span.to,
      mediaStartSec: Math.max(0, mediaStartSec),
      outputStart,
      outputEnd,
    });
  }
  const frames = segments.length ? segments[segments.length - 1].outputEnd : 0;
  if (frames === 0) throw new ApiError('BAD_REQUEST', 'The range is empty: it holds no frame to export. Choose another range.');
  return { ...out, frames, segments, pieces: cutPieces(segments, out.fps, input.pieceSec), rangeLabel };
}

function frameSec(frame: number, fps: Rational): number {
  return (frame * fps.den) / fps.num;
}

function spansOf(input: PlanInput): { spans: Span[]; rangeLabel: string } {
  const tracks = new Map(input.tracks.map((t) => [t.id, t]));
  const visible = input.clips.filter((c) => !tracks.get(c.trackId)?.hidden);
  const end = (c: Clip) => c.start + (c.sourceOut - c.sourceIn);
  const range = input.range;
  if (range.kind === 'clips') {
    const byId = new Map(input.clips.map((c) => [c.id, c]));
    const chosen = [...new Set(range.clipIds)].map((id) => {
      const clip = byId.get(id);
      if (!clip) throw new ApiError('NOT_FOUND', `Clip ${id} is not on the timeline (deleted?): select the clips to export again.`);
      return clip;
    });
    const position = (c: Clip) => tracks.get(c.trackId)?.position ?? 0;
    chosen.sort((a, b) => a.start - b.start || position(a) - position(b) || a.id - b.id);
    return {
      spans: chosen.map((clip) => ({ clip, muted: tracks.get(clip.trackId)?.muted ?? false, from: clip.start, to: end(clip) })),
      rangeLabel: chosen.length === 1 ? `clip-${chosen[0].id}` : `${chosen.length}-clips`,
    };
  }
  let from = 0;
  let to = 0;
  if (range.kind === 'timeline') {
    to = visible.reduce((max, c) => Math.max(max, end(c)), 0);
    if (to === 0) throw new ApiError('BAD_REQUEST', 'The timeline is empty (or every track is hidden): add clips before exporting.');
  } else {
    if (input.markIn === null || input.markOut === null) {
      throw new ApiError('BAD_REQUEST', 'The in/out range is not set: set I and O on the timeline, or export the whole timeline.');
    }
    if (input.markOut <= input.markIn) throw new ApiError('BAD_REQUEST', 'The out mark is not after the in mark: set I and O again.');
    from = input.markIn;
    to = input.markOut;
  }
  return { spans: topmostSpans(visible, tracks, from, to), rangeLabel: range.kind };
}

/** At each frame of [from, to) the clip of the highest visible track, or a gap; adjacent equal spans merged. */
function topmostSpans(clips: Clip[], tracks: Map<number, Track>, from: number, to: number): Span[] {
  const end = (c: Clip) => c.start + (c.sourceOut - c.sourceIn);
  const cuts = new Set([from, to]);
  for (const c of clips) {
    if (c.start > from && c.start < to) cuts.add(c.start);
    if (end(c) > from && end(c) < to) cuts.add(end(c));
  }
  const points = [...cuts].sort((a, b) => a - b);
  const spans: Span[] = [];
  for (let i = 0; i + 1 < points.length; i += 1) {
    const [a, b] = [points[i], points[i + 1]];
    let top: Clip | null = null;
    for (const c of clips) {
      if (c.start > a || end(c) < b) continue;
      const pos = tracks.get(c.trackId)?.position ?? 0;
      if (!top || pos > (tracks.get(top.trackId)?.position ?? 0)) top = c;
    }
    const last = spans[spans.length - 1];
    if (last && last.clip === top && last.to === a) {
      last.to = b;
      continue;
    }
    spans.push({ clip: top, muted: top ? (tracks.get(top.trackId)?.muted ?? false) : false, from: a, to: b });
  }
  return spans;
}

function conformOutput(input: PlanInput, outputs: ClipOutput[]): ClipOutput {
  const { conform } = input;
  if (conform.policy === 'custom') {
    if (!conform.width || !conform.height || !conform.fps) {
      throw new ApiError('BAD_REQUEST', 'A custom output needs a width, a height and a frame rate: fill them in, or conform to the first or largest clip.');
    }
    if (conform.width % 2 || conform.height % 2) {
      throw new ApiError('BAD_REQUEST', `The custom size ${conform.width}x${conform.height} must be even on both sides (video encoders need it).`);
    }
    return { width: conform.width, height: conform.height, fps: conform.fps };
  }
  if (conform.policy === 'project' || outputs.length === 0) return { ...input.projectSize, fps: input.projectFps };
  if (conform.policy === 'first') return outputs[0];
  // Largest: the biggest picture, and the highest rate of any clip (fewer frames would drop interpolated ones).
  const biggest = outputs.reduce((best, o) => (o.width * o.height > best.width * best.height ? o : best));
  const fastest = outputs.reduce((best, o) => (o.fps.num / o.fps.den > best.fps.num / best.fps.den ? o : best));
  return { width: biggest.width, height: biggest.height, fps: fastest.fps };
}

/** Cuts each segment into pieces of about pieceSec output seconds (equal lengths within a segment). */
export function cutPieces(segments: ExportSegment[], fps: Rational, pieceSec: number): ExportPiece[] {
  const pieceFrames = Math.max(1, Math.round((pieceSec * fps.num) / fps.den));
  const pieces: ExportPiece[] = [];
  segments.forEach((segment, index) => {
    const frames = segment.outputEnd - segment.outputStart;
    const count = Math.max(1, Math.round(frames / pieceFrames));
    for (let i = 0; i < count; i += 1) {
      const a = segment.outputStart + Math.round((i * frames) / count);
      const b = segment.outputStart + Math.round(((i + 1) * frames) / count);
      if (b > a) pieces.push({ index: pieces.length, segment: index, outputStart: a, frames: b - a });
    }
  });
  return pieces;
}

/** Media seconds shown by output frame `outputFrame` of a clip segment. */
export function mediaTimeOf(segment: ClipSegment, fps: Rational, outputFrame: number): number {
  return segment.mediaStartSec + ((outputFrame - segment.outputStart) * fps.den) / fps.num;
}

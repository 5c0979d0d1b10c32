// The render-status bar's data: for every clip, which runs of its timeline span are enhanced for its current
// settings (cached), enhanced for other settings (stale), or not at all (none). Chunks lie on a grid of the media's
// own frames, so the work here is mapping chunk boundaries onto timeline frames.
import { ApiError } from '../common/api';
import { durationInFrames, frameToSeconds } from '../common/frame-time';
import type { Clip, MediaAsset, Rational } from '../common/model';
import type { ClipRenderStatus, RenderRangeState } from '../common/render-model';
import type { ChunkRef, ChunkRenderer, RenderVariant } from '../render/types';

type Run = ClipRenderStatus['ranges'][number];
type ClipSpan = Pick<Clip, 'start' | 'sourceIn' | 'sourceOut'>;

/** Media seconds [startSec, endSec) a clip shows: its source range at the project rate. */
export function clipSourceSeconds(clip: ClipSpan, projectFps: Rational): { startSec: number; endSec: number } {
  return { startSec: frameToSeconds(clip.sourceIn, projectFps), endSec: frameToSeconds(clip.sourceOut, projectFps) };
}

/**
 * The first timeline frame of the clip that shows media frame `mediaFrame` or a later one. A timeline frame t shows
 * the media frame starting at or before (sourceIn + t - start) / projectFps, so this is the ceiling of the media
 * frame's start time in project frames (with the same rounding tolerance as the rest of the app).
 */
export function timelineFrameOfMediaFrame(clip: ClipSpan, projectFps: Rational, mediaFps: Rational, mediaFrame: number): number {
  const sourceFrame = durationInFrames(frameToSeconds(mediaFrame, mediaFps), projectFps);
  return clip.start + sourceFrame - clip.sourceIn;
}

/**
 * Consecutive runs covering the clip's whole span [start, start + length): chunk i covers the timeline frames from
 * its own first frame's position to the next chunk's. The first run starts at the span's start and the last ends
 * at its end, so the span is covered even where the project frames round past the media's last frame.
 */
export function timelineRuns(
  clip: ClipSpan,
  projectFps: Rational,
  mediaFps: Rational,
  chunks: readonly ChunkRef[],
  states: readonly RenderRangeState[],
): Run[] {
  if (states.length !== chunks.length) throw new Error(`timelineRuns: ${chunks.length} chunks but ${states.length} states`);
  const spanStart = clip.start;
  const spanEnd = clip.start + (clip.sourceOut - clip.sourceIn);
  if (chunks.length === 0) return [{ start: spanStart, end: spanEnd, state: 'none' }];
  const clamp = (t: number) => Math.min(spanEnd, Math.max(spanStart, t));
  const runs: Run[] = [];
  for (let i = 0; i < chunks.length; i += 1) {
    const start = i === 0 ? spanStart : clamp(timelineFrameOfMediaFrame(clip, projectFps, mediaFps, chunks[i].firstFrame));
    const end = i === chunks.length - 1 ? spanEnd : clamp(timelineFrameOfMediaFrame(clip, projectFps, mediaFps, chunks[i + 1].firstFrame));
    if (end <= start) continue;
    const last = runs[runs.length - 1];
    if (last && last.state === states[i] && last.end === start) last.end = end;
    else runs.push({ start, end, state: states[i] });
  }
  return runs.length > 0 ? runs : [{ start: spanStart, end: spanEnd, state: states[0] }];
}

/**
 * Resolves render variants once per (media fingerprint, settings), and looks each chunk of a variant up once: a
 * timeline of a thousand clips usually has a few media files and a few settings, and its clips (split, repeated,
 * overlapping takes) share chunks. A variant's promise is kept, so clips asking at the same time share one
 * resolution, and so is a failure (the same problem for each such clip).
 */
export class VariantMemo {
  private readonly variants = new Map<string, { variant: Promise<RenderVariant>; states: Map<number, RenderRangeState> }>();

  constructor(private readonly renderer: ChunkRenderer) {}

  private entry(media: MediaAsset, settings: Clip['settings']) {
    const key = `${media.fingerprint}\0${JSON.stringify(settings)}`;
    let entry = this.variants.get(key);
    if (!entry) {
      const variant = this.renderer.variant(media, settings);
      // Awaited by every caller; this only keeps an unobserved rejection from being reported as unhandled.
      variant.catch(() => undefined);
      entry = { variant, states: new Map() };
      this.variants.set(key, entry);
    }
    return entry;
  }

  get(media: MediaAsset, settings: Clip['settings']): Promise<RenderVariant> {
    return this.entry(media, settings).variant;
  }

  /** The chunks' states for the variant, asking the cache only about chunks not looked up before. */
  status(media: MediaAsset, settings: Clip['settings'], variant: RenderVariant, chunks: readonly ChunkRef[]): RenderRangeState[] {
    const { states } = this.entry(media, settings);
    const unknown = chunks.filter((chunk) => !states.has(chunk.index));
    if (unknown.length > 0) {
      const found = this.renderer.status(variant, unknown);
      unknown.forEach((chunk, i) => states.set(chunk.index, found[i]));
    }
    return chunks.map((chunk) => states.get(chunk.index)!);
  }
}

/** Every clip's status. Problems (offline media, a missing or broken pack) become the clip's problem text. */
export async function renderStatusOf(
  renderer: ChunkRenderer,
  clips: readonly Clip[],
  mediaById: ReadonlyMap<number, MediaAsset>,
  projectFps: Rational,
): Promise<ClipRenderStatus[]> {
  const memo = new VariantMemo(renderer);
  return Promise.all(
    clips.map(async (clip): Promise<ClipRenderStatus> => {
      const nothing = (problem: string): ClipRenderStatus => ({
        clipId: clip.id,
        ranges: timelineRuns(clip, projectFps, projectFps, [], []),
        problem,
      });
      const media = mediaById.get(clip.mediaId);
      if (!media) return nothing(`The clip's media (${clip.mediaId}) is not in the project.`);
      if (media.offline) return nothing(`${media.name} is offline (missing or changed): relink it to enhance this clip.`);
      let variant: RenderVariant;
      try {
        variant = await memo.get(media, clip.settings);
      } catch (error) {
        if (error instanceof ApiError) return nothing(error.message);
        throw error;
      }
      const { startSec, endSec } = clipSourceSeconds(clip, projectFps);
      const chunks = renderer.chunksFor(variant, startSec, endSec);
      const states = memo.status(media, clip.settings, variant, chunks);
      return { clipId: clip.id, ranges: timelineRuns(clip, projectFps, variant.media.fps, chunks, states), problem: null };
    }),
  );
}

// Which segment a preview covers: a range dragged on the render-status bar (or Alt+drag on a clip), else the I/O
// marks (or the selected clip, when the marks do not touch it), else 2 s around the playhead; always inside one
// clip, in timeline frames [start, end).
import type { Clip, ProjectState } from '../../../main/common/model';
import { createStore } from '../lib/store';
import { editorStore } from './editor';

export type PreviewSegment = { clipId: number; start: number; end: number };

/** The range the person dragged, shown highlighted on the timeline until Escape or a click elsewhere. */
export const segmentStore = createStore({ range: null as PreviewSegment | null });

export function setDraggedSegment(range: PreviewSegment | null): void {
  segmentStore.set({ range });
}

export function clearDraggedSegment(): void {
  if (segmentStore.get().range !== null) segmentStore.set({ range: null });
}

export const NO_CLIP_MESSAGE = 'Put the playhead on a clip, or select a range, to preview.';

const clipEnd = (c: Clip) => c.start + c.sourceOut - c.sourceIn;

/** Clips overlapping [from, to), topmost visible track first (hidden tracks last), then by start. */
function clipsOverlapping(state: ProjectState, from: number, to: number): Clip[] {
  const tracks = new Map(state.tracks.map((t) => [t.id, t]));
  const rank = (c: Clip) => {
    const t = tracks.get(c.trackId);
    return t ? (t.hidden ? -1000 : 0) + t.position : -2000;
  };
  return state.clips
    .filter((c) => c.start < to && clipEnd(c) > from)
    .sort((a, b) => rank(b) - rank(a) || a.start - b.start || a.id - b.id);
}

/** The selected clip among the candidates, else the topmost. */
function pickClip(candidates: Clip[]): Clip | undefined {
  const selection = editorStore.get().selection;
  return candidates.find((c) => selection.has(c.id)) ?? candidates[0];
}

function clampTo(clip: Clip, start: number, end: number): PreviewSegment | null {
  const s = Math.max(start, clip.start);
  const e = Math.min(end, clipEnd(clip));
  return e > s ? { clipId: clip.id, start: s, end: e } : null;
}

/** The segment to preview, in timeline frames: a dragged range, else the I/O marks (unless a clip is selected that
 *  they do not touch: then that clip), else 2 s around the playhead, clamped to one clip; or a message saying what
 *  to do. */
export function previewSegment(state: ProjectState, playhead: number): PreviewSegment | { error: string } {
  const dragged = segmentStore.get().range;
  if (dragged) {
    const clip = state.clips.find((c) => c.id === dragged.clipId);
    const segment = clip && clampTo(clip, dragged.start, dragged.end);
    if (segment) return segment;
  }

  const fps = state.project.fps.num / state.project.fps.den;
  const length = Math.max(1, Math.round(2 * fps));
  const { markIn, markOut } = state.project;
  if (markIn !== null && markOut !== null && markOut > markIn) {
    // The clip under the in mark, unless a selected clip overlaps the marked range.
    const overlapping = clipsOverlapping(state, markIn, markOut);
    const selection = editorStore.get().selection;
    const selectedInMarks = overlapping.find((c) => selection.has(c.id));
    const selected = state.clips.filter((c) => selection.has(c.id)).sort((a, b) => a.start - b.start);
    if (!selectedInMarks && selected.length > 0) {
      // Marks that do not touch the selected clip are about another part of the timeline: P means this clip, 2 s
      // around the playhead when it is on the clip, else its first 2 s.
      const clip = selected.find((c) => c.start <= playhead && playhead < clipEnd(c)) ?? selected[0];
      const start = clip.start <= playhead && playhead < clipEnd(clip) ? playhead - Math.floor(length / 2) : clip.start;
      const segment = clampTo(clip, start, start + length);
      if (segment) return segment;
    }
    const clip = selectedInMarks ?? clipsOverlapping(state, markIn, markIn + 1)[0] ?? overlapping[0];
    const segment = clip && clampTo(clip, markIn, markOut);
    if (segment) return segment;
  }

  const clip = pickClip(clipsOverlapping(state, playhead, playhead + 1));
  if (!clip) return { error: NO_CLIP_MESSAGE };
  const start = playhead - Math.floor(length / 2);
  return clampTo(clip, start, start + length) ?? { error: NO_CLIP_MESSAGE };
}

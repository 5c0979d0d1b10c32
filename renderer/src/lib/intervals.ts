// Which clips of a track intersect a time range: clips sorted by start, binary search for the first candidate.
import type { Clip } from '../../../main/common/model';

export type TrackIndex = { clips: Clip[]; starts: number[]; maxDuration: number };

export function buildTrackIndex(clips: Clip[]): TrackIndex {
  const sorted = [...clips].sort((a, b) => a.start - b.start || a.id - b.id);
  let maxDuration = 0;
  for (const c of sorted) maxDuration = Math.max(maxDuration, c.sourceOut - c.sourceIn);
  return { clips: sorted, starts: sorted.map((c) => c.start), maxDuration };
}

function lowerBound(values: number[], target: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Clips with [start, end) overlapping [from, to). Correct even while an optimistic edit leaves overlaps. */
export function clipsInRange(index: TrackIndex, from: number, to: number): Clip[] {
  const out: Clip[] = [];
  for (let i = lowerBound(index.starts, from - index.maxDuration); i < index.clips.length; i++) {
    const clip = index.clips[i];
    if (clip.start >= to) break;
    if (clip.start + clip.sourceOut - clip.sourceIn > from) out.push(clip);
  }
  return out;
}

/** The clip covering `frame` on this track, if any. */
export function clipAt(index: TrackIndex, frame: number): Clip | undefined {
  return clipsInRange(index, frame, frame + 1)[0];
}

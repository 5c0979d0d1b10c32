// Derived views of a ProjectState that the timeline and viewer share, computed once per snapshot.
import { useMemo } from 'react';
import type { Clip, MediaAsset, ProjectState, Track } from '../../../main/common/model';
import { buildTrackIndex, clipAt, type TrackIndex } from '../lib/intervals';

export type TimelineModel = {
  state: ProjectState;
  mediaById: Map<number, MediaAsset>;
  /** Top row first: the highest position is drawn on top. */
  tracksTopDown: Track[];
  trackByPosition: Map<number, Track>;
  indexByTrack: Map<number, TrackIndex>;
  endFrame: number;
};

export function buildTimelineModel(state: ProjectState): TimelineModel {
  const mediaById = new Map(state.media.map((m) => [m.id, m]));
  const tracksTopDown = [...state.tracks].sort((a, b) => b.position - a.position);
  const byTrack = new Map<number, Clip[]>(state.tracks.map((t) => [t.id, []]));
  let endFrame = 0;
  for (const clip of state.clips) {
    byTrack.get(clip.trackId)?.push(clip);
    endFrame = Math.max(endFrame, clip.start + clip.sourceOut - clip.sourceIn);
  }
  const indexByTrack = new Map<number, TrackIndex>();
  for (const [trackId, clips] of byTrack) indexByTrack.set(trackId, buildTrackIndex(clips));
  return {
    state,
    mediaById,
    tracksTopDown,
    trackByPosition: new Map(state.tracks.map((t) => [t.position, t])),
    indexByTrack,
    endFrame,
  };
}

export function useTimelineModel(state: ProjectState): TimelineModel {
  return useMemo(() => buildTimelineModel(state), [state]);
}

/** The clip the viewer shows at `frame`: the topmost visible track's clip there. */
export function topClipAt(model: TimelineModel, frame: number): Clip | undefined {
  for (const track of model.tracksTopDown) {
    if (track.hidden) continue;
    const index = model.indexByTrack.get(track.id);
    const clip = index && clipAt(index, frame);
    if (clip) return clip;
  }
  return undefined;
}

/** Clips under the playhead on every track (for split with nothing selected). */
export function clipsAt(model: TimelineModel, frame: number): Clip[] {
  const out: Clip[] = [];
  for (const index of model.indexByTrack.values()) {
    const clip = clipAt(index, frame);
    if (clip) out.push(clip);
  }
  return out;
}

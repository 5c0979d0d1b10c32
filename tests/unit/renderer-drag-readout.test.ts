import { describe, expect, it } from 'vitest';
import type { Clip, ProjectState } from '../../main/common/model';
import { defaultClipSettings } from '../../main/common/settings';
import { dragReadout } from '../../renderer/src/components/timeline/drag-readout';

const clip = (id: number, start: number, sourceIn: number, sourceOut: number): Clip => ({
  id,
  mediaId: 1,
  trackId: 1,
  start,
  sourceIn,
  sourceOut,
  settings: defaultClipSettings(),
});

const state = (clips: Clip[]): ProjectState => ({
  project: { path: '/p.upframe', name: 'p', fps: { num: 24, den: 1 }, width: 1920, height: 1080, markIn: null, markOut: null, createdAt: 0 },
  revision: 1,
  media: [],
  tracks: [{ id: 1, position: 0, name: 'V1', muted: false, hidden: false, locked: false }],
  clips,
  canUndo: false,
  canRedo: false,
  undoLabel: null,
  redoLabel: null,
});

describe('dragReadout', () => {
  const s = state([clip(1, 48, 0, 96), clip(2, 200, 10, 34)]);

  it('is empty when nothing is dragged', () => {
    expect(dragReadout(s, null, null)).toBeNull();
  });

  it('a move: where the first moved clip lands, the delta and the tracks crossed', () => {
    expect(dragReadout(s, { clipIds: new Set([1]), deltaFrames: 12, deltaTracks: 0 }, null)).toBe('Move to 00:00:02:12 · +12 frames');
    expect(dragReadout(s, { clipIds: new Set([1, 2]), deltaFrames: -24, deltaTracks: 1 }, null)).toBe('Move to 00:00:01:00 · −24 frames · up 1 track');
    expect(dragReadout(s, { clipIds: new Set([2]), deltaFrames: 1, deltaTracks: -2 }, null)).toBe('Move to 00:00:08:09 · +1 frame · down 2 tracks');
  });

  it('a trim: the edge that moves, the change in length and the new length', () => {
    // End pulled in by 4 frames: 96 → 92 frames long.
    expect(dragReadout(s, null, { clipId: 1, start: 48, sourceIn: 0, sourceOut: 92 })).toBe('End 00:00:05:20 · −4 frames · length 00:00:03:20');
    // Start pushed later by 6 frames: the clip is 6 frames shorter.
    expect(dragReadout(s, null, { clipId: 1, start: 54, sourceIn: 6, sourceOut: 96 })).toBe('Start 00:00:02:06 · −6 frames · length 00:00:03:18');
    expect(dragReadout(s, null, { clipId: 99, start: 0, sourceIn: 0, sourceOut: 1 })).toBeNull();
  });
});

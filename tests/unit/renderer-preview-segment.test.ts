import { beforeEach, describe, expect, it } from 'vitest';
import type { Clip, ProjectState, Rational, Track } from '../../main/common/model';
import { defaultClipSettings } from '../../main/common/settings';
import { editorStore, selectOnly } from '../../renderer/src/state/editor';
import {
  NO_CLIP_MESSAGE,
  clearDraggedSegment,
  previewSegment,
  segmentStore,
  setDraggedSegment,
} from '../../renderer/src/state/segment';

function track(id: number, position: number, hidden = false): Track {
  return { id, position, name: `V${position + 1}`, muted: false, hidden, locked: false };
}

function clip(id: number, trackId: number, start: number, sourceIn: number, sourceOut: number): Clip {
  return { id, mediaId: 1, trackId, start, sourceIn, sourceOut, settings: defaultClipSettings() };
}

function state(opts: {
  clips: Clip[];
  tracks?: Track[];
  fps?: Rational;
  markIn?: number | null;
  markOut?: number | null;
}): ProjectState {
  return {
    project: {
      path: '/tmp/p.upframe',
      name: 'p',
      fps: opts.fps ?? { num: 24, den: 1 },
      width: 1920,
      height: 1080,
      markIn: opts.markIn ?? null,
      markOut: opts.markOut ?? null,
      createdAt: 0,
    },
    revision: 1,
    media: [],
    tracks: opts.tracks ?? [track(1, 0), track(2, 1)],
    clips: opts.clips,
    canUndo: false,
    canRedo: false,
    undoLabel: null,
    redoLabel: null,
  };
}

// Timeline at 24 fps: A on V1 [0, 240), B on V2 (on top) [100, 200), C on V1 [300, 400).
const A = clip(1, 1, 0, 0, 240);
const B = clip(2, 2, 100, 50, 150);
const C = clip(3, 1, 300, 10, 110);
const base = (over: Partial<Parameters<typeof state>[0]> = {}) => state({ clips: [A, B, C], ...over });

beforeEach(() => {
  setDraggedSegment(null);
  selectOnly([]);
});

describe('previewSegment: 2 s around the playhead', () => {
  it('takes 2 s (48 frames at 24 fps) centred on the playhead', () => {
    expect(previewSegment(base(), 50)).toEqual({ clipId: 1, start: 26, end: 74 });
  });

  it('uses the project frame rate', () => {
    expect(previewSegment(base({ fps: { num: 25, den: 1 } }), 50)).toEqual({ clipId: 1, start: 25, end: 75 });
    // 29.97 fps: 2 s is 60 frames (rounded).
    expect(previewSegment(base({ fps: { num: 30000, den: 1001 } }), 50)).toEqual({ clipId: 1, start: 20, end: 80 });
    // 60 fps: 120 frames.
    expect(previewSegment(base({ fps: { num: 60, den: 1 } }), 80)).toEqual({ clipId: 1, start: 20, end: 140 });
  });

  it('is clamped to the clip at its start and end', () => {
    expect(previewSegment(base(), 10)).toEqual({ clipId: 1, start: 0, end: 34 });
    expect(previewSegment(base(), 230)).toEqual({ clipId: 1, start: 206, end: 240 });
    expect(previewSegment(base(), 380)).toEqual({ clipId: 3, start: 356, end: 400 });
  });

  it('takes the clip on the topmost track under the playhead, clamped to it', () => {
    expect(previewSegment(base(), 150)).toEqual({ clipId: 2, start: 126, end: 174 });
    expect(previewSegment(base(), 105)).toEqual({ clipId: 2, start: 100, end: 129 });
    expect(previewSegment(base(), 199)).toEqual({ clipId: 2, start: 175, end: 200 });
  });

  it('the clip end is exclusive: at it the clip below (or nothing) is used', () => {
    expect(previewSegment(base(), 200)).toEqual({ clipId: 1, start: 176, end: 224 });
    expect(previewSegment(base(), 239)).toEqual({ clipId: 1, start: 215, end: 240 });
    expect(previewSegment(base(), 240)).toEqual({ error: NO_CLIP_MESSAGE });
  });

  it('prefers the selected clip under the playhead over the topmost one', () => {
    selectOnly([1]);
    expect(previewSegment(base(), 150)).toEqual({ clipId: 1, start: 126, end: 174 });
  });

  it('a selected clip elsewhere on the timeline does not pull the segment away from the playhead', () => {
    selectOnly([3]);
    expect(previewSegment(base(), 150)).toEqual({ clipId: 2, start: 126, end: 174 });
  });

  it('a hidden top track loses to a visible lower one', () => {
    const s = base({ tracks: [track(1, 0), track(2, 1, true)] });
    expect(previewSegment(s, 150)).toEqual({ clipId: 1, start: 126, end: 174 });
  });

  it('track order follows position, not id or array order', () => {
    const s = base({ tracks: [track(2, 0), track(1, 1)] }); // V1 (id 1) is now on top
    expect(previewSegment(s, 150)).toEqual({ clipId: 1, start: 126, end: 174 });
  });

  it('says what to do when no clip is under the playhead', () => {
    expect(previewSegment(base(), 250)).toEqual({ error: NO_CLIP_MESSAGE });
    expect(previewSegment(base(), 5000)).toEqual({ error: NO_CLIP_MESSAGE });
    expect(previewSegment(state({ clips: [] }), 0)).toEqual({ error: NO_CLIP_MESSAGE });
    expect(NO_CLIP_MESSAGE).toMatch(/playhead/);
  });
});

describe('previewSegment: I/O marks', () => {
  it('uses the marked range, on the clip under the in mark (topmost)', () => {
    expect(previewSegment(base({ markIn: 150, markOut: 180 }), 10)).toEqual({ clipId: 2, start: 150, end: 180 });
  });

  it('clamps the marked range to that clip', () => {
    expect(previewSegment(base({ markIn: 180, markOut: 260 }), 10)).toEqual({ clipId: 2, start: 180, end: 200 });
    expect(previewSegment(base({ markIn: 230, markOut: 350 }), 10)).toEqual({ clipId: 1, start: 230, end: 240 });
  });

  it('a selected clip overlapping the marks wins over the clip under the in mark', () => {
    selectOnly([1]);
    expect(previewSegment(base({ markIn: 180, markOut: 260 }), 10)).toEqual({ clipId: 1, start: 180, end: 240 });
    selectOnly([3]);
    expect(previewSegment(base({ markIn: 230, markOut: 350 }), 10)).toEqual({ clipId: 3, start: 300, end: 350 });
  });

  it('marks that do not touch the selected clip give way to it: 2 s around the playhead on it, else its first 2 s', () => {
    selectOnly([2]);
    expect(previewSegment(base({ markIn: 230, markOut: 350 }), 10)).toEqual({ clipId: 2, start: 100, end: 148 });
    expect(previewSegment(base({ markIn: 230, markOut: 350 }), 150)).toEqual({ clipId: 2, start: 126, end: 174 });
    // Nothing selected: the marks as before.
    selectOnly([]);
    expect(previewSegment(base({ markIn: 230, markOut: 350 }), 10)).toEqual({ clipId: 1, start: 230, end: 240 });
  });

  it('with the in mark in a gap, a clip overlapping the marks is used', () => {
    expect(previewSegment(base({ markIn: 250, markOut: 350 }), 10)).toEqual({ clipId: 3, start: 300, end: 350 });
  });

  it('marks over empty timeline fall back to the playhead', () => {
    expect(previewSegment(base({ markIn: 250, markOut: 290 }), 50)).toEqual({ clipId: 1, start: 26, end: 74 });
    expect(previewSegment(base({ markIn: 250, markOut: 290 }), 260)).toEqual({ error: NO_CLIP_MESSAGE });
  });

  it('incomplete or empty marks are ignored', () => {
    expect(previewSegment(base({ markIn: 150, markOut: null }), 50)).toEqual({ clipId: 1, start: 26, end: 74 });
    expect(previewSegment(base({ markIn: null, markOut: 180 }), 50)).toEqual({ clipId: 1, start: 26, end: 74 });
    expect(previewSegment(base({ markIn: 150, markOut: 150 }), 50)).toEqual({ clipId: 1, start: 26, end: 74 });
    expect(previewSegment(base({ markIn: 180, markOut: 150 }), 50)).toEqual({ clipId: 1, start: 26, end: 74 });
  });

  it('the marked range may be longer than 2 s', () => {
    expect(previewSegment(base({ markIn: 0, markOut: 240 }), 50)).toEqual({ clipId: 1, start: 0, end: 240 });
  });
});

describe('previewSegment: dragged range', () => {
  it('a dragged range wins over marks and the playhead, clamped to its clip', () => {
    setDraggedSegment({ clipId: 2, start: 90, end: 300 });
    expect(previewSegment(base({ markIn: 0, markOut: 50 }), 350)).toEqual({ clipId: 2, start: 100, end: 200 });
  });

  it('a dragged range on a lower, unselected clip is kept on that clip', () => {
    selectOnly([2]);
    setDraggedSegment({ clipId: 1, start: 120, end: 160 });
    expect(previewSegment(base(), 150)).toEqual({ clipId: 1, start: 120, end: 160 });
  });

  it('a dragged range whose clip is gone, or that misses its clip, falls back to the marks', () => {
    setDraggedSegment({ clipId: 99, start: 120, end: 160 });
    expect(previewSegment(base({ markIn: 150, markOut: 180 }), 10)).toEqual({ clipId: 2, start: 150, end: 180 });
    setDraggedSegment({ clipId: 3, start: 0, end: 100 });
    expect(previewSegment(base({ markIn: 150, markOut: 180 }), 10)).toEqual({ clipId: 2, start: 150, end: 180 });
    expect(previewSegment(base(), 10)).toEqual({ clipId: 1, start: 0, end: 34 });
  });

  it('clearing the dragged range goes back to the playhead', () => {
    setDraggedSegment({ clipId: 3, start: 310, end: 320 });
    expect(previewSegment(base(), 50)).toEqual({ clipId: 3, start: 310, end: 320 });
    clearDraggedSegment();
    expect(segmentStore.get().range).toBeNull();
    expect(previewSegment(base(), 50)).toEqual({ clipId: 1, start: 26, end: 74 });
  });

  it('setDraggedSegment/clearDraggedSegment notify subscribers only on change', () => {
    let calls = 0;
    const off = segmentStore.subscribe(() => calls++);
    try {
      clearDraggedSegment(); // already clear
      expect(calls).toBe(0);
      setDraggedSegment({ clipId: 1, start: 0, end: 10 });
      expect(calls).toBe(1);
      expect(segmentStore.get().range).toEqual({ clipId: 1, start: 0, end: 10 });
      clearDraggedSegment();
      expect(calls).toBe(2);
      clearDraggedSegment();
      expect(calls).toBe(2);
    } finally {
      off();
    }
  });

  it('does not change the selection', () => {
    selectOnly([1, 3]);
    const before = editorStore.get().selection;
    setDraggedSegment({ clipId: 2, start: 100, end: 110 });
    previewSegment(base(), 0);
    expect(editorStore.get().selection).toBe(before);
  });
});

import { describe, expect, it } from 'vitest';
import type { Preview, PreviewSide } from '../../main/common/render-model';
import {
  frameAtTime,
  frameAtTimestamp,
  frameCentre,
  loopFrames,
  originalFrameFor,
  originalTimeFor,
  sideFrameNumber,
  wrapIntoLoop,
} from '../../renderer/src/components/compare/compare-time';

function side(over: Partial<PreviewSide>): PreviewSide {
  return { url: 'upframe-media://x', width: 1920, height: 1080, fps: 24, mediaStartSec: 0, firstFrame: 0, frames: 0, ...over };
}

function preview(segment: { startSec: number; endSec: number }, original: Partial<PreviewSide>, enhanced: Partial<PreviewSide>): Preview {
  return {
    id: 1,
    clipId: 1,
    mediaId: 1,
    state: 'running',
    segment: { ...segment, timelineStart: 0, timelineEnd: 48 },
    original: side(original),
    enhanced: side(enhanced),
    chunks: { total: 1, done: 1, fromCache: 0 },
    progress: 1,
    etaSec: null,
    message: null,
  };
}

const RATES = [24, 25, 30, 48, 60, 24000 / 1001, 30000 / 1001, 60000 / 1001, 120];

describe('frameAtTime / frameCentre', () => {
  it('seeking to a frame centre shows exactly that frame, at common and NTSC rates', () => {
    for (const fps of RATES) {
      for (let f = 0; f < 5000; f += 37) {
        expect(frameAtTime(frameCentre(f, fps), fps)).toBe(f);
      }
    }
  });

  it('the centre lies half a frame after the frame start', () => {
    expect(frameCentre(0, 24)).toBeCloseTo(1 / 48, 12);
    expect(frameCentre(10, 48)).toBeCloseTo(10.5 / 48, 12);
  });

  it('a frame start shows that frame, also when rounding left it a hair early', () => {
    for (const fps of RATES) {
      for (let f = 1; f < 3000; f += 101) {
        const start = f / fps;
        expect(frameAtTime(start, fps)).toBe(f);
        expect(frameAtTime(start - 1e-9, fps)).toBe(f);
      }
    }
  });

  it('a time just before the next frame still shows the current frame', () => {
    expect(frameAtTime(5 / 24 - 0.01, 24)).toBe(4);
    expect(frameAtTime(0.99 / 24, 24)).toBe(0);
  });

  it('never returns a negative frame', () => {
    expect(frameAtTime(-1, 24)).toBe(0);
    expect(frameAtTime(0, 24)).toBe(0);
    expect(frameAtTimestamp(-0.5, 30)).toBe(0);
  });

  it('frameAtTimestamp rounds presented timestamps to the nearest frame start', () => {
    expect(frameAtTimestamp(5 / 24 - 0.004, 24)).toBe(5);
    expect(frameAtTimestamp(5 / 24 + 0.004, 24)).toBe(5);
    expect(frameAtTimestamp(0.2085, 24)).toBe(5);
  });

  it('sideFrameNumber counts from the media start', () => {
    expect(sideFrameNumber(side({ firstFrame: 240 }), 0)).toBe(240);
    expect(sideFrameNumber(side({ firstFrame: 240 }), 17)).toBe(257);
  });
});

describe('originalTimeFor / originalFrameFor', () => {
  it('same start and rate: enhanced frame n is original frame n', () => {
    const p = preview({ startSec: 10, endSec: 12 }, { fps: 24, mediaStartSec: 10, frames: 48 }, { fps: 24, mediaStartSec: 10, frames: 48 });
    expect(originalTimeFor(p, 0.5)).toBeCloseTo(0.5, 12);
    for (let f = 0; f < 48; f++) expect(originalFrameFor(p, f)).toBe(f);
  });

  it('maps through media time when the two videos start at different media times', () => {
    // Enhanced video starts on the chunk grid at 9.5 s; the original video at 10 s.
    const p = preview({ startSec: 10.25, endSec: 11 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 24, mediaStartSec: 9.5, frames: 36 });
    expect(originalTimeFor(p, 0.75)).toBeCloseTo(0.25, 12); // media 10.25 s
    expect(originalTimeFor(p, 1.5)).toBeCloseTo(1, 12); // media 11 s
    // Enhanced frame 18 starts at media 9.5 + 18/24 = 10.25 s = original frame 6 (10 s + 6/24).
    expect(originalFrameFor(p, 18)).toBe(6);
    expect(originalFrameFor(p, 19)).toBe(7);
    expect(originalFrameFor(p, 12)).toBe(0); // media 10.0 s
  });

  it('clamps to the original video start for enhanced times before it', () => {
    const p = preview({ startSec: 10.25, endSec: 11 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 24, mediaStartSec: 9.5, frames: 36 });
    expect(originalTimeFor(p, 0)).toBe(0);
    expect(originalTimeFor(p, 0.25)).toBe(0);
    expect(originalFrameFor(p, 0)).toBe(0);
    expect(originalFrameFor(p, 11)).toBe(0);
  });

  it('interpolated (enhanced 48 fps from a 24 fps source): each source frame and the frame inserted after it map to that source frame', () => {
    const p = preview({ startSec: 10, endSec: 12 }, { fps: 24, mediaStartSec: 10, frames: 48 }, { fps: 48, mediaStartSec: 10, frames: 96 });
    for (let src = 0; src < 48; src++) {
      expect(originalFrameFor(p, 2 * src)).toBe(src);
      expect(originalFrameFor(p, 2 * src + 1)).toBe(src);
    }
  });

  it('interpolated segment starting mid-grid: the loop start maps to the matching source frame', () => {
    // Enhanced (48 fps) from 9.5 s, original (24 fps) from 10 s, segment from 10.25 s.
    const p = preview({ startSec: 10.25, endSec: 11 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 48, mediaStartSec: 9.5, frames: 72 });
    const loop = loopFrames(p);
    expect(loop).toEqual({ first: 36, end: 72 });
    expect(originalFrameFor(p, 36)).toBe(6); // 10.25 s
    expect(originalFrameFor(p, 37)).toBe(6); // inserted frame between 10.25 s and 10.2917 s
    expect(originalFrameFor(p, 38)).toBe(7);
    expect(originalFrameFor(p, 71)).toBe(23); // last frame of the loop: media 10.979 s
  });

  it('with an NTSC source and 2x interpolation the mapping stays on the right source frame over a long loop', () => {
    const src = 24000 / 1001;
    const start = 1001 / 24000 * 1000; // media time of source frame 1000
    const p = preview({ startSec: start, endSec: start + 10 }, { fps: src, mediaStartSec: start, frames: 240 }, { fps: 2 * src, mediaStartSec: start, frames: 480 });
    for (let f = 0; f < 479; f++) expect(originalFrameFor(p, f)).toBe(Math.floor(f / 2));
  });
});

describe('loopFrames', () => {
  it('covers the segment in enhanced frames when everything is ready', () => {
    const p = preview({ startSec: 10, endSec: 12 }, { fps: 24, mediaStartSec: 10, frames: 48 }, { fps: 48, mediaStartSec: 10, frames: 96 });
    expect(loopFrames(p)).toEqual({ first: 0, end: 96 });
  });

  it('excludes the enhanced video lead-in before a mid-grid segment start and the tail after its end', () => {
    const p = preview({ startSec: 10.25, endSec: 11 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 24, mediaStartSec: 9.5, frames: 60 });
    expect(loopFrames(p)).toEqual({ first: 18, end: 36 });
  });

  it('end is stopped at the frames playable now', () => {
    const p = preview({ startSec: 10.25, endSec: 11 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 48, mediaStartSec: 9.5, frames: 50 });
    expect(loopFrames(p)).toEqual({ first: 36, end: 50 });
  });

  it('before the segment first frame is ready, loops over whatever is playable', () => {
    const p = preview({ startSec: 10.25, endSec: 11 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 48, mediaStartSec: 9.5, frames: 20 });
    expect(loopFrames(p)).toEqual({ first: 0, end: 20 });
    const exactly = preview({ startSec: 10.25, endSec: 11 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 48, mediaStartSec: 9.5, frames: 36 });
    expect(loopFrames(exactly)).toEqual({ first: 0, end: 36 });
  });

  it('nothing playable gives an empty loop', () => {
    const p = preview({ startSec: 10, endSec: 11 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 24, mediaStartSec: 10, frames: 0, url: null });
    expect(loopFrames(p)).toEqual({ first: 0, end: 0 });
  });

  it('tolerates container rounding on the segment bounds', () => {
    // End a hair past a frame boundary must not add a frame; start a hair before must not drop one.
    const p = preview({ startSec: 10.25 - 1e-7, endSec: 11 + 1e-7 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 48, mediaStartSec: 9.5, frames: 100 });
    expect(loopFrames(p)).toEqual({ first: 36, end: 72 });
    // An end that falls inside a frame includes that frame.
    const partial = preview({ startSec: 10.25, endSec: 10.26 }, { fps: 24, mediaStartSec: 10, frames: 24 }, { fps: 48, mediaStartSec: 9.5, frames: 100 });
    expect(loopFrames(partial)).toEqual({ first: 36, end: 37 });
  });

  it('a segment starting before the enhanced video starts begins at frame 0', () => {
    const p = preview({ startSec: 9, endSec: 10.5 }, { fps: 24, mediaStartSec: 9, frames: 36 }, { fps: 24, mediaStartSec: 9.5, frames: 48 });
    expect(loopFrames(p)).toEqual({ first: 0, end: 24 });
  });
});

describe('wrapIntoLoop', () => {
  const loop = { first: 36, end: 72 };

  it('leaves frames inside the loop alone', () => {
    for (let f = 36; f < 72; f++) expect(wrapIntoLoop(f, loop)).toBe(f);
  });

  it('stepping past the end goes round to the start, and before the start to the end', () => {
    expect(wrapIntoLoop(72, loop)).toBe(36);
    expect(wrapIntoLoop(73, loop)).toBe(37);
    expect(wrapIntoLoop(35, loop)).toBe(71);
    expect(wrapIntoLoop(30, loop)).toBe(66);
  });

  it('wraps several loop lengths in either direction', () => {
    expect(wrapIntoLoop(36 + 36 * 3 + 5, loop)).toBe(41);
    expect(wrapIntoLoop(36 - 36 * 4 + 5, loop)).toBe(41);
    expect(wrapIntoLoop(-1, { first: 0, end: 10 })).toBe(9);
  });

  it('an empty loop pins to its first frame', () => {
    expect(wrapIntoLoop(5, { first: 3, end: 3 })).toBe(3);
    expect(wrapIntoLoop(5, { first: 0, end: 0 })).toBe(0);
  });

  it('always lands inside the loop', () => {
    for (let f = -200; f <= 200; f++) {
      const w = wrapIntoLoop(f, { first: 7, end: 19 });
      expect(w).toBeGreaterThanOrEqual(7);
      expect(w).toBeLessThan(19);
      expect((((w - f) % 12) + 12) % 12).toBe(0);
    }
  });
});

// The chunk grid: ranges, output frame counts (inserted frames, the media's last chunk), context clamping and the
// half-frame seconds that select a job's source frames.
import { describe, expect, it } from 'vitest';
import { defaultClipSettings } from '../../main/common/settings';
import {
  chunkAt,
  chunkCount,
  chunkJobRange,
  chunkOutputFrames,
  chunksForSeconds,
  contextFramesFor,
  firstOutputFrame,
  framesForSeconds,
  secondsForFrames,
} from '../../main/render/chunk-grid';

const fps24 = { num: 24, den: 1 };
const ntsc = { num: 30000, den: 1001 };

describe('chunk grid', () => {
  it('lays chunks of C frames, the last one shorter', () => {
    expect(chunkCount(60, 24)).toBe(3);
    expect(chunkCount(48, 24)).toBe(2);
    expect(chunkAt(0, 60, 24)).toEqual({ index: 0, firstFrame: 0, endFrame: 24 });
    expect(chunkAt(2, 60, 24)).toEqual({ index: 2, firstFrame: 48, endFrame: 60 });
    expect(() => chunkAt(3, 60, 24)).toThrow(RangeError);
    expect(() => chunkAt(-1, 60, 24)).toThrow(RangeError);
  });

  it('maps media seconds to the chunks covering them', () => {
    expect(chunksForSeconds(fps24, 60, 24, 0, 2.5).map((c) => c.index)).toEqual([0, 1, 2]);
    // [1.0, 2.0) is frames 24..47: exactly chunk 1, not its neighbours.
    expect(chunksForSeconds(fps24, 60, 24, 1, 2).map((c) => c.index)).toEqual([1]);
    expect(chunksForSeconds(fps24, 60, 24, 0.99, 2.01).map((c) => c.index)).toEqual([0, 1, 2]);
    expect(chunksForSeconds(fps24, 60, 24, 3, 4)).toEqual([]);
    expect(chunksForSeconds(fps24, 60, 24, 1, 1)).toEqual([]);
    // Past the end is clamped to the media.
    expect(chunksForSeconds(fps24, 60, 24, 2.2, 100).map((c) => c.index)).toEqual([2]);
    // Float error on a frame boundary (1001/30000 * 30 frames) does not pull in the next chunk.
    const boundary = (8 * 1001) / 30000;
    expect(framesForSeconds(ntsc, 100, 0, boundary)).toEqual({ first: 0, end: 8 });
    expect(chunksForSeconds(ntsc, 100, 8, boundary, 2 * boundary).map((c) => c.index)).toEqual([1]);
  });

  it('counts output frames: k after each source frame except the media\'s last', () => {
    expect(chunkOutputFrames({ index: 0, firstFrame: 0, endFrame: 24 }, 60, 0)).toBe(24);
    expect(chunkOutputFrames({ index: 0, firstFrame: 0, endFrame: 24 }, 60, 1)).toBe(48);
    expect(chunkOutputFrames({ index: 2, firstFrame: 48, endFrame: 60 }, 60, 1)).toBe(23);
    expect(chunkOutputFrames({ index: 2, firstFrame: 48, endFrame: 60 }, 60, 3)).toBe(45);
    expect(firstOutputFrame({ index: 2, firstFrame: 48, endFrame: 60 }, 3)).toBe(192);
    // Chunks tile the whole output: (N - 1)(k + 1) + 1 frames for any k.
    for (const k of [0, 1, 2, 7]) {
      const total = [0, 1, 2].map((i) => chunkOutputFrames(chunkAt(i, 60, 24), 60, k)).reduce((a, b) => a + b);
      expect(total).toBe(59 * (k + 1) + 1);
    }
  });

  it('adds context on each side, clamped to the media, and keeps the chunk\'s own output frames', () => {
    expect(chunkJobRange({ index: 0, firstFrame: 0, endFrame: 8 }, 60, 2, 0)).toEqual({ first: 0, end: 10, keep: { first: 0, count: 8 } });
    expect(chunkJobRange({ index: 1, firstFrame: 8, endFrame: 16 }, 60, 2, 1)).toEqual({ first: 6, end: 18, keep: { first: 4, count: 16 } });
    expect(chunkJobRange({ index: 7, firstFrame: 56, endFrame: 60 }, 60, 2, 1)).toEqual({ first: 54, end: 60, keep: { first: 4, count: 7 } });
    expect(chunkJobRange({ index: 1, firstFrame: 24, endFrame: 48 }, 60, 0, 0)).toEqual({ first: 24, end: 48, keep: { first: 0, count: 24 } });
  });

  it('uses context only where the settings look at neighbouring frames', () => {
    const classic = defaultClipSettings();
    expect(contextFramesFor(classic, 0)).toBe(0);
    expect(contextFramesFor({ ...classic, classic: { ...classic.classic, sharpen: 'cas', denoise: 'nlmeans' } }, 0)).toBe(0);
    expect(contextFramesFor(classic, 1)).toBe(3);
    expect(contextFramesFor({ ...classic, classic: { ...classic.classic, denoise: 'hqdn3d' } }, 0)).toBe(3);
    expect(contextFramesFor({ ...classic, classic: { ...classic.classic, deflicker: true } }, 0)).toBe(3);
    expect(contextFramesFor({ ...classic, engine: 'diffusion' }, 0)).toBe(2);
  });

  it('selects source frames with half-frame margins', () => {
    expect(secondsForFrames(fps24, 0, 10)).toEqual({ endSec: 9.5 / 24 });
    expect(secondsForFrames(fps24, 6, 18)).toEqual({ startSec: 5.5 / 24, endSec: 17.5 / 24 });
    const { startSec, endSec } = secondsForFrames(ntsc, 30, 60);
    expect(startSec! * 30000 / 1001).toBeCloseTo(29.5, 9);
    expect(endSec * 30000 / 1001).toBeCloseTo(59.5, 9);
  });
});

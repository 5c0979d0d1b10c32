// Mapping a clip's chunk states (on the media's own frame grid) to runs of timeline frames for the status bar:
// runs abut, cover exactly the clip's span, merge equal neighbours, and follow the clip when it is trimmed or moved.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RenderRangeState } from '../../main/common/render-model';
import type { ChunkRef } from '../../main/render/types';
import { clampSegment } from '../../main/services/preview-service';
import { timelineFrameOfMediaFrame, timelineRuns } from '../../main/services/render-status';

const fps = (num: number, den = 1) => ({ num, den });

function grid(firstChunk: number, lastChunk: number, chunkFrames: number, frameCount: number): ChunkRef[] {
  const chunks: ChunkRef[] = [];
  for (let index = firstChunk; index <= lastChunk; index += 1) {
    chunks.push({ index, firstFrame: index * chunkFrames, endFrame: Math.min(frameCount, (index + 1) * chunkFrames) });
  }
  return chunks;
}

describe('timelineRuns', () => {
  it('maps chunk boundaries at equal rates one to one and merges equal neighbours', () => {
    const clip = { start: 100, sourceIn: 10, sourceOut: 50 };
    const chunks = grid(0, 4, 12, 60); // media frames 0-12, 12-24, 24-36, 36-48, 48-60 cover source 10..50
    const runs = timelineRuns(clip, fps(24), fps(24), chunks, ['cached', 'cached', 'stale', 'none', 'none']);
    expect(runs).toEqual([
      { start: 100, end: 114, state: 'cached' }, // source 10..24
      { start: 114, end: 126, state: 'stale' },
      { start: 126, end: 140, state: 'none' },
    ]);
  });

  it('converts between rates: a 12 fps media on a 24 fps timeline', () => {
    const clip = { start: 0, sourceIn: 0, sourceOut: 48 }; // 2 s
    const chunks = grid(0, 2, 8, 24); // media frames 0-8 (0..0.667 s), 8-16, 16-24
    const runs = timelineRuns(clip, fps(24), fps(12), chunks, ['cached', 'none', 'cached']);
    expect(runs).toEqual([
      { start: 0, end: 16, state: 'cached' },
      { start: 16, end: 32, state: 'none' },
      { start: 32, end: 48, state: 'cached' },
    ]);
  });

  it('rounds NTSC boundaries to the first timeline frame showing the chunk', () => {
    const ntsc = fps(30000, 1001);
    const clip = { start: 5, sourceIn: 0, sourceOut: 60 };
    // Media at 30000/1001, timeline at 25: media frame 30 starts at 1.001 s, i.e. 25.025 project frames -> frame 26.
    expect(timelineFrameOfMediaFrame(clip, fps(25), ntsc, 30)).toBe(5 + 26);
    // On a timeline at the media's own rate the boundary is exact despite the float division.
    expect(timelineFrameOfMediaFrame(clip, ntsc, ntsc, 30)).toBe(5 + 30);
  });

  it('keeps a cached run cached when the clip is trimmed and moved', () => {
    const chunks = grid(0, 4, 10, 50);
    const states: RenderRangeState[] = ['none', 'cached', 'cached', 'none', 'none'];
    const before = timelineRuns({ start: 0, sourceIn: 0, sourceOut: 50 }, fps(24), fps(24), chunks, states);
    expect(before.find((r) => r.state === 'cached')).toEqual({ start: 10, end: 30, state: 'cached' });
    // Trimmed to source 15..45 and moved to 200: the chunk grid stays, so do the cached media frames 15..30.
    const trimmed = timelineRuns({ start: 200, sourceIn: 15, sourceOut: 45 }, fps(24), fps(24), chunks.slice(1), states.slice(1));
    expect(trimmed).toEqual([
      { start: 200, end: 215, state: 'cached' },
      { start: 215, end: 230, state: 'none' },
    ]);
  });

  it('covers the span with one none run when there are no chunks', () => {
    expect(timelineRuns({ start: 7, sourceIn: 3, sourceOut: 9 }, fps(24), fps(24), [], [])).toEqual([{ start: 7, end: 13, state: 'none' }]);
    expect(() => timelineRuns({ start: 0, sourceIn: 0, sourceOut: 9 }, fps(24), fps(24), grid(0, 0, 9, 9), [])).toThrow(/1 chunks but 0 states/);
  });

  it('always covers exactly the clip span with abutting runs of alternating state (property)', () => {
    const rates = [fps(24), fps(25), fps(30), fps(30000, 1001), fps(60), fps(12), fps(24000, 1001)];
    fc.assert(
      fc.property(
        fc.constantFrom(...rates),
        fc.constantFrom(...rates),
        fc.integer({ min: 2, max: 40 }),
        fc.integer({ min: 10, max: 400 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (projectFps, mediaFps, chunkFrames, frameCount, start, a, b) => {
          const mediaSec = (frameCount * mediaFps.den) / mediaFps.num;
          const length = Math.max(1, Math.floor((mediaSec * projectFps.num) / projectFps.den));
          const sourceIn = Math.min(length - 1, Math.floor(Math.min(a, b) * length));
          const sourceOut = Math.max(sourceIn + 1, Math.ceil(Math.max(a, b) * length));
          const clip = { start, sourceIn, sourceOut };
          const firstMedia = Math.floor(((sourceIn * projectFps.den) / projectFps.num) * (mediaFps.num / mediaFps.den) + 1e-3);
          const endMedia = Math.min(frameCount, Math.ceil(((sourceOut * projectFps.den) / projectFps.num) * (mediaFps.num / mediaFps.den) - 1e-3));
          const chunks = grid(Math.floor(firstMedia / chunkFrames), Math.max(Math.floor(firstMedia / chunkFrames), Math.ceil(endMedia / chunkFrames) - 1), chunkFrames, frameCount);
          const states = chunks.map((_, i) => (['cached', 'stale', 'none'] as const)[(i * 7 + start) % 3]);
          const runs = timelineRuns(clip, projectFps, mediaFps, chunks, states);
          expect(runs[0].start).toBe(start);
          expect(runs[runs.length - 1].end).toBe(start + sourceOut - sourceIn);
          for (let i = 0; i < runs.length; i += 1) {
            expect(runs[i].end).toBeGreaterThan(runs[i].start);
            if (i > 0) {
              expect(runs[i].start).toBe(runs[i - 1].end);
              expect(runs[i].state).not.toBe(runs[i - 1].state);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('clampSegment', () => {
  const clip = { id: 3, mediaId: 1, trackId: 1, start: 100, sourceIn: 20, sourceOut: 80, settings: undefined as never };
  it('intersects the segment with the clip span', () => {
    expect(clampSegment(clip, 90, 130)).toEqual({ start: 100, end: 130 });
    expect(clampSegment(clip, 150, 400)).toEqual({ start: 150, end: 160 });
  });
  it('refuses a segment that misses the clip, saying where the clip is', () => {
    expect(() => clampSegment(clip, 160, 200)).toThrow(/misses clip 3, which spans frames 100 to 160: select a segment over the clip/);
    expect(() => clampSegment(clip, 0, 100)).toThrow(/misses clip 3/);
  });
});

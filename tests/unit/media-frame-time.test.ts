import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { durationInFrames, frameToSeconds, secondsToFrame } from '../../main/common/frame-time';

const ntsc = { num: 30000, den: 1001 };
const film = { num: 24, den: 1 };
const ntscFilm = { num: 24000, den: 1001 };

describe('frame-time', () => {
  it('converts frames to their start time', () => {
    expect(frameToSeconds(0, film)).toBe(0);
    expect(frameToSeconds(48, film)).toBe(2);
    expect(frameToSeconds(30, ntsc)).toBeCloseTo(1.001, 12);
  });

  it('maps a time to the frame showing then', () => {
    expect(secondsToFrame(0, film)).toBe(0);
    expect(secondsToFrame(0.04, film)).toBe(0); // frame 1 starts at 0.041666...
    expect(secondsToFrame(1 / 24, film)).toBe(1);
    expect(secondsToFrame(1.9999, film)).toBe(47);
    expect(secondsToFrame(-1, film)).toBe(0);
  });

  it('tolerates rounding just below a frame boundary', () => {
    // 1001/30000 * 3 = 0.1001 exactly; the float product lands a hair under 3.
    expect(secondsToFrame(0.1001, ntsc)).toBe(3);
    expect(secondsToFrame(frameToSeconds(7, ntscFilm) - 1e-9, ntscFilm)).toBe(7);
  });

  it('counts the frames that cover a duration, a partial last frame included', () => {
    expect(durationInFrames(2, film)).toBe(48);
    expect(durationInFrames(2.01, film)).toBe(49);
    expect(durationInFrames(10.01, ntsc)).toBe(300);
    expect(durationInFrames(0, film)).toBe(0);
    // ffprobe prints microseconds: 2.002 s at 23.976 is 48 frames, not 49.
    expect(durationInFrames(2.002, ntscFilm)).toBe(48);
    expect(durationInFrames(2.002000001, ntscFilm)).toBe(48);
  });

  it('round-trips every frame at common rates', () => {
    const rates = [film, ntsc, ntscFilm, { num: 25, den: 1 }, { num: 60000, den: 1001 }, { num: 120, den: 1 }];
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.constantFrom(...rates), (frame, fps) => {
        expect(secondsToFrame(frameToSeconds(frame, fps), fps)).toBe(frame);
        expect(durationInFrames(frameToSeconds(frame, fps), fps)).toBe(frame);
      }),
    );
  });
});

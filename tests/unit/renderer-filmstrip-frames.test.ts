import { describe, expect, it } from 'vitest';
import { coarseFrames, nearestCoarse } from '../../renderer/src/components/timeline/filmstrip-frames';

describe('filmstrip coarse frames', () => {
  it('spreads about 16 frames on a power-of-two grid, so a trim keeps nearly all of them', () => {
    const whole = coarseFrames(0, 240);
    expect(whole).toEqual([0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224]);
    const trimmed = coarseFrames(10, 230);
    expect(trimmed.every((f) => whole.includes(f))).toBe(true);
    expect(coarseFrames(5, 9)).toEqual([5, 6, 7, 8]);
    expect(coarseFrames(7, 8)).toEqual([7]);
  });

  it('stands in the nearest loaded coarse thumbnail for a slot, or nothing before any has loaded', () => {
    const coarse = { frames: [0, 16, 32], urls: ['a', null, 'c'] };
    expect(nearestCoarse(coarse, 12)).toBe('a'); // 16 is not loaded yet
    expect(nearestCoarse(coarse, 30)).toBe('c');
    expect(nearestCoarse(null, 30)).toBeNull();
  });
});

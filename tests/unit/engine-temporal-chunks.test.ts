import { describe, expect, it } from 'vitest';
import { crossFadeWeight, planTemporalChunks, type TemporalChunk } from '../../main/engine/plan/temporal-chunks';
import type { TemporalChunkRule } from '../../main/engine/pack/manifest';

const venhancer: TemporalChunkRule = { maxFrames: 32, lengthBase: 31, overlapBase: 15, stretch: 1.33 };

/** Structural violations of a chunk plan (empty when sound), and the overlap it uses. Plain checks, one expect
 *  per plan: thousands of plans are checked. */
function inspect(chunks: TemporalChunk[], total: number, k: number, maxLength: number): { violations: string[]; overlap: number | null } {
  const period = k + 1;
  const violations: string[] = [];
  if (chunks[0].start !== 0) violations.push('first chunk does not start at 0');
  if (chunks[chunks.length - 1].end !== total) violations.push('last chunk does not end at F');
  let overlap: number | null = null;
  chunks.forEach((c, i) => {
    if (c.start % period !== 0) violations.push(`chunk ${i} starts off a key frame`);
    if ((c.end - 1) % period !== 0) violations.push(`chunk ${i} ends off a key frame`);
    if (c.end - c.start > maxLength) violations.push(`chunk ${i} is longer than ${maxLength}`);
    if (i > 0) {
      const o = chunks[i - 1].end - c.start;
      if (!(c.start > chunks[i - 1].start)) violations.push(`chunk ${i} does not advance`);
      if (!(o > 0)) violations.push(`gap before chunk ${i}`);
      if (overlap !== null && o !== overlap) violations.push(`chunk ${i} overlaps by ${o}, not ${overlap}`);
      overlap ??= o;
    }
  });
  return { violations, overlap };
}

function checkChunks(chunks: TemporalChunk[], total: number, k: number, maxLength: number): number | null {
  const { violations, overlap } = inspect(chunks, total, k, maxLength);
  expect(violations, `F=${total} k=${k}: ${JSON.stringify(chunks)}`).toEqual([]);
  return overlap;
}

describe('planTemporalChunks', () => {
  it('uses one chunk up to maxFrames', () => {
    expect(planTemporalChunks(32, 0, venhancer)).toEqual([{ start: 0, end: 32 }]);
    expect(planTemporalChunks(1, 3, venhancer)).toEqual([{ start: 0, end: 1 }]);
  });

  it('splits 100 frames (k = 0) into chunks of 32 overlapping by 16, the last stretched', () => {
    expect(planTemporalChunks(100, 0, venhancer)).toEqual([
      { start: 0, end: 32 },
      { start: 16, end: 48 },
      { start: 32, end: 64 },
      { start: 48, end: 80 },
      { start: 64, end: 100 },
    ]);
  });

  it('for k in 0..7 and N in 1..200: coverage, overlap exactly O, key-frame aligned, bounded length', () => {
    for (let k = 0; k <= 7; k++) {
      const period = k + 1;
      const L = Math.floor(venhancer.lengthBase / period) * period + 1;
      const O = Math.floor(venhancer.overlapBase / period) * period + 1;
      const maxLength = Math.round(venhancer.stretch * L);
      for (let n = 1; n <= 200; n++) {
        const total = n + k * (n - 1);
        const chunks = planTemporalChunks(total, k, venhancer);
        const overlap = checkChunks(chunks, total, k, maxLength);
        if (total <= venhancer.maxFrames) expect(chunks).toHaveLength(1);
        if (chunks.length > 1) {
          expect(overlap).toBe(O);
          expect(chunks.slice(0, -1).every((c) => c.end - c.start === L)).toBe(true);
        }
      }
    }
  });

  it('honours a chunk length override (user setting or memory back-off), still key-frame aligned', () => {
    for (let k = 0; k <= 7; k++) {
      for (const length of [2, 3, 5, 9, 16, 17, 33, 64]) {
        for (const n of [1, 2, 7, 40, 121]) {
          const total = n + k * (n - 1);
          const chunks = planTemporalChunks(total, k, venhancer, { length });
          const effective = Math.max(k + 2, Math.floor((length - 1) / (k + 1)) * (k + 1) + 1);
          checkChunks(chunks, total, k, Math.round(venhancer.stretch * effective));
          if (total <= effective) expect(chunks).toHaveLength(1);
          if (total > Math.round(venhancer.stretch * effective)) expect(chunks.length).toBeGreaterThan(1);
        }
      }
    }
    expect(planTemporalChunks(40, 0, venhancer, { length: 9 })).toEqual([
      { start: 0, end: 9 },
      { start: 4, end: 13 },
      { start: 8, end: 17 },
      { start: 12, end: 21 },
      { start: 16, end: 25 },
      { start: 20, end: 29 },
      { start: 24, end: 33 },
      { start: 28, end: 40 },
    ]);
  });

  it('rejects frame counts that do not fit the key-frame spacing, and rules too short to advance', () => {
    expect(() => planTemporalChunks(11, 2, venhancer)).toThrow(/does not fit/);
    expect(() => planTemporalChunks(97, 7, { ...venhancer, lengthBase: 4 })).toThrow(/lengthBase 4/);
    expect(() => planTemporalChunks(100, 0, venhancer, { length: 1 })).toThrow(/at least 2/);
  });
});

describe('crossFadeWeight', () => {
  it('ramps the later chunk in linearly: c = j / O', () => {
    expect([0, 1, 2, 3].map((j) => crossFadeWeight(j, 4))).toEqual([0, 0.25, 0.5, 0.75]);
    expect(() => crossFadeWeight(0, 0)).toThrow(/positive/);
  });
});

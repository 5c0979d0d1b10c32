import { describe, expect, it } from 'vitest';
import { planFrames } from '../../main/engine/plan/frames';

describe('planFrames', () => {
  it('places 3 key frames with 2 inserted frames between them: mask [0,-1,-1,1,-1,-1,2]', () => {
    const plan = planFrames(3, 2);
    expect(plan.total).toBe(7);
    expect(Array.from(plan.mask)).toEqual([0n, -1n, -1n, 1n, -1n, -1n, 2n]);
    expect([0, 1, 2, 3, 4, 5, 6].map((f) => plan.isKey(f))).toEqual([true, false, false, true, false, false, true]);
    expect([0, 1, 2, 3, 4, 5, 6].map((f) => plan.keyIndex(f))).toEqual([0, -1, -1, 1, -1, -1, 2]);
    expect([0, 1, 2, 3, 4, 5, 6].map((f) => plan.prevKey(f))).toEqual([0, 0, 0, 3, 3, 3, 6]);
    expect([0, 1, 2, 3, 4, 5, 6].map((f) => plan.sourceKeyForFill(f))).toEqual([0, 0, 0, 1, 1, 1, 2]);
  });

  it('has F = N + k (N - 1) frames, with key j at frame j (k + 1)', () => {
    for (let k = 0; k <= 7; k++) {
      for (let n = 1; n <= 30; n++) {
        const plan = planFrames(n, k);
        expect(plan.total).toBe(n + k * (n - 1));
        expect(plan.mask.length).toBe(plan.total);
        for (let j = 0; j < n; j++) expect(plan.keyIndex(j * (k + 1))).toBe(j);
        expect(plan.isKey(plan.total - 1)).toBe(true);
        expect(plan.mask.filter((m) => m >= 0n).length).toBe(n);
      }
    }
  });

  it('a single key frame is a single output frame', () => {
    const plan = planFrames(1, 3);
    expect(plan.total).toBe(1);
    expect(Array.from(plan.mask)).toEqual([0n]);
  });

  it('rejects empty clips and frames outside the plan', () => {
    expect(() => planFrames(0, 1)).toThrow(/at least one key frame/);
    expect(() => planFrames(2, -1)).toThrow(/Inserted frames/);
    expect(() => planFrames(2, 1).isKey(3)).toThrow(/outside/);
  });
});

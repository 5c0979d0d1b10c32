import { describe, expect, it } from 'vitest';
import { gaussianWeights, planSpans } from '../../main/engine/plan/tiles';

describe('planSpans', () => {
  it('covers [0, size) with tile-long spans overlapping by at least the overlap, the last aligned to the end', () => {
    for (let size = 1; size <= 120; size++) {
      for (const [tile, overlap] of [
        [16, 4],
        [24, 6],
        [7, 0],
        [10, 9],
      ]) {
        const spans = planSpans(size, tile, overlap);
        expect(spans[0].start).toBe(0);
        expect(spans[spans.length - 1].end).toBe(size);
        if (size <= tile) {
          expect(spans).toEqual([{ start: 0, end: size }]);
          continue;
        }
        const bad = spans.filter(
          (span, i) =>
            span.end - span.start !== tile ||
            (i > 0 && (span.start <= spans[i - 1].start || spans[i - 1].end - span.start < overlap)),
        );
        expect(bad, `size ${size} tile ${tile} overlap ${overlap}`).toEqual([]);
      }
    }
  });

  it('rejects an overlap that leaves no stride', () => {
    expect(() => planSpans(100, 8, 8)).toThrow(/smaller than the tile/);
  });
});

describe('gaussianWeights', () => {
  it('is symmetric, peaks at the centre and follows exp(-(x - m)^2 / (2 var W^2))', () => {
    for (const length of [1, 2, 7, 16, 25]) {
      const w = gaussianWeights(length, 0.02);
      for (let x = 0; x < length; x++) {
        expect(w[x]).toBeCloseTo(w[length - 1 - x], 7);
        const m = (length - 1) / 2;
        expect(w[x]).toBeCloseTo(Math.exp(-((x - m) ** 2) / (2 * 0.02 * length * length)), 7);
      }
    }
    const w = gaussianWeights(25, 0.02);
    expect(w[12]).toBe(1);
    expect(w[0]).toBeLessThan(w[6]);
  });

  it('blends overlapping tiles of a constant image back to that constant (sum(w tile) / sum(w))', () => {
    const [height, width, tileH, tileW] = [37, 53, 16, 24];
    const sum = new Float64Array(height * width);
    const weight = new Float64Array(height * width);
    for (const ys of planSpans(height, tileH, 4)) {
      for (const xs of planSpans(width, tileW, 6)) {
        const wy = gaussianWeights(ys.end - ys.start, 0.02);
        const wx = gaussianWeights(xs.end - xs.start, 0.02);
        for (let y = ys.start; y < ys.end; y++) {
          for (let x = xs.start; x < xs.end; x++) {
            const w = wy[y - ys.start] * wx[x - xs.start];
            sum[y * width + x] += w * 0.37;
            weight[y * width + x] += w;
          }
        }
      }
    }
    for (let i = 0; i < sum.length; i++) expect(sum[i] / weight[i]).toBeCloseTo(0.37, 12);
  });
});

// The quality figures' arithmetic and how the compare viewer words them: sums that add up across ranges, PSNR from
// the mean error (infinite for identical frames), seams absent in one chunk, and the panel's number formats.
import { describe, expect, it } from 'vitest';
import { addSums, EMPTY_SUMS, mseOfPsnr, psnrOfMse, readoutOf, type QualitySums } from '../../main/quality/quality-sums';
import { parseFidelityStats } from '../../main/quality/measure';
import { formatFlicker, formatPsnr, formatSeams } from '../../renderer/src/components/compare/quality-format';

const sums = (over: Partial<QualitySums>): QualitySums => ({ ...EMPTY_SUMS, ...over });

describe('quality sums', () => {
  it('reads identical frames as infinite PSNR (null) and SSIM 1', () => {
    const r = readoutOf(sums({ compared: 10, mseY: 0, ssimY: 10 }));
    expect(r.psnrY).toBeNull();
    expect(r.ssimY).toBe(1);
    expect(formatPsnr(r)).toBe('∞ dB');
  });

  it('takes PSNR from the mean squared error over all frames, not the mean of per-frame PSNRs', () => {
    const a = sums({ compared: 1, mseY: mseOfPsnr(40), ssimY: 0.99 });
    const b = sums({ compared: 1, mseY: mseOfPsnr(20), ssimY: 0.8 });
    const r = readoutOf(addSums(a, b));
    expect(r.psnrY).toBeCloseTo(psnrOfMse((mseOfPsnr(40) + mseOfPsnr(20)) / 2)!, 3);
    expect(r.psnrY!).toBeLessThan(30);
    expect(r.ssimY).toBeCloseTo(0.895, 5);
  });

  it('normalises stability per source-frame interval and keeps the worst seam of either part', () => {
    const a = sums({ enhancedPath: 20, enhancedIntervals: 4, sourcePath: 12, sourceIntervals: 4, seamCount: 1, seamChange: 9, insideCount: 7, insideChange: 7, worstSeam: { frame: 8, change: 9 } });
    const b = sums({ enhancedPath: 10, enhancedIntervals: 2, sourcePath: 6, sourceIntervals: 2, seamCount: 1, seamChange: 3, insideCount: 3, insideChange: 3, worstSeam: { frame: 16, change: 3 } });
    const r = readoutOf(addSums(a, b));
    expect(r.enhancedChange).toBe(5);
    expect(r.sourceChange).toBe(3);
    expect(r.flicker).toBe(2);
    expect(r.seams).toEqual({ count: 2, change: 6, insideChange: 1, ratio: 6, worstFrame: 8 });
    expect(formatSeams(r)).toBe('6.00×');
    expect(formatFlicker(r.flicker)).toBe('+2.00');
  });

  it('has no seam figure for a range in one chunk', () => {
    const r = readoutOf(sums({ compared: 2, mseY: 2, ssimY: 1.9, insideCount: 5, insideChange: 5 }));
    expect(r.seams).toEqual({ count: 0, change: null, insideChange: 1, ratio: null, worstFrame: null });
    expect(formatSeams(r)).toBe('none');
    expect(formatFlicker(-0.001)).toBe('0.00');
  });

  it("pairs ffmpeg's per-frame psnr and ssim lines by frame number, psnr_y keeping a small error's precision", () => {
    const text = [
      'n:1 mse_avg:0.00 mse_y:0.00 mse_u:0.00 mse_v:0.00 psnr_avg:inf psnr_y:inf psnr_u:inf psnr_v:inf ',
      'n:1 Y:1.000000 U:1.000000 V:1.000000 All:1.000000 (inf)',
      'n:2 mse_avg:0.00 mse_y:0.00 mse_u:0.00 mse_v:0.00 psnr_avg:70.00 psnr_y:70.00 psnr_u:inf psnr_v:inf ',
      'n:2 Y:0.999000 U:1.000000 V:1.000000 All:0.999500 (33.0)',
    ].join('\n');
    const parsed = parseFidelityStats(text);
    expect(parsed.compared).toBe(2);
    expect(parsed.mseY).toBeCloseTo(mseOfPsnr(70), 8);
    expect(parsed.mseY).toBeGreaterThan(0);
    expect(parsed.ssimY).toBeCloseTo(1.999, 6);
  });
});

// Quality figures as additive sums, so ranges measured apart (the clips of an export, or ranges read from the
// cache) combine into exactly the figures one measurement over all of them would give. Pure.
import type { QualityReadout } from '../common/quality-model';

export type QualitySums = {
  /** Fidelity: frames compared, and the sums of their luma MSE and SSIM. */
  compared: number;
  mseY: number;
  ssimY: number;
  /** Stability: summed mean absolute luma change over consecutive frames, and how many source-frame intervals
   *  each series spans (the enhanced one has k + 1 steps per interval). */
  enhancedPath: number;
  enhancedIntervals: number;
  sourcePath: number;
  sourceIntervals: number;
  /** Changes across chunk seams and between frames inside chunks (per output step). */
  seamCount: number;
  seamChange: number;
  insideCount: number;
  insideChange: number;
  worstSeam: { frame: number; change: number } | null;
};

export const EMPTY_SUMS: QualitySums = {
  compared: 0,
  mseY: 0,
  ssimY: 0,
  enhancedPath: 0,
  enhancedIntervals: 0,
  sourcePath: 0,
  sourceIntervals: 0,
  seamCount: 0,
  seamChange: 0,
  insideCount: 0,
  insideChange: 0,
  worstSeam: null,
};

export function addSums(a: QualitySums, b: QualitySums): QualitySums {
  const worst = !a.worstSeam ? b.worstSeam : !b.worstSeam ? a.worstSeam : b.worstSeam.change > a.worstSeam.change ? b.worstSeam : a.worstSeam;
  return {
    compared: a.compared + b.compared,
    mseY: a.mseY + b.mseY,
    ssimY: a.ssimY + b.ssimY,
    enhancedPath: a.enhancedPath + b.enhancedPath,
    enhancedIntervals: a.enhancedIntervals + b.enhancedIntervals,
    sourcePath: a.sourcePath + b.sourcePath,
    sourceIntervals: a.sourceIntervals + b.sourceIntervals,
    seamCount: a.seamCount + b.seamCount,
    seamChange: a.seamChange + b.seamChange,
    insideCount: a.insideCount + b.insideCount,
    insideChange: a.insideChange + b.insideChange,
    worstSeam: worst ? { ...worst } : null,
  };
}

const PEAK = 255;

/** PSNR in dB of a mean squared error on 8-bit values; null for 0 (identical: infinite). */
export function psnrOfMse(mse: number): number | null {
  return mse > 0 ? 10 * Math.log10((PEAK * PEAK) / mse) : null;
}

/** The squared error a PSNR (dB) stands for; 0 for an infinite PSNR. */
export function mseOfPsnr(psnr: number): number {
  return Number.isFinite(psnr) ? (PEAK * PEAK) / 10 ** (psnr / 10) : 0;
}

const round = (value: number, digits: number) => Number(value.toFixed(digits));
const mean = (sum: number, count: number) => (count > 0 ? sum / count : 0);

export function readoutOf(sums: QualitySums): QualityReadout {
  const enhancedChange = mean(sums.enhancedPath, sums.enhancedIntervals);
  const sourceChange = mean(sums.sourcePath, sums.sourceIntervals);
  const seam = sums.seamCount > 0 ? sums.seamChange / sums.seamCount : null;
  const inside = sums.insideCount > 0 ? sums.insideChange / sums.insideCount : null;
  const psnr = sums.compared > 0 ? psnrOfMse(sums.mseY / sums.compared) : null;
  return {
    comparedFrames: sums.compared,
    psnrY: psnr === null ? null : round(psnr, 3),
    ssimY: round(mean(sums.ssimY, sums.compared), 5),
    flicker: round(enhancedChange - sourceChange, 4),
    enhancedChange: round(enhancedChange, 4),
    sourceChange: round(sourceChange, 4),
    seams: {
      count: sums.seamCount,
      change: seam === null ? null : round(seam, 4),
      insideChange: inside === null ? null : round(inside, 4),
      // A still picture has no change inside chunks: any change at a seam then counts as a jump of its own size.
      ratio: seam === null || inside === null ? null : round(seam / Math.max(inside, 0.01), 3),
      worstFrame: sums.worstSeam?.frame ?? null,
    },
  };
}

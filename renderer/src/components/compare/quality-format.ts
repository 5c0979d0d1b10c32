// How the compare viewer words the quality figures. Pure.
import type { QualityReadout as Readout } from '../../../../main/common/quality-model';

export function formatPsnr(readout: Readout): string {
  if (readout.comparedFrames === 0) return '–';
  return readout.psnrY === null ? '∞ dB' : `${readout.psnrY.toFixed(2)} dB`;
}

export function formatFlicker(value: number): string {
  const rounded = Math.abs(value) < 0.005 ? 0 : value;
  return `${rounded > 0 ? '+' : ''}${rounded.toFixed(2)}`;
}

export function formatSeams(readout: Readout): string {
  const { seams } = readout;
  if (seams.count === 0 || seams.ratio === null) return 'none';
  return `${seams.ratio.toFixed(2)}×`;
}

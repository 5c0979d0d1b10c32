// The compare viewer's quality readout: fidelity (PSNR-Y, SSIM-Y of the enhanced frames resized back to the source
// size) and stability (flicker index, seam jump) of the previewed range, each with a tooltip saying what it means.
import type { QualityReadout as Readout, QualityStatus } from '../../../../main/common/quality-model';
import { Tip } from '../Tip';
import { formatFlicker, formatPsnr, formatSeams } from './quality-format';

const PSNR_TIP =
  'Fidelity, PSNR of luma: the enhanced frames resized back to the source size against the source frames (inserted frames left out). ' +
  'Higher is closer to the source; ∞ means identical. Generative enhancement may add detail the source lacks and score lower.';
const SSIM_TIP = 'Fidelity, SSIM of luma (0–1): structural similarity of the enhanced frames, resized back, with the source. 1 means identical.';
const FLICKER_TIP =
  'Flicker index: mean luma change between consecutive enhanced frames (per source-frame interval, levels of 255, at the output size) ' +
  'minus the same for the source upscaled. About 0 when the enhancement adds no temporal noise; positive when it flickers.';

function seamTip(readout: Readout): string {
  const { seams } = readout;
  if (seams.count === 0) return 'Chunk seams: the range lies in one chunk, so there is no seam to measure.';
  return (
    `Chunk seams: the luma change across the ${seams.count} seam${seams.count === 1 ? '' : 's'} between chunks ` +
    `(${seams.change?.toFixed(2)} levels) against the change between frames inside chunks (${seams.insideChange?.toFixed(2)}). ` +
    `About 1× when seams do not show; well above 1× when they jump${seams.worstFrame !== null ? ` (largest at enhanced frame ${seams.worstFrame})` : ''}.`
  );
}

export function QualityReadout({ quality }: { quality: QualityStatus | undefined }) {
  if (!quality) return null;
  if (quality.state === 'measuring') {
    return (
      <div className="compare-quality muted small" data-testid="compare-quality" data-state="measuring">
        Measuring quality…
      </div>
    );
  }
  if (quality.state === 'failed' || !quality.readout) {
    return (
      <Tip label={quality.message ?? 'The quality could not be measured.'}>
        <div className="compare-quality muted small" data-testid="compare-quality" data-state="failed" tabIndex={0}>
          Quality not measured
        </div>
      </Tip>
    );
  }
  const r = quality.readout;
  const cached = quality.fromCache ? ' (from the cache)' : '';
  return (
    <div className="compare-quality small" data-testid="compare-quality" data-state="ready" data-from-cache={quality.fromCache} role="group" aria-label={`Quality readout${cached}`}>
      <Tip label={PSNR_TIP}>
        <span className="compare-quality-item" tabIndex={0} data-testid="quality-psnr">
          PSNR <b>{formatPsnr(r)}</b>
        </span>
      </Tip>
      <Tip label={SSIM_TIP}>
        <span className="compare-quality-item" tabIndex={0} data-testid="quality-ssim">
          SSIM <b>{r.comparedFrames ? r.ssimY.toFixed(4) : '–'}</b>
        </span>
      </Tip>
      <Tip label={FLICKER_TIP}>
        <span className="compare-quality-item" tabIndex={0} data-testid="quality-flicker">
          Flicker <b>{formatFlicker(r.flicker)}</b>
        </span>
      </Tip>
      <Tip label={seamTip(r)}>
        <span className="compare-quality-item" tabIndex={0} data-testid="quality-seams">
          Seams <b>{formatSeams(r)}</b>
        </span>
      </Tip>
    </div>
  );
}

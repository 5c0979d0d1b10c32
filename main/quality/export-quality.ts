// The quality of a finished export, over every clip it shows: each clip segment of the output file against the
// source frames it stands for (gaps are left out), with a seam wherever the segment's frames come from another
// chunk or another encoded piece. The figures go into the export's job record (its payload).
import type { QualityStatus } from '../common/quality-model';
import { readPayload, type ExportPayload } from '../export/export-job';
import { codecDefinition } from '../export/codecs';
import type { ProjectStore } from '../store/types';
import { measureQuality } from './measure';
import { addSums, EMPTY_SUMS, readoutOf, type QualitySums } from './quality-sums';

export type ExportQualityOptions = {
  store: ProjectStore;
  jobId: number;
  ffmpeg: string;
  signal?: AbortSignal;
  log(message: string): void;
};

/** Measures the done export, stores the figures in its payload and returns them (state 'failed' with a message
 *  when they cannot be measured; the export itself stays done). */
export async function measureExportQuality(opts: ExportQualityOptions): Promise<QualityStatus> {
  const payload = readPayload(opts.store, opts.jobId);
  let status: QualityStatus;
  try {
    const sums = await measurePayload(payload, opts);
    status =
      sums.compared > 0
        ? { state: 'ready', readout: readoutOf(sums), fromCache: false, message: null }
        : { state: 'failed', readout: null, fromCache: false, message: 'Not measured: the export shows no clip (only gaps).' };
  } catch (error) {
    const stopped = opts.signal?.aborted === true;
    if (!stopped) opts.log(`export ${opts.jobId}: measuring its quality failed: ${(error as Error).stack ?? error}`);
    status = {
      state: 'failed',
      readout: null,
      fromCache: false,
      message: stopped ? 'Not measured: stopped before the measurement ended.' : `Measuring failed: ${(error as Error).message}`,
    };
  }
  const latest = readPayload(opts.store, opts.jobId);
  opts.store.updateJob(opts.jobId, { payload: { ...latest, measuredQuality: status } });
  return status;
}

async function measurePayload(payload: ExportPayload, opts: ExportQualityOptions): Promise<QualitySums> {
  const { plan, target, spec } = payload;
  if (codecDefinition(spec.codec).container === 'png') {
    throw new Error('PNG sequences are not measured; export a video to read its quality');
  }
  const outRate = plan.fps.num / plan.fps.den;
  let total: QualitySums = { ...EMPTY_SUMS };
  for (const [index, segment] of plan.segments.entries()) {
    if (segment.kind !== 'clip') continue;
    const source = payload.sources[segment.clipId];
    const { variant } = source;
    const srcRate = source.sourceFps.num / source.sourceFps.den;
    const frames = segment.outputEnd - segment.outputStart;
    const firstSource = Math.floor(segment.mediaStartSec * srcRate + 1e-6);
    const sourceFrames = Math.max(1, Math.min(variant.media.frameCount - firstSource, Math.round((frames * srcRate) / outRate)));
    const perSource = outRate / srcRate;
    const seams = new Set<number>();
    // Pieces are encoded apart: each start is a join.
    for (const piece of plan.pieces) {
      if (piece.segment === index && piece.outputStart > segment.outputStart) seams.add(piece.outputStart - segment.outputStart);
    }
    // Chunk boundaries: model engines always render through chunks (classic ones may, when cached).
    if (variant.engine !== 'classic') {
      for (let m = Math.ceil((firstSource + 1) / variant.chunkFrames) * variant.chunkFrames; m < firstSource + sourceFrames; m += variant.chunkFrames) {
        seams.add(Math.round((m - firstSource) * perSource));
      }
    }
    const sums = await measureQuality({
      ffmpeg: opts.ffmpeg,
      enhanced: { file: target.finalPath, fps: plan.fps, firstFrame: segment.outputStart, frames, width: plan.width, height: plan.height },
      source: { file: source.path, fps: source.sourceFps, firstFrame: firstSource, frames: sourceFrames, width: source.width, height: source.height },
      seams: [...seams],
      signal: opts.signal,
    });
    total = addSums(total, sums);
  }
  return total;
}

/** One line for the CLI: the figures, or why there are none. */
export function describeQuality(status: QualityStatus): string {
  const r = status.readout;
  if (status.state !== 'ready' || !r) return `Quality: ${status.message ?? 'not measured'}`;
  const psnr = r.psnrY === null ? 'inf' : r.psnrY.toFixed(2);
  const flicker = `${r.flicker >= 0 ? '+' : ''}${r.flicker.toFixed(2)}`;
  const seams = r.seams.ratio === null ? 'no seams' : `seams ${r.seams.ratio.toFixed(2)}x over ${r.seams.count}`;
  return `Quality: PSNR-Y ${psnr} dB, SSIM-Y ${r.ssimY.toFixed(4)} over ${r.comparedFrames} frames, flicker ${flicker}, ${seams}`;
}

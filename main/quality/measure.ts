// Measures an enhanced range against its source with ffmpeg: fidelity with the psnr and ssim filters (the enhanced
// frames that stand for a source frame, resized back to the source size with an antialiased bicubic), stability
// from the luma of consecutive frames decoded on a pipe (the enhanced video, and the source upscaled to the
// output size), summed here so that nothing of a long range is held in memory.
import { spawn } from 'node:child_process';
import type { Rational } from '../common/model';
import { CancelledError } from '../engine/types';
import { inputUrl } from '../media/probe';
import { runTool, ToolError } from '../media/run-process';
import { EMPTY_SUMS, mseOfPsnr, type QualitySums } from './quality-sums';

/** Frames [firstFrame, firstFrame + frames) of a video file at its constant rate `fps`. */
export type VideoRange = {
  file: string;
  fps: Rational;
  firstFrame: number;
  frames: number;
  width: number;
  height: number;
};

export type MeasureRequest = {
  ffmpeg: string;
  enhanced: VideoRange;
  source: VideoRange;
  /** Indices (counted from the enhanced range's first frame) of the frames that start a new chunk: the step
   *  into each is a seam. 0 and indices past the range are ignored. */
  seams: number[];
  /** Number of the enhanced range's first frame in the enhanced side's own numbering (for the worst seam). */
  frameNumberBase?: number;
  signal?: AbortSignal;
  /** ffmpeg threads per process (the measurements share the machine with the editor). */
  threads?: number;
};

const rate = (r: Rational) => r.num / r.den;

/** Seconds that land between frame first - 1 and first, so the seek neither misses nor repeats a frame. */
function seekArgs(range: VideoRange): string[] {
  return range.firstFrame > 0 ? ['-ss', ((range.firstFrame - 0.5) / rate(range.fps)).toFixed(6)] : [];
}

/** Enhanced frames per source frame: k + 1 for a rate raised by interpolation; 1 for the same rate. */
function framesPerSourceFrame(req: MeasureRequest): number {
  return rate(req.enhanced.fps) / rate(req.source.fps);
}

export async function measureQuality(req: MeasureRequest): Promise<QualitySums> {
  if (req.enhanced.frames < 1 || req.source.frames < 1) return { ...EMPTY_SUMS };
  const [fidelity, enhancedSteps, sourceSteps] = await Promise.all([
    measureFidelity(req),
    lumaSteps(req, req.enhanced, null),
    lumaSteps(req, req.source, { width: req.enhanced.width, height: req.enhanced.height }),
  ]);
  const seams = new Set(req.seams.filter((i) => i > 0 && i < enhancedSteps.length + 1));
  const base = req.frameNumberBase ?? req.enhanced.firstFrame;
  let seamChange = 0;
  let insideChange = 0;
  let worstSeam: QualitySums['worstSeam'] = null;
  enhancedSteps.forEach((change, step) => {
    // Step `step` goes from frame step to frame step + 1.
    if (seams.has(step + 1)) {
      seamChange += change;
      if (!worstSeam || change > worstSeam.change) worstSeam = { frame: base + step + 1, change };
    } else insideChange += change;
  });
  return {
    ...fidelity,
    enhancedPath: sum(enhancedSteps),
    enhancedIntervals: enhancedSteps.length / framesPerSourceFrame(req),
    sourcePath: sum(sourceSteps),
    sourceIntervals: sourceSteps.length,
    seamCount: seams.size,
    seamChange,
    insideCount: enhancedSteps.length - seams.size,
    insideChange,
    worstSeam,
  };
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** PSNR-Y and SSIM-Y of each enhanced frame that stands for a source frame, against that frame. */
async function measureFidelity(req: MeasureRequest): Promise<Pick<QualitySums, 'compared' | 'mseY' | 'ssimY'>> {
  const { enhanced, source } = req;
  const ratio = framesPerSourceFrame(req);
  const whole = Math.round(ratio);
  // With a whole ratio every (k+1)-th frame is a source frame's; otherwise (an export conformed to another rate)
  // the enhanced frame nearest each source frame's time.
  const pick = Math.abs(ratio - whole) < 1e-6 ? (whole > 1 ? [`select='not(mod(n\\,${whole}))'`] : []) : [`fps=${source.fps.num}/${source.fps.den}:round=near`];
  // Both sides numbered 0, 1, 2... at the source rate, so the filters pair frame i with frame i.
  const renumber = `setpts=N*${source.fps.den}/${source.fps.num}/TB`;
  const enhancedChain = [
    `trim=end_frame=${enhanced.frames}`,
    'setpts=PTS-STARTPTS',
    ...pick,
    `scale=${source.width}:${source.height}:flags=bicubic`,
    'format=yuv420p',
    renumber,
  ].join(',');
  const sourceChain = [`trim=end_frame=${source.frames}`, `scale=${source.width}:${source.height}`, 'format=yuv420p', renumber].join(',');
  const graph =
    `[0:v]${enhancedChain},split[e1][e2];[1:v]${sourceChain},split[s1][s2];` +
    `[e1][s1]psnr=stats_file=-[p];[e2][s2]ssim=stats_file=-[q]`;
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-threads', String(req.threads ?? 1)];
  args.push(...seekArgs(enhanced), '-i', inputUrl(enhanced.file), ...seekArgs(source), '-i', inputUrl(source.file));
  args.push('-filter_complex', graph, '-map', '[p]', '-f', 'null', '-', '-map', '[q]', '-f', 'null', '-');
  const { stdout } = await run(req, args);
  return parseFidelityStats(stdout.toString('utf8'));
}

/** Per-frame lines of ffmpeg's psnr and ssim filters (stats_file=-): 'n:1 mse_avg:.. psnr_y:..' and 'n:1 Y:..'. */
export function parseFidelityStats(text: string): Pick<QualitySums, 'compared' | 'mseY' | 'ssimY'> {
  const mse = new Map<number, number>();
  const ssim = new Map<number, number>();
  for (const line of text.split('\n')) {
    const n = /^n:(\d+)\s/.exec(line);
    if (!n) continue;
    const psnrY = /\spsnr_y:(\S+)/.exec(line);
    // mse_y is printed with two decimals only; psnr_y keeps the precision of a small error.
    if (psnrY) mse.set(Number(n[1]), mseOfPsnr(psnrY[1] === 'inf' ? Infinity : Number(psnrY[1])));
    const ssimY = /\sY:(\S+)/.exec(line);
    if (ssimY) ssim.set(Number(n[1]), Number(ssimY[1]));
  }
  let compared = 0;
  let mseY = 0;
  let ssimY = 0;
  for (const [n, value] of mse) {
    const s = ssim.get(n);
    if (s === undefined || !Number.isFinite(value) || !Number.isFinite(s)) continue;
    compared += 1;
    mseY += value;
    ssimY += s;
  }
  return { compared, mseY, ssimY };
}

/** Mean absolute luma change (levels of 255) between consecutive frames of the range, scaled to `size` first. */
async function lumaSteps(req: MeasureRequest, range: VideoRange, size: { width: number; height: number } | null): Promise<number[]> {
  const width = size?.width ?? range.width;
  const height = size?.height ?? range.height;
  const filters = [`trim=end_frame=${range.frames}`];
  if (size && (size.width !== range.width || size.height !== range.height)) filters.push(`scale=${width}:${height}:flags=bicubic`);
  filters.push('format=yuv420p', 'extractplanes=y');
  const args = ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error', '-threads', String(req.threads ?? 1)];
  args.push(...seekArgs(range), '-i', inputUrl(range.file), '-vf', filters.join(','), '-f', 'rawvideo', '-pix_fmt', 'gray', 'pipe:1');
  const frameBytes = width * height;
  const steps: number[] = [];
  let previous: Buffer | null = null;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const onFrame = (frame: Buffer) => {
    if (previous) {
      let total = 0;
      for (let i = 0; i < frameBytes; i++) total += Math.abs(frame[i] - previous[i]);
      steps.push(total / frameBytes);
    }
    previous = frame;
  };
  await stream(req, args, (chunk) => {
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes < frameBytes) return;
    let data = Buffer.concat(pending, pendingBytes);
    while (data.length >= frameBytes) {
      onFrame(Buffer.from(data.subarray(0, frameBytes)));
      data = data.subarray(frameBytes);
    }
    pending = data.length ? [Buffer.from(data)] : [];
    pendingBytes = data.length;
  });
  return steps;
}

async function run(req: MeasureRequest, args: string[]): Promise<{ stdout: Buffer }> {
  try {
    return await runTool(req.ffmpeg, args, { signal: req.signal, maxOutputBytes: 64 * 1024 * 1024 });
  } catch (error) {
    if (error instanceof ToolError && error.failure === 'abort') throw new CancelledError();
    throw error;
  }
}

/** Runs ffmpeg and hands its stdout to `onData` as it comes (the pipe's backpressure paces ffmpeg). */
function stream(req: MeasureRequest, args: string[], onData: (chunk: Buffer) => void): Promise<void> {
  if (req.signal?.aborted) return Promise.reject(new CancelledError());
  return new Promise<void>((resolve, reject) => {
    const child = spawn(req.ffmpeg, args, { shell: false, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let failure: Error | null = null;
    let settled = false;
    const settle = (error: Error | null) => {
      if (settled) return;
      settled = true;
      req.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    };
    const onAbort = () => {
      failure ??= new CancelledError();
      child.kill('SIGKILL');
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      if (failure) return;
      try {
        onData(chunk);
      } catch (error) {
        failure = error as Error;
        child.kill('SIGKILL');
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-4096);
    });
    child.on('error', (error) => settle(failure ?? new Error(`ffmpeg could not be started from ${req.ffmpeg}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (failure) settle(failure);
      else if (code !== 0) settle(new Error(`ffmpeg ${code !== null ? `exited with code ${code}` : `was killed by ${signal}`}: ${stderr.trim() || 'no message'}`));
      else settle(null);
    });
  });
}

// Decodes a video segment to packed rgb24 frames on a pipe, one frame at a time, so a whole clip never sits in
// memory: the consumer pulls frames and ffmpeg is paused by the pipe's backpressure while it works.
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Rational } from '../../common/model';
import { isInterlacedFieldOrder, rotationOf, variableRateOfStream, type FfprobeOutput, type FfprobeStream } from '../../media/probe';
import { DEINTERLACE_FILTER, shouldDeinterlace } from '../classic/filter-graph';
import type { EnhanceJobSpec, RgbFrame } from '../types';
import { StderrTail } from './stderr-tail';

const execFileAsync = promisify(execFile);


export type FrameReader = {
  /** Display size (rotation applied). */
  width: number;
  height: number;
  fps: number;
  /** Frames expected in the range from the probe; the decoded count is authoritative. */
  expectedFrames: number;
  /** The frames are deinterlaced (bwdif). */
  deinterlaced: boolean;
  /** A variable-rate source was conformed to `fps`. */
  conformedRate: boolean;
  /** Single-use: iterate once. Stopping early (break, throw) ends ffmpeg. */
  frames: AsyncIterable<RgbFrame>;
  /** Ends ffmpeg if it still runs; safe to call more than once. */
  close(): void;
};

export type VideoProbe = {
  width: number;
  height: number;
  fps: number;
  /** ffmpeg's rational spelling of the rate, e.g. "30000/1001". */
  fpsText: string;
  durationSec: number;
  hasAudio: boolean;
  /** Stored as interlaced fields (ffprobe's field order). */
  interlaced: boolean;
  /** The video stream as ffprobe describes it. */
  stream: FfprobeStream;
};

export async function probeVideo(ffprobe: string, file: string): Promise<VideoProbe> {
  let stdout: string;
  try {
    ({ stdout } = await execFileAsync(
      ffprobe,
      ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', file],
      { maxBuffer: 16 * 1024 * 1024 },
    ));
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(`Cannot read ${file}: ${stderr || (error as Error).message}. Check that the file exists and is a video.`);
  }
  const info = JSON.parse(stdout) as FfprobeOutput;
  const streams = info.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  if (!video) throw new Error(`${file} has no video stream: choose a video file.`);
  const rate = parseRate(video.avg_frame_rate) ?? parseRate(video.r_frame_rate);
  if (!rate) throw new Error(`${file}: the video stream has no usable frame rate.`);
  const { width, height } = video;
  if (!width || !height) throw new Error(`${file}: the video stream has no frame size; re-encode it (ffmpeg -i in out.mp4) and retry.`);
  const quarterTurn = rotationOf(video) % 180 === 90;
  const durationSec = Number(video.duration ?? info.format?.duration ?? NaN);
  if (!(durationSec > 0)) throw new Error(`${file}: the video's duration is unknown; remux it (ffmpeg -i in -c copy out.mkv) and retry.`);
  return {
    width: quarterTurn ? height : width,
    height: quarterTurn ? width : height,
    fps: rate.value,
    fpsText: rate.text,
    durationSec,
    hasAudio: streams.some((s) => s.codec_type === 'audio'),
    interlaced: isInterlacedFieldOrder(video.field_order),
    stream: video,
  };
}

function parseRate(text: unknown): { value: number; text: string } | null {
  if (typeof text !== 'string') return null;
  const [num, den = '1'] = text.split('/');
  const value = Number(num) / Number(den);
  return Number.isFinite(value) && value > 0 ? { value, text } : null;
}

export async function openFrameReader(opts: {
  ffmpeg: string;
  ffprobe: string;
  file: string;
  startSec?: number;
  endSec?: number;
  /** Deinterlace (bwdif, one frame per frame) before anything else: auto when the source is stored as interlaced
   *  fields; off when absent. */
  deinterlace?: 'auto' | 'on' | 'off';
  /** A variable-rate source is conformed to this constant rate (the media probe's, on which chunks are counted):
   *  the frame showing at each output time, placed by its timestamp. Constant-rate sources pass every frame once. */
  variableRate?: Rational;
  /** The file's probeVideo, when the caller has it already. */
  probe?: VideoProbe;
}): Promise<FrameReader> {
  const probe = opts.probe ?? (await probeVideo(opts.ffprobe, opts.file));
  if (opts.variableRate) {
    probe.fps = opts.variableRate.num / opts.variableRate.den;
    probe.fpsText = `${opts.variableRate.num}/${opts.variableRate.den}`;
  }
  const start = Math.max(0, opts.startSec ?? 0);
  const end = Math.min(opts.endSec ?? probe.durationSec, probe.durationSec);
  if (!(end > start)) {
    throw new Error(`The range ${start}s-${end}s of ${opts.file} is empty: choose an end after the start, within ${probe.durationSec.toFixed(3)}s.`);
  }
  const expectedFrames = Math.max(1, Math.round((end - start) * probe.fps));
  const { width, height } = probe;
  const frameBytes = width * height * 3;

  // -ss before -i with the default accurate_seek decodes from the previous key frame and drops frames before the
  // start. -t is an input option too: it then trims decoded frames by their exact timestamps, where an output -t
  // compares timestamps rounded to the frame rate and can drop the last frame (a range that starts half a frame
  // before a frame, as the chunk renderer's do, puts every frame exactly on a rounding boundary). Rotation is
  // applied by ffmpeg's autorotate.
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error'];
  if (start > 0) args.push('-ss', start.toFixed(6));
  args.push('-t', (end - start).toFixed(6), '-i', opts.file, '-map', '0:v:0', '-an', '-sn', '-dn');
  const deinterlaced = shouldDeinterlace(opts.deinterlace ?? 'off', probe.interlaced);
  const filters = [deinterlaced ? DEINTERLACE_FILTER : null, opts.variableRate ? `fps=fps=${probe.fpsText}:round=near` : null].filter(Boolean);
  if (filters.length > 0) args.push('-vf', filters.join(','));
  // Passthrough keeps every decoded frame exactly once (no duplicates, no drops): each one is a key frame.
  args.push('-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');

  const child = spawn(opts.ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Listened to from the start: when a child exits, Node resumes (and so discards) any output stream nothing listens
  // to yet, which would lose a short clip decoded while the caller was still busy elsewhere. A 'readable' listener
  // leaves the data buffered (ffmpeg waits once the buffer is full) for the iterator below.
  child.stdout.on('readable', () => undefined);
  const stderr = new StderrTail(child.stderr);
  let stoppedByUs = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`Cannot start ffmpeg (${opts.ffmpeg}): ${error.message}. Install ffmpeg or set its path.`)));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  // Errors surface through the iterator; this keeps an unobserved rejection from crashing the process.
  exited.catch(() => undefined);

  const close = () => {
    if (child.exitCode === null && child.signalCode === null) {
      stoppedByUs = true;
      child.kill('SIGKILL');
    }
  };

  let iterated = false;
  async function* frames(): AsyncGenerator<RgbFrame> {
    if (iterated) throw new Error('A frame reader can be iterated once; open another reader.');
    iterated = true;
    let frame = new Uint8Array(frameBytes);
    let filled = 0;
    try {
      for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
        let offset = 0;
        while (offset < chunk.length) {
          const take = Math.min(frameBytes - filled, chunk.length - offset);
          frame.set(chunk.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
          if (filled === frameBytes) {
            yield { width, height, data: frame };
            frame = new Uint8Array(frameBytes);
            filled = 0;
          }
        }
      }
      const { code, signal } = await exited;
      if (code !== 0 && !stoppedByUs) {
        throw new Error(`ffmpeg could not decode ${opts.file} (${signal ?? `exit code ${code}`}): ${stderr.text() || 'no message'}`);
      }
      if (filled !== 0) {
        throw new Error(`ffmpeg ended ${opts.file} in the middle of a frame (${filled} of ${frameBytes} bytes): ${stderr.text() || 'no message'}`);
      }
    } finally {
      close();
    }
  }

  return { width, height, fps: probe.fps, expectedFrames, deinterlaced, conformedRate: opts.variableRate !== undefined, frames: { [Symbol.asyncIterator]: frames }, close };
}

/** The constant rate a variable-rate source is conformed to (openFrameReader's variableRate), from the media probe
 *  the chunk grid is counted on; undefined for a constant-rate source. */
export async function variableRateOf(file: string, ffprobe: string, probe?: VideoProbe): Promise<Rational | undefined> {
  return variableRateOfStream(ffprobe, file, (probe ?? (await probeVideo(ffprobe, file))).stream);
}

/** The model engines' reader of a job's source: deinterlaced and conformed to a constant rate as the clip and the
 *  source ask, with a note for each in `notes`. */
export async function openSourceReader(
  spec: Pick<EnhanceJobSpec, 'input' | 'startSec' | 'endSec' | 'settings'>,
  deps: { ffmpeg: string; ffprobe: string },
  notes: string[],
): Promise<FrameReader> {
  const probe = await probeVideo(deps.ffprobe, spec.input);
  const variableRate = await variableRateOf(spec.input, deps.ffprobe, probe);
  const reader = await openFrameReader({
    ffmpeg: deps.ffmpeg,
    ffprobe: deps.ffprobe,
    file: spec.input,
    startSec: spec.startSec,
    endSec: spec.endSec,
    deinterlace: spec.settings.classic.deinterlace ?? 'auto',
    variableRate,
    probe,
  });
  if (reader.deinterlaced) notes.push('Deinterlaced first (bwdif): the source is stored as interlaced fields, or Deinterlace is on.');
  if (reader.conformedRate) {
    notes.push(`Variable-rate source conformed to a constant ${Number(reader.fps.toFixed(3))} fps, frames placed by their timestamps.`);
  }
  return reader;
}

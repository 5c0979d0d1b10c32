// Encodes packed rgb24 frames from a pipe into a video (with the source's audio over the same range) or a folder
// of numbered PNGs. Output goes to a temporary name beside the target and is renamed only on success, so a
// partial result never looks complete; abort() removes it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { EnhanceJobSpec, RgbFrame } from '../types';
import { CHUNK_VIDEO_ARGS, requireChunkPath } from './chunk-encoding';
import { StderrTail } from './stderr-tail';

export type FrameWriter = {
  /** Queues the frame; resolves at once while fewer than a few frames wait for ffmpeg, else once ffmpeg has taken
   *  the oldest (backpressure); rejects with ffmpeg's message if it failed. The frame's buffer must not be reused, except one from frameBuffer(). */
  write(frame: RgbFrame): Promise<void>;
  /** Ends the stream, waits for ffmpeg and renames the result into place. */
  finish(): Promise<string>;
  /** Stops ffmpeg and removes the temporary output. */
  abort(): Promise<void>;
  /** Frames passed on to ffmpeg so far (frames outside `keep` are not counted). */
  framesWritten(): number;
  /** A frame-sized buffer no queued write still holds, to fill and pass to write(): callers that produce many
   *  frames reuse a few buffers instead of allocating one per frame. Up to `aheadFrames` (1 by default) may be taken
   *  before the first of them is written; they must be written in the order they were taken. */
  frameBuffer(): Uint8Array;
};

export const PNG_FRAME_PATTERN = 'frame-%06d.png';

/** Frames queued on ffmpeg's stdin before write() waits. */
const IN_FLIGHT = 4;

export async function openFrameWriter(opts: {
  ffmpeg: string;
  output: EnhanceJobSpec['output'];
  width: number;
  height: number;
  fps: number;
  audioFrom?: { file: string; startSec: number; endSec: number };
  /** Frames to write, counted from the first frame given to write(); the others are dropped. All when absent. */
  keep?: { first: number; count: number };
  /** An ffmpeg filter chain applied to the written frames before encoding (e.g. interpolation and a resize);
   *  `keep` still counts the frames given to write(). */
  videoFilter?: string;
  /** frameBuffer() buffers a caller may hold, taken and not yet written, at once (1 by default). */
  aheadFrames?: number;
}): Promise<FrameWriter> {
  const { width, height, fps, output } = opts;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`Cannot write frames of ${width}x${height}: the size must be positive whole pixels.`);
  }
  if (!(fps > 0 && Number.isFinite(fps))) throw new Error(`Cannot write video at ${fps} fps: the rate must be positive.`);
  const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y'];
  args.push('-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-framerate', formatRate(fps), '-i', 'pipe:0');

  let finalPath: string;
  let tempPath: string;
  if (output.kind === 'chunk') {
    finalPath = path.resolve(output.path);
    requireChunkPath(finalPath);
    await mkdir(path.dirname(finalPath), { recursive: true });
    tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath, '.mp4')}.partial-${token}.mp4`);
    args.push('-map', '0:v:0', ...CHUNK_VIDEO_ARGS, tempPath);
  } else if (output.kind === 'video') {
    finalPath = path.resolve(output.path);
    const ext = path.extname(finalPath).toLowerCase();
    if (!ext) throw new Error(`The output ${finalPath} has no extension: name it .mp4, .mov, .mkv or .webm.`);
    await mkdir(path.dirname(finalPath), { recursive: true });
    // The extension stays last so ffmpeg picks the same container as for the final name.
    tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath, ext)}.partial-${token}${ext}`);
    const webm = ext === '.webm';
    if (opts.audioFrom) {
      const { file, startSec, endSec } = opts.audioFrom;
      if (startSec > 0) args.push('-ss', startSec.toFixed(6));
      args.push('-t', Math.max(0, endSec - startSec).toFixed(6), '-i', file);
    }
    args.push('-map', '0:v:0');
    if (opts.audioFrom) args.push('-map', '1:a:0?');
    // 4:2:0 cannot hold odd sizes.
    const pixFmt = width % 2 === 0 && height % 2 === 0 ? 'yuv420p' : 'yuv444p';
    if (webm) args.push('-c:v', 'libvpx-vp9', '-crf', String(output.crf ?? 24), '-b:v', '0', '-row-mt', '1');
    else args.push('-c:v', 'libx264', '-preset', 'medium', '-crf', String(output.crf ?? 17));
    args.push('-pix_fmt', pixFmt);
    if (opts.audioFrom) args.push('-c:a', webm ? 'libopus' : 'aac', '-b:a', '192k', '-shortest');
    if (ext === '.mp4' || ext === '.mov') args.push('-movflags', '+faststart');
    args.push(tempPath);
  } else {
    finalPath = path.resolve(output.dir);
    const existing = await readdir(finalPath).catch(() => null);
    if (existing && existing.length > 0) {
      throw new Error(`The frames folder ${finalPath} is not empty: choose a new or empty folder.`);
    }
    tempPath = `${finalPath}.partial-${token}`;
    await mkdir(tempPath, { recursive: true });
    args.push('-f', 'image2', '-start_number', '1', '-c:v', 'png', '-pix_fmt', 'rgb24', path.join(tempPath, PNG_FRAME_PATTERN));
  }

  // -vf is an output option: it goes just before the output name, the last argument in every branch above.
  if (opts.videoFilter) args.splice(args.length - 1, 0, '-vf', opts.videoFilter);

  if (output.kind !== 'frames') {
    // The temporary file exists from the moment the writer is open, as the frames folder does: ffmpeg creates its
    // output only after it has started and taken the first frames, which on a loaded machine can be long after
    // the first write() returned, and until then a crash would leave nothing that says a write was under way.
    // Creating it here also reports an unwritable folder before any engine work.
    await writeFile(tempPath, '', { flag: 'wx' });
  }
  const child = spawn(opts.ffmpeg, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr = new StderrTail(child.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  // A write to a dead ffmpeg fails with EPIPE; the failure is reported through write()/finish() with its stderr.
  child.stdin.on('error', () => undefined);

  const frameBytes = width * height * 3;
  let state: 'open' | 'finishing' | 'done' | 'aborted' = 'open';
  const inFlight: Promise<Error | null | undefined>[] = [];
  let writeFailed = false;
  let given = 0;
  let written = 0;
  const keepFirst = opts.keep?.first ?? 0;
  const keepEnd = opts.keep ? opts.keep.first + opts.keep.count : Infinity;

  // IN_FLIGHT writes can be queued when write() returns, and the caller holds up to aheadFrames taken but not yet
  // written: a ring of both together never hands out a buffer either still uses.
  const aheadFrames = opts.aheadFrames ?? 1;
  if (!Number.isInteger(aheadFrames) || aheadFrames < 1) throw new Error(`aheadFrames must be a whole number >= 1, got ${aheadFrames}`);
  const ringSize = IN_FLIGHT + aheadFrames;
  const ring: Uint8Array[] = [];
  let ringNext = 0;

  const removeTemp = () => rm(tempPath, { recursive: true, force: true });
  const failure = async (what: string): Promise<Error> => {
    const { code, signal, spawnError } = await exited;
    if (spawnError) return new Error(`Cannot start ffmpeg (${opts.ffmpeg}): ${spawnError.message}. Install ffmpeg or set its path.`);
    return new Error(`ffmpeg failed ${what} ${finalPath} (${signal ?? `exit code ${code}`}): ${stderr.text() || 'no message'}`);
  };

  return {
    async write(frame: RgbFrame) {
      if (state !== 'open') throw new Error(`Cannot write a frame: the writer for ${finalPath} is ${state}.`);
      if (frame.width !== width || frame.height !== height || frame.data.length !== frameBytes) {
        throw new Error(`Frame of ${frame.width}x${frame.height} (${frame.data.length} bytes) given to a ${width}x${height} writer.`);
      }
      const index = given++;
      if (index < keepFirst || index >= keepEnd) return;
      written++;
      // Up to IN_FLIGHT frames are queued on the pipe before a write waits, so ffmpeg encodes while the caller
      // computes the next frames instead of the two taking turns. The caller must not reuse a frame's buffer.
      if (writeFailed) throw await failure('while writing');
      inFlight.push(new Promise<Error | null | undefined>((resolve) => child.stdin.write(frame.data, resolve)));
      while (inFlight.length >= IN_FLIGHT) {
        const error = await inFlight.shift();
        if (error) {
          writeFailed = true;
          throw await failure('while writing');
        }
      }
    },
    async finish() {
      if (state !== 'open') throw new Error(`Cannot finish ${finalPath}: the writer is ${state}.`);
      state = 'finishing';
      for (const error of await Promise.all(inFlight.splice(0))) if (error) writeFailed = true;
      child.stdin.end();
      const { code } = await exited;
      if (code !== 0 || writeFailed) {
        const error = await failure('to write');
        state = 'aborted';
        await removeTemp();
        throw error;
      }
      if (output.kind === 'frames') {
        // An empty folder made in advance (e.g. by a file dialog) is replaced; a non-empty one was refused above.
        const existing = await stat(finalPath).catch(() => null);
        if (existing?.isDirectory()) await rmdir(finalPath);
      }
      await rename(tempPath, finalPath);
      state = 'done';
      return finalPath;
    },
    framesWritten: () => written,
    frameBuffer() {
      const slot = ringNext;
      ringNext = (ringNext + 1) % ringSize;
      return (ring[slot] ??= new Uint8Array(frameBytes));
    },
    async abort() {
      if (state === 'done' || state === 'aborted') return;
      state = 'aborted';
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      await removeTemp();
    },
  };
}

/** A rate ffmpeg reads exactly for common NTSC rates (30000/1001) and precisely enough otherwise. */
function formatRate(fps: number): string {
  for (const den of [1, 1001, 100]) {
    const num = fps * den;
    if (Math.abs(num - Math.round(num)) < 1e-6 * den) return `${Math.round(num)}/${den}`;
  }
  return fps.toFixed(9);
}

// Runs one ffmpeg of an export with its `-progress` reports (frames written) and stops it at once on abort.
import { spawn } from 'node:child_process';
import { FfmpegProgressParser } from '../engine/classic/ffmpeg-progress';
import { StderrTail } from '../engine/io/stderr-tail';
import { CancelledError } from '../engine/types';

export class FfmpegFailure extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'FfmpegFailure';
  }
}

export async function runFfmpeg(ffmpeg: string, args: string[], opts: { signal?: AbortSignal; onFrames?: (frames: number) => void } = {}): Promise<void> {
  if (opts.signal?.aborted) throw new CancelledError();
  const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const stderr = new StderrTail(child.stderr, 8192);
  const parser = new FfmpegProgressParser((block) => {
    if (block.frame !== null) opts.onFrames?.(block.frame);
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => parser.push(chunk));
  const onAbort = () => child.kill('SIGKILL');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const { code, signal, spawnError } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, signal: null, spawnError: error }));
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  });
  opts.signal?.removeEventListener('abort', onAbort);
  if (opts.signal?.aborted) throw new CancelledError();
  if (spawnError) throw new FfmpegFailure(`Cannot start ffmpeg (${ffmpeg}): ${spawnError.message}. Install ffmpeg or set FFMPEG_PATH.`, '');
  if (code !== 0) {
    const text = stderr.text();
    throw new FfmpegFailure(`ffmpeg failed (${signal ?? `exit code ${code}`}): ${text.split('\n').slice(-6).join('\n') || 'no message'}`, text);
  }
}

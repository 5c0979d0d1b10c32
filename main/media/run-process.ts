// Runs an external tool (ffmpeg, ffprobe) without a shell and turns every way it can fail into an Error that says
// which tool failed, how, and what it printed last.
import { spawn } from 'node:child_process';
import path from 'node:path';

export type RunToolOptions = {
  signal?: AbortSignal;
  /** Kills the tool and rejects when it runs longer than this. */
  timeoutMs?: number;
  /** Kills the tool and rejects when stdout grows past this (guards memory against runaway output). */
  maxOutputBytes?: number;
};

export type RunToolResult = { stdout: Buffer; stderr: string };

/** How a run failed: 'spawn' means the program itself could not be started (missing or not executable). */
export type ToolFailure = 'spawn' | 'exit' | 'timeout' | 'abort' | 'output';

export class ToolError extends Error {
  constructor(
    message: string,
    readonly tool: string,
    readonly failure: ToolFailure,
    /** The tool's stderr (its last 64 KiB at most). */
    readonly stderr: string,
  ) {
    super(message);
    // Cancellation keeps the conventional name so callers can tell it from a failure.
    this.name = failure === 'abort' ? 'AbortError' : 'ToolError';
  }
}

/** Stderr kept in memory: enough for the last lines of a failure, bounded however chatty the tool is. */
const STDERR_KEEP_CHARS = 64 * 1024;
const STDERR_TAIL_LINES = 8;
const DEFAULT_MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

export async function runTool(cmd: string, args: string[], opts: RunToolOptions = {}): Promise<RunToolResult> {
  const tool = path.basename(cmd).replace(/\.exe$/i, '');
  const maxOutputBytes = opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  if (opts.signal?.aborted) throw new ToolError(`${tool} was cancelled`, tool, 'abort', '');

  return new Promise<RunToolResult>((resolve, reject) => {
    const child = spawn(cmd, args, { shell: false, windowsHide: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let outBytes = 0;
    let stderr = '';
    let failure: ToolError | null = null;
    let settled = false;

    const stop = (err: ToolError) => {
      if (failure) return;
      failure = err;
      child.kill('SIGKILL');
    };
    const onAbort = () => stop(new ToolError(`${tool} was cancelled`, tool, 'abort', stderr));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(
            () => stop(new ToolError(`${tool} timed out after ${opts.timeoutMs} ms and was stopped${tail(stderr)}`, tool, 'timeout', stderr)),
            opts.timeoutMs,
          )
        : null;
    const finish = (err: ToolError | null) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ stdout: Buffer.concat(chunks, outBytes), stderr });
    };

    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > maxOutputBytes) {
        stop(new ToolError(`${tool} wrote more than ${maxOutputBytes} bytes of output and was stopped`, tool, 'output', stderr));
        return;
      }
      chunks.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr += text;
      if (stderr.length > STDERR_KEEP_CHARS * 2) stderr = stderr.slice(-STDERR_KEEP_CHARS);
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      const hint = err.code === 'ENOENT' ? ' (the program was not found at that path)' : '';
      finish(failure ?? new ToolError(`${tool} could not be started from ${cmd}: ${err.message}${hint}`, tool, 'spawn', stderr));
    });
    child.on('close', (code, signal) => {
      if (failure) return finish(failure);
      if (code === 0) return finish(null);
      const how = code !== null ? `exited with code ${code}` : `was killed by signal ${signal}`;
      finish(new ToolError(`${tool} ${how}${tail(stderr)}`, tool, 'exit', stderr));
    });
  });
}

/** The last lines of a tool's stderr, prefixed for appending to a message ('' when it printed nothing). */
export function stderrTail(stderr: string, lines = STDERR_TAIL_LINES): string {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines)
    .join('\n');
}

function tail(stderr: string): string {
  const last = stderrTail(stderr);
  return last ? `: ${last}` : '';
}

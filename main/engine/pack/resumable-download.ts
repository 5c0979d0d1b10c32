// Downloads one file over HTTP(S) so that an interruption costs only what had not arrived: the bytes go to
// `<file>.part`, the server's validator (ETag or Last-Modified) and size to `<file>.part.json`, and every new
// attempt (in this run after a cut connection, or a later run of the same command) asks for the rest with a Range
// request guarded by If-Range, so a file changed on the server is downloaded afresh instead of spliced.
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export type DownloadProgress = {
  /** Bytes on disk, including those kept from an earlier attempt. */
  receivedBytes: number;
  /** The file's size when the server said it; null otherwise. */
  totalBytes: number | null;
  /** Bytes that were already on disk when this run started (resumed, not downloaded now). */
  resumedFromBytes: number;
};

export type DownloadOptions = {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Attempts in a row that add no byte before giving up (an attempt that adds bytes resets the count). */
  maxStalledAttempts?: number;
  /** Wait before attempt n (1-based) of a stalled series: n times this. */
  retryDelayMs?: number;
  /** An attempt that receives nothing for this long is treated as cut (default 60 s). */
  idleTimeoutMs?: number;
  /** Told about each interruption that will be retried. */
  onRetry?: (reason: string, receivedBytes: number) => void;
};

/** The download failed for a reason a retry would not fix, or kept failing; the partial file is kept. */
export class DownloadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DownloadError';
  }
}

type PartMeta = { url: string; validator: string | null; totalBytes: number | null };

/** Downloads `url` to `file` (created only when complete). Resolves with the file's size. */
export async function downloadResumable(url: string, file: string, opts: DownloadOptions = {}): Promise<number> {
  const part = `${file}.part`;
  const metaFile = `${part}.json`;
  const maxStalled = opts.maxStalledAttempts ?? 5;
  const retryDelayMs = opts.retryDelayMs ?? 500;

  let meta = await readMeta(metaFile);
  let received = await sizeOf(part);
  // A part file from another URL, or without the record of where it came from, cannot be resumed.
  if (received > 0 && meta?.url !== url) {
    await fs.rm(part, { force: true });
    received = 0;
    meta = null;
  }
  const resumedFromBytes = received;
  let stalled = 0;
  let lastProblem = '';

  for (;;) {
    opts.signal?.throwIfAborted();
    const before = received;
    try {
      const outcome = await attempt(url, part, received, meta, opts, (m) => writeMeta(metaFile, (meta = m)), (bytes) => {
        received = bytes;
        opts.onProgress?.({ receivedBytes: bytes, totalBytes: meta?.totalBytes ?? null, resumedFromBytes });
      });
      received = outcome.received;
      if (outcome.complete) break;
      lastProblem = outcome.problem;
    } catch (error) {
      if (opts.signal?.aborted) throw opts.signal.reason ?? error;
      if (error instanceof DownloadError) throw error;
      lastProblem = describeNetworkError(error);
      received = await sizeOf(part);
    }
    stalled = received > before ? 1 : stalled + 1;
    if (stalled > maxStalled) {
      throw new DownloadError(
        `The download of ${url} keeps failing (${lastProblem}). ${formatBytes(received)} are kept in ${part}: run the same command again to resume.`,
      );
    }
    opts.onRetry?.(lastProblem, received);
    await sleep(retryDelayMs * stalled, undefined, { signal: opts.signal });
  }

  await fs.rename(part, file);
  await fs.rm(metaFile, { force: true });
  return received;
}

type AttemptOutcome = { complete: true; received: number } | { complete: false; received: number; problem: string };

async function attempt(
  url: string,
  part: string,
  have: number,
  meta: PartMeta | null,
  opts: DownloadOptions,
  saveMeta: (meta: PartMeta) => Promise<void>,
  onBytes: (received: number) => void,
): Promise<AttemptOutcome> {
  const headers: Record<string, string> = { 'Accept-Encoding': 'identity' };
  if (have > 0) {
    headers.Range = `bytes=${have}-`;
    if (meta?.validator) headers['If-Range'] = meta.validator;
  }
  const res = await get(url, headers, opts.signal);
  const status = res.statusCode ?? 0;

  if (status === 416 && have > 0) {
    // Asked past the end: the server's file is not the one the part file came from. Start over.
    res.resume();
    await fs.rm(part, { force: true });
    return { complete: false, received: 0, problem: 'the server no longer has the file the partial download came from' };
  }
  if (status !== 200 && status !== 206) {
    res.resume();
    const problem = `the server answered ${status} ${res.statusMessage ?? ''}`.trim();
    // Server errors and rate limits may pass; anything else (404, 403, ...) will not.
    if (status >= 500 || status === 408 || status === 429) return { complete: false, received: have, problem };
    throw new DownloadError(`Could not download ${url}: ${problem}. Check the address.`);
  }

  let start = 0;
  let totalBytes: number | null = null;
  const length = numberHeader(res.headers['content-length'] ?? null);
  if (status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers['content-range'] ?? '');
    if (!range || Number(range[1]) !== have) {
      // A range other than the one asked for cannot be appended safely: start over.
      res.destroy();
      await fs.rm(part, { force: true });
      return { complete: false, received: 0, problem: 'the server sent a different range than asked for' };
    }
    start = have;
    totalBytes = range[3] === '*' ? null : Number(range[3]);
  } else {
    // 200: the whole file (the server ignores ranges, or If-Range found the file changed).
    totalBytes = length;
  }
  const etag = res.headers.etag;
  const validator = etag && !etag.startsWith('W/') ? etag : (res.headers['last-modified'] ?? null);
  // The body is piped at once, before any await: bytes that arrive just before a cut would be dropped with the
  // response's buffer if it were still waiting for a reader.
  let received = start;
  const out = createWriteStream(part, { flags: start > 0 ? 'a' : 'w' });
  res.on('data', (chunk: Buffer) => onBytes((received += chunk.length)));
  // An idle connection counts as a cut one: the attempt ends and the next resumes.
  const idleMs = opts.idleTimeoutMs ?? 60_000;
  res.setTimeout(idleMs, () => res.destroy(new Error(`no data for ${Math.round(idleMs / 1000)} s`)));
  // The file takes every byte received and counted, whether the body ends, the connection is cut or Ctrl+C
  // stops the reading: the progress shown and the partial file kept for a resume agree. (A pipeline destroys
  // the file stream on a cut and drops its queued writes.)
  const written = finished(out);
  const piped = new Promise<void>((resolve, reject) => {
    res.once('end', resolve);
    res.once('error', reject);
    res.once('close', () => (res.complete ? resolve() : reject(new Error('aborted'))));
  }).finally(() => {
    opts.signal?.removeEventListener('abort', stopReading);
    if (!out.writableEnded) out.end();
  });
  function stopReading() {
    res.unpipe(out);
    res.destroy();
  }
  res.pipe(out, { end: false });
  if (opts.signal?.aborted) stopReading();
  else opts.signal?.addEventListener('abort', stopReading, { once: true });
  const metaSaved = saveMeta({ url, validator, totalBytes });
  onBytes(received);
  try {
    await Promise.all([piped, metaSaved]);
    await written;
  } catch (error) {
    await piped.catch(() => undefined);
    await written.catch(() => undefined);
    if (opts.signal?.aborted) throw opts.signal.reason ?? error;
    return { complete: false, received: await sizeOf(part), problem: describeNetworkError(error) };
  }
  received = await sizeOf(part);
  if (totalBytes !== null && received < totalBytes) {
    return { complete: false, received, problem: `the connection closed after ${formatBytes(received)} of ${formatBytes(totalBytes)}` };
  }
  if (totalBytes !== null && received > totalBytes) {
    await fs.rm(part, { force: true });
    throw new DownloadError(`Could not download ${url}: received ${received} bytes, more than the ${totalBytes} the server announced. Try again.`);
  }
  return { complete: true, received };
}

/** One GET, following up to 5 redirects. */
function get(url: string, headers: Record<string, string>, signal: AbortSignal | undefined, redirects = 5): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? https : http).get(target, { headers, signal }, (res) => {
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
        res.resume();
        if (redirects === 0) reject(new DownloadError(`Could not download ${url}: too many redirects.`));
        else get(new URL(location, target).href, headers, signal, redirects - 1).then(resolve, reject);
        return;
      }
      resolve(res);
    });
    request.on('error', reject);
  });
}

function describeNetworkError(error: unknown): string {
  const err = error as NodeJS.ErrnoException;
  if (err.code === 'ECONNRESET' || err.code === 'ERR_STREAM_PREMATURE_CLOSE' || err.message === 'aborted') return 'the connection was cut';
  return err.code ? `${err.message} (${err.code})` : (err.message ?? String(error));
}

function numberHeader(value: string | null): number | null {
  if (value === null || !/^\d+$/.test(value)) return null;
  return Number(value);
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await fs.stat(file)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

async function readMeta(file: string): Promise<PartMeta | null> {
  try {
    const raw = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<PartMeta>;
    if (typeof raw.url !== 'string') return null;
    return { url: raw.url, validator: typeof raw.validator === 'string' ? raw.validator : null, totalBytes: typeof raw.totalBytes === 'number' ? raw.totalBytes : null };
  } catch {
    // Missing or unreadable: the part file (if any) is not resumable.
    return null;
  }
}

async function writeMeta(file: string, meta: PartMeta): Promise<void> {
  await fs.writeFile(file, JSON.stringify(meta));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

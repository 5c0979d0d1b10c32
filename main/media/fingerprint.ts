// Media identity: a content fingerprint that survives moves and renames, and the full inspection used at import.
import path from 'node:path';
import { sampledContentHash } from './content-hash';
import { readProbeData, statMedia } from './probe';
import type { MediaFacts } from './types';

export async function fingerprintFile(file: string): Promise<{ size: number; mtimeMs: number; fingerprint: string }> {
  const abs = path.resolve(file);
  const { size, mtimeMs } = await statMedia(abs);
  return { size, mtimeMs, fingerprint: await sampledContentHash(abs, size) };
}

/** Everything import needs to know about a file: stat, fingerprint and probe (MEDIA_UNREADABLE when unusable).
 *  Aborting `signal` stops the running ffprobe and rejects with its AbortError. */
export async function inspectMedia(file: string, ffprobe: string, signal?: AbortSignal): Promise<MediaFacts> {
  const abs = path.resolve(file);
  const { size, mtimeMs, fingerprint } = await fingerprintFile(abs);
  const probe = await readProbeData(abs, size, ffprobe, signal);
  return { path: abs, size, mtimeMs, fingerprint, probe };
}

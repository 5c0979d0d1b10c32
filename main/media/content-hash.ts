// The sampled content hash behind media fingerprints, shared by probing and fingerprinting.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';

export const FINGERPRINT_BLOCK_BYTES = 64 * 1024;

/**
 * sha256 over the size and three 64 KiB blocks (start, middle, end). Reading a fixed 192 KiB keeps it cheap on
 * multi-gigabyte files; the size and the end block catch truncation and appends, and nothing depends on the
 * file's name or folder, so a moved file keeps its fingerprint.
 */
export async function sampledContentHash(abs: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`upframe-fingerprint-v1:${size}:`);
  const block = Math.min(FINGERPRINT_BLOCK_BYTES, size);
  const offsets = [0, Math.max(0, Math.floor(size / 2 - block / 2)), size - block];
  const handle = await open(abs, 'r');
  try {
    const buf = Buffer.alloc(block);
    for (const offset of offsets) {
      const { bytesRead } = await handle.read(buf, 0, block, offset);
      hash.update(buf.subarray(0, bytesRead));
    }
  } finally {
    await handle.close();
  }
  return hash.digest('hex');
}

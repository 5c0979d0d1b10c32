// Temporal chunks for denoising clips longer than the model's window (ENHANCEMENT.md 2.8; reference: VEnhancer
// make_chunks / sliding_windows_1d). Chunks start and end on key frames so that the frames two chunks share get the
// same key-frame conditioning in both; the predicted x0 of consecutive chunks is cross-faded over the overlap.
//
// For the pipeline (E2): at every solver step, with `prev` the previous chunk's x0 and `next` this chunk's x0
// (indexed within each chunk), the overlap's j-th frame (j in [0, O)) is
//   x[j] = (1 - c) prev[prev.length - O + j] + c next[j],  c = crossFadeWeight(j, O) = j / O,
// i.e. frame next.start + j of the clip. O is the actual overlap of the two chunks (prev.end - next.start).
import type { TemporalChunkRule } from '../pack/manifest';

export type TemporalChunk = { start: number; end: number /* exclusive */ };

/**
 * Splits F = total output frames (k inserted frames between key frames) into chunks.
 * L = (lengthBase // (k+1)) (k+1) + 1 and O = (overlapBase // (k+1)) (k+1) + 1; one chunk when total <= maxFrames.
 * `override.length` (the user's chunkFrames, or a shrunken length after running out of memory) replaces L,
 * rounded down to a key-frame multiple plus one (at least two key frames), and then always chunks when the clip
 * is longer than it; the overlap is then at most about half the chunk, and always leaves consecutive chunks
 * advancing by at least one key frame.
 */
export function planTemporalChunks(
  total: number,
  k: number,
  rule: TemporalChunkRule,
  override?: { length?: number },
): TemporalChunk[] {
  if (!Number.isInteger(total) || total < 1) throw new Error(`Frame count must be a whole number >= 1, got ${total}`);
  if (!Number.isInteger(k) || k < 0) throw new Error(`Inserted frames must be a whole number >= 0, got ${k}`);
  const period = k + 1;
  if ((total - 1) % period !== 0) {
    throw new Error(`Frame count ${total} does not fit ${k} inserted frames between key frames (F = N + k (N - 1))`);
  }
  const keyAligned = (base: number) => Math.floor(base / period) * period + 1;
  const overrideLength = override?.length;
  let length: number;
  let overlap = keyAligned(rule.overlapBase);
  if (overrideLength !== undefined) {
    if (!Number.isInteger(overrideLength) || overrideLength < 2) {
      throw new Error(`Chunk length must be a whole number of at least 2 frames, got ${overrideLength}`);
    }
    length = Math.max(period + 1, keyAligned(overrideLength - 1));
    if (total <= length) return [{ start: 0, end: total }];
    // Keep the rule's overlap ratio (about half a chunk) for shorter chunks, so shrinking does not multiply the work.
    overlap = Math.min(overlap, keyAligned(Math.floor((length - 1) / 2)));
  } else {
    if (total <= rule.maxFrames) return [{ start: 0, end: total }];
    length = keyAligned(rule.lengthBase);
  }
  if (length < period + 1) {
    throw new Error(
      `The pack's temporalChunk rule (lengthBase ${rule.lengthBase}) gives chunks of ${length} frames, shorter than ` +
        `two key frames with ${k} inserted frames between them: lower the target frame rate`,
    );
  }
  // Consecutive chunks advance by at least one key frame.
  overlap = Math.min(overlap, length - period);
  const stride = length - overlap;
  const stretched = Math.round(rule.stretch * length);
  const chunks: TemporalChunk[] = [];
  let start = 0;
  for (;;) {
    if (start + stretched >= total) {
      chunks.push({ start, end: total });
      return chunks;
    }
    chunks.push({ start, end: start + length });
    start += stride;
  }
}

/** Weight of the later chunk at overlap position j of O: c = j / O (the earlier chunk gets 1 - c). */
export function crossFadeWeight(j: number, overlap: number): number {
  if (!(overlap > 0)) throw new Error(`Cross-fade overlap must be positive, got ${overlap}`);
  return j / overlap;
}

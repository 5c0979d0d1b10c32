// Quality of an enhanced range made of consecutive cached chunks (a preview): the joined enhanced file against the
// source frames the chunks cover, with a seam at the start of every chunk but the first. Cached by chunk keys.
import type { CachedChunk, RenderVariant } from '../render/types';
import { measureQuality } from './measure';
import { QualityCache, qualityKey } from './quality-cache';
import type { QualitySums } from './quality-sums';

export type ChunkRangeQuality = {
  ffmpeg: string;
  cache: QualityCache;
  variant: Pick<RenderVariant, 'media' | 'output'>;
  /** Consecutive chunks, joined in order into `enhancedFile`. */
  chunks: CachedChunk[];
  enhancedFile: string;
  signal?: AbortSignal;
};

/** The figures stored for these chunks, or null when they have not been measured. */
export function cachedChunkRangeQuality(cache: QualityCache, chunks: CachedChunk[]): Promise<QualitySums | null> {
  return cache.get(qualityKey(chunks.map((c) => c.key)));
}

export async function measureChunkRange(req: ChunkRangeQuality): Promise<QualitySums> {
  const { variant, chunks } = req;
  const seams: number[] = [];
  let frames = 0;
  for (const chunk of chunks) {
    if (frames > 0) seams.push(frames);
    frames += chunk.frames;
  }
  const sums = await measureQuality({
    ffmpeg: req.ffmpeg,
    enhanced: {
      file: req.enhancedFile,
      fps: variant.output.fps,
      firstFrame: 0,
      frames,
      width: variant.output.width,
      height: variant.output.height,
    },
    source: {
      file: variant.media.path,
      fps: variant.media.fps,
      firstFrame: chunks[0].firstFrame,
      frames: chunks[chunks.length - 1].endFrame - chunks[0].firstFrame,
      width: variant.media.width,
      height: variant.media.height,
    },
    seams,
    frameNumberBase: chunks[0].firstOutputFrame,
    signal: req.signal,
  });
  await req.cache.put(qualityKey(chunks.map((c) => c.key)), sums);
  return sums;
}

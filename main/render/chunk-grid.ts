// The fixed grid a media file is enhanced on: chunks of the media's own frames, each computed by one engine job
// that decodes a few context frames on each side and keeps only its own output frames. Pure arithmetic.
import type { Rational } from '../common/model';
import type { ClipSettings } from '../common/settings';
import type { ChunkRef } from './types';

/** Source frames per chunk. Classic chunks are cheap to start (one ffmpeg), so longer; diffusion chunks are short
 *  so the first enhanced frames show up soon. */
export const CLASSIC_CHUNK_FRAMES = 24;
export const DIFFUSION_CHUNK_FRAMES = 8;

/** Context on each side: temporal filters (motion interpolation, hqdn3d, deflicker) look a few frames around;
 *  the diffusion sampler's temporal attention needs neighbours so chunks join without a visible seam. */
export const CLASSIC_TEMPORAL_CONTEXT = 3;
export const DIFFUSION_CONTEXT = 2;

export function chunkFramesFor(engine: ClipSettings['engine']): number {
  return engine === 'classic' ? CLASSIC_CHUNK_FRAMES : DIFFUSION_CHUNK_FRAMES;
}

/** Whether the classic filters look at neighbouring frames (so a chunk needs context to match a continuous run). */
export function classicIsTemporal(settings: Pick<ClipSettings, 'classic'>, insertedFrames: number): boolean {
  return insertedFrames > 0 || settings.classic.denoise === 'hqdn3d' || settings.classic.deflicker;
}

export function contextFramesFor(settings: Pick<ClipSettings, 'engine' | 'classic'>, insertedFrames: number): number {
  if (settings.engine === 'diffusion') return DIFFUSION_CONTEXT;
  // The model engine looks at one frame at a time; only its motion interpolation needs neighbours.
  if (settings.engine === 'model') return insertedFrames > 0 ? CLASSIC_TEMPORAL_CONTEXT : 0;
  return classicIsTemporal(settings, insertedFrames) ? CLASSIC_TEMPORAL_CONTEXT : 0;
}

export function chunkCount(frameCount: number, chunkFrames: number): number {
  return Math.ceil(frameCount / chunkFrames);
}

export function chunkAt(index: number, frameCount: number, chunkFrames: number): ChunkRef {
  if (!Number.isInteger(index) || index < 0 || index >= chunkCount(frameCount, chunkFrames)) {
    throw new RangeError(`Chunk ${index} is outside the media's ${chunkCount(frameCount, chunkFrames)} chunks.`);
  }
  return { index, firstFrame: index * chunkFrames, endFrame: Math.min((index + 1) * chunkFrames, frameCount) };
}

/** Tolerance for seconds that should land on a frame boundary but carry float error (e.g. 1/3 s * 30 fps). */
const FRAME_EPSILON = 1e-6;

/** Media frames [first, end) showing during media seconds [startSec, endSec), clamped to the media. */
export function framesForSeconds(fps: Rational, frameCount: number, startSec: number, endSec: number): { first: number; end: number } {
  const rate = fps.num / fps.den;
  const first = Math.min(frameCount, Math.max(0, Math.floor(startSec * rate + FRAME_EPSILON)));
  const end = Math.min(frameCount, Math.max(first, Math.ceil(endSec * rate - FRAME_EPSILON)));
  return { first, end };
}

/** Chunks of the grid covering media seconds [startSec, endSec). */
export function chunksForSeconds(fps: Rational, frameCount: number, chunkFrames: number, startSec: number, endSec: number): ChunkRef[] {
  const { first, end } = framesForSeconds(fps, frameCount, startSec, endSec);
  if (end <= first) return [];
  const chunks: ChunkRef[] = [];
  for (let index = Math.floor(first / chunkFrames); index * chunkFrames < end; index++) chunks.push(chunkAt(index, frameCount, chunkFrames));
  return chunks;
}

/** Output frames of a chunk: every source frame is followed by k inserted frames, except the media's last. */
export function chunkOutputFrames(chunk: ChunkRef, frameCount: number, insertedFrames: number): number {
  const k = insertedFrames;
  return (chunk.endFrame - chunk.firstFrame) * (k + 1) - (chunk.endFrame === frameCount ? k : 0);
}

export function firstOutputFrame(chunk: ChunkRef, insertedFrames: number): number {
  return chunk.firstFrame * (insertedFrames + 1);
}

/** What one chunk's engine job decodes and keeps: source frames [first, end) with context, and the chunk's own
 *  output frames counted from the job's first output frame. */
export type ChunkJobRange = { first: number; end: number; keep: { first: number; count: number } };

export function chunkJobRange(chunk: ChunkRef, frameCount: number, contextFrames: number, insertedFrames: number): ChunkJobRange {
  const first = Math.max(0, chunk.firstFrame - contextFrames);
  const end = Math.min(frameCount, chunk.endFrame + contextFrames);
  return {
    first,
    end,
    keep: { first: (chunk.firstFrame - first) * (insertedFrames + 1), count: chunkOutputFrames(chunk, frameCount, insertedFrames) },
  };
}

/** Seconds that select exactly source frames [first, end): half a frame before each boundary, so neither ffmpeg's
 *  seek nor its duration limit can round onto a neighbouring frame. startSec is absent at the media's start. */
export function secondsForFrames(fps: Rational, first: number, end: number): { startSec?: number; endSec: number } {
  const rate = fps.num / fps.den;
  const endSec = (end - 0.5) / rate;
  return first > 0 ? { startSec: (first - 0.5) / rate, endSec } : { endSec };
}

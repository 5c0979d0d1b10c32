// The chunk renderer's contract, shared by the preview (issue 4) and the export (issue 5). A clip is enhanced in
// chunks laid on a fixed grid of the media's own frames (not of the clip's trim), so trimming, splitting or
// moving a clip never invalidates what is cached, and preview and export share every chunk.
import type { MediaAsset, Rational } from '../common/model';
import type { CacheInfo, RenderRangeState } from '../common/render-model';
import type { ClipSettings } from '../common/settings';

/** Everything that decides an enhanced chunk's pixels for one media file. */
export type RenderVariant = {
  media: {
    path: string;
    fingerprint: string;
    /** The media's average frame rate and its frames (the grid's unit). */
    fps: Rational;
    frameCount: number;
    /** Display size (after rotation). */
    width: number;
    height: number;
  };
  settings: ClipSettings;
  engine: 'classic' | 'diffusion' | 'model';
  /** The resolved pack for the diffusion and model engines; null for classic. */
  pack: { id: string; dir: string; hash: string } | null;
  /** sha256 (hex) over the engine version, the pack hash and the settings that change pixels (not the provider). */
  settingsHash: string;
  /** Source frames per chunk of the grid. */
  chunkFrames: number;
  /** Source frames decoded on each side of a chunk as context and then dropped, so chunks join without seams. */
  contextFrames: number;
  /** Frames inserted between two source frames (after the pack's cap). */
  insertedFrames: number;
  output: { width: number; height: number; fps: Rational };
};

/** One chunk of the grid: media frames [firstFrame, endFrame). */
export type ChunkRef = { index: number; firstFrame: number; endFrame: number };

/** A chunk's enhanced frames on disk: an H.264 MP4 (no audio) the browser can play and ffmpeg can join. */
export type CachedChunk = ChunkRef & {
  key: string;
  file: string;
  /** Output frames in the file: (endFrame - firstFrame) * (k + 1), less k for the media's last chunk. */
  frames: number;
  /** Output frame number, counted from the media's first frame, of the file's first frame: firstFrame * (k + 1). */
  firstOutputFrame: number;
  width: number;
  height: number;
  fps: Rational;
  sizeBytes: number;
};

export type ChunkProgress = {
  /** Position in the list given to ensure() of the chunk being computed. */
  position: number;
  /** Fraction of the whole list done (cached chunks count as done). */
  fraction: number;
  etaSec: number | null;
  message: string;
};

export type EnsureOptions = {
  signal?: AbortSignal;
  /** Each chunk as soon as it is on disk, in list order; fromCache when no engine work was needed. */
  onChunk?: (chunk: CachedChunk, fromCache: boolean) => void;
  onProgress?: (progress: ChunkProgress) => void;
};

export interface ChunkCache {
  readonly dir: string;
  info(): CacheInfo;
  /** The entry, marked as just used (LRU), or null. */
  get(key: string): CachedChunk | null;
  /** Whether some entry of this media, under any settings or grid, overlaps the chunk's frames ('stale'). */
  hasAnyVariant(fingerprint: string, chunkFrames: number, index: number): boolean;
  /** Moves the finished temporary file into the cache and indexes it; evicts least recently used entries (never
   *  pinned ones) beyond the limit. */
  put(chunk: Omit<CachedChunk, 'file' | 'sizeBytes'> & { fingerprint: string; settingsHash: string; chunkFrames: number }, tempFile: string): Promise<CachedChunk>;
  /** Keeps entries from eviction while a job reads them; returns the release. */
  pin(keys: string[]): () => void;
  clear(): Promise<CacheInfo>;
  setLimit(limitBytes: number): Promise<CacheInfo>;
  /** Seconds per output megapixel-frame measured for an engine (and pack), for estimates. */
  recordRate(rateKey: string, secondsPerMegapixelFrame: number): void;
  rate(rateKey: string): number | null;
  close(): void;
}

export interface ChunkRenderer {
  readonly cache: ChunkCache;
  /** Resolves the clip's pack and works out the output; throws ApiError PACK_INVALID / NOT_FOUND / MEDIA_OFFLINE
   *  with a message saying what to do. */
  variant(media: MediaAsset, settings: ClipSettings): Promise<RenderVariant>;
  /** Chunks of the grid covering media seconds [startSec, endSec). */
  chunksFor(variant: RenderVariant, startSec: number, endSec: number): ChunkRef[];
  /** Per chunk: cached for this variant, stale (cached for another variant of the same media) or none. */
  status(variant: RenderVariant, chunks: ChunkRef[]): RenderRangeState[];
  /** The chunks' files, computing the missing ones in order, one engine job each. Rejects with CancelledError on
   *  abort (finished chunks stay cached). The returned chunks are pinned until release() is called. */
  ensure(variant: RenderVariant, chunks: ChunkRef[], opts?: EnsureOptions): Promise<{ chunks: CachedChunk[]; computed: number; release(): void }>;
  /** Joins chunk files (consecutive, same variant) into one MP4 by stream copy; temp name, renamed when done. */
  concat(chunks: CachedChunk[], outFile: string): Promise<void>;
  /** Seconds to enhance `frames` output frames with this variant, from measured rates; null when none measured. */
  estimateSec(variant: RenderVariant, frames: number): number | null;
  dispose(): Promise<void>;
}

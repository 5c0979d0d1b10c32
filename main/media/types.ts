// The media layer's public interface: ffmpeg discovery, probing, fingerprints and thumbnails.
import type { ProbeData } from '../common/model';

export type FfmpegPaths = { ffmpeg: string; ffprobe: string; source: 'ffmpeg-static' | 'env' | 'path' };

export type MediaFacts = {
  path: string;
  size: number;
  mtimeMs: number;
  /** Content fingerprint: stable across moves and renames, cheap on large files (hash of size + sampled blocks). */
  fingerprint: string;
  probe: ProbeData;
};

// How both engines encode a cache chunk: H.264 that a browser plays and that ffmpeg's concat demuxer joins by
// stream copy. No B-frames: with them every MP4 starts with a negative decode time, and joined chunks would have
// decode times that run backwards at each seam. A key frame every 12 frames keeps seeking in the compare viewer
// cheap; crf 12 keeps the intermediate close to lossless, since an export re-encodes it once more.
export const CHUNK_VIDEO_ARGS: readonly string[] = [
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '12',
  '-bf',
  '0',
  '-g',
  '12',
  '-pix_fmt',
  'yuv420p',
  '-movflags',
  '+faststart',
];

/** A chunk file must be an MP4: the extension picks ffmpeg's muxer. */
export function requireChunkPath(file: string): void {
  if (!file.toLowerCase().endsWith('.mp4')) throw new Error(`A chunk output must be an .mp4 file; got ${file}.`);
}

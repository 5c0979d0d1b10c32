// The chunk renderer end to end: real engine process, real ffmpeg, real SQLite cache. Chunks must hold exactly
// their own frames (the right ones, not a neighbour's), join into what one continuous job produces, and be
// computed once.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaAsset } from '../../main/common/model';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { runClassicJob } from '../../main/engine/classic/classic-engine';
import { defaultExecutionOptions } from '../../main/engine/execution';
import { CancelledError } from '../../main/engine/types';
import { inspectMedia } from '../../main/media/fingerprint';
import { createChunkRenderer } from '../../main/render/chunk-renderer';
import type { CachedChunk } from '../../main/render/types';
import { DEFAULT_ENGINE_PREFERENCES } from '../../main/services/preferences';
import { PackService } from '../../main/services/packs';
import { FFMPEG, FFPROBE, ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const W = 160;
const H = 120;
const FPS = 24;
/** 60 frames: chunks [0,24) [24,48) [48,60) on the classic grid. */
const DURATION = 2.5;

let tmp: { dir: string; cleanup: () => void };
let media: MediaAsset;
let renderer: ReturnType<typeof createChunkRenderer>;
const logs: string[] = [];

beforeAll(async () => {
  tmp = makeTempDir('upframe-render-');
  const file = makeTestVideo(tmp.dir, { width: W, height: H, fps: FPS, durationSec: DURATION, audio: false });
  const facts = await inspectMedia(file, FFPROBE);
  media = { id: 1, name: path.basename(file), offline: false, importedAt: Date.now(), ...facts };
  renderer = createChunkRenderer({
    cacheDir: path.join(tmp.dir, 'cache'),
    ffmpeg: { ffmpeg: FFMPEG, ffprobe: FFPROBE, source: 'path' },
    preferences: { getEngine: () => ({ ...DEFAULT_ENGINE_PREFERENCES, provider: 'cpu', threads: 1 }) },
    packs: new PackService({ userDataDir: path.join(tmp.dir, 'user') }),
    log: (m) => logs.push(m),
  });
});

afterAll(async () => {
  await renderer?.dispose();
  tmp?.cleanup();
});

function settings(over: Partial<ClipSettings>): ClipSettings {
  return { ...defaultClipSettings(), ...over };
}

function decodeRgb(file: string, width: number, height: number, filter?: string): Uint8Array[] {
  const args = ['-v', 'error', '-i', file];
  if (filter) args.push('-vf', filter);
  args.push('-fps_mode', 'passthrough', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-');
  const raw = execFileSync(FFMPEG, args, { maxBuffer: 1 << 29 });
  const size = width * height * 3;
  expect(raw.length % size).toBe(0);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < raw.length; offset += size) frames.push(new Uint8Array(raw.subarray(offset, offset + size)));
  return frames;
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / a.length));
}

function videoStream(file: string) {
  return ffprobeJson(file).streams.find((s: any) => s.codec_type === 'video');
}

function tempFiles(): string[] {
  const dir = renderer.cache.tempDir;
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('chunk renderer, classic engine', () => {
  it('works out the grid and the output of a clip', async () => {
    const variant = await renderer.variant(media, settings({ scale: 2, classic: { denoise: 'off', sharpen: 'cas', deflicker: false } }));
    expect(variant.media.frameCount).toBe(60);
    expect(variant).toMatchObject({ engine: 'classic', chunkFrames: 24, contextFrames: 0, insertedFrames: 0, pack: null });
    expect(variant.output).toEqual({ width: 320, height: 240, fps: { num: 24, den: 1 } });
    expect(renderer.chunksFor(variant, 0, DURATION)).toEqual([
      { index: 0, firstFrame: 0, endFrame: 24 },
      { index: 1, firstFrame: 24, endFrame: 48 },
      { index: 2, firstFrame: 48, endFrame: 60 },
    ]);
    expect(renderer.chunksFor(variant, 1.1, 1.9).map((c) => c.index)).toEqual([1]);
    expect(renderer.status(variant, renderer.chunksFor(variant, 0, DURATION))).toEqual(['none', 'none', 'none']);
  });

  it('keeps exactly each chunk\'s own source frames', async () => {
    // No filters: a chunk is its source frames re-encoded, so each must match its own source frame far better
    // than that frame's neighbours (testsrc2 changes every frame).
    const variant = await renderer.variant(media, settings({}));
    const { chunks, computed, release } = await renderer.ensure(variant, renderer.chunksFor(variant, 0, DURATION));
    release();
    expect(computed).toBe(3);
    const source = decodeRgb(media.path, W, H);
    expect(source).toHaveLength(60);
    for (const chunk of chunks) {
      const frames = decodeRgb(chunk.file, W, H);
      expect(frames).toHaveLength(chunk.endFrame - chunk.firstFrame);
      frames.forEach((frame, j) => {
        const at = chunk.firstFrame + j;
        const own = psnr(frame, source[at]);
        expect(own).toBeGreaterThan(35);
        for (const other of [at - 1, at + 1]) {
          if (other >= 0 && other < source.length) expect(psnr(frame, source[other])).toBeLessThan(own - 10);
        }
      });
    }
  });

  it('makes chunks whose join equals one continuous job, and computes them once', async () => {
    const clip = settings({ scale: 2, classic: { denoise: 'off', sharpen: 'cas', deflicker: false } });
    const variant = await renderer.variant(media, clip);
    const refs = renderer.chunksFor(variant, 0, DURATION);
    const seen: Array<{ index: number; fromCache: boolean }> = [];
    const progress: number[] = [];
    const first = await renderer.ensure(variant, refs, {
      onChunk: (c, fromCache) => seen.push({ index: c.index, fromCache }),
      onProgress: (p) => progress.push(p.fraction),
    });
    expect(first.computed).toBe(3);
    expect(seen).toEqual([0, 1, 2].map((index) => ({ index, fromCache: false })));
    expect(progress.at(-1)).toBe(1);
    expect(first.chunks.map((c) => c.frames)).toEqual([24, 24, 12]);
    expect(first.chunks.map((c) => c.firstOutputFrame)).toEqual([0, 24, 48]);
    for (const chunk of first.chunks) {
      const video = videoStream(chunk.file);
      expect([video.codec_name, video.width, video.height, video.pix_fmt, video.r_frame_rate]).toEqual(['h264', 320, 240, 'yuv420p', '24/1']);
      expect(Number(video.nb_frames)).toBe(chunk.frames);
      expect(chunk.sizeBytes).toBeGreaterThan(0);
    }

    const joined = path.join(tmp.dir, 'joined.mp4');
    await renderer.concat(first.chunks, joined);
    first.release();
    const whole = path.join(tmp.dir, 'whole.mp4');
    await runClassicJob(
      { input: media.path, settings: clip, execution: defaultExecutionOptions({ provider: 'cpu' }), output: { kind: 'chunk', path: whole } },
      { onProgress: () => undefined, checkpoint: async () => undefined },
      { ffmpeg: FFMPEG, ffprobe: FFPROBE },
    );
    const a = decodeRgb(joined, 320, 240);
    const b = decodeRgb(whole, 320, 240);
    expect(a).toHaveLength(60);
    expect(b).toHaveLength(60);
    a.forEach((frame, i) => expect(psnr(frame, b[i])).toBeGreaterThan(40));
    expect(Number(ffprobeJson(joined).format.duration)).toBeCloseTo(2.5, 2);

    // The second time nothing runs, and every chunk says it came from the cache.
    const again: boolean[] = [];
    const second = await renderer.ensure(variant, refs, { onChunk: (_c, fromCache) => again.push(fromCache) });
    second.release();
    expect(second.computed).toBe(0);
    expect(again).toEqual([true, true, true]);
    expect(second.chunks.map((c) => c.file)).toEqual(first.chunks.map((c) => c.file));
    expect(renderer.status(variant, refs)).toEqual(['cached', 'cached', 'cached']);
    // Another scale of the same media is a new variant: its chunks are stale until computed.
    const other = await renderer.variant(media, { ...clip, scale: 1.5 });
    expect(renderer.status(other, refs)).toEqual(['stale', 'stale', 'stale']);
    expect(tempFiles()).toEqual([]);
  });

  it('inserts k frames after every source frame but the last (k = 1)', async () => {
    const variant = await renderer.variant(media, settings({ targetFps: 48 }));
    expect(variant).toMatchObject({ insertedFrames: 1, contextFrames: 3, output: { width: 160, height: 120, fps: { num: 48, den: 1 } } });
    const { chunks, release } = await renderer.ensure(variant, renderer.chunksFor(variant, 0, DURATION));
    release();
    expect(chunks.map((c) => c.frames)).toEqual([48, 48, 23]);
    expect(chunks.map((c) => c.firstOutputFrame)).toEqual([0, 48, 96]);
    const source = decodeRgb(media.path, W, H);
    for (const chunk of chunks) {
      const video = videoStream(chunk.file);
      expect(video.r_frame_rate).toBe('48/1');
      const frames = decodeRgb(chunk.file, W, H);
      expect(frames).toHaveLength(chunk.frames);
      // Even output frames fall on source frames: they must show that frame, not a neighbour.
      for (let j = 0; j < frames.length; j += 2) {
        const at = chunk.firstFrame + j / 2;
        const own = psnr(frames[j], source[at]);
        expect(own).toBeGreaterThan(35);
        if (at + 1 < source.length) expect(psnr(frames[j], source[at + 1])).toBeLessThan(own - 5);
      }
    }
  });

  it('cancels mid-way: finished chunks stay cached, nothing partial is left', async () => {
    // nlmeans is slow enough that the cancel lands while the second chunk is computing.
    const variant = await renderer.variant(media, settings({ scale: 2, classic: { denoise: 'nlmeans', sharpen: 'off', deflicker: false } }));
    const refs = renderer.chunksFor(variant, 0, DURATION);
    const abort = new AbortController();
    const done: CachedChunk[] = [];
    let abortedAt: number | null = null;
    const run = renderer.ensure(variant, refs, {
      signal: abort.signal,
      onChunk: (chunk) => done.push(chunk),
      // Cancel while the engine works on the second chunk (chunk 0 is 24 of the 60 frames: 0.4 of the list).
      onProgress: (p) => {
        if (abortedAt === null && p.position === 1 && p.fraction > 0.4) {
          abortedAt = p.fraction;
          abort.abort();
        }
      },
    });
    await expect(run).rejects.toBeInstanceOf(CancelledError);
    expect(abortedAt).not.toBeNull();
    expect(done.map((c) => c.index)).toEqual([0]);
    // The unfinished chunks are not cached (stale when other settings of this media were cached by earlier tests).
    const [first, ...rest] = renderer.status(variant, refs);
    expect(first).toBe('cached');
    expect(rest.filter((state) => state === 'cached')).toEqual([]);
    expect(tempFiles()).toEqual([]);
    const leftovers = readdirSync(renderer.cache.dir, { recursive: true }).map(String).filter((f) => f.includes('partial'));
    expect(leftovers).toEqual([]);
  });

  it('refuses offline media with what to do', async () => {
    await expect(renderer.variant({ ...media, offline: true }, settings({}))).rejects.toMatchObject({ code: 'MEDIA_OFFLINE' });
    await expect(renderer.variant({ ...media, path: path.join(tmp.dir, 'gone.mp4') }, settings({}))).rejects.toThrow(/relink/);
  });
});

describe('chunk renderer, diffusion engine (analytic pack)', () => {
  const analytic = (over: Partial<ClipSettings> = {}) =>
    settings({ engine: 'diffusion', packId: 'analytic-test@1.0.0', noise: 0, cfg: 1, scale: 2, ...over });

  it('resolves the pack and makes 8-frame chunks of the planned size', async () => {
    const variant = await renderer.variant(media, analytic());
    expect(variant).toMatchObject({ engine: 'diffusion', chunkFrames: 8, contextFrames: 2, insertedFrames: 0 });
    expect(variant.pack?.id).toBe('analytic-test@1.0.0');
    expect(variant.pack?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(variant.output).toEqual({ width: 320, height: 240, fps: { num: 24, den: 1 } });
    const refs = renderer.chunksFor(variant, 0.4, 0.6);
    expect(refs).toEqual([
      { index: 1, firstFrame: 8, endFrame: 16 },
    ]);
    const { chunks, computed, release } = await renderer.ensure(variant, refs);
    release();
    expect(computed).toBe(1);
    const video = videoStream(chunks[0].file);
    expect([video.width, video.height, Number(video.nb_frames)]).toEqual([320, 240, 8]);
    // At noise 0 the analytic pack returns the resized key frames: each frame matches its own source frame.
    const source = decodeRgb(media.path, 320, 240, 'scale=320:240:flags=bilinear');
    decodeRgb(chunks[0].file, 320, 240).forEach((frame, j) => {
      const own = psnr(frame, source[8 + j]);
      expect(own).toBeGreaterThan(25);
      expect(psnr(frame, source[9 + j])).toBeLessThan(own - 3);
    });
  });

  it('counts the media\'s last chunk without trailing inserted frames (k = 1)', async () => {
    const variant = await renderer.variant(media, analytic({ scale: 1, targetFps: 48 }));
    expect(variant.insertedFrames).toBe(1);
    const refs = renderer.chunksFor(variant, 2.34, DURATION);
    expect(refs).toEqual([{ index: 7, firstFrame: 56, endFrame: 60 }]);
    const { chunks, release } = await renderer.ensure(variant, refs);
    release();
    expect(chunks[0].frames).toBe(7);
    expect(Number(videoStream(chunks[0].file).nb_frames)).toBe(7);
  });

  it('names a missing pack', async () => {
    await expect(renderer.variant(media, analytic({ packId: 'nope@1.0.0' }))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

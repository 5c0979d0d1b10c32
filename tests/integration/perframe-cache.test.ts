// The model engine through the chunk renderer and its cache, as previews and exports use it: chunks computed once
// and then read from the cache; the key includes the pack's hash, so another pack (or a changed one) recomputes;
// the measured rate feeds the estimate. Real engine process, ffmpeg, SQLite; a generated x2 per-frame pack.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaAsset } from '../../main/common/model';
import { defaultClipSettings } from '../../main/common/settings';
import { inspectMedia } from '../../main/media/fingerprint';
import { createChunkRenderer } from '../../main/render/chunk-renderer';
import { DEFAULT_ENGINE_PREFERENCES } from '../../main/services/preferences';
import { PackService } from '../../main/services/packs';
import { blurUpscaler, nearestUpscaler, writePerFramePack } from '../helpers/per-frame-models';
import { FFMPEG, FFPROBE, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

let tmp: { dir: string; cleanup: () => void };
let media: MediaAsset;
let packs: PackService;
let renderer: ReturnType<typeof createChunkRenderer>;

beforeAll(async () => {
  tmp = makeTempDir('upframe-perframe-cache-');
  const file = makeTestVideo(tmp.dir, { width: 48, height: 32, fps: 8, durationSec: 2, audio: false });
  media = { id: 1, name: path.basename(file), offline: false, importedAt: Date.now(), ...(await inspectMedia(file, FFPROBE)) };
  packs = new PackService({ userDataDir: path.join(tmp.dir, 'user'), builtinDirs: [] });
  await packs.import(writePerFramePack(path.join(tmp.dir, 'src-a'), 'nearest', [{ file: 'x2.onnx', bytes: nearestUpscaler(2), scale: 2 }]));
  const onnx = path.join(tmp.dir, 'Blur Upscaler.onnx');
  fs.writeFileSync(onnx, blurUpscaler());
  await packs.import(onnx);
  renderer = createChunkRenderer({
    cacheDir: path.join(tmp.dir, 'cache'),
    ffmpeg: { ffmpeg: FFMPEG, ffprobe: FFPROBE, source: 'path' },
    preferences: { getEngine: () => ({ ...DEFAULT_ENGINE_PREFERENCES, provider: 'cpu', threads: 1 }) },
    packs,
    log: () => undefined,
  });
});

afterAll(async () => {
  await renderer?.dispose();
  tmp?.cleanup();
});

describe('model engine chunks', () => {
  it('computes each chunk once, keys it by the pack hash, and measures a rate for the estimate', async () => {
    const ids = (await packs.list()).map((p) => p.id);
    expect(ids).toHaveLength(2);
    const nearestId = ids.find((id) => id.startsWith('nearest@'))!;
    const blurId = ids.find((id) => id.startsWith('blur-upscaler@'))!;
    const settings = { ...defaultClipSettings(), engine: 'model' as const, scale: 2, packId: nearestId };
    const variant = await renderer.variant(media, settings);
    expect(variant).toMatchObject({ engine: 'model', output: { width: 96, height: 64 }, insertedFrames: 0, contextFrames: 0 });
    expect(renderer.estimateSec(variant, 16)).toBeNull();

    const refs = renderer.chunksFor(variant, 0, 2);
    const first = await renderer.ensure(variant, refs);
    expect(first.computed).toBe(refs.length);
    expect(first.chunks.reduce((n, c) => n + c.frames, 0)).toBe(16);
    expect(first.chunks[0]).toMatchObject({ width: 96, height: 64 });
    first.release();
    expect(renderer.estimateSec(variant, 16)).toBeGreaterThan(0);

    const again = await renderer.ensure(variant, refs);
    expect(again.computed).toBe(0);
    again.release();

    // Another pack, same settings otherwise: a different key, computed anew; the first pack's chunks stay.
    const other = await renderer.variant(media, { ...settings, packId: blurId });
    expect(other.settingsHash).not.toBe(variant.settingsHash);
    expect(renderer.status(other, refs)).toEqual(refs.map(() => 'stale'));
    const computed = await renderer.ensure(other, refs);
    expect(computed.computed).toBe(refs.length);
    computed.release();
    expect(renderer.status(variant, refs)).toEqual(refs.map(() => 'cached'));

    // A diffusion engine cannot use a per-frame pack: refused with a message, before any work.
    await expect(renderer.variant(media, { ...settings, engine: 'diffusion' })).rejects.toThrow(/is a per-frame pack/);
  }, 240_000);
});

// clip.estimate through the real services and chunk renderer (no engine run): output size and rate, inserted
// frames, frames for the trimmed range, no time estimate before anything ran here, and the notes when the engine or
// the pack changes what the settings ask for (rounded frame rates, capped insertion, a size limit).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clip } from '../../main/common/model';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import { createServices, type Services } from '../../main/services/services';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { call, callError } from '../helpers/services';

const tmp = makeTempDir('upframe-services-estimate-');
let services: Services;
let clip: Clip;

const classic = (settings: Partial<ClipSettings>): ClipSettings => ({ ...defaultClipSettings(), engine: 'classic', ...settings });

/** A copy of the analytic pack with changed limits (the manifest's limits are no listed file, so it verifies). */
function limitedAnalyticPack(name: string, change: (manifest: any) => void): string {
  const dir = path.join(tmp.dir, 'packs', name);
  fs.cpSync(builtinPackDir('analytic-test'), dir, { recursive: true });
  const file = path.join(dir, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8'));
  manifest.name = name;
  change(manifest);
  fs.writeFileSync(file, JSON.stringify(manifest, null, 2));
  return dir;
}

beforeAll(async () => {
  const mediaDir = path.join(tmp.dir, 'media');
  fs.mkdirSync(mediaDir);
  const file = makeTestVideo(mediaDir, { name: 'source', width: 128, height: 96, fps: 24, durationSec: 2, audio: false });
  services = createServices({ userDataDir: path.join(tmp.dir, 'user-data'), host: 'web', log: () => undefined, mediaWatchMs: 0 });
  await call(services, 'project.create', { path: path.join(tmp.dir, 'estimate.upframe') });
  const { state } = await call(services, 'media.import', { paths: [file] });
  clip = (await call(services, 'timeline.addClip', { mediaId: state.media[0].id, trackId: state.tracks[0].id, start: 0 })).clips[0];
});

afterAll(async () => {
  await services?.close();
  tmp.cleanup();
});

describe('clip.estimate', () => {
  it('classic: size, rate, k and frames over the whole clip and over a trim', async () => {
    const whole = await call(services, 'clip.estimate', { clipId: clip.id, settings: classic({ scale: 2, targetFps: 48 }) });
    // 48 source frames, one inserted after each but the media's last.
    expect(whole).toEqual({ width: 256, height: 192, fps: 48, insertedFrames: 1, frames: 95, estimateSec: null, notes: [] });

    await call(services, 'timeline.trimClip', { clipId: clip.id, start: 0, sourceIn: 6, sourceOut: 30 });
    const trimmed = await call(services, 'clip.estimate', { clipId: clip.id, settings: classic({ scale: 2, targetFps: 48 }) });
    expect(trimmed.frames).toBe(48);
    await call(services, 'history.undo', {});
    // The estimate does not save the settings.
    expect((await call(services, 'project.state', {})).clips[0].settings).toEqual(defaultClipSettings());
  });

  it('explains rates that do not divide and targets below the source rate', async () => {
    const sixty = await call(services, 'clip.estimate', { clipId: clip.id, settings: classic({ targetFps: 60 }) });
    expect(sixty).toMatchObject({ fps: 72, insertedFrames: 2 });
    expect(sixty.notes).toEqual(['Frames are inserted in whole numbers per source frame: 60 fps becomes 72 fps (2 inserted per source frame at 24 fps).']);
    const lower = await call(services, 'clip.estimate', { clipId: clip.id, settings: classic({ targetFps: 20 }) });
    expect(lower).toMatchObject({ fps: 24, insertedFrames: 0, frames: 48 });
    expect(lower.notes).toEqual(["The target 20 fps is not above the source's 24 fps: no frames are inserted."]);
  });

  it('notes a pack that caps the inserted frames or limits the size', async () => {
    const capped = await call(services, 'packs.import', {
      dir: limitedAnalyticPack('analytic-capped', (m) => (m.supports.maxInsertedFrames = 1)),
    });
    const estimate = await call(services, 'clip.estimate', {
      clipId: clip.id,
      settings: { ...defaultClipSettings(), engine: 'diffusion', packId: capped.id, scale: 2, targetFps: 96 },
    });
    expect(estimate).toMatchObject({ width: 256, height: 192, fps: 48, insertedFrames: 1, frames: 95 });
    expect(estimate.notes).toEqual([`The pack ${capped.id} inserts at most 1 frame between source frames: 48 fps instead of 96 fps.`]);

    const small = await call(services, 'packs.import', { dir: limitedAnalyticPack('analytic-small', (m) => (m.resolution.areaMax = 65536)) });
    const limited = await call(services, 'clip.estimate', {
      clipId: clip.id,
      settings: { ...defaultClipSettings(), engine: 'diffusion', packId: small.id, scale: 4 },
    });
    expect(limited).toMatchObject({ width: 294, height: 220, fps: 24, insertedFrames: 0 });
    expect(limited.notes).toEqual([`The pack ${small.id} adjusts the size to 294×220 (4x of 128×96 is 512×384).`]);
  });

  it('fails with what to do for a missing pack or clip', async () => {
    const missing = await callError(services, 'clip.estimate', {
      clipId: clip.id,
      settings: { ...defaultClipSettings(), engine: 'diffusion', packId: 'gone@1.0.0' },
    });
    expect(missing.message).toMatch(/gone@1\.0\.0/);
    const noClip = await callError(services, 'clip.estimate', { clipId: 9999, settings: defaultClipSettings() });
    expect(noClip).toMatchObject({ code: 'NOT_FOUND' });
    expect(noClip.message).toMatch(/Clip 9999 is not on the timeline/);
  });

  it('render.status names offline media as the clip problem', async () => {
    const state = await call(services, 'project.state', {});
    const media = state.media[0];
    fs.renameSync(media.path, `${media.path}.moved`);
    await call(services, 'project.close', {});
    await call(services, 'project.open', { path: state.project.path });
    const { clips } = await call(services, 'render.status', {});
    expect(clips).toEqual([
      { clipId: clip.id, ranges: [{ start: 0, end: 48, state: 'none' }], problem: expect.stringMatching(/source\.mp4 is offline.*relink it/) },
    ]);
    fs.renameSync(`${media.path}.moved`, media.path);
  });
});

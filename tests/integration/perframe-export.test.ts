// Export of a model-engine clip through the services and the render queue, as the editor does it: a per-frame
// .onnx imported through packs.import, a clip set to the model engine (x2 graph, scale 3 with a resize, frames
// inserted from 12 to 24 fps), exported to MP4. Real project file, engine process, ffmpeg and onnxruntime.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExportJob } from '../../main/common/render-model';
import { defaultClipSettings } from '../../main/common/settings';
import { createServices, type Services } from '../../main/services/services';
import { nearestUpscaler } from '../helpers/per-frame-models';
import { ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';
import { call } from '../helpers/services';

const tmp = makeTempDir('upframe-perframe-export-');
let services: Services;
let outDir: string;

async function waitForEnd(jobId: number, timeoutMs = 240_000): Promise<ExportJob> {
  const started = Date.now();
  for (;;) {
    const job = (await call(services, 'export.list', {})).find((j) => j.id === jobId)!;
    if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled' || job.state === 'paused') return job;
    if (Date.now() - started > timeoutMs) throw new Error(`export ${jobId} still ${job.state} after ${timeoutMs} ms: ${job.message}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

beforeAll(async () => {
  outDir = path.join(tmp.dir, 'out');
  fs.mkdirSync(outDir);
  const clip = makeTestVideo(tmp.dir, { name: 'a', width: 64, height: 48, fps: 12, durationSec: 1 });
  const model = path.join(tmp.dir, 'nearest-x2.onnx');
  fs.writeFileSync(model, nearestUpscaler(2));
  services = createServices({ userDataDir: path.join(tmp.dir, 'user-data'), host: 'web', log: () => {}, mediaWatchMs: 0, builtinPackDirs: [] });
  const pack = await call(services, 'packs.import', { dir: model });
  expect(pack).toMatchObject({ family: 'per-frame', status: 'ok', label: 'nearest-x2 (x2)' });
  await call(services, 'project.create', { path: path.join(tmp.dir, 'p.upframe'), name: 'Model export' });
  const imported = await call(services, 'media.import', { paths: [clip] });
  const state = await call(services, 'timeline.addClip', { mediaId: imported.imported[0].id, trackId: imported.state.tracks[0].id, start: 0, sourceIn: 0, sourceOut: 12 });
  await call(services, 'clip.setSettings', {
    clipIds: [state.clips[0].id],
    settings: { ...defaultClipSettings(), engine: 'model', packId: pack.id, scale: 3, targetFps: 24, provider: 'cpu' },
  });
}, 120_000);

afterAll(async () => {
  await services?.close();
  tmp.cleanup();
});

describe('export with the model engine', () => {
  it('writes the clip at 3x and 24 fps through the chunk cache', async () => {
    const started = await call(services, 'export.start', {
      range: { kind: 'timeline' },
      folder: outDir,
      fileName: 'model',
      codec: 'h264',
      quality: { mode: 'crf', crf: 23 },
      conform: { policy: 'first' },
      audio: 'aac',
      overwrite: false,
    });
    expect(started.output).toEqual({ width: 192, height: 144, fps: { num: 24, den: 1 }, frames: 24 });
    const job = await waitForEnd(started.id);
    expect(job.state).toBe('done');
    const video = ffprobeJson(started.outputPath).streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    expect(video).toMatchObject({ width: 192, height: 144, r_frame_rate: '24/1' });
  }, 300_000);
});

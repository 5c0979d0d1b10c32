// The tiny pack has the real VEnhancer pack contract (text encoder, 8x VAE with 4 channels, fp16 denoiser with
// x, t, context, hint, mask, t_hint, s_cond) and random weights: it proves the pipeline drives that contract end to
// end, with a prompt and classifier-free guidance, into a video with the source's audio.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import { loadPack } from '../../main/engine/pack/runtime';
import { runDiffusionJob, TEST_PACK_NOTE } from '../../main/engine/pipeline/diffusion-pipeline';
import type { EngineProgress } from '../../main/engine/types';
import { FFMPEG, FFPROBE, ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const temp = makeTempDir('upframe-diffusion-tiny-');
afterAll(() => temp.cleanup());

describe('diffusion pipeline with the tiny VEnhancer-signature pack', () => {
  it('runs end to end with a prompt and CFG into a video with audio', async () => {
    const input = makeTestVideo(temp.dir, { name: 'tiny-in', width: 64, height: 48, fps: 8, durationSec: 0.5, audio: true });
    const output = path.join(temp.dir, 'out', 'tiny.mp4');
    const settings: ClipSettings = {
      ...defaultClipSettings(),
      engine: 'diffusion',
      scale: 2,
      targetFps: 16,
      noise: 250,
      steps: 2,
      cfg: 7.5,
      prompt: 'a colourful test pattern',
      seed: 3,
    };
    const progress: EngineProgress[] = [];
    let checkpoints = 0;
    const result = await runDiffusionJob(
      {
        input,
        settings,
        packDir: builtinPackDir('tiny-venhancer-test'),
        execution: { provider: 'cpu', deviceId: 0, threads: 1, fp16: false, allowCpuFallback: false },
        output: { kind: 'video', path: output },
      },
      {
        onProgress: (p) => progress.push(p),
        checkpoint: async () => {
          checkpoints++;
        },
      },
      { ffmpeg: FFMPEG, ffprobe: FFPROBE, loadPack },
    );

    // 4 key frames, one inserted between each pair: 7 frames at 16 fps, 2x the size.
    expect(result).toMatchObject({ outputPath: output, frames: 7, width: 128, height: 96, fps: 16 });
    expect(result.notes).toContain(TEST_PACK_NOTE);
    const denoise = progress.filter((p) => p.stage === 'denoise');
    // Two evaluations, one chunk, two passes each (prompt and negative prompt).
    expect(denoise.at(-1)).toMatchObject({ done: 4, total: 4 });
    expect(checkpoints).toBeGreaterThanOrEqual(4);

    const probe = ffprobeJson(output);
    const video = probe.streams.find((s: any) => s.codec_type === 'video');
    expect([video.width, video.height, video.r_frame_rate, Number(video.nb_frames)]).toEqual([128, 96, '16/1', 7]);
    expect(probe.streams.some((s: any) => s.codec_type === 'audio')).toBe(true);

    const raw = execFileSync(FFMPEG, ['-v', 'error', '-i', output, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 26 });
    expect(raw.length).toBe(7 * 128 * 96 * 3);
    // Random weights give no particular picture, but not a flat one either (a NaN or a dead model would be flat).
    const distinct = new Set(raw.subarray(0, 128 * 96 * 3));
    expect(distinct.size).toBeGreaterThan(8);
  });
});

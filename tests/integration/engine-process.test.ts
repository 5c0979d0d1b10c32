// The engine process through EngineHost: cancel between denoiser calls, a killed process fails only its job, and
// the next job gets a fresh process. Real child process, real onnxruntime-node (CPU), real ffmpeg.
import { existsSync, readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { defaultExecutionOptions } from '../../main/engine/execution';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import { CANCEL_RECEIVED_MESSAGE, EngineHost } from '../../main/engine/process/engine-host';
import { EngineCrashedError, EngineJobError } from '../../main/engine/process/errors';
import { CancelledError, type EngineProgress, type EnhanceJobSpec } from '../../main/engine/types';
import { ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

let tmp: { dir: string; cleanup: () => void };
let longClip: string;
let shortClip: string;
let host: EngineHost;

beforeAll(() => {
  tmp = makeTempDir('upframe-engine-process-');
  // 24 key frames, 1 inserted between each (47 frames, two temporal chunks) and 20 steps: a few seconds of
  // denoiser calls on the CPU.
  longClip = makeTestVideo(tmp.dir, { name: 'long', width: 64, height: 48, fps: 8, durationSec: 3 });
  shortClip = makeTestVideo(tmp.dir, { name: 'short', width: 48, height: 32, fps: 8, durationSec: 1 });
  host = new EngineHost();
});
afterAll(async () => {
  await host.dispose();
  tmp.cleanup();
});

function diffusionSpec(input: string, outDir: string, over: Partial<ClipSettings> = {}): EnhanceJobSpec {
  mkdirSync(outDir, { recursive: true });
  return {
    input,
    settings: { ...defaultClipSettings(), engine: 'diffusion', scale: 2, targetFps: 16, noise: 0, steps: 20, ...over },
    packDir: builtinPackDir('analytic-test'),
    execution: defaultExecutionOptions({ provider: 'cpu' }),
    output: { kind: 'video', path: path.join(outDir, 'enhanced.mp4') },
  };
}

describe('engine process', () => {
  it('cancels a diffusion job within one denoiser call and leaves no output', async () => {
    const outDir = path.join(tmp.dir, 'cancel');
    const controller = new AbortController();
    const progress: EngineProgress[] = [];
    let doneSeenAtAbort = -1;
    const job = host.run(diffusionSpec(longClip, outDir), {
      signal: controller.signal,
      onProgress: (p) => {
        progress.push(p);
        if (doneSeenAtAbort < 0 && p.stage === 'denoise' && p.done >= 3) {
          doneSeenAtAbort = p.done;
          controller.abort();
        }
      },
    });
    await expect(job).rejects.toBeInstanceOf(CancelledError);
    expect(doneSeenAtAbort).toBeGreaterThanOrEqual(3);

    // The engine reports its progress at the moment the cancel reached it, and flushes its last progress before
    // saying it stopped: at most one more denoiser call may complete in between.
    const atReceipt = progress.find((p) => p.message === CANCEL_RECEIVED_MESSAGE);
    expect(atReceipt).toBeDefined();
    expect(atReceipt!.stage).toBe('denoise');
    expect(atReceipt!.done).toBeGreaterThanOrEqual(doneSeenAtAbort);
    const last = progress.at(-1)!;
    expect(last.stage).toBe('denoise');
    expect(last.done - atReceipt!.done).toBeLessThanOrEqual(1);
    expect(last.done).toBeLessThan(last.total);

    // Nothing was written: no output, no partial file.
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('fails the job when the engine process is killed, and runs the next job in a fresh process', async () => {
    const outDir = path.join(tmp.dir, 'killed');
    let killedPid: number | undefined;
    const job = host.run(diffusionSpec(longClip, outDir), {
      onProgress: (p) => {
        if (killedPid === undefined && p.stage === 'denoise') {
          killedPid = host.pid;
          process.kill(killedPid!, 'SIGKILL');
        }
      },
    });
    const error = await job.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineCrashedError);
    expect((error as EngineCrashedError).signal).toBe('SIGKILL');
    expect((error as Error).message).toMatch(/stopped unexpectedly \(killed by SIGKILL\) during denoise/);
    expect((error as Error).message).toMatch(/the engine restarts for the next job/);
    // The partial output the dead process was writing is removed by the host.
    expect(readdirSync(outDir)).toEqual([]);

    const nextDir = path.join(tmp.dir, 'after-crash');
    const result = await host.run(diffusionSpec(shortClip, nextDir, { steps: 1 }), {});
    expect(host.pid).toBeDefined();
    expect(host.pid).not.toBe(killedPid);
    expect(existsSync(result.outputPath)).toBe(true);
    const video = ffprobeJson(result.outputPath).streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    expect([video.width, video.height]).toEqual([96, 64]);
    expect(result.notes.join('\n')).toMatch(/Test pack/);
  });

  it('removes the partial output of an engine process killed while writing', async () => {
    const outDir = path.join(tmp.dir, 'killed-writing');
    let filesAtKill: string[] | null = null;
    const job = host.run(diffusionSpec(longClip, outDir, { steps: 1 }), {
      onProgress: (p) => {
        if (filesAtKill === null && p.stage === 'vae_decode' && p.done >= 2) {
          // ffmpeg creates its output file only once it has read the first frames: on a loaded machine that can
          // come after a few decoded frames, so wait for the file (or the last frame) before killing.
          const files = existsSync(outDir) ? readdirSync(outDir) : [];
          if (files.length === 0 && p.done + 1 < p.total) return;
          filesAtKill = files;
          process.kill(host.pid!, 'SIGKILL');
        }
      },
    });
    const error = await job.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineCrashedError);
    expect((error as Error).message).toMatch(/\(killed by SIGKILL\) during vae_decode/);
    // The writer had its hidden temporary file open; the host removed it.
    expect(filesAtKill).toEqual([expect.stringMatching(/^\.enhanced\.partial-\d+-[0-9a-f]+\.mp4$/)]);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('runs jobs one at a time and never starts a job cancelled while queued', async () => {
    const outDir = path.join(tmp.dir, 'queue');
    const order: string[] = [];
    const classic = (name: string): EnhanceJobSpec => ({
      input: shortClip,
      settings: { ...defaultClipSettings(), scale: 2 },
      execution: defaultExecutionOptions({ provider: 'cpu' }),
      output: { kind: 'video', path: path.join(outDir, `${name}.mp4`) },
    });
    mkdirSync(outDir, { recursive: true });
    const controller = new AbortController();
    const first = host.run(classic('first'), { onProgress: () => order.push('first') }).then((r) => {
      order.push('first done');
      return r;
    });
    const second = host.run(classic('second'), { signal: controller.signal, onProgress: () => order.push('second') });
    const third = host.run(classic('third'), { onProgress: () => order.push('third') });
    controller.abort();
    await first;
    await expect(second).rejects.toBeInstanceOf(CancelledError);
    await third;
    expect(order.indexOf('first done')).toBeLessThan(order.indexOf('third'));
    expect(order).not.toContain('second');
    expect(readdirSync(outDir).sort()).toEqual(['first.mp4', 'third.mp4']);
  });

  it('rejects an invalid job before it reaches the engine, naming the field', async () => {
    const bad = { ...diffusionSpec(shortClip, path.join(tmp.dir, 'invalid')), settings: { ...defaultClipSettings(), scale: 12 } };
    const error = await host.run(bad, {}).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(EngineJobError);
    expect((error as EngineJobError).code).toBe('INVALID_SPEC');
    expect((error as Error).message).toMatch(/settings\.scale/);
  });
});

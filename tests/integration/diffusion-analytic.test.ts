// The analytic pack makes the pipeline's output known in closed form at noise 0: the key frames, bilinearly
// resized (the pipeline's own resize), linearly interpolated in time. Any seam between chunks or tiles, an
// off-by-one frame, a wrong schedule or sampler step shows up as a PSNR drop.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { loadPack } from '../../main/engine/pack/runtime';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import type { PackManifest } from '../../main/engine/pack/manifest';
import { runDiffusionJob, TEST_PACK_NOTE } from '../../main/engine/pipeline/diffusion-pipeline';
import { cropToRgb24, planResolution, resizeBilinearToPadded } from '../../main/engine/plan/resolution';
import { CancelledError, type EngineProgress, type EngineResult, type ExecutionOptions, type JobHooks, type PackRuntime } from '../../main/engine/types';
import { FFMPEG, FFPROBE, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const temp = makeTempDir('upframe-diffusion-analytic-');
afterAll(() => temp.cleanup());

const packDir = builtinPackDir('analytic-test');
const execution = { provider: 'cpu', deviceId: 0, threads: 1, fp16: false, allowCpuFallback: false } as const;
const deps = { ffmpeg: FFMPEG, ffprobe: FFPROBE, loadPack };
let jobCounter = 0;

function decodeRgb(input: string, width: number, height: number): Uint8Array[] {
  const raw = execFileSync(FFMPEG, ['-v', 'error', '-i', input, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 1 << 28 });
  const size = width * height * 3;
  expect(raw.length % size).toBe(0);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < raw.length; offset += size) frames.push(new Uint8Array(raw.subarray(offset, offset + size)));
  return frames;
}

function psnr(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255) / (sum / a.length));
}

function manifestOf(dir: string): PackManifest {
  return JSON.parse(execFileSync('cat', [path.join(dir, 'manifest.json')], { encoding: 'utf8' }));
}

/** The closed form: resized key frames, linear in time between them. */
function expectedFrames(keys: Uint8Array[], srcW: number, srcH: number, scale: number, k: number): Uint8Array[] {
  const manifest = manifestOf(packDir);
  const plan = planResolution(srcW, srcH, scale, manifest.resolution, manifest.latent.downscale);
  const resized = keys.map((frame) => resizeBilinearToPadded(frame, plan, manifest.resolution.pad.value));
  const out: Uint8Array[] = [];
  for (let i = 0; i < resized.length; i++) {
    out.push(cropToRgb24(resized[i], plan));
    if (i + 1 === resized.length) break;
    for (let j = 1; j <= k; j++) {
      const a = j / (k + 1);
      const mixed = new Float32Array(resized[i].length);
      for (let e = 0; e < mixed.length; e++) mixed[e] = (1 - a) * resized[i][e] + a * resized[i + 1][e];
      out.push(cropToRgb24(mixed, plan));
    }
  }
  return out;
}

function recordingHooks(): JobHooks & { progress: EngineProgress[]; checkpoints: number } {
  const hooks = {
    progress: [] as EngineProgress[],
    checkpoints: 0,
    onProgress(p: EngineProgress) {
      hooks.progress.push(p);
    },
    async checkpoint() {
      hooks.checkpoints++;
    },
  };
  return hooks;
}

type Case = {
  width: number;
  height: number;
  fps: number;
  keyFrames: number;
  scale: number;
  k: number;
  settings?: Partial<ClipSettings>;
  /** Denoiser calls expected: evaluations x temporal chunks (proves how many chunks ran). */
  calls?: number;
  /** Wraps the real runtime (e.g. to make large work units fail as out of memory). */
  wrapRuntime?: (runtime: PackRuntime) => PackRuntime;
  /** Every latent store in a temp file, as for a long clip (short ones stay in memory). */
  latentsInFiles?: boolean;
};

async function runCase(c: Case): Promise<{ result: EngineResult; frames: Uint8Array[]; input: string; hooks: ReturnType<typeof recordingHooks> }> {
  const id = ++jobCounter;
  const input = makeTestVideo(temp.dir, {
    name: `in-${id}`,
    width: c.width,
    height: c.height,
    fps: c.fps,
    durationSec: c.keyFrames / c.fps,
    audio: false,
  });
  const dir = path.join(temp.dir, `out-${id}`);
  const settings: ClipSettings = {
    ...defaultClipSettings(),
    engine: 'diffusion',
    scale: c.scale,
    targetFps: c.k === 0 ? null : c.fps * (c.k + 1),
    noise: 0,
    steps: 1,
    cfg: 1,
    ...c.settings,
  };
  const hooks = recordingHooks();
  const wrap = c.wrapRuntime;
  const jobDeps = {
    ...deps,
    ...(wrap ? { loadPack: async (d: string, e: ExecutionOptions) => wrap(await loadPack(d, e)) } : {}),
    ...(c.latentsInFiles ? { inMemoryLatentBytes: 0 } : {}),
  };
  const result = await runDiffusionJob({ input, settings, packDir, execution, output: { kind: 'frames', dir } }, hooks, jobDeps);
  expect(result.outputPath).toBe(dir);
  const frames = decodeRgb(path.join(dir, 'frame-%06d.png'), result.width, result.height);
  return { result, frames, input, hooks };
}

async function expectClosedForm(c: Case): Promise<EngineResult> {
  const { result, frames, input, hooks } = await runCase(c);
  const keys = decodeRgb(input, c.width, c.height);
  expect(keys).toHaveLength(c.keyFrames);
  const expected = expectedFrames(keys, c.width, c.height, c.scale, c.k);
  expect(result.frames).toBe(c.keyFrames + c.k * (c.keyFrames - 1));
  expect(frames).toHaveLength(result.frames);
  expect(expected).toHaveLength(result.frames);
  expect(result.fps).toBeCloseTo(c.fps * (c.k + 1), 6);
  const scores = frames.map((frame, i) => psnr(frame, expected[i]));
  const worst = Math.min(...scores);
  expect(worst, `PSNR per frame: ${scores.map((s) => s.toFixed(1)).join(' ')}`).toBeGreaterThanOrEqual(40);
  expect(result.notes).toContain(TEST_PACK_NOTE);
  expect(result.notes.some((note) => /Provider: .*cpu/i.test(note))).toBe(true);
  for (const stage of ['decode', 'vae_encode', 'denoise', 'vae_decode', 'write'] as const) {
    expect(result.stageSeconds[stage], stage).toBeGreaterThan(0);
  }
  const last = hooks.progress[hooks.progress.length - 1];
  expect(last.fraction).toBe(1);
  const denoise = hooks.progress.filter((p) => p.stage === 'denoise');
  expect(denoise.length).toBeGreaterThan(0);
  expect(denoise[denoise.length - 1].done).toBe(denoise[denoise.length - 1].total);
  expect(denoise[denoise.length - 1].etaSec).toBe(0);
  if (c.calls !== undefined) expect(denoise[denoise.length - 1].total).toBe(c.calls);
  return result;
}

describe('diffusion pipeline with the analytic pack (closed form at noise 0)', () => {
  it('scale 1, no inserted frames, one evaluation: returns the input frames', async () => {
    const result = await expectClosedForm({ width: 48, height: 32, fps: 10, keyFrames: 6, scale: 1, k: 0, calls: 1 });
    expect([result.width, result.height]).toEqual([48, 32]);
  });

  it('scale 2, k = 1, 14 evaluations, frames larger than one decode tile', async () => {
    const result = await expectClosedForm({ width: 48, height: 32, fps: 10, keyFrames: 8, scale: 2, k: 1, settings: { steps: 'fast' }, calls: 14 });
    expect([result.width, result.height]).toEqual([96, 64]);
  });

  it('scale 2.5, k = 3, clip longer than one temporal chunk (pack rule: two chunks)', async () => {
    const result = await expectClosedForm({ width: 48, height: 32, fps: 10, keyFrames: 12, scale: 2.5, k: 3, calls: 2 });
    expect([result.width, result.height, result.frames]).toEqual([120, 80, 45]);
  });

  it('k = 3 over many short chunks (chunkFrames override), 14 evaluations', async () => {
    await expectClosedForm({ width: 32, height: 24, fps: 10, keyFrames: 7, scale: 1, k: 3, settings: { chunkFrames: 9, steps: 'fast' }, calls: 5 * 14 });
  });

  it('scale 4, k = 7, 14 evaluations, several chunks and tiles', async () => {
    const result = await expectClosedForm({ width: 24, height: 16, fps: 8, keyFrames: 6, scale: 4, k: 7, settings: { steps: 'fast' }, calls: 2 * 14 });
    expect([result.width, result.height, result.frames]).toEqual([96, 64, 41]);
  });
});

/** The real runtime, except that denoiser chunks longer than `maxFrames` and decoder tiles larger than `maxTile`
 *  latents fail the way onnxruntime reports an allocation failure. */
function limitMemory(maxFrames: number, maxTile: number): (runtime: PackRuntime) => PackRuntime {
  const oom = () => new Error('Failed to allocate memory for requested buffer of size 123456789');
  return (runtime) => ({
    manifest: runtime.manifest,
    dir: runtime.dir,
    packHash: runtime.packHash,
    providerInUse: runtime.providerInUse,
    encodeText: (prompt) => runtime.encodeText(prompt),
    encodeNegative: () => runtime.encodeNegative(),
    vaeEncode: (images) => runtime.vaeEncode(images),
    vaeDecode: async (latents) => {
      if (latents.dims[2] > maxTile || latents.dims[3] > maxTile) throw oom();
      return runtime.vaeDecode(latents);
    },
    denoise: async (inputs) => {
      if (inputs.x.dims[2] > maxFrames) throw oom();
      return runtime.denoise(inputs);
    },
    release: () => runtime.release(),
  });
}

describe('diffusion pipeline out of memory', () => {
  it('retries with shorter chunks and smaller tiles and still returns the closed form', async () => {
    const result = await expectClosedForm({
      width: 48,
      height: 32,
      fps: 10,
      keyFrames: 6,
      scale: 2,
      k: 1,
      wrapRuntime: limitMemory(6, 12),
    });
    expect(result.notes.some((n) => /Out of memory while denoising: retried with chunks of \d+ frames/.test(n))).toBe(true);
    expect(result.notes.some((n) => /Out of memory while decoding: retried with tiles of 8x12 latents/.test(n))).toBe(true);
  });

  it('fails past the floor with a message naming settings that fit', async () => {
    await expect(runCase({ width: 48, height: 32, fps: 10, keyFrames: 4, scale: 2, k: 1, wrapRuntime: limitMemory(2, 64) })).rejects.toThrow(
      /Out of memory during denoise.*Settings that use less memory: set Scale to/,
    );
  });
});

describe('diffusion pipeline determinism and cancel', () => {
  const noisy: Case = { width: 32, height: 24, fps: 10, keyFrames: 4, scale: 1, k: 1, settings: { noise: 150, steps: 3, seed: 7 } };

  it('with noise > 0 a fixed seed gives byte-identical output (latents in memory or in files) and another seed differs', async () => {
    const first = await runCase(noisy);
    const second = await runCase({ ...noisy, latentsInFiles: true });
    const other = await runCase({ ...noisy, settings: { ...noisy.settings, seed: 8 } });
    expect(first.frames).toHaveLength(7);
    expect(Buffer.concat(second.frames).equals(Buffer.concat(first.frames))).toBe(true);
    expect(Buffer.concat(other.frames).equals(Buffer.concat(first.frames))).toBe(false);
  });

  it('with noise > 0 the result does not depend on the temporal chunking', async () => {
    const chunked: Case = { ...noisy, keyFrames: 9, k: 1, settings: { ...noisy.settings, chunkFrames: 5 } };
    const whole = await runCase({ ...chunked, settings: { ...chunked.settings, chunkFrames: null } });
    const split = await runCase(chunked);
    expect(split.frames).toHaveLength(17);
    const totals = (r: typeof whole) => r.hooks.progress.filter((p) => p.stage === 'denoise').at(-1)?.total;
    expect([totals(whole), totals(split)]).toEqual([3, 3 * 6]);
    // Same noise per (seed, step, frame) and consistent chunk predictions: equal up to float rounding.
    for (let i = 0; i < whole.frames.length; i++) expect(psnr(split.frames[i], whole.frames[i])).toBeGreaterThanOrEqual(50);
  });

  it('cancel between denoiser calls stops the job and leaves no output or temp files', async () => {
    const workDir = path.join(temp.dir, 'work-cancel');
    mkdirSync(workDir);
    const input = makeTestVideo(temp.dir, { name: 'cancel-in', width: 32, height: 24, fps: 10, durationSec: 0.4, audio: true });
    const output = path.join(temp.dir, 'cancel-out', 'cancelled.mp4');
    let calls = 0;
    const hooks: JobHooks = {
      onProgress(p) {
        if (p.stage === 'denoise') calls = p.done;
      },
      async checkpoint() {
        if (calls >= 2) throw new CancelledError();
      },
    };
    const settings = { ...defaultClipSettings(), engine: 'diffusion' as const, noise: 0, steps: 'fast' as const, cfg: 1 };
    await expect(
      runDiffusionJob({ input, settings, packDir, execution, output: { kind: 'video', path: output } }, hooks, { ...deps, workDir, inMemoryLatentBytes: 0 }),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(calls).toBe(2);
    expect(readdirSync(workDir)).toEqual([]);
    expect(existsSync(output)).toBe(false);
  });
});

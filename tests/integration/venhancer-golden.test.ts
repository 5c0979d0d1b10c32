// The golden test: a tiny pack exported from the part-1 PyTorch modules (native-models/venhancer/golden_pack.py:
// fixture-a's denoiser, an 8x 4-channel temporal VAE, a 1024-wide text tower, random seeded weights) enhances a
// short clip through the whole engine, and native-models/venhancer/reference_loop.py runs the reference method
// step by step with the same modules in PyTorch. Both take the same random draws: the test writes the engine's
// seeded noise (addressed by seed, stream, step and frame) to files the Python loop reads. Everything else (resize,
// padding, posterior sampling, hint noising, SDEdit start, solver sigmas and integer t, two guidance passes with the
// rescale, chunk cross-fade with global key indices, decode tiles and crop) is computed by each side on its own.
// 7 key frames with one inserted frame per gap = 13 frames in two overlapping denoiser chunks, 14 solver steps,
// two passes each, a 6x8 latent decoded in 4 spatial tiles and 5-frame temporal chunks.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { openFrameReader } from '../../main/engine/io/frame-reader';
import { PackManifestSchema } from '../../main/engine/pack/manifest';
import { loadPack } from '../../main/engine/pack/runtime';
import { loadPromptTokenizer } from '../../main/engine/pack/text';
import { NOISE_STREAM } from '../../main/engine/pipeline/denoise';
import { runDiffusionJob } from '../../main/engine/pipeline/diffusion-pipeline';
import { gaussianNoise } from '../../main/engine/random/gaussian';
import { FFMPEG, FFPROBE, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const ROOT = path.resolve(__dirname, '../..');
const NATIVE = path.join(ROOT, 'native-models');
const temp = makeTempDir('upframe-venhancer-golden-');
afterAll(() => temp.cleanup());

/** Tolerance, on 8-bit output values: the two sides differ only by float32 rounding (onnxruntime's kernels against
 *  torch's, float64 against float32 in a few host-side scalars), which 14 guided steps amplify a little; a wrong
 *  step of the method (a schedule entry, a rounding of t, a mask index, an unshared hint, a blend weight, a tile)
 *  moves values by tens of levels. */
const MAX_LEVEL_DIFFERENCE = 2;
const MEAN_LEVEL_DIFFERENCE = 0.1;

function python(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', args, {
      cwd: NATIVE,
      env: { ...process.env, OMP_NUM_THREADS: '2' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (status) => (status === 0 ? resolve(output) : reject(new Error(`python3 ${args.join(' ')} exited ${status}:\n${output}`))));
  });
}

function writeFloats(file: string, data: Float32Array): void {
  fs.writeFileSync(file, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/** What the golden pack is made from: a change to any of these re-exports it. */
const PACK_SOURCES = [
  'native-models/venhancer/golden_pack.py',
  'native-models/venhancer/denoiser.py',
  'native-models/venhancer/unet_blocks.py',
  'native-models/venhancer/denoiser_onnx.py',
  'native-models/venhancer/onnx_export.py',
  'native-models/venhancer/vae.py',
  'native-models/venhancer/text.py',
  'native-models/packs/tiny-venhancer-test/tokenizer.json',
  'tests/fixtures/venhancer/fixture-a.pt',
];

/**
 * The exported golden pack, cached in the temp folder by the hash of its sources: torch 1.13's ONNX export of even
 * this tiny denoiser spends most of its time in shape inference (about 30 min on a loaded 2-core machine), so it is
 * made once per change of the modules, not per run.
 */
async function goldenPack(): Promise<{ packDir: string; weights: string }> {
  const hash = createHash('sha256');
  for (const file of PACK_SOURCES) hash.update(file).update(fs.readFileSync(path.join(ROOT, file)));
  const dir = path.join(os.tmpdir(), `upframe-golden-pack-${hash.digest('hex').slice(0, 16)}`);
  const done = () => fs.existsSync(path.join(dir, 'pack', 'manifest.json')) && fs.existsSync(path.join(dir, 'weights.pt'));
  if (!done()) {
    const staging = `${dir}.partial-${process.pid}`;
    fs.rmSync(staging, { recursive: true, force: true });
    await python(['-m', 'venhancer.golden_pack', staging]);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(staging, dir);
  }
  return { packDir: path.join(dir, 'pack'), weights: path.join(dir, 'weights.pt') };
}

describe('golden test: the engine equals the Python reference loop on a pack exported from the PyTorch modules', () => {
  let packDir = '';
  let weights = '';

  beforeAll(async () => {
    ({ packDir, weights } = await goldenPack());
  }, 3_600_000);

  it('enhances a 7-frame clip (2x space, 2x time, noise 250, CFG 7.5, fast) to the reference loop within 2 levels', { timeout: 3_600_000 }, async () => {
    const manifest = PackManifestSchema.parse(JSON.parse(fs.readFileSync(path.join(packDir, 'manifest.json'), 'utf8')));
    const input = makeTestVideo(temp.dir, { name: 'golden-in', width: 24, height: 16, fps: 8, durationSec: 7 / 8, audio: false });
    const settings: ClipSettings = {
      ...defaultClipSettings(),
      engine: 'diffusion',
      scale: 2,
      targetFps: 16,
      noise: 250,
      steps: 'fast',
      cfg: 7.5,
      sCond: 8,
      prompt: 'a colourful test pattern',
      seed: 11,
    };

    // The source frames as the engine reads them.
    const reader = await openFrameReader({ ffmpeg: FFMPEG, ffprobe: FFPROBE, file: input });
    const source: Buffer[] = [];
    for await (const frame of reader.frames) source.push(Buffer.from(frame.data));
    reader.close();
    expect(source).toHaveLength(7);
    fs.writeFileSync(path.join(temp.dir, 'source.rgb'), Buffer.concat(source));

    const outDir = path.join(temp.dir, 'engine-out');
    const result = await runDiffusionJob(
      {
        input,
        settings,
        packDir,
        execution: { provider: 'cpu', deviceId: 0, threads: 2, fp16: false, allowCpuFallback: false },
        output: { kind: 'frames', dir: outDir },
      },
      { onProgress: () => {}, checkpoint: async () => {} },
      { ffmpeg: FFMPEG, ffprobe: FFPROBE, loadPack },
    );
    expect(result).toMatchObject({ frames: 13, width: 48, height: 32, fps: 16 });

    // The engine's random draws, by address: latent 4 x 6 x 8 (48x64 padded frames).
    const size = manifest.latent.channels * 6 * 8;
    const noiseDir = path.join(temp.dir, 'noise');
    fs.mkdirSync(noiseDir);
    for (let f = 0; f < 13; f++) {
      writeFloats(path.join(noiseDir, `posterior-${f}.f32`), gaussianNoise(settings.seed, [NOISE_STREAM.posterior, f], size));
      writeFloats(path.join(noiseDir, `start-${f}.f32`), gaussianNoise(settings.seed, [NOISE_STREAM.start, f], size));
      for (let i = 0; i < 13; i++) writeFloats(path.join(noiseDir, `step-${i}-${f}.f32`), gaussianNoise(settings.seed, [NOISE_STREAM.step, i, f], size));
    }
    for (let key = 0; key < 7; key++) writeFloats(path.join(noiseDir, `hint-${key}.f32`), gaussianNoise(settings.seed, [NOISE_STREAM.hint, key], size));
    const tokenizer = await loadPromptTokenizer(path.join(packDir, manifest.text!.tokenizer), manifest.text!, manifest.name);

    const job = {
      pack: packDir,
      weights,
      frames: path.join(temp.dir, 'source.rgb'),
      width: 24,
      height: 16,
      scale: settings.scale,
      k: 1,
      noise: settings.noise,
      cfg: settings.cfg,
      sCond: settings.sCond,
      steps: settings.steps,
      tokens: { cond: tokenizer.encodePrompt(settings.prompt), uncond: tokenizer.encodeNegative() },
      noiseDir,
      out: path.join(temp.dir, 'reference.rgb'),
    };
    fs.writeFileSync(path.join(temp.dir, 'job.json'), JSON.stringify(job));
    const output = await python(['-m', 'venhancer.reference_loop', path.join(temp.dir, 'job.json')]);
    const summary = JSON.parse(output.split('\n').find((line) => line.startsWith('RESULT '))!.slice('RESULT '.length));
    // The reference's own view of the run: two chunks sharing 3 frames, and the rounded t of its 14 model calls.
    expect(summary).toMatchObject({ frames: 13, width: 48, height: 32, chunks: [[0, 7], [4, 13]] });
    expect(summary.timesteps).toEqual([899, 799, 699, 599, 500, 454, 409, 363, 318, 272, 227, 181, 136, 90]);

    const reference = fs.readFileSync(job.out);
    const engine = execFileSync(FFMPEG, ['-v', 'error', '-i', path.join(outDir, 'frame-%06d.png'), '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
      maxBuffer: 1 << 26,
    });
    expect(engine.length).toBe(reference.length);
    let worst = 0;
    let total = 0;
    let spread = 0;
    for (let i = 0; i < engine.length; i++) {
      const d = Math.abs(engine[i] - reference[i]);
      worst = Math.max(worst, d);
      total += d;
      spread = Math.max(spread, Math.abs(reference[i] - reference[0]));
    }
    const mean = total / engine.length;
    // The output is not flat (a constant image would match anything that saturates).
    expect(spread).toBeGreaterThan(20);
    expect(worst, `max |engine - reference| ${worst}, mean ${mean.toFixed(4)}`).toBeLessThanOrEqual(MAX_LEVEL_DIFFERENCE);
    expect(mean, `max |engine - reference| ${worst}, mean ${mean.toFixed(4)}`).toBeLessThanOrEqual(MEAN_LEVEL_DIFFERENCE);
  });
});

// In-process entry points of the per-frame model engine, for benchmarks and scripts that need no engine process,
// project or cache (the app itself runs the same code through the engine process: worker.ts -> runPerFrameJob).
//
//   builtinEsrganPackDir(): string
//       The built-in "ESRGAN (thick)" pack (x2, x3, x4, x8), converted at set-up into native-models/generated/.
//       Converts it on first use when set-up has not (a few seconds per scale).
//
//   enhanceVideoWithPerFramePack({ input, output, scale, packDir?, targetFps?, startSec?, endSec?, threads?,
//                                  onProgress?, log? }): Promise<EngineResult>
//       Decodes `input`, runs every frame through the pack's model for `scale` (1-8; the smallest model scale at
//       or above it, then a lanczos resize to evenFloor(W * scale) x evenFloor(H * scale)), inserts frames by
//       minterpolate when targetFps asks for them (then blends onto exactly targetFps where the source rate x (k + 1)
//       is not it), and encodes `output` (.mp4/.mov/.mkv/.webm, with the audio;
//       or a folder of PNGs when `output` ends with '/'). CPU provider; threads 0 = one per core.
//
//   upscaleFrameWithPerFramePack({ frame, scale, packDir?, threads? }): Promise<RgbFrame>
//       One rgb24 frame through the pack's model whose scale equals `scale` exactly (2, 3, 4 or 8 for ESRGAN),
//       with no resize: for image benchmarks (PSNR/SSIM against an original).
//
//   releasePerFrameModels(): Promise<void>
//       Closes the model kept open between calls.
import path from 'node:path';
import { defaultClipSettings } from '../../common/settings';
import { locateFfmpeg } from '../../media/ffmpeg-locate';
import { builtinPerFramePackDir, generatedPackDir } from '../pack/builtin-per-frame';
import { HashCache } from '../pack/hash-cache';
import { perFramePackId, verifyPerFramePack } from '../pack/per-frame-manifest';
import type { EngineProgress, EngineResult, ExecutionOptions, RgbFrame } from '../types';
import { esrganPackageDir, writeEsrganPack } from './esrgan-converter';
import { PerFrameModelCache, runPerFrameJob } from './per-frame-job';

const models = new PerFrameModelCache();
/** Pack files are hashed once per process (by path, mtime and size), not on every call. */
const hashCache = new HashCache(null);
let converting: Promise<string> | null = null;

export async function builtinEsrganPackDir(): Promise<string> {
  const existing = builtinPerFramePackDir('esrgan-thick');
  if (existing) return existing;
  const packageDir = esrganPackageDir();
  if (!packageDir) throw new Error('@upscalerjs/esrgan-thick is not installed: run npm run setup.');
  converting ??= writeEsrganPack(packageDir, generatedPackDir('esrgan-thick'));
  return converting;
}

function cpuExecution(threads = 0): ExecutionOptions {
  return { provider: 'cpu', deviceId: 0, threads, fp16: false, allowCpuFallback: false };
}

export async function enhanceVideoWithPerFramePack(opts: {
  input: string;
  output: string;
  scale: number;
  packDir?: string;
  targetFps?: number | null;
  startSec?: number;
  endSec?: number;
  threads?: number;
  onProgress?: (progress: EngineProgress) => void;
  log?: (message: string) => void;
}): Promise<EngineResult> {
  const packDir = opts.packDir ?? (await builtinEsrganPackDir());
  const settings = { ...defaultClipSettings(), engine: 'model' as const, scale: opts.scale, targetFps: opts.targetFps ?? null };
  const { ffmpeg, ffprobe } = locateFfmpeg(process.env);
  const output = opts.output.endsWith('/') ? { kind: 'frames' as const, dir: opts.output } : { kind: 'video' as const, path: opts.output };
  return runPerFrameJob(
    { input: opts.input, startSec: opts.startSec, endSec: opts.endSec, settings, packDir, execution: cpuExecution(opts.threads), output },
    { onProgress: opts.onProgress ?? (() => undefined), checkpoint: async () => undefined, log: opts.log },
    { ffmpeg, ffprobe, models, hashCache },
  );
}

export async function upscaleFrameWithPerFramePack(opts: { frame: RgbFrame; scale: number; packDir?: string; threads?: number }): Promise<RgbFrame> {
  const packDir = opts.packDir ?? (await builtinEsrganPackDir());
  const { manifest } = await verifyPerFramePack(packDir, { hashCache });
  const entry = manifest.models.find((m) => m.scale === opts.scale);
  if (!entry) {
    const scales = manifest.models.map((m) => m.scale).join(', ');
    throw new Error(`Pack ${perFramePackId(manifest)} has no x${opts.scale} model (its scales: ${scales}).`);
  }
  const model = await models.get(path.join(packDir, entry.file), cpuExecution(opts.threads), manifest, entry);
  return model.upscale(opts.frame);
}

export function releasePerFrameModels(): Promise<void> {
  return models.releaseAll();
}

// The "model" engine: one decode, each frame through a per-frame pack's model in memory, one encode (the
// Video2X shape). The model's whole-number scale is met with a final lanczos resize for any scale from 1 to 8,
// and frames are inserted by the classic engine's motion interpolation (minterpolate) after the model, in the
// encoder's filter chain, so the output has the classic engine's frame grid.
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { insertedFrames } from '../../common/settings';
import { motionInterpolationFilter } from '../../media/rate-filters';
import { openSourceReader, type FrameReader } from '../io/frame-reader';
import { openFrameWriter, type FrameWriter } from '../io/frame-writer';
import type { HashCache } from '../pack/hash-cache';
import { perFramePackId, verifyPerFramePack, type PerFrameManifest, type PerFrameModel as ManifestModel } from '../pack/per-frame-manifest';
import { exactRateConversion } from '../plan/exact-rate';
import type { EngineResult, EnhanceJobSpec, ExecutionOptions, JobHooks } from '../types';
import { chooseModel, modelOutputSize } from './output-size';
import { PerFrameModel } from './per-frame-model';
import { ProgressRate } from '../progress-rate';

/** Bump when the model engine's output for the same settings and pack changes: cached chunks stop matching. */
export const MODEL_ENGINE_VERSION = 'model-1';

const LANCZOS = 'lanczos+accurate_rnd+full_chroma_int';

export { chooseModel };

/** Keeps one opened model between jobs (the chunk renderer runs one job per few frames). */
export class PerFrameModelCache {
  private current: { key: string; model: Promise<PerFrameModel> } | null = null;

  async get(file: string, execution: ExecutionOptions, manifest: PerFrameManifest, entry: ManifestModel, log?: (m: string) => void): Promise<PerFrameModel> {
    const key = JSON.stringify([file, execution.provider, execution.deviceId, execution.threads, manifest.input, manifest.tile]);
    if (this.current?.key !== key) {
      await this.releaseAll();
      const model = PerFrameModel.open(file, execution, {
        input: manifest.input,
        tile: manifest.tile,
        expectedScale: entry.scale,
        label: `Pack ${perFramePackId(manifest)}: ${entry.file}`,
        log,
      });
      this.current = { key, model };
      model.catch(() => {
        if (this.current?.model === model) this.current = null;
      });
    }
    return this.current!.model;
  }

  async releaseAll(): Promise<void> {
    const current = this.current;
    this.current = null;
    if (current) await (await current.model.catch(() => null))?.release();
  }
}

export type PerFrameJobDeps = { ffmpeg: string; ffprobe: string; models: PerFrameModelCache; hashCache?: HashCache };

export async function runPerFrameJob(spec: EnhanceJobSpec, hooks: JobHooks, deps: PerFrameJobDeps): Promise<EngineResult> {
  if (!spec.packDir) {
    throw Object.assign(new Error('The model engine needs a per-frame pack: no pack folder was given for this job.'), { code: 'NO_PACK' });
  }
  await hooks.checkpoint();
  const started = performance.now();
  const stageSeconds: EngineResult['stageSeconds'] = {};
  const { manifest } = await verifyPerFramePack(spec.packDir, { hashCache: deps.hashCache });
  const settings = spec.settings;
  const entry = chooseModel(manifest.models, settings.scale);
  const model = await deps.models.get(path.join(spec.packDir, entry.file), spec.execution, manifest, entry, hooks.log);
  const notes = [`Model: ${perFramePackId(manifest)} ${entry.file} (x${model.scale})`, `Provider: ${model.providerInUse}`];
  if (manifest.testPack) notes.push('This is a test pack: it exercises the engine and does not enhance.');

  let reader: FrameReader | null = null;
  let writer: FrameWriter | null = null;
  try {
    reader = await openSourceReader(spec, deps, notes);
    const k = insertedFrames(reader.fps, settings.targetFps);
    const outputFps = reader.fps * (k + 1);
    const target = modelOutputSize(reader.width, reader.height, settings.scale);
    const modelWidth = reader.width * model.scale;
    const modelHeight = reader.height * model.scale;
    const expectedOut = spec.keep ? spec.keep.count : reader.expectedFrames * (k + 1);

    const filters = ['setpts=PTS-STARTPTS'];
    if (k > 0) {
      // As in the classic engine: two cloned frames at the end keep minterpolate from ending the clip early.
      filters.push('tpad=stop_mode=clone:stop=2', motionInterpolationFilter(rateText(outputFps)));
    }
    if (target.width !== modelWidth || target.height !== modelHeight) filters.push(`scale=${target.width}:${target.height}:flags=${LANCZOS}`);
    const first = spec.keep?.first ?? 0;
    filters.push(`trim=start_frame=${first}:end_frame=${first + expectedOut}`, 'setpts=PTS-STARTPTS');
    const exact = spec.keep || spec.output.kind === 'chunk' ? null : exactRateConversion(outputFps, settings.targetFps, expectedOut);
    if (exact) filters.push(...exact.filters);
    if (target.width !== modelWidth || target.height !== modelHeight) {
      notes.push(`x${model.scale} model output ${modelWidth}x${modelHeight} resized to ${target.width}x${target.height} (lanczos)`);
    }
    if (k > 0) notes.push(`${k} frame${k === 1 ? '' : 's'} inserted per source frame by motion interpolation (minterpolate)`);
    if (exact) notes.push(exact.note);

    writer = await openFrameWriter({
      ffmpeg: deps.ffmpeg,
      output: spec.output,
      width: modelWidth,
      height: modelHeight,
      fps: reader.fps,
      audioFrom:
        spec.output.kind === 'video' ? { file: spec.input, startSec: spec.startSec ?? 0, endSec: spec.endSec ?? (spec.startSec ?? 0) + reader.expectedFrames / reader.fps } : undefined,
      videoFilter: filters.join(','),
    });

    // Only the source frames that feed the kept output frames (and one neighbour each side for the
    // interpolation) go through the model; the others are passed on at model size by a cheap resize.
    const needFirst = Math.max(0, Math.floor(first / (k + 1)) - 1);
    const needEnd = Math.ceil((first + expectedOut) / (k + 1)) + 1;
    const total = Math.max(1, Math.min(reader.expectedFrames, needEnd) - needFirst);
    let index = 0;
    let done = 0;
    const rate = new ProgressRate();
    for await (const frame of reader.frames) {
      await hooks.checkpoint();
      const i = index++;
      let out;
      if (i >= needFirst && i < needEnd) {
        const t0 = performance.now();
        out = await model.upscale(frame, hooks.checkpoint);
        stageSeconds.upscale = (stageSeconds.upscale ?? 0) + (performance.now() - t0) / 1000;
        done++;
      } else {
        out = nearestResize(frame, model.scale);
      }
      const t1 = performance.now();
      await writer.write(out);
      stageSeconds.write = (stageSeconds.write ?? 0) + (performance.now() - t1) / 1000;
      const fraction = Math.min(0.99, done / total);
      const etaSec = rate.observe(fraction, performance.now() / 1000);
      hooks.onProgress({
        fraction,
        stage: 'upscale',
        done: Math.min(done, total),
        total,
        etaSec,
      });
    }
    const t2 = performance.now();
    const outputPath = await writer.finish();
    stageSeconds.write = (stageSeconds.write ?? 0) + (performance.now() - t2) / 1000;
    writer = null;
    hooks.onProgress({ fraction: 1, stage: 'upscale', done: total, total, etaSec: 0 });
    notes.push(`Model engine: ${done} frames through the model in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    return { outputPath, frames: exact?.frames ?? expectedOut, width: target.width, height: target.height, fps: exact?.fps ?? outputFps, stageSeconds, notes };
  } finally {
    reader?.close();
    if (writer) await writer.abort();
  }
}

/** A frame enlarged by pixel repetition: stands in for frames whose output is trimmed away anyway. */
function nearestResize(frame: { width: number; height: number; data: Uint8Array }, s: number) {
  const width = frame.width * s;
  const height = frame.height * s;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.floor(y / s);
    for (let x = 0; x < width; x++) {
      const p = (sy * frame.width + Math.floor(x / s)) * 3;
      const o = (y * width + x) * 3;
      data[o] = frame.data[p];
      data[o + 1] = frame.data[p + 1];
      data[o + 2] = frame.data[p + 2];
    }
  }
  return { width, height, data };
}

function rateText(fps: number): string {
  for (const den of [1, 1001, 100]) {
    const num = fps * den;
    if (Math.abs(num - Math.round(num)) < 1e-6 * den) return `${Math.round(num)}/${den}`;
  }
  return fps.toFixed(6);
}

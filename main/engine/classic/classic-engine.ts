// The classic engine: one ffmpeg pass over the segment with the filter chain built from the clip's settings
// (lanczos upscale, motion-compensated frame interpolation, optional denoise/sharpen/deflicker). Needs no model
// pack, so it is the default on a fresh install. Output goes to a temporary name beside the target and is renamed
// only when ffmpeg succeeded, so a cancelled or failed job never leaves anything that looks complete.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { inputUrl, probeMedia } from '../../media/probe';
import { CHUNK_VIDEO_ARGS, requireChunkPath } from '../io/chunk-encoding';
import { PNG_FRAME_PATTERN } from '../io/frame-writer';
import { StderrTail } from '../io/stderr-tail';
import type { EngineProgress, EngineResult, EnhanceJobSpec, JobHooks } from '../types';
import { FfmpegProgressParser, type FfmpegProgressBlock } from './ffmpeg-progress';
import { buildClassicFilterGraph, type ClassicPlan } from './filter-graph';
import { ProgressRate } from '../progress-rate';

/** How often ffmpeg reports progress, and how often the job looks for a cancel between reports. */
const PROGRESS_PERIOD_SEC = 0.25;
const CANCEL_POLL_MS = 250;

/** Audio codecs each container takes as they are; anything else is re-encoded. */
const COPYABLE_AUDIO: Record<string, ReadonlySet<string> | 'any'> = {
  '.mp4': new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']),
  '.m4v': new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac']),
  '.mov': new Set(['aac', 'mp3', 'ac3', 'eac3', 'alac', 'pcm_s16le', 'pcm_s24le', 'pcm_s16be', 'pcm_s24be']),
  '.mkv': 'any',
  '.webm': new Set(['opus', 'vorbis']),
};

type OutputTarget = {
  finalPath: string;
  tempPath: string;
  args: string[];
  notes: string[];
  commit(): Promise<void>;
  discard(): Promise<void>;
};

export async function runClassicJob(spec: EnhanceJobSpec, hooks: JobHooks, deps: { ffmpeg: string; ffprobe: string }): Promise<EngineResult> {
  await hooks.checkpoint();
  const started = performance.now();
  const { probe, path: input } = await probeMedia(spec.input, deps.ffprobe);
  // A whole-file job resamples to the exact target rate; a chunk or a kept frame range stays on the k + 1 grid
  // that the chunk renderer counts frames on.
  const exactRate = !spec.keep && spec.output.kind !== 'chunk';
  const plan = buildClassicFilterGraph(
    spec.settings,
    { width: probe.displayWidth, height: probe.displayHeight, fps: probe.fps, interlaced: probe.interlaced, variableFrameRate: probe.variableFrameRate },
    { exactRate },
  );

  const startSec = spec.startSec ?? 0;
  const endSec = spec.endSec === undefined ? probe.durationSec : Math.min(spec.endSec, probe.durationSec || spec.endSec);
  if (!(endSec > startSec)) {
    throw new Error(
      `The range ${startSec.toFixed(3)} s to ${endSec.toFixed(3)} s of ${path.basename(input)} is empty ` +
        `(the file lasts ${probe.durationSec.toFixed(3)} s): choose a start before the end.`,
    );
  }
  const durationSec = endSec - startSec;
  const fps = plan.fps.num / plan.fps.den;
  const expectedFrames = spec.keep ? spec.keep.count : Math.max(1, Math.round(durationSec * fps));
  const graph = filterGraphFor(plan, spec);

  const target = await prepareOutput(spec.output, probe.audio.map((a) => a.codec), startSec > 0);
  const args = ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', '-nostats'];
  args.push('-progress', 'pipe:1', '-stats_period', String(PROGRESS_PERIOD_SEC));
  if (startSec > 0) args.push('-ss', startSec.toFixed(6));
  if (spec.endSec !== undefined) args.push('-to', endSec.toFixed(6));
  args.push('-i', inputUrl(input));
  if (graph) args.push('-vf', graph);
  // Constant output rate: a variable-rate source is conformed to it, each frame placed by its own timestamp (ffmpeg
  // duplicates or drops frames at the output times), so picture and sound stay in step.
  args.push('-fps_mode', 'cfr', '-r', `${plan.fps.num}/${plan.fps.den}`, '-frames:v', String(expectedFrames));
  args.push(...target.args);

  hooks.log?.(`classic: ffmpeg ${args.join(' ')}`);
  let frames = 0;
  try {
    frames = await runFfmpeg(deps.ffmpeg, args, hooks, { expectedFrames, durationSec, started });
  } catch (error) {
    await target.discard();
    throw error;
  }
  await target.commit();
  const seconds = (performance.now() - started) / 1000;
  hooks.onProgress({ fraction: 1, stage: 'encode', done: frames, total: frames, etaSec: 0 });
  return {
    outputPath: target.finalPath,
    frames,
    width: plan.width,
    height: plan.height,
    fps,
    // Decode, filters and encode run interleaved in one ffmpeg pass: the whole pass is counted as writing.
    stageSeconds: { write: seconds },
    notes: [describePlan(plan), ...planNotes(plan), ...target.notes],
  };
}

/** The plan's chain, made frame-exact for chunks: the first decoded frame is moved to time 0 (so interpolated
 *  frames fall on the same grid as in a job that starts at the media's start, whatever the seek position), and
 *  `keep` selects output frames by number, which no timestamp rounding can shift. */
function filterGraphFor(plan: ClassicPlan, spec: EnhanceJobSpec): string | null {
  if (!spec.keep && spec.output.kind !== 'chunk') return plan.graph;
  const filters = ['setpts=PTS-STARTPTS', ...plan.filters];
  if (spec.keep) {
    filters.push(`trim=start_frame=${spec.keep.first}:end_frame=${spec.keep.first + spec.keep.count}`, 'setpts=PTS-STARTPTS');
  }
  return filters.join(',');
}

function describePlan(plan: ClassicPlan): string {
  return plan.graph ? `Classic engine filters: ${plan.graph}` : 'Classic engine: no filters (the settings change nothing; re-encoded only)';
}

function planNotes(plan: ClassicPlan): string[] {
  const notes: string[] = [];
  if (plan.deinterlaced) notes.push('Deinterlaced first (bwdif, one frame per frame)');
  if (plan.rateNote) notes.push(`Frame rate: ${plan.rateNote}`);
  return notes;
}

async function runFfmpeg(
  ffmpeg: string,
  args: string[],
  hooks: JobHooks,
  job: { expectedFrames: number; durationSec: number; started: number },
): Promise<number> {
  const rate = new ProgressRate();
  const child = spawn(ffmpeg, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const stderr = new StderrTail(child.stderr);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
    child.once('close', (code, signal) => resolve({ code, signal }));
  });

  let frames = 0;
  let stopError: unknown = null;
  let checking = false;
  // Cancel is checked on every progress report and on a timer (a slow filter may report rarely); a cancel kills
  // ffmpeg at once, its output is removed by the caller.
  const check = async () => {
    if (checking || stopError !== null) return;
    checking = true;
    try {
      await hooks.checkpoint();
    } catch (error) {
      stopError = error;
      child.kill('SIGKILL');
    } finally {
      checking = false;
    }
  };
  const parser = new FfmpegProgressParser((block) => {
    if (block.frame !== null) frames = block.frame;
    hooks.onProgress(progressOf(block, job, rate));
    void check();
  });
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => parser.push(chunk));
  const poll = setInterval(() => void check(), CANCEL_POLL_MS);

  const { code, signal, spawnError } = await exited;
  clearInterval(poll);
  if (stopError !== null) throw stopError;
  if (spawnError) throw new Error(`Cannot start ffmpeg (${ffmpeg}): ${spawnError.message}. Install ffmpeg or set FFMPEG_PATH.`);
  if (code !== 0) {
    throw Object.assign(new Error(`ffmpeg failed (${signal ?? `exit code ${code}`}): ${stderr.text() || 'no message'}`), {
      code: 'FFMPEG_FAILED',
    });
  }
  return frames;
}

function progressOf(block: FfmpegProgressBlock, job: { expectedFrames: number; durationSec: number }, rate: ProgressRate): EngineProgress {
  const byFrames = block.frame === null ? 0 : block.frame / job.expectedFrames;
  const byTime = block.outTimeSec === null ? 0 : block.outTimeSec / job.durationSec;
  const fraction = block.end ? 1 : Math.min(0.999, Math.max(byFrames, byTime, 0));
  const etaSec = rate.observe(fraction, performance.now() / 1000);
  const done = Math.min(block.frame ?? Math.round(fraction * job.expectedFrames), job.expectedFrames);
  return { fraction, stage: 'encode', done, total: job.expectedFrames, etaSec };
}

/** `cutsStart`: the segment starts inside the file. Copied audio would then start at the packet before the cut
 *  (and some containers shift the video to match), so the audio is re-encoded to start exactly at the cut. */
async function prepareOutput(output: EnhanceJobSpec['output'], audioCodecs: string[], cutsStart: boolean): Promise<OutputTarget> {
  const token = `${process.pid}-${randomBytes(4).toString('hex')}`;
  if (output.kind === 'chunk') {
    const finalPath = path.resolve(output.path);
    requireChunkPath(finalPath);
    await mkdir(path.dirname(finalPath), { recursive: true });
    const tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath, '.mp4')}.partial-${token}.mp4`);
    return {
      finalPath,
      tempPath,
      args: ['-map', '0:v:0', '-an', '-sn', '-dn', ...CHUNK_VIDEO_ARGS, tempPath],
      notes: [],
      commit: () => rename(tempPath, finalPath),
      discard: () => rm(tempPath, { force: true }),
    };
  }
  if (output.kind === 'frames') {
    const finalPath = path.resolve(output.dir);
    const existing = await readdir(finalPath).catch(() => null);
    if (existing && existing.length > 0) throw new Error(`The frames folder ${finalPath} is not empty: choose a new or empty folder.`);
    const tempPath = `${finalPath}.partial-${token}`;
    await mkdir(tempPath, { recursive: true });
    return {
      finalPath,
      tempPath,
      args: ['-map', '0:v:0', '-f', 'image2', '-start_number', '1', '-c:v', 'png', '-pix_fmt', 'rgb24', path.join(tempPath, PNG_FRAME_PATTERN)],
      notes: [],
      commit: async () => {
        const folder = await stat(finalPath).catch(() => null);
        if (folder?.isDirectory()) await rmdir(finalPath);
        await rename(tempPath, finalPath);
      },
      discard: () => rm(tempPath, { recursive: true, force: true }),
    };
  }

  const finalPath = path.resolve(output.path);
  const ext = path.extname(finalPath).toLowerCase();
  const copyable = COPYABLE_AUDIO[ext];
  if (!copyable) throw new Error(`Cannot write ${path.basename(finalPath)}: name the output .mp4, .mov, .m4v, .mkv or .webm.`);
  await mkdir(path.dirname(finalPath), { recursive: true });
  // Hidden, marked partial, and the extension last so ffmpeg picks the same container as for the final name.
  const tempPath = path.join(path.dirname(finalPath), `.${path.basename(finalPath, ext)}.partial-${token}${ext}`);
  const webm = ext === '.webm';
  const args = ['-map', '0:v:0', '-map', '0:a?'];
  if (webm) args.push('-c:v', 'libvpx-vp9', '-crf', String(output.crf ?? 24), '-b:v', '0', '-row-mt', '1');
  else args.push('-c:v', 'libx264', '-preset', 'medium', '-crf', String(output.crf ?? 17));
  args.push('-pix_fmt', 'yuv420p');
  const notes: string[] = [];
  if (audioCodecs.length > 0) {
    if (!cutsStart && (copyable === 'any' || audioCodecs.every((c) => copyable.has(c)))) {
      args.push('-c:a', 'copy');
      notes.push(`Audio carried over unchanged (${audioCodecs.join(', ')})`);
    } else {
      const codec = webm ? 'libopus' : 'aac';
      args.push('-c:a', codec, '-b:a', '192k');
      notes.push(
        cutsStart
          ? `Audio re-encoded to ${webm ? 'Opus' : 'AAC'} so that it starts exactly at the segment's start`
          : `Audio re-encoded to ${webm ? 'Opus' : 'AAC'}: ${audioCodecs.join(', ')} cannot go into ${ext} as it is`,
      );
    }
  }
  if (ext === '.mp4' || ext === '.mov' || ext === '.m4v') args.push('-movflags', '+faststart');
  args.push(tempPath);
  return {
    finalPath,
    tempPath,
    args,
    notes,
    commit: () => rename(tempPath, finalPath),
    discard: () => rm(tempPath, { force: true }),
  };
}

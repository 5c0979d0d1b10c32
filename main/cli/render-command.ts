// `upframe render <project.upframe> -o <out>`: exports a project without the UI, through the same planner and
// runner as the render queue (chunk cache included). An unfinished export of the same project to the same output
// with the same options is resumed from its last finished piece.
// Exit codes: 0 done, 1 failed, 2 bad input (options, project, output path), 130 interrupted (job paused).
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/api';
import type { ExportSpec } from '../common/render-model';
import { codecDefinition, installedEncoders } from '../export/codecs';
import { createExportJob, describeOutput, listExportJobs, markPaused, nameOutput, planSpec, readPayload, resumePoint } from '../export/export-job';
import { runExportJob } from '../export/export-runner';
import { describeQuality, measureExportQuality } from '../quality/export-quality';
import { checkFolder, checkNotExisting, outputTarget } from '../export/output-target';
import { defaultUserDataDir } from '../host/user-data-dir';
import { locateFfmpeg } from '../media/ffmpeg-locate';
import type { FfmpegPaths } from '../media/types';
import { createHeadlessRenderer } from '../render/headless-renderer';
import type { ChunkRenderer } from '../render/types';
import { openProjectStore } from '../store/project-store';
import type { ProjectStore } from '../store/types';
import { BadInputError } from './enhance-options';
import { specFromOptions, type RenderCliOptions } from './render-options';
import { createRenderProgress } from './render-progress';
import { onInterrupt } from './interrupts';
import { connectFarm, FarmError, parseFarmUrl, redactFarmUrl } from '../farm/farm-connection';
import { newFarmKey } from '../farm/farm-pieces';

/** A bad or unreachable farm is bad input: nothing is queued. */
async function checkFarm(url: string): Promise<void> {
  try {
    const redis = await connectFarm(parseFarmUrl(url));
    redis.disconnect();
  } catch (error) {
    if (error instanceof FarmError) throw new BadInputError(`--farm: ${error.message}`);
    throw error;
  }
}

export type RenderIo = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };
const EXIT = { ok: 0, failed: 1, badInput: 2, cancelled: 130 } as const;
/** Errors about what the user gave (project, output path, range): exit 2. */
const BAD_INPUT_CODES = new Set(['BAD_REQUEST', 'NOT_FOUND', 'NOT_WRITABLE', 'FILE_EXISTS', 'CONFLICT', 'MEDIA_OFFLINE', 'PACK_INVALID', 'MEDIA_UNREADABLE']);

export async function renderCommand(projectArg: string, opts: RenderCliOptions, io: RenderIo): Promise<number> {
  let store: ProjectStore | null = null;
  let renderer: ChunkRenderer | null = null;
  try {
    const spec = specFromOptions(opts);
    const projectFile = path.resolve(projectArg);
    if (!existsSync(projectFile)) throw new BadInputError(`Project not found: ${projectFile}. Check the path (a .upframe file).`);
    const ffmpeg = locateFfmpeg();
    store = openProjectStore(projectFile, { log: () => {} });
    const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : defaultUserDataDir();
    mkdirSync(dataDir, { recursive: true });
    renderer = createHeadlessRenderer(dataDir, ffmpeg, (m) => void m);
    const jobId = await findOrCreateJob(store, renderer, ffmpeg, spec, io);
    return await run(store, renderer, ffmpeg, jobId, io);
  } catch (error) {
    if (error instanceof BadInputError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      return EXIT.badInput;
    }
    if (error instanceof ApiError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      return BAD_INPUT_CODES.has(error.code) ? EXIT.badInput : EXIT.failed;
    }
    throw error;
  } finally {
    await renderer?.dispose();
    store?.close();
  }
}

/** The same output with the same options; where it renders (this machine or a farm) may change on a resume. */
function sameSpec(a: ExportSpec, b: ExportSpec): boolean {
  return JSON.stringify({ ...a, overwrite: false, farm: null }) === JSON.stringify({ ...b, overwrite: false, farm: null });
}

async function findOrCreateJob(store: ProjectStore, renderer: ChunkRenderer, ffmpeg: FfmpegPaths, spec: ExportSpec, io: RenderIo): Promise<number> {
  const codec = codecDefinition(spec.codec);
  if (!(await installedEncoders(ffmpeg.ffmpeg)).has(codec.encoder)) {
    throw new BadInputError(`--codec ${spec.codec}: the installed ffmpeg has no ${codec.encoder} encoder. Choose another codec.`);
  }
  await checkFolder(spec.folder);
  const { plan, sources } = await planSpec(store, renderer, spec);
  const name = nameOutput(store, spec, plan);
  const finalPath = outputTarget(spec.folder, name, spec.codec, 0).finalPath;
  const unfinished = listExportJobs(store).find(
    (j) => j.outputPath === finalPath && ['queued', 'running', 'paused', 'failed'].includes(j.state) && sameSpec(j.spec, spec),
  );
  if (unfinished) {
    const payload = readPayload(store, unfinished.id);
    // This run's --farm decides where the remaining pieces render; a farm export keeps its key, so pieces
    // already queued or rendering there are picked up again rather than queued twice.
    const farm = spec.farm ? { url: spec.farm, key: payload.farm?.key ?? newFarmKey(store.info().path, unfinished.id) } : undefined;
    store.updateJob(unfinished.id, { payload: { ...payload, spec: { ...payload.spec, farm: spec.farm ?? null }, farm, farmStatus: farm ? payload.farmStatus : undefined } });
    const where = farm ? ` on the farm ${redactFarmUrl(farm.url)}` : '';
    io.stderr.write(`Resuming at ${resumePoint(payload)}${where} (export ${unfinished.id}, ${describeOutput(payload.plan)})\n`);
    return unfinished.id;
  }
  checkNotExisting(finalPath, spec.overwrite);
  if (spec.farm) await checkFarm(spec.farm);
  const job = createExportJob(store, spec, plan, sources, name);
  const where = spec.farm ? ` on the farm ${redactFarmUrl(spec.farm)}` : '';
  io.stderr.write(`Exporting ${finalPath}${where}: ${describeOutput(plan)}, ${plan.pieces.length} pieces\n`);
  return job.id;
}

async function run(store: ProjectStore, renderer: ChunkRenderer, ffmpeg: FfmpegPaths, jobId: number, io: RenderIo): Promise<number> {
  const progress = createRenderProgress(io.stderr);
  const controller = new AbortController();
  const stopListening = onInterrupt({
    first: () => {
      progress.note('Stopping: the finished pieces are kept; run the same command again to resume (Ctrl+C again to stop at once).');
      controller.abort();
    },
    again: () => process.exit(EXIT.cancelled),
  });
  const started = Date.now();
  try {
    const outcome = await runExportJob(
      { store, ffmpeg, renderer: () => renderer, log: () => {}, onUpdate: (job) => progress.update(job) },
      jobId,
      controller.signal,
    );
    progress.stop();
    const job = store.getJob(jobId)!;
    if (outcome === 'done') {
      const payload = readPayload(store, jobId);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      io.stdout.write(`Wrote ${job.outputPath}: ${describeOutput(payload.plan)} in ${seconds} s\n`);
      // The same figures the render queue keeps in the job record (the output is complete whatever they say).
      const quality = await measureExportQuality({ store, jobId, ffmpeg: ffmpeg.ffmpeg, signal: controller.signal, log: () => {} });
      io.stdout.write(`${describeQuality(quality)}\n`);
      return EXIT.ok;
    }
    if (outcome === 'stopped') {
      markPaused(store, jobId);
      const payload = readPayload(store, jobId);
      io.stderr.write(`upframe: interrupted at ${resumePoint(payload)}; run the same command again to resume.\n`);
      return EXIT.cancelled;
    }
    io.stderr.write(`upframe: ${job.message ?? 'the export failed'}\n`);
    return EXIT.failed;
  } finally {
    stopListening();
  }
}

// The render queue: export jobs in the open project's job table, run one at a time in the order they were queued.
// Pausing stops the running piece and keeps the finished ones; cancelling also removes them. A job found
// 'running' when a project opens was interrupted (crash, kill): it becomes paused, ready to resume where it was.
import { promises as fs } from 'node:fs';
import { ApiError, type AnyEvent } from '../common/api';
import type { Job } from '../common/model';
import type { ExportJob, ExportSpec } from '../common/render-model';
import type { FfmpegPaths } from '../media/types';
import type { ChunkRenderer } from '../render/types';
import type { ProjectStore } from '../store/types';
import { codecDefinition, installedEncoders } from './codecs';
import type { EncoderProbeCache } from './encoder-probe';
import { createExportJob, EXPORT_JOB_KIND, listExportJobs, markPaused, nameOutput, planSpec, readPayload, resumePoint, toExportJob } from './export-job';
import { measureExportQuality } from '../quality/export-quality';
import { runExportJob } from './export-runner';
import { cancelFarmPieces } from '../farm/farm-submitter';
import { checkFolder, checkNotExisting, outputTarget } from './output-target';

export type ExportQueueDeps = {
  currentStore(): ProjectStore | null;
  requireStore(): ProjectStore;
  ffmpeg(): FfmpegPaths;
  renderer(): ChunkRenderer;
  emit(event: AnyEvent): void;
  log(message: string): void;
  /** Trial-encode verdicts: an encoder ffmpeg lists but this machine cannot run is refused before queueing. */
  probes?: EncoderProbeCache;
};

type Running = { jobId: number; store: ProjectStore; controller: AbortController; intent: 'pause' | 'cancel'; finished: Promise<void> };

const ACTIVE_STATES = new Set(['queued', 'running', 'paused', 'failed']);

export class ExportQueue {
  private running: Running | null = null;
  private readonly recovered = new WeakSet<ProjectStore>();

  constructor(private readonly deps: ExportQueueDeps) {}

  /** Checks the spec, plans it against the open project and queues it. */
  async start(spec: ExportSpec): Promise<ExportJob> {
    const store = this.open();
    const ffmpeg = this.deps.ffmpeg();
    const codec = codecDefinition(spec.codec);
    if (!(await installedEncoders(ffmpeg.ffmpeg)).has(codec.encoder)) {
      throw new ApiError('BAD_REQUEST', `The installed ffmpeg has no ${codec.encoder} encoder, so ${codec.label} cannot be written here: choose another codec.`);
    }
    const verdict = (await this.deps.probes?.verdicts(ffmpeg.ffmpeg, [codec]))?.get(codec.encoder);
    if (verdict && !verdict.ok) {
      throw new ApiError('BAD_REQUEST', `${codec.label} cannot be written on this machine: ${verdict.reason ?? 'its trial encode failed.'} Choose another format.`);
    }
    await checkFolder(spec.folder);
    const { plan, sources } = await planSpec(store, this.deps.renderer(), spec);
    const name = nameOutput(store, spec, plan);
    const finalPath = outputTarget(spec.folder, name, spec.codec, 0).finalPath;
    checkNotExisting(finalPath, spec.overwrite);
    const clash = listExportJobs(store).find((j) => j.outputPath === finalPath && ACTIVE_STATES.has(j.state));
    if (clash) {
      throw new ApiError('CONFLICT', `Export ${clash.id} (${clash.state}) already writes ${finalPath}: resume or cancel it, or choose another name.`);
    }
    const job = createExportJob(store, spec, plan, sources, name);
    this.announce(store, job);
    this.kick();
    return toExportJob(store.getJob(job.id)!, readPayload(store, job.id));
  }

  list(): ExportJob[] {
    return listExportJobs(this.open());
  }

  async pause(jobId: number): Promise<ExportJob> {
    const store = this.open();
    const job = this.require(store, jobId);
    if (this.running?.jobId === jobId && this.running.store === store) {
      this.running.intent = 'pause';
      this.running.controller.abort();
      await this.running.finished;
    } else if (job.state === 'queued') {
      this.announce(store, markPaused(store, jobId));
    } else if (job.state !== 'paused') {
      throw new ApiError('CONFLICT', `Export ${jobId} is ${job.state}: only a queued or running export can be paused.`);
    }
    return this.exportJob(store, jobId);
  }

  resume(jobId: number): ExportJob {
    const store = this.open();
    const job = this.require(store, jobId);
    if (job.state !== 'paused' && job.state !== 'failed') {
      throw new ApiError('CONFLICT', `Export ${jobId} is ${job.state}: only a paused or failed export can be resumed.`);
    }
    const payload = readPayload(store, jobId);
    this.announce(store, store.updateJob(jobId, { state: 'queued', message: `Queued: resumes at ${resumePoint(payload)}` }));
    this.kick();
    return this.exportJob(store, jobId);
  }

  async cancel(jobId: number): Promise<ExportJob> {
    const store = this.open();
    const job = this.require(store, jobId);
    if (this.running?.jobId === jobId && this.running.store === store) {
      this.running.intent = 'cancel';
      this.running.controller.abort();
      await this.running.finished;
      return this.exportJob(store, jobId);
    }
    if (job.state === 'done' || job.state === 'cancelled') {
      throw new ApiError('CONFLICT', `Export ${jobId} has already ended (${job.state}).`);
    }
    await this.finishCancelled(store, jobId);
    return this.exportJob(store, jobId);
  }

  async remove(jobId: number): Promise<void> {
    const store = this.open();
    const job = this.require(store, jobId);
    if (job.state === 'queued' || job.state === 'running' || job.state === 'paused') {
      throw new ApiError('CONFLICT', `Export ${jobId} has not ended (${job.state}): cancel it first.`);
    }
    if (job.state === 'failed') await this.removeParts(store, jobId);
    store.deleteJob(jobId);
  }

  /** Pauses the running export (the project is closing or the app quits); its finished pieces are kept. */
  async stopRunning(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.intent = 'pause';
    running.controller.abort();
    await running.finished;
  }

  /** The open project, recovered once after it opened: interrupted jobs paused, queued ones started. */
  private open(): ProjectStore {
    const store = this.deps.requireStore();
    this.recover(store);
    return store;
  }

  recover(store: ProjectStore): void {
    if (this.recovered.has(store)) return;
    this.recovered.add(store);
    for (const job of store.listJobs()) {
      if (job.kind !== EXPORT_JOB_KIND || job.state !== 'running') continue;
      if (this.running?.store === store && this.running.jobId === job.id) continue;
      this.announce(store, markPaused(store, job.id, 'Interrupted'));
    }
    this.kick();
  }

  private kick(): void {
    if (this.running) return;
    const store = this.deps.currentStore();
    if (!store) return;
    const next = store
      .listJobs()
      .filter((j) => j.kind === EXPORT_JOB_KIND && j.state === 'queued')
      .sort((a, b) => a.id - b.id)[0];
    if (!next) return;
    const controller = new AbortController();
    const running: Running = { jobId: next.id, store, controller, intent: 'pause', finished: Promise.resolve() };
    this.running = running;
    running.finished = this.run(running).finally(() => {
      if (this.running === running) this.running = null;
      this.kick();
    });
  }

  private async run(running: Running): Promise<void> {
    const { store, jobId } = running;
    try {
      const outcome = await runExportJob(
        {
          store,
          ffmpeg: this.deps.ffmpeg(),
          renderer: () => this.deps.renderer(),
          log: this.deps.log,
          onUpdate: (job) => this.announce(store, job),
          onChunksComputed: () => {
            this.deps.emit({ event: 'render.statusChanged', payload: { clipIds: null } });
            this.deps.emit({ event: 'cache.changed', payload: this.deps.renderer().cache.info() });
          },
        },
        jobId,
        running.controller.signal,
      );
      if (outcome === 'done') {
        this.deps.log(`export ${jobId} done: ${store.getJob(jobId)?.outputPath}`);
        // The whole render's figures, measured on the finished file before the next export starts.
        try {
          await measureExportQuality({ store, jobId, ffmpeg: this.deps.ffmpeg().ffmpeg, signal: running.controller.signal, log: this.deps.log });
          this.announce(store, store.getJob(jobId)!);
        } catch (error) {
          // The export is done whatever happens to its figures (e.g. the project closed meanwhile).
          this.deps.log(`export ${jobId}: its quality could not be recorded: ${(error as Error).message}`);
        }
      }
      if (outcome !== 'stopped') return;
      const current = store.getJob(jobId);
      if (running.intent === 'cancel' || current?.state === 'cancelled') await this.finishCancelled(store, jobId);
      else this.announce(store, markPaused(store, jobId));
    } catch (error) {
      // The runner records its own failures; this is a failure to even read the job (closed project, bad payload).
      this.deps.log(`export ${jobId} could not run: ${(error as Error).stack ?? error}`);
      try {
        this.announce(store, store.updateJob(jobId, { state: 'failed', etaSec: null, message: `Failed: ${(error as Error).message}` }));
      } catch (inner) {
        this.deps.log(`export ${jobId}: could not record the failure: ${(inner as Error).message}`);
      }
    }
  }

  private async finishCancelled(store: ProjectStore, jobId: number): Promise<void> {
    const payload = readPayload(store, jobId);
    if (payload.farm) {
      // Workers drop this export's pieces; a farm that cannot be reached has nothing to stop either way.
      await cancelFarmPieces(payload).catch((error: Error) => this.deps.log(`export ${jobId}: could not reach the farm to cancel: ${error.message}`));
    }
    await this.removeParts(store, jobId);
    this.announce(store, store.updateJob(jobId, { state: 'cancelled', etaSec: null, message: 'Cancelled: the partial output was removed' }));
  }

  private async removeParts(store: ProjectStore, jobId: number): Promise<void> {
    const { target } = readPayload(store, jobId);
    await fs.rm(target.partsDir, { recursive: true, force: true });
    await fs.rm(target.tempPath, { recursive: true, force: true });
  }

  private require(store: ProjectStore, jobId: number): Job {
    const job = store.getJob(jobId);
    if (!job || job.kind !== EXPORT_JOB_KIND) throw new ApiError('NOT_FOUND', `Export ${jobId} does not exist (removed?).`);
    return job;
  }

  private exportJob(store: ProjectStore, jobId: number): ExportJob {
    return toExportJob(this.require(store, jobId), readPayload(store, jobId));
  }

  private announce(store: ProjectStore, job: Job): void {
    this.deps.emit({ event: 'job.updated', payload: job });
    if (store !== this.deps.currentStore()) return;
    this.deps.emit({ event: 'export.updated', payload: toExportJob(job, readPayload(store, job.id)) });
  }
}

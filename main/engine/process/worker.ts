// The engine process: runs one enhancement job at a time for the engine host, talking over the launcher's
// channel (child_process IPC, or Electron's parentPort in a utilityProcess). It dispatches on the clip's engine:
// the classic ffmpeg engine, the diffusion pipeline with a model pack on onnxruntime-node, or the per-frame model
// engine with a per-frame pack.
import { CancelledError, type EngineProgress, type EngineResult, type EnhanceJobSpec, type JobHooks } from '../types';
import { locateFfmpeg } from '../../media/ffmpeg-locate';
import { runClassicJob } from '../classic/classic-engine';
import { CANCEL_RECEIVED_MESSAGE, parseHostMessage, type EngineMessage } from './protocol';
import { WarmPack } from './warm-pack';

/** At most this many progress messages per second reach the host; stage changes and the last one always do. */
const PROGRESS_INTERVAL_MS = 100;
/** How long a job may take to stop on shutdown or a closed channel (host gone) before the process exits anyway. */
const ORPHAN_EXIT_MS = 5000;

type Port = {
  send(message: EngineMessage): void;
  onMessage(cb: (message: unknown) => void): void;
  onDisconnect(cb: () => void): void;
};

type ElectronParentPort = {
  postMessage(message: unknown): void;
  on(event: 'message', cb: (event: { data: unknown }) => void): void;
};

function openPort(): Port {
  const parentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort) {
    return {
      send: (message) => parentPort.postMessage(message),
      onMessage: (cb) => parentPort.on('message', (event) => cb(event.data)),
      // A utilityProcess is ended by its parent; there is no channel-close event to watch.
      onDisconnect: () => undefined,
    };
  }
  if (process.send) {
    return {
      send: (message) => {
        if (process.connected) process.send!(message);
      },
      onMessage: (cb) => process.on('message', cb),
      onDisconnect: (cb) => process.on('disconnect', cb),
    };
  }
  throw new Error('The engine worker must be started by the engine host (no IPC channel).');
}

class ProgressThrottle {
  private lastSentAt = 0;
  private lastStage: string | null = null;
  private pending: EngineProgress | null = null;
  private timer: NodeJS.Timeout | null = null;
  latest: EngineProgress | null = null;

  constructor(private readonly emit: (progress: EngineProgress) => void) {}

  push(progress: EngineProgress): void {
    this.latest = progress;
    const now = Date.now();
    if (progress.stage !== this.lastStage || now - this.lastSentAt >= PROGRESS_INTERVAL_MS) {
      this.sendNow(progress);
      return;
    }
    this.pending = progress;
    this.timer ??= setTimeout(() => this.flush(), PROGRESS_INTERVAL_MS - (now - this.lastSentAt));
  }

  flush(): void {
    if (this.pending) this.sendNow(this.pending);
  }

  sendNow(progress: EngineProgress): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
    this.lastSentAt = Date.now();
    this.lastStage = progress.stage;
    this.emit(progress);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}

type RunningJob = { jobId: string; cancelled: boolean; progress: ProgressThrottle };

const port = openPort();
let current: RunningJob | null = null;
/** Pack file hashes for the process's life (keyed by path, mtime and size): the chunk renderer runs one job per
 *  few frames, and re-hashing a multi-GB pack for each would cost more than the job. */
let packHashes: import('../pack/hash-cache').HashCache | null = null;
/** The pack of the last diffusion job, kept open for the next one (see warm-pack.ts). */
let warmPack: WarmPack | null = null;
let currentLog: ((message: string) => void) | null = null;

function peakRssBytes(): number {
  // maxRSS is in kilobytes and covers the process's whole life.
  return process.resourceUsage().maxRSS * 1024;
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length > 0 ? code : 'ENGINE_ERROR';
}

async function runJob(spec: EnhanceJobSpec, hooks: JobHooks): Promise<EngineResult> {
  if (spec.settings.engine === 'classic') {
    const { ffmpeg, ffprobe } = ffmpegPaths();
    return runClassicJob(spec, hooks, { ffmpeg, ffprobe });
  }
  if (spec.settings.engine === 'model') return runModelJob(spec, hooks);
  if (!spec.packDir) {
    throw Object.assign(new Error('The diffusion engine needs a model pack: no pack folder was given for this job.'), {
      code: 'NO_PACK',
    });
  }
  // Loaded on first use so classic jobs never load onnxruntime.
  const { runDiffusionJob } = require('../pipeline/diffusion-pipeline') as typeof import('../pipeline/diffusion-pipeline');
  const { loadPack } = require('../pack/runtime') as typeof import('../pack/runtime');
  const { HashCache } = require('../pack/hash-cache') as typeof import('../pack/hash-cache');
  packHashes ??= new HashCache(null);
  const hashCache = packHashes;
  // The log of the job that loads the pack receives its loading messages; later jobs reuse the open sessions.
  warmPack ??= new WarmPack((dir, execution) => loadPack(dir, execution, { log: (m) => currentLog?.(m), hashCache }));
  const pack = warmPack;
  const { ffmpeg, ffprobe } = ffmpegPaths();
  currentLog = hooks.log ?? null;
  try {
    return await runDiffusionJob(spec, hooks, { ffmpeg, ffprobe, loadPack: (dir, execution) => pack.get(dir, execution) });
  } catch (error) {
    // A cancel keeps the pack open for the next preview; any other failure (out of memory above all) frees it.
    if (error instanceof CancelledError) throw error;
    await pack.releaseAll().catch((releaseError) => hooks.log?.(`closing the pack after a failed job failed: ${String(releaseError)}`));
    throw error;
  } finally {
    currentLog = null;
  }
}

/** The per-frame model engine; its model stays open for the next job (the chunk renderer's jobs are short). */
let perFrameModels: import('../perframe/per-frame-job').PerFrameModelCache | null = null;

async function runModelJob(spec: EnhanceJobSpec, hooks: JobHooks): Promise<EngineResult> {
  // Loaded on first use so classic jobs never load onnxruntime.
  const { runPerFrameJob, PerFrameModelCache } = require('../perframe/per-frame-job') as typeof import('../perframe/per-frame-job');
  const { HashCache } = require('../pack/hash-cache') as typeof import('../pack/hash-cache');
  packHashes ??= new HashCache(null);
  perFrameModels ??= new PerFrameModelCache();
  const models = perFrameModels;
  try {
    return await runPerFrameJob(spec, hooks, { ...ffmpegPaths(), models, hashCache: packHashes });
  } catch (error) {
    if (!(error instanceof CancelledError)) await models.releaseAll().catch(() => undefined);
    throw error;
  }
}

function ffmpegPaths(): { ffmpeg: string; ffprobe: string } {
  return locateFfmpeg(process.env);
}

async function startJob(jobId: string, spec: EnhanceJobSpec): Promise<void> {
  const job: RunningJob = {
    jobId,
    cancelled: false,
    progress: new ProgressThrottle((progress) => port.send({ type: 'progress', jobId, progress })),
  };
  current = job;
  const hooks: JobHooks = {
    onProgress: (progress) => job.progress.push(progress),
    checkpoint: async () => {
      // One macrotask: a cancel message that arrived while onnxruntime held the thread is delivered here.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (job.cancelled) throw new CancelledError();
    },
    log: (message) => port.send({ type: 'log', jobId, message }),
  };
  try {
    const result = await runJob(spec, hooks);
    job.progress.flush();
    const peak = peakRssBytes();
    result.notes.push(`Engine process peak memory: ${(peak / 2 ** 20).toFixed(1)} MiB`);
    port.send({ type: 'done', jobId, result, peakRssBytes: peak });
  } catch (error) {
    job.progress.flush();
    // After a cancel request, whatever the job threw while stopping counts as the cancel the user asked for.
    if (job.cancelled || error instanceof CancelledError) {
      port.send({ type: 'cancelled', jobId });
    } else {
      const err = error instanceof Error ? error : new Error(String(error));
      port.send({ type: 'failed', jobId, error: { code: errorCode(err), message: err.message, stack: err.stack } });
    }
  } finally {
    job.progress.stop();
    if (current === job) current = null;
  }
}

function cancelJob(jobId: string): void {
  if (!current || current.jobId !== jobId || current.cancelled) return;
  current.cancelled = true;
  const latest = current.progress.latest;
  if (latest) current.progress.sendNow({ ...latest, message: CANCEL_RECEIVED_MESSAGE });
}

port.onMessage((raw) => {
  let message;
  try {
    message = parseHostMessage(raw);
  } catch (error) {
    const jobId = (raw as { type?: unknown; jobId?: unknown } | null)?.jobId;
    if ((raw as { type?: unknown } | null)?.type === 'run' && typeof jobId === 'string' && jobId.length > 0) {
      // A job the host waits for must get an answer, even when its spec cannot be read.
      port.send({ type: 'failed', jobId, error: { code: 'INVALID_SPEC', message: `Invalid job: ${(error as Error).message}` } });
      return;
    }
    port.send({ type: 'log', message: `Ignored an invalid message from the host: ${(error as Error).message}` });
    return;
  }
  switch (message.type) {
    case 'run':
      if (current) {
        port.send({
          type: 'failed',
          jobId: message.jobId,
          error: { code: 'BUSY', message: `The engine is already running job ${current.jobId}.` },
        });
        return;
      }
      void startJob(message.jobId, message.spec);
      return;
    case 'cancel':
      cancelJob(message.jobId);
      return;
    case 'shutdown':
      stopAndExit();
  }
});

// The host is gone: stop the job so it removes its temporary output, then leave.
port.onDisconnect(stopAndExit);

/** Cancels a running job (so it removes its temporary output), then exits; never waits longer than ORPHAN_EXIT_MS. */
function stopAndExit(): void {
  if (!current) process.exit(0);
  current.cancelled = true;
  setTimeout(() => process.exit(0), ORPHAN_EXIT_MS).unref();
  const poll = setInterval(() => {
    if (!current) process.exit(0);
  }, 50);
  poll.unref();
}

function reportFatal(error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error));
  if (current) {
    port.send({
      type: 'failed',
      jobId: current.jobId,
      error: { code: 'ENGINE_FATAL', message: `The engine hit an unexpected error: ${err.message}`, stack: err.stack },
    });
  }
  process.stderr.write(`${err.stack ?? err.message}\n`);
  // Let the IPC message drain before exiting.
  setTimeout(() => process.exit(1), 100);
}
process.on('uncaughtException', reportFatal);
process.on('unhandledRejection', reportFatal);

port.send({ type: 'ready', pid: process.pid });

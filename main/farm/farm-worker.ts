// `upframe worker --farm redis://host:6379`: a render machine (or one GPU of one). It announces what it can render,
// takes pieces only from the queues it can serve, renders each with the same code as a local export (maps the
// job's paths to this machine's), verifies the piece and renames it into place; a piece it cannot finish goes
// back to the queue. Killed outright, its piece's lock expires and BullMQ's stalled-job check hands the piece to
// another worker; a half-written piece only ever exists under its temporary name.
import { UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import type { ExportPayload } from '../export/export-job';
import { encodePiece, type PieceDeps } from '../export/export-runner';
import type { ExportPiece } from '../export/plan';
import { CancelledError } from '../engine/types';
import { locateFfmpeg } from '../media/ffmpeg-locate';
import type { FfmpegPaths } from '../media/types';
import { runTool } from '../media/run-process';
import { createHeadlessRenderer } from '../render/headless-renderer';
import type { ChunkRenderer } from '../render/types';
import { SerialQueue } from '../services/serial-queue';
import { PackService } from '../services/packs';
import { verifyPack } from '../engine/pack/verify';
import { packId } from '../engine/pack/contract';
import { perFramePackId, verifyPerFramePack } from '../engine/pack/per-frame-manifest';
import { abortableSleep } from './abortable-sleep';
import { connectFarm, FarmError, parseFarmUrl, type FarmUrl } from './farm-connection';
import { farmKeys, FARM_PROTOCOL, queueName, requirementKey, type PieceJobData, type Requirement } from './farm-pieces';
import { PathMap, PathMapError, type PathMapping } from './path-map';
import { ANNOUNCE_EVERY_MS, announceWorker, withdrawWorker, type WorkerAnnouncement } from './worker-registry';

export type FarmWorkerOptions = {
  farm: string;
  /** Render on this GPU only (CUDA_VISIBLE_DEVICES for the engine process); null: the default device. */
  gpu: number | null;
  pathMaps: PathMapping[];
  dataDir: string;
  /** Which installed packs this worker offers: all, none (classic pieces only), or these ids. */
  packs: 'all' | 'none' | string[];
  /** How long a piece's lock lasts without renewal: a killed worker's piece is taken again after about this. */
  lockMs: number;
};

export type FarmWorkerEvents = {
  /** One line for a person (what it took, finished, gave back). */
  log(line: string): void;
  /** The announcement, each time it changes. */
  status?(worker: WorkerAnnouncement): void;
};

/** A piece lock lasts this long unless renewed (BullMQ's default); UPFRAME_FARM_LOCK_MS tunes it for tests. */
export const DEFAULT_LOCK_MS = 30_000;
const IDLE_POLL_MS = 400;
const CANCEL_POLL_MS = 1000;
const PROGRESS_EVERY_MS = 1000;

type OfferedPack = { id: string; hash: string; dir: string };

/** Runs until the signal aborts (Ctrl+C): the piece in hand goes back to the queue. Throws FarmError when the
 *  farm cannot be reached at the start. */
export async function runFarmWorker(opts: FarmWorkerOptions, events: FarmWorkerEvents, signal: AbortSignal): Promise<void> {
  const farm = parseFarmUrl(opts.farm);
  const pathMap = new PathMap(opts.pathMaps);
  const ffmpeg = locateFfmpeg();
  // Before the engine process starts: it inherits the environment.
  if (opts.gpu !== null) process.env.CUDA_VISIBLE_DEVICES = String(opts.gpu);
  const packService = new PackService({ userDataDir: opts.dataDir });
  const packs = await offeredPacks(packService, opts.packs);
  const redis = await connectFarm(farm);
  const renderer = createHeadlessRenderer(opts.dataDir, ffmpeg, () => {}, packService);
  const requirements: Requirement[] = [{ kind: 'classic' }, ...packs.map((p): Requirement => ({ kind: 'pack', packId: p.id, packHash: p.hash }))];
  const workers = requirements.map(
    (req) =>
      new Worker<PieceJobData>(queueName(req), null, {
        connection: farm.options as ConnectionOptions,
        autorun: false,
        lockDuration: opts.lockMs,
        stalledInterval: Math.max(1000, Math.round(opts.lockMs / 2)),
        // A piece whose worker died may be taken again a few times before it counts as failed.
        maxStalledCount: 3,
      }),
  );
  const announcement: WorkerAnnouncement = {
    id: `${os.hostname()}-${opts.gpu === null ? 'default' : `gpu${opts.gpu}`}-${process.pid}-${randomBytes(2).toString('hex')}`,
    host: os.hostname(),
    gpu: opts.gpu,
    device: opts.gpu === null ? 'default device' : `GPU ${opts.gpu}`,
    providers: supportedProviders(),
    serves: requirements.map(requirementKey),
    packs: packs.map(({ id, hash }) => ({ id, hash })),
    state: 'idle',
    piece: null,
    piecesDone: 0,
    startedAt: Date.now(),
  };
  const session = new WorkerSession({ farm, redis, renderer, ffmpeg, pathMap, packs, workers, announcement, events, lockMs: opts.lockMs });
  try {
    for (const worker of workers) {
      worker.on('error', (error) => events.log(`farm: ${error.message}`));
      // The stalled-job check runs in every worker: whichever notices a dead worker's piece puts it back.
      void worker.startStalledCheckTimer().catch((error: Error) => events.log(`stalled-job check stopped: ${error.message}`));
    }
    events.log(
      `Worker ${announcement.id} on ${farm.redacted}: renders ${requirements.map((r) => (r.kind === 'classic' ? 'classic' : r.packId)).join(', ')}` +
        (pathMap.confined ? `; paths mapped: ${opts.pathMaps.map((m) => `${m.from} -> ${m.to}`).join(', ')}` : ''),
    );
    await session.run(signal);
  } finally {
    await session.close();
    await renderer.dispose();
  }
}

class WorkerSession {
  private readonly token = `upframe-${randomBytes(8).toString('hex')}`;
  private readonly engineTurn = new SerialQueue();
  private announceTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly s: {
      farm: FarmUrl;
      redis: Redis;
      renderer: ChunkRenderer;
      ffmpeg: FfmpegPaths;
      pathMap: PathMap;
      packs: OfferedPack[];
      workers: Worker<PieceJobData>[];
      announcement: WorkerAnnouncement;
      events: FarmWorkerEvents;
      lockMs: number;
    },
  ) {}

  async run(signal: AbortSignal): Promise<void> {
    await this.announce();
    this.announceTimer = setInterval(() => void this.announce(), ANNOUNCE_EVERY_MS);
    let turn = 0;
    while (!signal.aborted) {
      let took = false;
      for (let i = 0; i < this.s.workers.length && !signal.aborted; i += 1) {
        // Round robin over the queues, so no requirement starves another.
        const worker = this.s.workers[(turn + i) % this.s.workers.length];
        const job = await this.next(worker, signal);
        if (!job) continue;
        took = true;
        await this.process(job, signal);
        break;
      }
      turn += 1;
      if (!took) await abortableSleep(IDLE_POLL_MS, signal);
    }
  }

  private async next(worker: Worker<PieceJobData>, signal: AbortSignal): Promise<Job<PieceJobData> | undefined> {
    try {
      return await worker.getNextJob(this.token, { block: false });
    } catch (error) {
      if (!signal.aborted) {
        this.s.events.log(`farm unreachable (${(error as Error).message}); retrying`);
        await abortableSleep(2000, signal);
      }
      return undefined;
    }
  }

  private async process(job: Job<PieceJobData>, stopSignal: AbortSignal): Promise<void> {
    const data = job.data;
    const { announcement, events } = this.s;
    const label = `piece ${data.pieceIndex + 1} of ${data.jobLabel}`;
    if (data.protocol !== FARM_PROTOCOL) {
      await job.moveToFailed(new Error(`the piece was queued by another version of Upframe (${data.protocol})`), this.token, false);
      return;
    }
    const piece = data.payload.plan.pieces[data.pieceIndex];
    announcement.state = 'rendering';
    announcement.piece = { farmKey: data.farmKey, index: data.pieceIndex, label: data.jobLabel, fraction: 0 };
    void this.announce();
    events.log(`took ${label} (${requirementKey(data.requirement)})`);
    const pieceStop = new AbortController();
    let why: 'stopping' | 'cancelled' | null = null;
    const onStop = () => {
      why = 'stopping';
      pieceStop.abort();
    };
    stopSignal.addEventListener('abort', onStop, { once: true });
    // Renew the lock well before it expires; a worker that cannot renew it (farm lost) loses the piece to another.
    const lockTimer = setInterval(() => {
      job.extendLock(this.token, this.s.lockMs).catch((error: Error) => events.log(`could not renew the lock of ${label}: ${error.message}`));
    }, Math.max(500, Math.floor(this.s.lockMs / 3)));
    const cancelTimer = setInterval(() => {
      this.s.redis.exists(farmKeys.cancelled(data.farmKey)).then(
        (n) => {
          if (n > 0 && !pieceStop.signal.aborted) {
            why = 'cancelled';
            pieceStop.abort();
          }
        },
        () => {},
      );
    }, CANCEL_POLL_MS);
    let lastProgress = 0;
    const progress = (fraction: number) => {
      announcement.piece = { ...announcement.piece!, fraction };
      const now = Date.now();
      if (now - lastProgress < PROGRESS_EVERY_MS) return;
      lastProgress = now;
      job.updateProgress({ worker: announcement.id, fraction }).catch(() => {});
    };
    const started = Date.now();
    try {
      await job.updateProgress({ worker: announcement.id, fraction: 0 });
      const payload = this.mapPayload(data.payload, piece);
      await encodePiece(this.pieceDeps(), payload, piece, pieceStop.signal, this.engineTurn, {
        onFrames: (frames) => progress(Math.min(1, frames / Math.max(1, piece.frames))),
        onChunkProgress: (fraction) => progress(fraction * 0.9),
      });
      const seconds = (Date.now() - started) / 1000;
      await job.moveToCompleted({ worker: announcement.id, seconds }, this.token, false);
      announcement.piecesDone += 1;
      events.log(`finished ${label} in ${seconds.toFixed(1)} s`);
    } catch (error) {
      if (why === 'stopping') {
        // Ctrl+C: the piece goes straight back to the queue for another worker (or this one, restarted).
        await job.moveToWait(this.token).catch((e: Error) => events.log(`could not give ${label} back (${e.message}); it returns when its lock expires`));
        events.log(`gave ${label} back to the queue`);
      } else if (why === 'cancelled') {
        await job.moveToFailed(new UnrecoverableError('the export was cancelled'), this.token, false).catch(() => {});
        events.log(`stopped ${label}: the export was cancelled`);
      } else {
        const message = `worker ${announcement.id}: ${describeFailure(error)}`;
        // A path this worker cannot use would fail the same way on every try here: fail the attempt at once.
        await job.moveToFailed(new Error(message), this.token, false).catch((e: Error) => events.log(`could not record the failure: ${e.message}`));
        events.log(`failed ${label}: ${message}`);
      }
    } finally {
      clearInterval(lockTimer);
      clearInterval(cancelTimer);
      stopSignal.removeEventListener('abort', onStop);
      announcement.state = stopSignal.aborted ? 'stopping' : 'idle';
      announcement.piece = null;
      void this.announce();
    }
  }

  /** The payload as this machine needs it for one piece: the piece's own source only, its paths mapped (and
   *  confined), its pack at the local folder with the same hash. */
  private mapPayload(payload: ExportPayload, piece: ExportPiece): ExportPayload {
    const { pathMap, packs } = this.s;
    const sources: ExportPayload['sources'] = {};
    const segment = payload.plan.segments[piece.segment];
    if (segment.kind === 'clip') {
      const source = payload.sources[segment.clipId];
      const sourcePath = pathMap.map(source.path, 'The source');
      let pack = source.variant.pack;
      if (pack) {
        const local = packs.find((p) => p.hash === pack!.hash);
        if (!local) throw new PathMapError(`this worker does not have pack ${pack.id} with the job's hash`);
        pack = { ...pack, dir: local.dir };
      }
      sources[segment.clipId] = { ...source, path: sourcePath, variant: { ...source.variant, pack, media: { ...source.variant.media, path: sourcePath } } };
    }
    const partsDir = pathMap.map(payload.target.partsDir, 'The output folder');
    return { ...payload, sources, target: { ...payload.target, partsDir } };
  }

  private pieceDeps(): PieceDeps {
    return {
      ffmpeg: this.s.ffmpeg,
      renderer: () => this.s.renderer,
      verifyPiece: (tempFile, piece) => verifyPieceFile(this.s.ffmpeg, tempFile, piece),
    };
  }

  private async announce(): Promise<void> {
    try {
      await announceWorker(this.s.redis, this.s.announcement);
      this.s.events.status?.(this.s.announcement);
    } catch {
      // The farm is unreachable for now: the next round tries again, and piece work reports the outage.
    }
  }

  async close(): Promise<void> {
    if (this.announceTimer) clearInterval(this.announceTimer);
    await withdrawWorker(this.s.redis, this.s.announcement.id).catch(() => {});
    await Promise.all(this.s.workers.map((w) => w.close().catch(() => {})));
    this.s.redis.disconnect();
  }
}

/** The packs this worker offers, verified (their hash is what pieces ask for). */
async function offeredPacks(packService: PackService, wanted: FarmWorkerOptions['packs']): Promise<OfferedPack[]> {
  if (wanted === 'none') return [];
  const entries = (await packService.registry.list()).filter((e) => e.status === 'ok');
  if (Array.isArray(wanted)) {
    const missing = wanted.filter((id) => !entries.some((e) => e.id === id));
    if (missing.length > 0) {
      throw new FarmError(`--packs ${missing.join(', ')}: not installed here (installed: ${entries.map((e) => e.id).join(', ') || 'none'}).`);
    }
  }
  const offered: OfferedPack[] = [];
  for (const entry of entries) {
    if (Array.isArray(wanted) && !wanted.includes(entry.id)) continue;
    // Each kind of pack has its own verifier; the hash is what the variant of a clip names.
    if (entry.family === 'per-frame') {
      const { manifest, packHash } = await verifyPerFramePack(entry.dir);
      offered.push({ id: perFramePackId(manifest), hash: packHash, dir: entry.dir });
    } else {
      const { manifest, packHash } = await verifyPack(entry.dir);
      offered.push({ id: packId(manifest), hash: packHash, dir: entry.dir });
    }
  }
  return offered;
}

/** The finished temporary piece holds exactly the piece's frames (a crash mid-write never reaches the rename). */
export async function verifyPieceFile(ffmpeg: FfmpegPaths, tempFile: string, piece: ExportPiece): Promise<void> {
  let frames: number;
  if ((await fs.stat(tempFile)).isDirectory()) {
    frames = (await fs.readdir(tempFile)).filter((n) => n.endsWith('.png')).length;
  } else {
    const { stdout } = await runTool(ffmpeg.ffprobe, [
      '-v', 'error', '-count_packets', '-select_streams', 'v:0', '-show_entries', 'stream=nb_read_packets', '-of', 'csv=p=0', tempFile,
    ]);
    frames = Number(stdout.toString().trim());
  }
  if (frames !== piece.frames) {
    throw new Error(`piece ${piece.index + 1} came out with ${frames} frames instead of ${piece.frames}; it is rendered again`);
  }
}

function describeFailure(error: unknown): string {
  if (error instanceof PathMapError) return error.message;
  if (error instanceof CancelledError) return 'stopped';
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return `cannot write the piece (${(error as Error).message}): give this worker write access to the output folder, or map it with --path-map`;
  }
  if (code === 'ENOENT') return `${(error as Error).message}: is the shared folder mounted here? Map it with --path-map FROM=TO`;
  return (error as Error).message ?? String(error);
}

function supportedProviders(): string[] {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const ort = require('onnxruntime-node') as { listSupportedBackends?: () => Array<{ name: string }> };
    return ort.listSupportedBackends?.().map((b) => b.name) ?? ['cpu'];
  } catch {
    return [];
  }
}

// Runs an export's pieces on the farm: queues each unfinished piece (idempotent job ids, so a resumed or
// reattached submitter adds nothing twice), watches the parts folder and the farm, and assembles the pieces here
// exactly as a local export does. A piece counts as finished only once its file is in the parts folder: workers
// rename a piece into place after verifying it, so nothing half-written is ever joined.
import { Job, Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { FarmStatus } from '../common/render-model';
import { CancelledError } from '../engine/types';
import { readPayload, type ExportPayload } from '../export/export-job';
import { assemble, audioTrackFile, encodeAudioTrack, needsAudioTrack, pieceFile, type RunnerDeps, type RunOutcome } from '../export/export-runner';
import { connectFarm, FarmError, parseFarmUrl, unreachable, type FarmUrl } from './farm-connection';
import {
  describeRequirement,
  farmKeys,
  FARM_PROTOCOL,
  pieceJobId,
  queueName,
  requirementKey,
  requirementOfPiece,
  type PieceJobData,
  type Requirement,
} from './farm-pieces';
import { abortableSleep } from './abortable-sleep';
import { listWorkers, type WorkerAnnouncement } from './worker-registry';

const POLL_MS = 500;
/** A farm with no worker able to take a waiting piece says so after this long instead of waiting forever. */
export const NO_WORKER_MS = Number(process.env.UPFRAME_FARM_NO_WORKER_MS) || 30_000;
/** The farm unreachable for this long pauses the export (finished pieces are kept). */
const LOST_FARM_MS = 10_000;
const ATTEMPTS = 3;
/** One look at the farm that takes longer than this counts as the farm being unreachable. */
const POLL_TIMEOUT_MS = 5000;
const FPS_WINDOW_MS = 5000;

type PieceState = FarmStatus['pieces'][number];

export async function runFarmExportJob(deps: RunnerDeps, jobId: number, signal: AbortSignal): Promise<RunOutcome> {
  const { store } = deps;
  const payload = readPayload(store, jobId);
  const farmRef = payload.farm!;
  const { plan, target } = payload;
  const startJob = store.getJob(jobId)!;
  const baseElapsed = startJob.elapsedSec;
  const started = performance.now();
  const update = (patch: Parameters<typeof store.updateJob>[1]) => {
    const job = store.updateJob(jobId, { elapsedSec: baseElapsed + (performance.now() - started) / 1000, payload, ...patch });
    deps.onUpdate(job);
    return job;
  };
  const pause = (message: string): RunOutcome => {
    update({ state: 'paused', etaSec: null, message });
    return 'paused';
  };

  let farm: FarmUrl;
  let redis: Redis;
  try {
    farm = parseFarmUrl(farmRef.url);
    redis = await connectFarm(farm);
  } catch (error) {
    if (error instanceof FarmError) return pause(`${error.message} The finished pieces are kept: resume when the farm is back.`);
    throw error;
  }
  // Errors surface through the commands that fail; an 'error' listener keeps ioredis from reporting them twice.
  redis.on('error', () => {});
  await fs.mkdir(target.partsDir, { recursive: true });
  const queues = new Map<string, Queue<PieceJobData>>();
  const queueOf = (req: Requirement) => {
    const key = requirementKey(req);
    let queue = queues.get(key);
    if (!queue) {
      queue = new Queue<PieceJobData>(queueName(req), { connection: farm.failFastOptions as ConnectionOptions });
      queue.on('error', () => {});
      queues.set(key, queue);
    }
    return queue;
  };
  const finished = new Set(payload.finished.filter((i) => existsSync(pieceFile(payload, i))));
  const pieceStates: PieceState[] = plan.pieces.map((p) => ({ state: finished.has(p.index) ? 'done' : 'waiting', worker: null, fraction: finished.has(p.index) ? 1 : 0 }));
  const samples: Array<{ t: number; frames: number }> = [];
  let renderFps: number | null = null;
  let audioFailure: unknown = null;

  try {
    await redis.del(farmKeys.cancelled(farmRef.key)).catch(() => {});
    const pending = plan.pieces.filter((p) => !finished.has(p.index));
    try {
      for (const piece of pending) {
        await withTimeout(queuePiece(queueOf(requirementOfPiece(payload, piece)), payload, piece.index, pieceFile(payload, piece.index)), POLL_TIMEOUT_MS);
      }
    } catch (error) {
      return pause(`Lost the farm while queueing: ${unreachable(farm, error as Error)} Nothing is lost: resume when the farm is back.`);
    }
    update({ state: 'running', message: `On the farm ${farm.redacted}: ${pending.length} of ${plan.pieces.length} pieces to render` });
    // The audio track is short work: encoded here while the farm renders.
    const audio = needsAudioTrack(payload) && !existsSync(audioTrackFile(payload)) ? encodeAudioTrack(deps, payload, signal) : Promise.resolve();
    const audioDone = audio.catch((error: unknown) => {
      if (!(error instanceof CancelledError) && !signal.aborted) audioFailure = error;
    });

    let lostSince: number | null = null;
    const unservedSince = new Map<string, number>();
    while (finished.size < plan.pieces.length) {
      if (signal.aborted) throw new CancelledError();
      if (audioFailure) throw audioFailure;
      let workers: WorkerAnnouncement[];
      try {
        workers = await withTimeout(listWorkers(redis), POLL_TIMEOUT_MS);
        await withTimeout(refreshPieces(payload, queueOf, pieceStates, finished), POLL_TIMEOUT_MS);
        lostSince = null;
      } catch (error) {
        if (error instanceof PieceFailed) throw error;
        lostSince ??= Date.now();
        if (Date.now() - lostSince > LOST_FARM_MS) {
          return pause(`Lost the farm: ${unreachable(farm, error as Error)} ${finished.size} of ${plan.pieces.length} pieces are finished and kept: resume when the farm is back.`);
        }
        await abortableSleep(POLL_MS, signal);
        continue;
      }
      payload.finished = [...finished].sort((a, b) => a - b);
      // Pieces nobody can render: say so, naming what is needed and who is there.
      const now = Date.now();
      for (const piece of plan.pieces) {
        if (pieceStates[piece.index].state !== 'waiting') continue;
        const req = requirementOfPiece(payload, piece);
        const key = requirementKey(req);
        if (workers.some((w) => w.serves.includes(key))) {
          unservedSince.delete(key);
          continue;
        }
        const since = unservedSince.get(key) ?? now;
        unservedSince.set(key, since);
        if (now - since >= NO_WORKER_MS) {
          await withdrawWaiting(payload, queueOf);
          const present = workers.length > 0 ? workers.map((w) => `${w.id} (${describeServes(w)})`).join('; ') : 'none';
          return pause(
            `No worker on the farm can render piece ${piece.index + 1}: it needs ${describeRequirement(req)}. Workers connected: ${present}. ` +
              'Start a worker that has it (upframe worker --farm …), then resume.',
          );
        }
      }
      const framesDone = plan.pieces.reduce((sum, p) => sum + Math.round(p.frames * pieceStates[p.index].fraction), 0);
      samples.push({ t: now, frames: framesDone });
      while (samples.length > 2 && now - samples[0].t > FPS_WINDOW_MS) samples.shift();
      const first = samples[0];
      if (now - first.t > 1000 && framesDone > first.frames) renderFps = ((framesDone - first.frames) * 1000) / (now - first.t);
      payload.farmStatus = farmStatus(farm, pieceStates, workers);
      const job = update({
        progress: plan.frames ? framesDone / plan.frames : 0,
        etaSec: renderFps ? (plan.frames - framesDone) / renderFps : null,
        message: `On the farm ${farm.redacted}: ${finished.size} of ${plan.pieces.length} pieces done, ${pieceStates.filter((p) => p.state === 'rendering').length} rendering on ${workers.length} worker(s)`,
        stats: { piecesDone: finished.size, pieces: plan.pieces.length, frames: plan.frames, framesDone, ...(renderFps ? { renderFps } : {}) },
      });
      if (job.state === 'cancelled') throw new CancelledError();
      if (finished.size < plan.pieces.length) await abortableSleep(POLL_MS, signal);
    }
    await audioDone;
    if (audioFailure) throw audioFailure;
    update({ progress: 1, etaSec: null, message: 'Joining the pieces and the audio' });
    await assemble(deps, payload, signal);
    // As on this machine: the parts go before the job is marked done.
    await fs.rm(target.partsDir, { recursive: true, force: true });
    update({ state: 'done', progress: 1, etaSec: 0, message: `Wrote ${target.finalPath}`, outputPath: target.finalPath, stats: { piecesDone: plan.pieces.length, pieces: plan.pieces.length, frames: plan.frames, framesDone: plan.frames } });
    await removePieceJobs(payload, queueOf).catch((error: unknown) => deps.log(`farm export ${jobId}: could not remove its finished piece jobs from the queue: ${(error as Error).message}`));
    return 'done';
  } catch (error) {
    if (error instanceof CancelledError || signal.aborted) {
      // Paused or cancelled: no worker takes a waiting piece of this export any more; pieces in flight finish
      // (a pause keeps them) or stop (cancelFarmPieces).
      await withdrawWaiting(payload, queueOf).catch((error: unknown) => deps.log(`farm export ${jobId}: could not withdraw its waiting pieces: ${(error as Error).message}`));
      update({ etaSec: null });
      return 'stopped';
    }
    const message = error instanceof PieceFailed ? error.message : `${(error as Error).message ?? error}`;
    deps.log(`farm export ${jobId} failed: ${(error as Error).stack ?? error}`);
    await withdrawWaiting(payload, queueOf).catch((withdrawError: unknown) => deps.log(`farm export ${jobId}: could not withdraw its waiting pieces: ${(withdrawError as Error).message}`));
    update({ state: 'failed', etaSec: null, message: `Failed: ${message}` });
    return 'failed';
  } finally {
    await closeQueues(queues.values());
    redis.disconnect();
  }
}

/** Closing waits for pending commands, which never end while the farm is unreachable: bounded. */
async function closeQueues(queues: Iterable<Queue<PieceJobData>>): Promise<void> {
  await Promise.all([...queues].map((q) => withTimeout(q.close(), 2000).catch(() => q.disconnect().catch(() => {}))));
}

/** Stops the farm work of a cancelled export: waiting pieces are removed, workers drop the ones in hand. */
export async function cancelFarmPieces(payload: ExportPayload): Promise<void> {
  if (!payload.farm) return;
  const farm = parseFarmUrl(payload.farm.url);
  const redis = await connectFarm(farm);
  const queues = new Map<string, Queue<PieceJobData>>();
  try {
    await redis.set(farmKeys.cancelled(payload.farm.key), '1', 'EX', 24 * 3600);
    await removePieceJobs(payload, (req) => {
      const key = requirementKey(req);
      if (!queues.has(key)) queues.set(key, new Queue<PieceJobData>(queueName(req), { connection: farm.failFastOptions as ConnectionOptions }));
      return queues.get(key)!;
    });
  } finally {
    await closeQueues(queues.values());
    redis.disconnect();
  }
}

class PieceFailed extends Error {}

async function queuePiece(queue: Queue<PieceJobData>, payload: ExportPayload, index: number, file: string): Promise<void> {
  const id = pieceJobId(payload.farm!.key, index);
  const existing = await Job.fromId<PieceJobData>(queue, id);
  if (existing) {
    const state = await existing.getState();
    if (state === 'active' || state === 'waiting' || state === 'delayed' || state === 'prioritized') return;
    // Completed but its file is gone (parts deleted), or failed before: render it again.
    if (!existsSync(file)) await existing.remove();
    else return;
  }
  const data: PieceJobData = {
    protocol: FARM_PROTOCOL,
    farmKey: payload.farm!.key,
    jobLabel: path.basename(payload.target.finalPath),
    pieceIndex: index,
    requirement: requirementOfPiece(payload, payload.plan.pieces[index]),
    // The farm URL (and its password) stays with the submitter.
    payload: { ...payload, farm: undefined, farmStatus: undefined },
  };
  await queue.add('piece', data, {
    jobId: id,
    attempts: ATTEMPTS,
    backoff: { type: 'fixed', delay: 1000 },
    removeOnComplete: { age: 24 * 3600 },
    removeOnFail: { age: 7 * 24 * 3600 },
  });
}

/** Reads each unfinished piece: its file (the truth), and its job (who renders it, how far, whether it failed). */
async function refreshPieces(
  payload: ExportPayload,
  queueOf: (req: Requirement) => Queue<PieceJobData>,
  states: PieceState[],
  finished: Set<number>,
): Promise<void> {
  for (const piece of payload.plan.pieces) {
    if (finished.has(piece.index)) continue;
    if (existsSync(pieceFile(payload, piece.index))) {
      finished.add(piece.index);
      states[piece.index] = { state: 'done', worker: states[piece.index].worker, fraction: 1 };
      continue;
    }
    const queue = queueOf(requirementOfPiece(payload, piece));
    const job = await Job.fromId<PieceJobData>(queue, pieceJobId(payload.farm!.key, piece.index));
    if (!job) {
      // Removed behind our back (a cancelled run, an expired record): queue it again.
      await queuePiece(queue, payload, piece.index, pieceFile(payload, piece.index));
      continue;
    }
    const state = await job.getState();
    const progress = (typeof job.progress === 'object' && job.progress ? job.progress : {}) as { worker?: string; fraction?: number };
    if (state === 'failed') {
      throw new PieceFailed(`piece ${piece.index + 1} failed ${job.attemptsMade} time(s): ${job.failedReason ?? 'no reason given'}`);
    }
    if (state === 'active') states[piece.index] = { state: 'rendering', worker: progress.worker ?? null, fraction: Math.min(0.99, progress.fraction ?? 0) };
    else if (state === 'completed') states[piece.index] = { state: 'rendering', worker: progress.worker ?? null, fraction: 0.99 };
    else states[piece.index] = { state: 'waiting', worker: null, fraction: 0 };
  }
}

async function withdrawWaiting(payload: ExportPayload, queueOf: (req: Requirement) => Queue<PieceJobData>): Promise<void> {
  for (const piece of payload.plan.pieces) {
    const job = await Job.fromId<PieceJobData>(queueOf(requirementOfPiece(payload, piece)), pieceJobId(payload.farm!.key, piece.index));
    if (!job) continue;
    const state = await job.getState();
    if (state === 'waiting' || state === 'delayed' || state === 'prioritized') await job.remove().catch(() => {});
  }
}

async function removePieceJobs(payload: ExportPayload, queueOf: (req: Requirement) => Queue<PieceJobData>): Promise<void> {
  for (const piece of payload.plan.pieces) {
    const job = await Job.fromId<PieceJobData>(queueOf(requirementOfPiece(payload, piece)), pieceJobId(payload.farm!.key, piece.index));
    // An active piece is locked by its worker: it stops on the cancel mark and fails itself.
    await job?.remove().catch(() => {});
  }
}

function farmStatus(farm: FarmUrl, pieces: PieceState[], workers: WorkerAnnouncement[]): FarmStatus {
  return {
    url: farm.redacted,
    pieces: pieces.map((p) => ({ ...p })),
    workers: workers.map((w) => ({ id: w.id, device: w.device, state: w.state, serves: w.serves, piecesDone: w.piecesDone })),
    checkedAt: Date.now(),
  };
}

function describeServes(worker: WorkerAnnouncement): string {
  return worker.packs.length > 0 ? `classic, ${worker.packs.map((p) => p.id).join(', ')}` : 'classic only';
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

// Workers announce themselves in Redis under a key that expires unless renewed: what they can render (engine
// versions, packs by hash, providers, device) and what they are doing. A worker that dies simply disappears.
import type { Redis } from 'ioredis';
import { farmKeys } from './farm-pieces';

export type WorkerAnnouncement = {
  id: string;
  host: string;
  /** GPU index given with --gpu, null for the default device. */
  gpu: number | null;
  device: string;
  providers: string[];
  /** Queue keys (requirementKey) it takes pieces from. */
  serves: string[];
  packs: Array<{ id: string; hash: string }>;
  state: 'idle' | 'rendering' | 'stopping';
  /** The piece in hand: farm key, piece index, export label. */
  piece: { farmKey: string; index: number; label: string; fraction: number } | null;
  piecesDone: number;
  startedAt: number;
};

/** Announcements expire after this long without a renewal. */
export const ANNOUNCE_TTL_MS = 10_000;
export const ANNOUNCE_EVERY_MS = 2_000;

export async function announceWorker(redis: Redis, worker: WorkerAnnouncement): Promise<void> {
  await redis.set(farmKeys.worker(worker.id), JSON.stringify(worker), 'PX', ANNOUNCE_TTL_MS);
}

export async function withdrawWorker(redis: Redis, id: string): Promise<void> {
  await redis.del(farmKeys.worker(id));
}

/** The workers connected now (announced within the TTL). */
export async function listWorkers(redis: Redis): Promise<WorkerAnnouncement[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', farmKeys.workerPattern, 'COUNT', 200);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  const workers: WorkerAnnouncement[] = [];
  for (const value of values) {
    if (!value) continue;
    try {
      workers.push(JSON.parse(value) as WorkerAnnouncement);
    } catch {
      // A key written by something else under our prefix: not a worker of ours.
    }
  }
  return workers.sort((a, b) => a.id.localeCompare(b.id));
}

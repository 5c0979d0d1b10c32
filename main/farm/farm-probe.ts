// One look at a farm before anything is queued: can it be reached, and which workers are there. The export
// dialog's "Check" and the start of a farm export use it, so a wrong URL never leaves a job waiting.
import type { FarmStatus } from '../common/render-model';
import { connectFarm, parseFarmUrl } from './farm-connection';
import { listWorkers } from './worker-registry';

export async function probeFarm(url: string): Promise<{ url: string; workers: FarmStatus['workers'] }> {
  const farm = parseFarmUrl(url);
  const redis = await connectFarm(farm);
  try {
    const workers = await listWorkers(redis);
    return {
      url: farm.redacted,
      workers: workers.map((w) => ({ id: w.id, device: w.device, state: w.state, serves: w.serves, piecesDone: w.piecesDone })),
    };
  } finally {
    redis.disconnect();
  }
}

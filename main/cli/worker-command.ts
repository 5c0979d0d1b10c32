// `upframe worker --farm redis://host:6379`: turns this machine (or one of its GPUs) into a render-farm worker
// until Ctrl+C. Exit codes: 0 stopped on request, 1 the farm was lost for good, 2 bad input (URL, options).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_LOCK_MS, runFarmWorker } from '../farm/farm-worker';
import { FarmError } from '../farm/farm-connection';
import { parsePathMapping, PathMapError } from '../farm/path-map';
import { defaultUserDataDir } from '../host/user-data-dir';
import { onInterrupt } from './interrupts';

export type WorkerCliOptions = { farm: string; gpu?: number; pathMap?: string[]; packs?: string; dataDir?: string };
export type WorkerIo = { stdout: NodeJS.WriteStream; stderr: NodeJS.WriteStream };

export async function workerCommand(opts: WorkerCliOptions, io: WorkerIo): Promise<number> {
  let pathMaps;
  try {
    pathMaps = (opts.pathMap ?? []).map(parsePathMapping);
  } catch (error) {
    if (error instanceof PathMapError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const packs = opts.packs === undefined || opts.packs === 'all' ? 'all' : opts.packs === 'none' ? 'none' : opts.packs.split(',').map((s) => s.trim()).filter(Boolean);
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : defaultUserDataDir();
  mkdirSync(dataDir, { recursive: true });
  const lockMs = Number(process.env.UPFRAME_FARM_LOCK_MS) || DEFAULT_LOCK_MS;
  const controller = new AbortController();
  const log = (line: string) => io.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const stopListening = onInterrupt({
    first: () => {
      log('Stopping: the piece in hand goes back to the queue (Ctrl+C again to stop at once).');
      controller.abort();
    },
    again: () => process.exit(130),
  });
  try {
    await runFarmWorker({ farm: opts.farm, gpu: opts.gpu ?? null, pathMaps, dataDir, packs, lockMs }, { log }, controller.signal);
    log('Stopped.');
    return 0;
  } catch (error) {
    if (error instanceof FarmError) {
      io.stderr.write(`upframe: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    stopListening();
  }
}

// Keeps the last loaded pack open between jobs in the engine process. The chunk renderer runs one job per few
// frames, and opening a real pack's sessions (gigabytes of weights onto the GPU) for each would cost far more than
// the job itself. A job gets a handle whose release() leaves the sessions open; the pack is really released when
// another pack (or other execution options) is asked for, when its manifest changes, or after a failed job (an
// out-of-memory error must give its memory back before the retry with smaller settings).
import { statSync } from 'node:fs';
import path from 'node:path';
import type { ExecutionOptions, PackRuntime } from '../types';

type Loaded = { key: string; runtime: PackRuntime };

export class WarmPack {
  private loaded: Loaded | null = null;

  constructor(private readonly load: (dir: string, execution: ExecutionOptions) => Promise<PackRuntime>) {}

  /** The pack, loaded now or kept from an earlier job with the same folder, manifest and execution options. */
  async get(dir: string, execution: ExecutionOptions): Promise<PackRuntime> {
    const key = keyOf(dir, execution);
    if (this.loaded?.key !== key) {
      await this.releaseAll();
      this.loaded = { key, runtime: await this.load(dir, execution) };
    }
    return keptOpen(this.loaded.runtime);
  }

  /** Closes the kept pack's sessions. */
  async releaseAll(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = null;
    if (loaded) await loaded.runtime.release();
  }
}

function keyOf(dir: string, execution: ExecutionOptions): string {
  const manifest = statSync(path.join(dir, 'manifest.json'), { throwIfNoEntry: false });
  return JSON.stringify([path.resolve(dir), manifest?.mtimeMs ?? null, manifest?.size ?? null, execution]);
}

/** The runtime, with a release() that leaves it open for the next job. */
function keptOpen(runtime: PackRuntime): PackRuntime {
  return new Proxy(runtime, {
    get(target, property) {
      if (property === 'release') return async () => undefined;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

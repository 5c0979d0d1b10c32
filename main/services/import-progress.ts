// What a running import tells the renderer (how far it is, what it probes now, how long is left) and how it is
// cancelled: each import gets an AbortController when it is asked for, so it can be cancelled while it still
// waits in the services' serial queue as well as while it runs.
import { ApiError } from '../common/api';

export const IMPORT_CANCELLED_MESSAGE = 'Import cancelled: nothing was imported.';

export function importCancelled(): ApiError {
  return new ApiError('CANCELLED', IMPORT_CANCELLED_MESSAGE);
}

/**
 * Seconds left after `done` of `total` files took `elapsedMs`: the mean time per file so far times the files left.
 * null before the first file is timed (no basis yet); 0 when every file is done.
 */
export function estimateSecondsLeft(done: number, total: number, elapsedMs: number): number | null {
  if (done >= total) return 0;
  if (done <= 0) return null;
  return Math.max(0, ((elapsedMs / done) * (total - done)) / 1000);
}

/** The imports asked for and not yet settled, by their id. */
export class ImportRegistry {
  private readonly running = new Map<string, AbortController>();

  /** Registers an import; CONFLICT when one with the same id has not settled yet. */
  begin(importId: string): AbortSignal {
    if (this.running.has(importId)) {
      throw new ApiError('CONFLICT', `An import with id ${JSON.stringify(importId)} is already running: give each import its own id.`);
    }
    const controller = new AbortController();
    this.running.set(importId, controller);
    return controller.signal;
  }

  end(importId: string): void {
    this.running.delete(importId);
  }

  /** Aborts the import; false when no such import is queued or running (it has ended already). */
  cancel(importId: string): boolean {
    const controller = this.running.get(importId);
    if (!controller) return false;
    controller.abort();
    return true;
  }

  cancelAll(): void {
    for (const controller of this.running.values()) controller.abort();
  }
}

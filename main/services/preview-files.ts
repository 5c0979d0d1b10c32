// The joined preview videos in <userData>/cache/previews. Each update of a running preview is a new file (the
// viewer may still be streaming the previous one), so a superseded file is deleted only a little later, and every
// file of the session when the project closes. Names carry a per-session token: job ids restart in each project,
// and two app instances may share the folder.
import { randomBytes } from 'node:crypto';
import { promises as fs, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

/** Files older than this in the folder are leftovers of a session that did not close (a crash). */
const LEFTOVER_AGE_MS = 24 * 3600 * 1000;

export class PreviewFiles {
  private readonly session = randomBytes(4).toString('hex');
  private readonly live = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private serial = 0;
  private swept = false;

  constructor(
    readonly dir: string,
    private readonly log: (message: string) => void,
    /** How long a superseded file stays, so a player that has not switched yet can finish its requests. */
    private readonly retireDelayMs = 30_000,
  ) {}

  /** A new file name for the next join of job `jobId`'s chunks; the folder exists afterwards. */
  next(jobId: number): string {
    mkdirSync(this.dir, { recursive: true });
    if (!this.swept) this.sweepLeftovers();
    this.serial += 1;
    const file = path.join(this.dir, `${jobId}-${this.serial}-${this.session}.mp4`);
    this.live.add(file);
    return file;
  }

  /** Deletes the file after the retire delay (now when the delay is 0). */
  retire(file: string): void {
    if (!this.live.has(file) || this.timers.has(file)) return;
    if (this.retireDelayMs <= 0) {
      void this.remove(file);
      return;
    }
    const timer = setTimeout(() => void this.remove(file), this.retireDelayMs);
    timer.unref();
    this.timers.set(file, timer);
  }

  /** Deletes every file of this session now. */
  async removeAll(): Promise<void> {
    await Promise.all([...this.live].map((file) => this.remove(file)));
  }

  private async remove(file: string): Promise<void> {
    const timer = this.timers.get(file);
    if (timer) clearTimeout(timer);
    this.timers.delete(file);
    this.live.delete(file);
    try {
      await fs.rm(file, { force: true });
    } catch (error) {
      this.log(`could not delete the preview file ${file}: ${(error as Error).message}`);
    }
  }

  private sweepLeftovers(): void {
    this.swept = true;
    const now = Date.now();
    for (const name of readdirSync(this.dir)) {
      const file = path.join(this.dir, name);
      try {
        if (now - statSync(file).mtimeMs > LEFTOVER_AGE_MS) rmSync(file, { force: true, recursive: true });
      } catch (error) {
        this.log(`could not delete the old preview file ${file}: ${(error as Error).message}`);
      }
    }
  }
}

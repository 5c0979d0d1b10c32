// Runs enhancement jobs in the engine process, one at a time, on behalf of the main process, the web host or the
// CLI. The process is started on the first job and restarted after it dies; a crash fails only the job that was
// running. Cancel goes by message and takes effect at the job's next checkpoint (between denoiser calls).
import { z } from 'zod';
import { CancelledError, type EngineProgress, type EngineResult, type EnhanceJobSpec } from '../types';
import { EngineCrashedError, EngineJobError } from './errors';
import { childProcessLauncher, type EngineProcessHandle, type EngineProcessLauncher } from './launcher';
import { removePartialOutputs } from './partial-outputs';
import { CANCEL_RECEIVED_MESSAGE, EnhanceJobSpecSchema, parseEngineMessage, type EngineMessage } from './protocol';

export { CANCEL_RECEIVED_MESSAGE };

/** After a cancel, how long the engine may take to reach a checkpoint before it is killed (one very slow model
 *  call on a big frame can take this long; a stuck one should not block the queue forever). */
const DEFAULT_CANCEL_GRACE_MS = 60_000;
const SHUTDOWN_GRACE_MS = 2_000;

type ActiveJob = {
  jobId: string;
  stage: string;
  output: EnhanceJobSpec['output'];
  onProgress?: (p: EngineProgress) => void;
  resolve(result: EngineResult): void;
  reject(error: Error): void;
};

export type EngineHostOptions = {
  launcher?: EngineProcessLauncher;
  log?: (m: string) => void;
  cancelGraceMs?: number;
};

export class EngineHost {
  private readonly launcher: EngineProcessLauncher;
  private readonly log: (m: string) => void;
  private readonly cancelGraceMs: number;
  private handle: EngineProcessHandle | null = null;
  private active: ActiveJob | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextJobId = 1;
  private disposed = false;
  private exitWaiters: Array<() => void> = [];
  /** Peak RSS the engine process reported with its last finished job (bytes), for the benchmarks. */
  lastPeakRssBytes: number | null = null;

  constructor(opts: EngineHostOptions = {}) {
    this.log = opts.log ?? (() => undefined);
    this.launcher = opts.launcher ?? childProcessLauncher({ log: this.log });
    this.cancelGraceMs = opts.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
  }

  /** The engine process's id while one runs (tests and diagnostics). */
  get pid(): number | undefined {
    return this.handle?.pid;
  }

  run(spec: EnhanceJobSpec, opts: { onProgress?: (p: EngineProgress) => void; signal?: AbortSignal } = {}): Promise<EngineResult> {
    const result = this.queue.then(() => this.execute(spec, opts));
    this.queue = result.catch(() => undefined);
    return result;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const handle = this.handle;
    if (!handle) return;
    const exited = new Promise<void>((resolve) => this.exitWaiters.push(resolve));
    try {
      handle.send({ type: 'shutdown' });
    } catch {
      handle.kill();
    }
    const timer = setTimeout(() => handle.kill(), SHUTDOWN_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  private execute(spec: EnhanceJobSpec, opts: { onProgress?: (p: EngineProgress) => void; signal?: AbortSignal }): Promise<EngineResult> {
    if (this.disposed) return Promise.reject(new Error('The engine host was shut down.'));
    if (opts.signal?.aborted) return Promise.reject(new CancelledError());
    const checked = EnhanceJobSpecSchema.safeParse(spec);
    if (!checked.success) {
      return Promise.reject(new EngineJobError('INVALID_SPEC', `Invalid job: ${z.prettifyError(checked.error)}`));
    }
    const handle = this.ensureProcess();
    const jobId = String(this.nextJobId++);
    return new Promise<EngineResult>((resolve, reject) => {
      let cancelTimer: NodeJS.Timeout | null = null;
      const onAbort = () => {
        this.log(`engine: cancelling job ${jobId}`);
        try {
          handle.send({ type: 'cancel', jobId });
        } catch (error) {
          this.log(`engine: could not send cancel: ${(error as Error).message}`);
        }
        cancelTimer = setTimeout(() => {
          this.log(`engine: job ${jobId} did not stop within ${this.cancelGraceMs} ms of the cancel; killing the engine`);
          this.settle(jobId, () => {
            handle.kill();
            void this.cleanUpAfter(handle, spec.output).then(() => reject(new CancelledError()));
          });
        }, this.cancelGraceMs);
      };
      const cleanup = () => {
        opts.signal?.removeEventListener('abort', onAbort);
        if (cancelTimer) clearTimeout(cancelTimer);
      };
      this.active = {
        jobId,
        stage: 'startup',
        output: spec.output,
        onProgress: opts.onProgress,
        resolve: (r) => {
          cleanup();
          resolve(r);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      try {
        handle.send({ type: 'run', jobId, spec });
      } catch (error) {
        this.settle(jobId, () => reject(new EngineCrashedError(null, null, 'startup')));
        cleanup();
        this.log(`engine: could not send the job: ${(error as Error).message}`);
      }
    });
  }

  private ensureProcess(): EngineProcessHandle {
    if (this.handle) return this.handle;
    const handle = this.launcher.start();
    this.handle = handle;
    handle.onMessage((raw) => this.onMessage(raw));
    handle.onExit((code, signal) => {
      if (this.handle === handle) this.handle = null;
      const job = this.active;
      if (job) {
        this.active = null;
        const error = new EngineCrashedError(code, signal, job.stage);
        this.log(`engine: ${error.message}`);
        void this.cleanUpAfter(handle, job.output).then(() => job.reject(error));
      }
      for (const waiter of this.exitWaiters.splice(0)) waiter();
    });
    this.log(`engine: started process ${handle.pid ?? '(no pid)'}`);
    return handle;
  }

  private onMessage(raw: unknown): void {
    let message: EngineMessage;
    try {
      message = parseEngineMessage(raw);
    } catch (error) {
      this.log(`engine: ignored an invalid message: ${(error as Error).message}`);
      return;
    }
    if (message.type === 'ready') return;
    if (message.type === 'log') {
      this.log(`engine${message.jobId ? ` job ${message.jobId}` : ''}: ${message.message}`);
      return;
    }
    const job = this.active;
    if (!job || job.jobId !== message.jobId) return;
    switch (message.type) {
      case 'progress':
        job.stage = message.progress.stage;
        job.onProgress?.(message.progress);
        return;
      case 'done':
        this.lastPeakRssBytes = message.peakRssBytes;
        this.settle(job.jobId, () => job.resolve(message.result));
        return;
      case 'cancelled':
        this.settle(job.jobId, () => job.reject(new CancelledError()));
        return;
      case 'failed':
        this.log(`engine: job ${job.jobId} failed (${message.error.code}): ${message.error.stack ?? message.error.message}`);
        this.settle(job.jobId, () => job.reject(new EngineJobError(message.error.code, message.error.message)));
        return;
    }
  }

  /** Removes what a dead engine process was writing, now and once more a moment later (a writer that was just
   *  starting may create its file after the process died). Failures are logged: they leave only a hidden file. */
  private async cleanUpAfter(handle: EngineProcessHandle, output: EnhanceJobSpec['output']): Promise<void> {
    const pid = handle.pid;
    if (pid === undefined) return;
    const sweep = async () => {
      try {
        for (const file of await removePartialOutputs(output, pid)) this.log(`engine: removed the partial output ${file}`);
      } catch (error) {
        this.log(`engine: could not remove the partial output of process ${pid}: ${(error as Error).message}`);
      }
    };
    await sweep();
    setTimeout(() => void sweep(), 1000).unref();
  }

  private settle(jobId: string, finish: () => void): void {
    if (!this.active || this.active.jobId !== jobId) return;
    this.active = null;
    finish();
  }
}

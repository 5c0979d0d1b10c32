// Progress and timing for a diffusion job: one fraction over the whole job (encode, denoise and decode take
// fixed shares), an ETA from a moving average of denoiser call durations, and seconds summed per stage.
import type { EngineProgress, EngineStage, JobHooks } from '../types';

const SHARES = { prepare: 0.1, denoise: 0.8, finish: 0.1 } as const;

export class StageClock {
  readonly seconds: Partial<Record<EngineStage, number>> = {};

  add(stage: EngineStage, seconds: number): void {
    this.seconds[stage] = (this.seconds[stage] ?? 0) + seconds;
  }

  async time<T>(stage: EngineStage, work: () => Promise<T> | T): Promise<T> {
    const started = performance.now();
    try {
      return await work();
    } finally {
      this.add(stage, (performance.now() - started) / 1000);
    }
  }

  timeSync<T>(stage: EngineStage, work: () => T): T {
    const started = performance.now();
    try {
      return work();
    } finally {
      this.add(stage, (performance.now() - started) / 1000);
    }
  }
}

export class JobProgress {
  private averageCallSec: number | null = null;
  private callsDone = 0;
  private callsTotal = 1;

  constructor(private readonly hooks: JobHooks) {}

  /** Frames decoded and encoded, before denoising. */
  prepare(done: number, expected: number): void {
    const total = Math.max(expected, done, 1);
    this.emit({ fraction: SHARES.prepare * (done / total), stage: 'vae_encode', done, total, etaSec: null });
  }

  /** Sets (or resets, after an out-of-memory retry) the number of denoiser calls planned. */
  planCalls(total: number): void {
    this.callsTotal = Math.max(1, total);
    this.callsDone = 0;
  }

  /** One denoiser call finished after `seconds`. */
  call(seconds: number, message?: string): void {
    this.callsDone = Math.min(this.callsTotal, this.callsDone + 1);
    // Exponential moving average: follows a provider warming up without jumping on one slow call. The first call
    // also pays the session's warm-up (kernel selection, allocations): it is the estimate only until the second
    // call replaces it, instead of weighing on the average for many calls.
    this.averageCallSec = this.averageCallSec === null || this.callsDone === 2 ? seconds : 0.8 * this.averageCallSec + 0.2 * seconds;
    const remaining = this.callsTotal - this.callsDone;
    this.emit({
      fraction: SHARES.prepare + SHARES.denoise * (this.callsDone / this.callsTotal),
      stage: 'denoise',
      done: this.callsDone,
      total: this.callsTotal,
      etaSec: remaining * this.averageCallSec,
      message,
    });
  }

  /** Frames decoded and written. */
  finish(done: number, total: number): void {
    this.emit({
      fraction: SHARES.prepare + SHARES.denoise + SHARES.finish * (done / Math.max(1, total)),
      stage: 'vae_decode',
      done,
      total,
      etaSec: null,
    });
  }

  private emit(progress: EngineProgress): void {
    this.hooks.onProgress({ ...progress, fraction: Math.min(1, Math.max(0, progress.fraction)) });
  }
}

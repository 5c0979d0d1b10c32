// `upframe render` progress: a bar with percent, render fps and ETA on a terminal; on a pipe (logs, CI) one line
// per piece, so a log shows where an export stopped.
import { SingleBar } from 'cli-progress';
import type { Job } from '../common/model';
import { formatEta } from './progress-display';

const BAR_TOTAL = 1000;

export interface RenderProgress {
  update(job: Job): void;
  note(line: string): void;
  stop(): void;
}

export function createRenderProgress(stream: NodeJS.WriteStream): RenderProgress {
  return stream.isTTY ? new RenderBar(stream) : new RenderLines(stream);
}

function fpsText(job: Job): string {
  const fps = job.stats.renderFps;
  return fps === undefined ? '-- fps' : `${fps.toFixed(1)} fps`;
}

class RenderBar implements RenderProgress {
  private readonly bar: SingleBar;
  private started = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.bar = new SingleBar({ stream, format: '|{bar}| {pct}% | {fps} | ETA {eta} | {message}', hideCursor: true, clearOnComplete: false, fps: 10 });
  }

  update(job: Job): void {
    const payload = { pct: (job.progress * 100).toFixed(1).padStart(5), fps: fpsText(job), eta: formatEta(job.etaSec), message: job.message ?? '' };
    const value = Math.round(job.progress * BAR_TOTAL);
    if (!this.started) this.bar.start(BAR_TOTAL, value, payload);
    else this.bar.update(value, payload);
    this.started = true;
  }

  note(line: string): void {
    if (this.started) this.bar.stop();
    this.started = false;
    this.stream.write(`${line}\n`);
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}

class RenderLines implements RenderProgress {
  private lastMessage: string | null = null;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(job: Job): void {
    if (job.message === this.lastMessage) return;
    this.lastMessage = job.message;
    this.stream.write(`${job.message ?? ''} (${(job.progress * 100).toFixed(0)}%, ${fpsText(job)}, ETA ${formatEta(job.etaSec)})\n`);
  }

  note(line: string): void {
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}

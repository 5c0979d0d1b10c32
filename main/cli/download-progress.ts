// Download progress on the terminal: a bar with bytes, rate and ETA on a TTY, a line per tenth otherwise (logs,
// CI). The rate and ETA count only the bytes of this run, so a resumed download does not look instantly fast.
import { SingleBar } from 'cli-progress';
import type { DownloadProgress } from '../engine/pack/resumable-download';
import { formatBytes } from '../engine/pack/resumable-download';
import { formatEta } from './progress-display';

export interface DownloadDisplay {
  update(progress: DownloadProgress): void;
  /** Prints a line without breaking the bar. */
  note(line: string): void;
  stop(): void;
}

export function createDownloadDisplay(stream: NodeJS.WriteStream, now: () => number = Date.now): DownloadDisplay {
  return new Display(stream, now);
}

class Display implements DownloadDisplay {
  private readonly bar: SingleBar | null;
  private barStarted = false;
  private readonly startedAt: number;
  private lastTenth = -1;

  constructor(
    private readonly stream: NodeJS.WriteStream,
    private readonly now: () => number,
  ) {
    this.startedAt = now();
    this.bar = stream.isTTY
      ? new SingleBar({ stream, format: 'Downloading |{bar}| {pct}% | {sizes} | {rate} | ETA {eta}', hideCursor: true, clearOnComplete: false, fps: 5 })
      : null;
  }

  update(p: DownloadProgress): void {
    const seconds = (this.now() - this.startedAt) / 1000;
    const thisRun = p.receivedBytes - p.resumedFromBytes;
    const rate = seconds > 0.5 && thisRun > 0 ? thisRun / seconds : null;
    const eta = rate !== null && p.totalBytes !== null ? (p.totalBytes - p.receivedBytes) / rate : null;
    const fraction = p.totalBytes ? Math.min(1, p.receivedBytes / p.totalBytes) : null;
    const sizes = p.totalBytes !== null ? `${formatBytes(p.receivedBytes)} of ${formatBytes(p.totalBytes)}` : formatBytes(p.receivedBytes);
    const rateText = rate !== null ? `${formatBytes(rate)}/s` : '--/s';
    if (this.bar) {
      const payload = { pct: fraction === null ? '  ?' : (fraction * 100).toFixed(1).padStart(5), sizes, rate: rateText, eta: formatEta(eta) };
      const value = Math.round((fraction ?? 0) * 1000);
      if (!this.barStarted) this.bar.start(1000, value, payload);
      else this.bar.update(value, payload);
      this.barStarted = true;
      return;
    }
    const tenth = fraction === null ? Math.floor(p.receivedBytes / (16 * 1024 * 1024)) : Math.floor(fraction * 10);
    if (tenth === this.lastTenth) return;
    this.lastTenth = tenth;
    const pct = fraction === null ? '' : `${(fraction * 100).toFixed(0)}%, `;
    this.stream.write(`Downloading: ${pct}${sizes}, ${rateText} (ETA ${formatEta(eta)})\n`);
  }

  note(line: string): void {
    if (this.barStarted) this.bar?.stop();
    this.barStarted = false;
    this.stream.write(`${line}\n`);
  }

  stop(): void {
    if (this.barStarted) this.bar?.stop();
    this.barStarted = false;
  }
}

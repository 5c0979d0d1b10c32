// Job progress on the terminal: a cli-progress bar (stage, percent, ETA) on a TTY, plain lines otherwise (logs,
// CI), so piped output stays readable.
import { SingleBar } from 'cli-progress';
import type { EngineProgress } from '../engine/types';

const STAGE_NAMES: Record<EngineProgress['stage'], string> = {
  decode: 'Decoding',
  vae_encode: 'Encoding frames',
  denoise: 'Denoising',
  vae_decode: 'Decoding frames',
  blend: 'Blending',
  write: 'Writing',
  upscale: 'Upscaling frames',
  encode: 'Encoding',
};
const BAR_TOTAL = 1000;

export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const mmss = `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

export interface ProgressDisplay {
  update(progress: EngineProgress): void;
  /** Prints a line without breaking the bar. */
  note(line: string): void;
  stop(): void;
}

export function createProgressDisplay(stream: NodeJS.WriteStream): ProgressDisplay {
  const display = createLabelledProgressDisplay(stream);
  return {
    update: (progress) => display.update({ label: STAGE_NAMES[progress.stage], fraction: progress.fraction, etaSec: progress.etaSec }),
    note: (line) => display.note(line),
    stop: () => display.stop(),
  };
}

/** Progress of any long task: a label (the current step), a fraction of the whole and an ETA. */
export type LabelledProgress = { label: string; fraction: number; etaSec: number | null };

export interface LabelledProgressDisplay {
  update(progress: LabelledProgress): void;
  note(line: string): void;
  stop(): void;
}

export function createLabelledProgressDisplay(stream: NodeJS.WriteStream): LabelledProgressDisplay {
  return stream.isTTY ? new BarDisplay(stream) : new LineDisplay(stream);
}

class BarDisplay implements LabelledProgressDisplay {
  private readonly bar: SingleBar;
  private started = false;

  constructor(private readonly stream: NodeJS.WriteStream) {
    this.bar = new SingleBar({
      stream,
      format: '{stage} |{bar}| {pct}% | ETA {etaText}',
      hideCursor: true,
      clearOnComplete: false,
      fps: 10,
    });
  }

  update(progress: LabelledProgress): void {
    const payload = {
      stage: progress.label.padEnd(15),
      pct: (progress.fraction * 100).toFixed(1).padStart(5),
      etaText: formatEta(progress.etaSec),
    };
    const value = Math.round(progress.fraction * BAR_TOTAL);
    if (!this.started) {
      this.bar.start(BAR_TOTAL, value, payload);
      this.started = true;
    } else {
      this.bar.update(value, payload);
    }
  }

  note(line: string): void {
    if (this.started) this.bar.stop();
    this.stream.write(`${line}\n`);
    this.started = false;
  }

  stop(): void {
    if (this.started) this.bar.stop();
    this.started = false;
  }
}

class LineDisplay implements LabelledProgressDisplay {
  private lastStage: string | null = null;
  private lastTenth = -1;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  update(progress: LabelledProgress): void {
    const tenth = Math.floor(progress.fraction * 10);
    if (progress.label === this.lastStage && tenth === this.lastTenth) return;
    this.lastStage = progress.label;
    this.lastTenth = tenth;
    this.stream.write(
      `${progress.label}: ${(progress.fraction * 100).toFixed(0)}% (ETA ${formatEta(progress.etaSec)})\n`,
    );
  }

  note(line: string): void {
    this.stream.write(`${line}\n`);
  }

  stop(): void {}
}

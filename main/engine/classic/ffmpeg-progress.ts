// Reads ffmpeg's `-progress pipe:1` output: blocks of key=value lines, each closed by progress=continue|end.

export type FfmpegProgressBlock = {
  frame: number | null;
  /** Output time reached, in seconds. */
  outTimeSec: number | null;
  end: boolean;
};

export class FfmpegProgressParser {
  private partial = '';
  private fields = new Map<string, string>();

  constructor(private readonly onBlock: (block: FfmpegProgressBlock) => void) {}

  push(chunk: string): void {
    const lines = (this.partial + chunk).split(/\r?\n/);
    this.partial = lines.pop() ?? '';
    for (const line of lines) this.line(line);
  }

  private line(line: string): void {
    const eq = line.indexOf('=');
    if (eq <= 0) return;
    const key = line.slice(0, eq).trim();
    const value = line.slice(eq + 1).trim();
    if (key !== 'progress') {
      this.fields.set(key, value);
      return;
    }
    const frame = finiteOrNull(this.fields.get('frame'));
    // out_time_us and out_time_ms are both microseconds (a long-standing ffmpeg naming quirk).
    const micros = finiteOrNull(this.fields.get('out_time_us') ?? this.fields.get('out_time_ms'));
    this.fields.clear();
    this.onBlock({ frame, outTimeSec: micros === null ? null : Math.max(0, micros / 1e6), end: value === 'end' });
  }
}

function finiteOrNull(text: string | undefined): number | null {
  if (text === undefined || text === 'N/A') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

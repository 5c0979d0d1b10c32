// Keeps the last few KiB of a child's stderr, so an error can quote what ffmpeg said without unbounded memory.
import type { Readable } from 'node:stream';

export class StderrTail {
  private buffer = '';

  constructor(
    stream: Readable | null,
    private readonly limit = 4096,
  ) {
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      this.buffer = (this.buffer + chunk).slice(-this.limit);
    });
  }

  text(): string {
    return this.buffer.trim();
  }
}

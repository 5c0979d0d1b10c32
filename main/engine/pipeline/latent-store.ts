// Per-frame latents in fixed-size float32 slots ([C, h, w] per frame), read and written by frame ranges. A clip
// whose latents fit a small budget keeps them in memory; a longer one keeps them in a temp file, so that RAM is
// bounded by the chunk size (plus that budget), never by the clip's length. The pipeline reads and writes every
// chunk at every solver step, and through a file each of those is some hundred small reads on the I/O threads.
import { open, rm, type FileHandle } from 'node:fs/promises';

export type LatentShape = { channels: number; height: number; width: number };

/** Planes of a range of frames lent by LatentStore.lease: plane(f, c) is frame start + f, channel c. */
export type LatentLease = {
  plane(frame: number, channel: number): Float32Array;
  /** Ends the lease, keeping the changes to its first `frames` frames (a file-backed store writes them back). */
  release(frames: number): Promise<void>;
};

/** Where the slots live: a temp file, or memory for a store under the caller's budget. */
type Backing = { kind: 'file'; handle: FileHandle } | { kind: 'memory'; bytes: Uint8Array };

export class LatentStore {
  readonly frameFloats: number;
  private closed = false;

  private constructor(
    readonly file: string,
    private frameCount: number,
    readonly shape: LatentShape,
    private backing: Backing,
  ) {
    this.frameFloats = shape.channels * shape.height * shape.width;
  }

  /** Creates (or truncates) the store at its full size; slots never written read as zeros. A store of at most
   *  `inMemoryUpToBytes` stays in memory and creates no file. */
  static async create(file: string, frames: number, shape: LatentShape, opts: { inMemoryUpToBytes?: number } = {}): Promise<LatentStore> {
    for (const [name, value] of Object.entries({ frames, ...shape })) {
      if (!Number.isInteger(value) || value <= 0) throw new Error(`Latent store ${name} must be a positive integer, got ${value}.`);
    }
    const size = frames * shape.channels * shape.height * shape.width * 4;
    if (size <= (opts.inMemoryUpToBytes ?? 0)) return new LatentStore(file, frames, shape, { kind: 'memory', bytes: new Uint8Array(size) });
    const handle = await open(file, 'w+');
    try {
      await handle.truncate(size);
    } catch (error) {
      await handle.close();
      await rm(file, { force: true });
      throw error;
    }
    return new LatentStore(file, frames, shape, { kind: 'file', handle });
  }

  /** True when the slots are in memory (no file). */
  get inMemory(): boolean {
    return this.backing.kind === 'memory';
  }

  get frames(): number {
    return this.frameCount;
  }

  /** Grows or shrinks the store (for counts known only after decoding); new slots read as zeros. */
  async resize(frames: number): Promise<void> {
    if (!Number.isInteger(frames) || frames <= 0) throw new Error(`Latent store frames must be a positive integer, got ${frames}.`);
    if (this.closed) throw new Error(`Latent store ${this.file} is closed.`);
    const size = frames * this.frameFloats * 4;
    if (this.backing.kind === 'memory') {
      const bytes = new Uint8Array(size);
      bytes.set(this.backing.bytes.subarray(0, Math.min(size, this.backing.bytes.length)));
      this.backing = { kind: 'memory', bytes };
    } else {
      await this.backing.handle.truncate(size);
    }
    this.frameCount = frames;
  }

  /** Frames [start, end) as one [end - start, C, h, w] array. */
  async read(start: number, end: number): Promise<Float32Array> {
    this.checkRange(start, end);
    const out = new Float32Array((end - start) * this.frameFloats);
    await this.readBytes(new Uint8Array(out.buffer), start * this.frameFloats * 4);
    return out;
  }

  /**
   * Frames [start, end) into `out` in the denoiser's channel-major layout: frame f, channel c lands at
   * out[((c * frames + f - start + at) * h * w) ..], where `frames` is the length of out's frame axis. Reading each
   * plane straight to its place spares a transpose (and a chunk-sized array) per read.
   */
  async readChannelMajor(start: number, end: number, out: Float32Array, frames: number, at = 0): Promise<void> {
    this.checkRange(start, end);
    const { channels } = this.shape;
    const plane = this.frameFloats / channels;
    if (out.length !== frames * this.frameFloats || at < 0 || at + end - start > frames) {
      throw new Error(`Channel-major read of frames [${start}, ${end}) does not fit an array of ${frames} frames at ${at}.`);
    }
    const backing = this.backing;
    if (backing.kind === 'memory') {
      // Plane copies, no promise each: the pipeline reads every chunk at every solver step.
      const slots = new Float32Array(backing.bytes.buffer, backing.bytes.byteOffset, backing.bytes.byteLength / 4);
      for (let f = start; f < end; f++) {
        for (let c = 0; c < channels; c++) {
          const from = (f * channels + c) * plane;
          out.set(slots.subarray(from, from + plane), (c * frames + f - start + at) * plane);
        }
      }
      return;
    }
    const reads: Promise<void>[] = [];
    for (let f = start; f < end; f++) {
      for (let c = 0; c < channels; c++) {
        const target = new Uint8Array(out.buffer, out.byteOffset + (c * frames + f - start + at) * plane * 4, plane * 4);
        reads.push(this.readBytes(target, (f * channels + c) * plane * 4));
      }
    }
    await Promise.all(reads);
  }

  /** Writes frames [start, start + count) from channel-major `data` (frame axis of length `frames`, from `at`). */
  async writeChannelMajor(start: number, count: number, data: Float32Array, frames: number, at = 0): Promise<void> {
    this.checkRange(start, start + count);
    const { channels } = this.shape;
    const plane = this.frameFloats / channels;
    if (data.length !== frames * this.frameFloats || at < 0 || at + count > frames) {
      throw new Error(`Channel-major write of ${count} frames does not fit an array of ${frames} frames at ${at}.`);
    }
    const backing = this.backing;
    if (backing.kind === 'memory') {
      const slots = new Float32Array(backing.bytes.buffer, backing.bytes.byteOffset, backing.bytes.byteLength / 4);
      for (let j = 0; j < count; j++) {
        for (let c = 0; c < channels; c++) {
          const from = (c * frames + j + at) * plane;
          slots.set(data.subarray(from, from + plane), ((start + j) * channels + c) * plane);
        }
      }
      return;
    }
    const writes: Promise<void>[] = [];
    for (let j = 0; j < count; j++) {
      for (let c = 0; c < channels; c++) {
        const source = new Uint8Array(data.buffer, data.byteOffset + (c * frames + j + at) * plane * 4, plane * 4);
        writes.push(this.writeBytes(source, ((start + j) * channels + c) * plane * 4));
      }
    }
    await Promise.all(writes);
  }

  /**
   * Frames [start, end) as planes to read and update in place: an in-memory store lends its own slots (nothing is
   * copied either way); a file-backed one reads them into `staging` (channel-major, `frames` long on its frame axis,
   * as readChannelMajor) and writes back the frames release() names. Planes of frames not written back must not be
   * changed.
   */
  async lease(start: number, end: number, staging: Float32Array, frames: number): Promise<LatentLease> {
    this.checkRange(start, end);
    const { channels } = this.shape;
    const plane = this.frameFloats / channels;
    const backing = this.backing;
    if (backing.kind === 'memory') {
      const slots = new Float32Array(backing.bytes.buffer, backing.bytes.byteOffset, backing.bytes.byteLength / 4);
      return {
        plane: (f, c) => {
          const from = ((start + f) * channels + c) * plane;
          return slots.subarray(from, from + plane);
        },
        release: async () => {},
      };
    }
    await this.readChannelMajor(start, end, staging, frames);
    return {
      plane: (f, c) => {
        const from = (c * frames + f) * plane;
        return staging.subarray(from, from + plane);
      },
      release: async (count) => {
        if (count > 0) await this.writeChannelMajor(start, count, staging, frames);
      },
    };
  }

  async readFrame(frame: number): Promise<Float32Array> {
    return this.read(frame, frame + 1);
  }

  /** Writes whole frames starting at `start`; data.length must be a multiple of one frame. */
  async write(start: number, data: Float32Array): Promise<void> {
    if (data.length % this.frameFloats !== 0) {
      throw new Error(`Latent store write of ${data.length} floats is not a whole number of ${this.frameFloats}-float frames.`);
    }
    const count = data.length / this.frameFloats;
    this.checkRange(start, start + count);
    await this.writeBytes(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), start * this.frameFloats * 4);
  }

  private async readBytes(target: Uint8Array, position: number): Promise<void> {
    if (this.backing.kind === 'memory') {
      target.set(this.backing.bytes.subarray(position, position + target.length));
      return;
    }
    const { handle } = this.backing;
    let done = 0;
    while (done < target.length) {
      const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
      if (bytesRead === 0) throw new Error(`Latent store ${this.file} ended early at byte ${position + done}.`);
      done += bytesRead;
    }
  }

  private async writeBytes(source: Uint8Array, position: number): Promise<void> {
    if (this.backing.kind === 'memory') {
      this.backing.bytes.set(source, position);
      return;
    }
    const { handle } = this.backing;
    let done = 0;
    while (done < source.length) {
      const { bytesWritten } = await handle.write(source, done, source.length - done, position + done);
      done += bytesWritten;
    }
  }

  /** Closes and deletes the file (or lets go of the memory); safe to call more than once. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const backing = this.backing;
    if (backing.kind === 'memory') {
      this.backing = { kind: 'memory', bytes: new Uint8Array(0) };
      return;
    }
    try {
      await backing.handle.close();
    } finally {
      await rm(this.file, { force: true });
    }
  }

  private checkRange(start: number, end: number): void {
    if (this.closed) throw new Error(`Latent store ${this.file} is closed.`);
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end <= this.frames && start < end)) {
      throw new Error(`Latent store range [${start}, ${end}) is outside its ${this.frameCount} frames.`);
    }
  }
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LatentStore } from '../../main/engine/pipeline/latent-store';
import { makeTempDir } from '../helpers/media-fixtures';

const temp = makeTempDir('upframe-latent-store-');
afterAll(() => temp.cleanup());

const shape = { channels: 3, height: 4, width: 5 };
const frameFloats = 3 * 4 * 5;

function frameData(frames: number, seed: number): Float32Array {
  const data = new Float32Array(frames * frameFloats);
  for (let i = 0; i < data.length; i++) data[i] = Math.sin(seed * 1000 + i) * 3.5;
  return data;
}

for (const backing of ['file', 'memory'] as const) {
  describe(`LatentStore (${backing})`, () => {
    // A budget far above these stores' sizes keeps them in memory; none keeps them in a file.
    const create = (name: string, frames: number) =>
      LatentStore.create(path.join(temp.dir, `${backing}-${name}.f32`), frames, shape, backing === 'memory' ? { inMemoryUpToBytes: 1 << 20 } : {});

    it('starts as zeros and round-trips frame ranges exactly', async () => {
      const store = await create('a', 10);
      try {
        expect(store.frameFloats).toBe(frameFloats);
        expect(Array.from(await store.read(0, 10)).every((v) => v === 0)).toBe(true);
        const block = frameData(3, 1);
        await store.write(4, block);
        expect(await store.read(4, 7)).toEqual(block);
        // Overlapping ranges see the written frames at the right offsets and zeros elsewhere.
        const wide = await store.read(3, 8);
        expect(Array.from(wide.subarray(0, frameFloats)).every((v) => v === 0)).toBe(true);
        expect(wide.subarray(frameFloats, 4 * frameFloats)).toEqual(block);
        expect(Array.from(wide.subarray(4 * frameFloats)).every((v) => v === 0)).toBe(true);
        await store.write(5, frameData(1, 2));
        expect(await store.readFrame(5)).toEqual(frameData(1, 2));
        expect(await store.readFrame(4)).toEqual(block.subarray(0, frameFloats));
        expect(await store.readFrame(6)).toEqual(block.subarray(2 * frameFloats));
      } finally {
        await store.dispose();
      }
    });

    it('writes from a view into a larger buffer', async () => {
      const store = await create('view', 4);
      try {
        const big = frameData(4, 3);
        await store.write(1, big.subarray(frameFloats, 3 * frameFloats));
        expect(await store.read(1, 3)).toEqual(big.subarray(frameFloats, 3 * frameFloats));
      } finally {
        await store.dispose();
      }
    });

    it('refuses ranges outside the store and partial frames', async () => {
      const store = await create('b', 3);
      try {
        await expect(store.read(2, 4)).rejects.toThrow(/outside its 3 frames/);
        await expect(store.read(1, 1)).rejects.toThrow(/outside/);
        await expect(store.write(2, frameData(2, 1))).rejects.toThrow(/outside/);
        await expect(store.write(0, new Float32Array(frameFloats + 1))).rejects.toThrow(/whole number/);
      } finally {
        await store.dispose();
      }
    });

    it('removes its file on dispose (a store in memory makes none) and refuses use afterwards', async () => {
      const store = await create('c', 2);
      expect(store.inMemory).toBe(backing === 'memory');
      const file = path.join(temp.dir, `${backing}-c.f32`);
      expect(existsSync(file)).toBe(backing === 'file');
      await store.dispose();
      await store.dispose();
      expect(existsSync(file)).toBe(false);
      await expect(store.read(0, 1)).rejects.toThrow(/closed/);
    });

    it('grows with zeros and shrinks, keeping the frames it keeps', async () => {
      const store = await create('grow', 2);
      try {
        await store.write(0, frameData(2, 4));
        await store.resize(5);
        expect(store.frames).toBe(5);
        expect(await store.read(0, 2)).toEqual(frameData(2, 4));
        expect(Array.from(await store.read(2, 5)).every((v) => v === 0)).toBe(true);
        await store.resize(1);
        expect(await store.read(0, 1)).toEqual(frameData(1, 4));
        await expect(store.read(1, 2)).rejects.toThrow(/outside its 1 frames/);
      } finally {
        await store.dispose();
      }
    });

    it('rejects empty shapes', async () => {
      await expect(create('d', 0)).rejects.toThrow(/frames must be a positive integer/);
    });

    it('reads and writes frame ranges in channel-major layout, matching a transpose of the frame-major data', async () => {
      const store = await create('cm', 6);
      try {
        const plane = shape.height * shape.width;
        const block = frameData(6, 3);
        await store.write(0, block);
        // Frames [1, 4) into a 5-frame channel-major array at frame offset 1.
        const cm = new Float32Array(5 * frameFloats);
        await store.readChannelMajor(1, 4, cm, 5, 1);
        for (let f = 0; f < 3; f++) {
          for (let c = 0; c < shape.channels; c++) {
            const expected = block.subarray(((f + 1) * shape.channels + c) * plane, ((f + 1) * shape.channels + c + 1) * plane);
            expect(cm.subarray((c * 5 + f + 1) * plane, (c * 5 + f + 2) * plane)).toEqual(expected);
          }
        }
        expect(Array.from(cm.subarray(0, plane)).every((v) => v === 0)).toBe(true);
        // Writing it back to other slots round-trips to the frame-major layout.
        await store.writeChannelMajor(3, 3, cm, 5, 1);
        expect(await store.read(3, 6)).toEqual(block.subarray(frameFloats, 4 * frameFloats));
        await expect(store.readChannelMajor(4, 7, cm, 5)).rejects.toThrow(/outside/);
        await expect(store.readChannelMajor(0, 3, cm, 5, 3)).rejects.toThrow(/does not fit/);
      } finally {
        await store.dispose();
      }
    });

    it('lends planes of a range to change in place, keeping the frames release() names', async () => {
      const store = await create('lease', 6);
      try {
        const plane = shape.height * shape.width;
        const block = frameData(6, 4);
        await store.write(0, block);
        const staging = new Float32Array(4 * frameFloats);
        const lease = await store.lease(2, 5, staging, 4);
        for (let f = 0; f < 3; f++) {
          for (let c = 0; c < shape.channels; c++) {
            const from = ((f + 2) * shape.channels + c) * plane;
            expect(lease.plane(f, c)).toEqual(block.subarray(from, from + plane));
          }
        }
        // Frames 2 and 3 change and are kept; frame 4 is only read.
        for (let f = 0; f < 2; f++) for (let c = 0; c < shape.channels; c++) lease.plane(f, c).fill(f + 10 * c);
        await lease.release(2);
        const after = await store.read(0, 6);
        for (let f = 0; f < 6; f++) {
          for (let c = 0; c < shape.channels; c++) {
            const from = (f * shape.channels + c) * plane;
            const expected = f === 2 || f === 3 ? new Float32Array(plane).fill(f - 2 + 10 * c) : block.subarray(from, from + plane);
            expect(after.subarray(from, from + plane)).toEqual(expected);
          }
        }
        await expect(store.lease(4, 7, staging, 4)).rejects.toThrow(/outside/);
      } finally {
        await store.dispose();
      }
    });
  });
}

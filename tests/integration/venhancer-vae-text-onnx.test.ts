// The ONNX graphs exported from native-models/venhancer/vae.py and text.py (tiny fixture weights, fp32 and fp16
// weight storage), run by onnxruntime-node, reproduce the reference outputs: the VAE encoder's moments, the
// temporal decoder on one 5-frame video and chunk by chunk (dynamic N), and the text tower's penultimate layer.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/media-fixtures';

const ROOT = path.resolve(__dirname, '../..');
const TOLERANCE = 1e-4;

interface ArrayInfo {
  shape: number[];
  dtype: 'float32' | 'int64';
}

// One export (both weight storages) for the whole file.
const temp = makeTempDir('upframe-vae-text-onnx-');
let arrays: Record<string, ArrayInfo>;
beforeAll(async () => {
  await promisify(execFile)('/usr/bin/python3', ['-m', 'venhancer.checks_vae_text', '--threads', '2', '--export-onnx', temp.dir], {
    cwd: path.join(ROOT, 'native-models'),
    maxBuffer: 1 << 24,
  });
  arrays = JSON.parse(readFileSync(path.join(temp.dir, 'arrays.json'), 'utf8')).arrays;
}, 600_000);
afterAll(() => temp.cleanup());

describe.each(['fp32', 'fp16'])('VEnhancer VAE and text graphs (%s weights) in onnxruntime-node', (weights) => {
  const sessions: Record<string, ort.InferenceSession> = {};

  function float(name: string): ort.Tensor {
    const bytes = readFileSync(path.join(temp.dir, `${name}.bin`));
    const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    return new ort.Tensor('float32', data, arrays[name].shape);
  }
  function framesOf(tensor: ort.Tensor, start: number, end: number): ort.Tensor {
    const per = tensor.dims.slice(1).reduce((a, b) => a * b, 1);
    const data = (tensor.data as Float32Array).slice(start * per, end * per);
    return new ort.Tensor('float32', data, [end - start, ...tensor.dims.slice(1)]);
  }
  function maxAbs(actual: ort.Tensor, expected: ort.Tensor | Float32Array): number {
    const a = actual.data as Float32Array;
    const b = expected instanceof Float32Array ? expected : (expected.data as Float32Array);
    expect(a.length).toBe(b.length);
    let max = 0;
    for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
    return max;
  }

  beforeAll(async () => {
    for (const role of ['vae_encoder', 'vae_decoder', 'text_encoder']) {
      sessions[role] = await ort.InferenceSession.create(path.join(temp.dir, weights, `${role}.onnx`), { intraOpNumThreads: 2 });
    }
  });
  afterAll(async () => {
    for (const session of Object.values(sessions)) await session.release();
  });

  it('has the graph contract: one input, one output, named as CONTRACT-V2 says', () => {
    expect([sessions.vae_encoder.inputNames, sessions.vae_encoder.outputNames]).toEqual([['image'], ['moments']]);
    expect([sessions.vae_decoder.inputNames, sessions.vae_decoder.outputNames]).toEqual([['latent'], ['image']]);
    expect([sessions.text_encoder.inputNames, sessions.text_encoder.outputNames]).toEqual([['input_ids'], ['hidden']]);
  });

  it('encoder: moments (mean, clamped log-variance) of 3 images', async () => {
    const { moments } = await sessions.vae_encoder.run({ image: float('images') });
    expect(moments.dims).toEqual([3, 8, 16, 24]);
    expect(maxAbs(moments, float('enc_moments_f32'))).toBeLessThanOrEqual(TOLERANCE);
  });

  it('decoder: one 5-frame video, and the same latents decoded as 2 + 2 + 1 frame videos', async () => {
    const z = float('z');
    const { image } = await sessions.vae_decoder.run({ latent: z });
    expect(image.dims).toEqual([5, 3, 32, 48]);
    expect(maxAbs(image, float('dec_full_f32'))).toBeLessThanOrEqual(TOLERANCE);
    const parts: number[] = [];
    for (const [start, end] of [[0, 2], [2, 4], [4, 5]]) {
      const out = await sessions.vae_decoder.run({ latent: framesOf(z, start, end) });
      parts.push(...(out.image.data as Float32Array));
    }
    const chunked = new ort.Tensor('float32', Float32Array.from(parts), [5, 3, 32, 48]);
    expect(maxAbs(chunked, float('dec_chunk2_f32'))).toBeLessThanOrEqual(TOLERANCE);
    // Frames interact: decoding in chunks is far from decoding the whole video (the test can tell them apart).
    expect(maxAbs(chunked, float('dec_full_f32'))).toBeGreaterThan(0.1);
  });

  it('text encoder: penultimate-layer hidden states for a batch of 2 and for one row alone', async () => {
    const bytes = readFileSync(path.join(temp.dir, 'tokens.bin'));
    const ids = new BigInt64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const { hidden } = await sessions.text_encoder.run({ input_ids: new ort.Tensor('int64', ids, [2, 77]) });
    expect(hidden.dims).toEqual([2, 77, 64]);
    const expected = float('hidden_f32');
    expect(maxAbs(hidden, expected)).toBeLessThanOrEqual(TOLERANCE);
    const row = await sessions.text_encoder.run({ input_ids: new ort.Tensor('int64', ids.slice(77), [1, 77]) });
    expect(maxAbs(row.hidden, (expected.data as Float32Array).slice(77 * 64))).toBeLessThanOrEqual(TOLERANCE);
  });
});

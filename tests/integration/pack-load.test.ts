import { utimesSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecutionOptions, PackRuntime, Tensor } from '../../main/engine/types';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import { HashCache } from '../../main/engine/pack/hash-cache';
import { loadPack, OnnxPackRuntime } from '../../main/engine/pack/runtime';
import { loadPromptTokenizer } from '../../main/engine/pack/text';
import { verifyPack } from '../../main/engine/pack/verify';
import { makeTempDir } from '../helpers/media-fixtures';

const CPU: ExecutionOptions = { provider: 'cpu', deviceId: 0, threads: 1, fp16: false, allowCpuFallback: false };

/** Deterministic uniform [-1, 1) values (mulberry32), so a failure reproduces. */
function randomValues(count: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** alpha, sigma of logsnr_cosine_interp (ENHANCEMENT.md section 2), in float64, written out independently. */
function alphaSigma(t: number): { alpha: number; sigma: number } {
  const tau = t / 999;
  const t0 = Math.atan(Math.exp(-15 / 2));
  const t1 = Math.atan(Math.exp(15 / 2));
  const logSnr = -2 * Math.log(Math.tan(t0 + tau * (t1 - t0))) - 2 * Math.log(2) * (1 + tau);
  const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
  return { alpha: Math.sqrt(sigmoid(logSnr)), sigma: Math.sqrt(sigmoid(-logSnr)) };
}

/** The analytic pack's target: per frame, linear interpolation between the nearest key frames on each side, each key
 *  frame's value taken from the K-frame hint at its GLOBAL key index (the mask value), as the reference gathers it. */
function interpolate(hint: Float32Array, hintFrames: number, dims: number[], mask: number[]): Float32Array {
  const [, channels, frames, h, w] = dims;
  const plane = h * w;
  const out = new Float32Array(channels * frames * plane);
  const keys = mask.map((m, f) => (m >= 0 ? f : -1)).filter((f) => f >= 0);
  for (let f = 0; f < frames; f++) {
    const before = keys.filter((k) => k <= f);
    const after = keys.filter((k) => k >= f);
    const prev = before.length ? before[before.length - 1] : after[0];
    const next = after.length ? after[0] : prev;
    const c = prev === next ? 0 : (f - prev) / (next - prev);
    for (let ch = 0; ch < channels; ch++) {
      for (let i = 0; i < plane; i++) {
        out[(ch * frames + f) * plane + i] =
          (1 - c) * hint[(ch * hintFrames + mask[prev]) * plane + i] + c * hint[(ch * hintFrames + mask[next]) * plane + i];
      }
    }
  }
  return out;
}

describe('built-in packs load on onnxruntime-node', () => {
  let analytic: PackRuntime;
  let tiny: PackRuntime;

  beforeAll(async () => {
    analytic = await loadPack(builtinPackDir('analytic-test'), CPU);
    tiny = await loadPack(builtinPackDir('tiny-venhancer-test'), CPU);
  });
  afterAll(async () => {
    await analytic?.release();
    await tiny?.release();
  });

  it('verify both packs', async () => {
    for (const runtime of [analytic, tiny]) {
      const verified = await verifyPack(runtime.dir);
      expect(verified.packHash).toMatch(/^[0-9a-f]{64}$/);
      expect(verified.packHash).toBe(runtime.packHash);
      expect(verified.sizeBytes).toBeGreaterThan(0);
      expect(verified.sizeBytes).toBeLessThan(2 * 1024 * 1024);
      expect(runtime.providerInUse).toBe('cpu');
    }
    expect(analytic.packHash).not.toBe(tiny.packHash);
  });

  it("analytic denoiser: the implied x0 = alpha x - sigma v is the key frames' linear interpolation", async () => {
    // [mask, K]: the last two are later chunks of a clip, whose mask holds global key indices into all K hints.
    const patterns: [number[], number][] = [
      [[0, -1, -1, 1, -1, -1, 2], 3],
      [[0, 1, 2], 3],
      [[0, -1, 1, -1, 2, -1, 3, -1, 4], 5],
      [[0, -1, -1, -1, -1, -1, -1, -1, 1], 2],
      [[0], 1],
      [[3, -1, 4, -1, 5], 7],
      [[1, 2], 4],
    ];
    let seed = 1;
    for (const [mask, keys] of patterns) {
      for (const t of [0, 1, 44, 250, 598, 899, 999]) {
        const dims = [1, 12, mask.length, 3, 5];
        const count = dims.reduce((a, b) => a * b, 1);
        const hintDims = [1, 12, keys, 3, 5];
        const x: Tensor = { dims, data: randomValues(count, seed++) };
        const hint: Tensor = { dims: hintDims, data: randomValues(12 * keys * 15, seed++) };
        const v = await analytic.denoise({
          x,
          t,
          context: await analytic.encodeText(''),
          hint,
          mask: BigInt64Array.from(mask.map(BigInt)),
          tHint: 0,
          sCond: 8,
        });
        expect(v.dims).toEqual(dims);
        const { alpha, sigma } = alphaSigma(t);
        const target = interpolate(hint.data, keys, dims, mask);
        let worst = 0;
        for (let i = 0; i < count; i++) worst = Math.max(worst, Math.abs(alpha * x.data[i] - sigma * v.data[i] - target[i]));
        expect(worst, `mask ${mask.join(',')} t ${t}`).toBeLessThan(1e-4);
      }
    }
  });

  it('analytic VAE round trip is exact, and encodes to 12 channels (+ 12 of log-variance) at half size', async () => {
    const images: Tensor = { dims: [2, 3, 8, 12], data: randomValues(2 * 3 * 8 * 12, 99) };
    const moments = await analytic.vaeEncode(images);
    expect(moments.dims).toEqual([2, 24, 4, 6]);
    // The posterior's log-variance is so low that a sample equals the mean: the first 12 channels of each frame.
    const frame = 24 * 4 * 6;
    const mean = new Float32Array(2 * frame / 2);
    for (let n = 0; n < 2; n++) mean.set(moments.data.subarray(n * frame, n * frame + frame / 2), (n * frame) / 2);
    expect(Math.max(...moments.data.subarray(frame / 2, frame))).toBe(-1000);
    const latents: Tensor = { dims: [2, 12, 4, 6], data: mean };
    const decoded = await analytic.vaeDecode(latents);
    expect(decoded.dims).toEqual(images.dims);
    expect(Array.from(decoded.data)).toEqual(Array.from(images.data));

    // Into the caller's buffer, which still holds another result: onnxruntime writes every value in place.
    const into = new Float32Array(images.data.length).fill(Number.NaN);
    const inPlace = await analytic.vaeDecode(latents, into);
    expect(inPlace.data).toBe(into);
    expect(Array.from(into)).toEqual(Array.from(images.data));
    await expect(analytic.vaeDecode(latents, new Float32Array(3))).rejects.toThrow(/output buffer has 3 values/);
  });

  it('packs without a text encoder give zero context shaped by the denoiser input', async () => {
    const context = await analytic.encodeText('anything');
    expect(context.dims).toEqual([1, 1, 1]);
    expect(Array.from(context.data)).toEqual([0]);
    expect((await analytic.encodeNegative()).dims).toEqual([1, 1, 1]);
  });

  it('tiny pack: text encoder, 8x VAE and the fp16 denoiser run with the contract shapes', async () => {
    // The text encoder's weights are ONNX external data beside the graph: the session must find them.
    expect(tiny.manifest.files.filter((f) => f.role === 'external-data').map((f) => f.path)).toEqual(['text_encoder.onnx.data']);
    const context = await tiny.encodeText('An astronaut flying in space');
    expect(context.dims).toEqual([1, 77, 1024]);
    expect(context.data.some((value) => value !== 0)).toBe(true);
    const other = await tiny.encodeText('a dog on the street');
    expect(Array.from(other.data.slice(0, 2048))).not.toEqual(Array.from(context.data.slice(0, 2048)));
    const negative = await tiny.encodeNegative();
    expect(negative.dims).toEqual([1, 77, 1024]);
    expect(Array.from((await tiny.encodeNegative()).data.slice(0, 64))).toEqual(Array.from(negative.data.slice(0, 64)));

    const moments = await tiny.vaeEncode({ dims: [3, 3, 32, 48], data: randomValues(3 * 3 * 32 * 48, 5) });
    expect(moments.dims).toEqual([3, 8, 4, 6]);
    // The posterior means (channels 0-3 of each frame) as latents, scaled as the engine stores them.
    const mean = new Float32Array(3 * 4 * 24);
    for (let n = 0; n < 3; n++) mean.set(moments.data.subarray(n * 8 * 24, n * 8 * 24 + 4 * 24), n * 4 * 24);
    const latents: Tensor = { dims: [3, 4, 4, 6], data: mean.map((v) => v * 0.18215) };
    const images = await tiny.vaeDecode(latents);
    expect(images.dims).toEqual([3, 3, 32, 48]);
    expect(images.data.every((value) => value >= -1 && value <= 1)).toBe(true);

    const dims = [1, 4, 3, 4, 6];
    const x: Tensor = { dims, data: randomValues(72 * 4, 6) };
    const hint: Tensor = { dims: [1, 4, 2, 4, 6], data: randomValues(48 * 4, 7) };
    const mask = BigInt64Array.from([0n, -1n, 1n]);
    const v = await tiny.denoise({ x, t: 899, context, hint, mask, tHint: 249, sCond: 8 });
    expect(v.dims).toEqual(dims);
    expect(v.data.every(Number.isFinite)).toBe(true);
    // The prediction depends on every conditioning input.
    const changed = await tiny.denoise({ x, t: 899, context: negative, hint, mask, tHint: 249, sCond: 8 });
    expect(Array.from(changed.data)).not.toEqual(Array.from(v.data));
    const otherT = await tiny.denoise({ x, t: 500, context, hint, mask, tHint: 249, sCond: 8 });
    expect(Array.from(otherT.data)).not.toEqual(Array.from(v.data));
  });

  it('tokenizer pads to 77 tokens, and cuts long prompts keeping the end token', async () => {
    const dir = builtinPackDir('tiny-venhancer-test');
    const runtimeManifest = tiny.manifest;
    const text = runtimeManifest.text!;
    const tokenizer = await loadPromptTokenizer(path.join(dir, text.tokenizer), text, 'tiny');
    const short = tokenizer.encode('A cinematic video');
    expect(short).toHaveLength(77);
    expect(short[0]).toBe(0); // <|startoftext|>
    const end = short.indexOf(1); // <|endoftext|>
    expect(end).toBeGreaterThan(1);
    expect(short.slice(end)).toEqual(new Array(77 - end).fill(text.padTokenId));
    const long = tokenizer.encode('sharp '.repeat(200));
    expect(long).toHaveLength(77);
    expect(long[76]).toBe(1);
    expect(tokenizer.encodePrompt('a dog')).toEqual(tokenizer.encode('a dog' + text.positiveSuffix));
    expect(tokenizer.encodeNegative()).toEqual(tokenizer.encode(text.negativePrompt));
  });
});

describe('hash cache', () => {
  it('hashes each file once: a second verify reads no file content, even from a new process', async () => {
    const { dir, cleanup } = makeTempDir('upframe-pack-hash-');
    try {
      const cacheFile = path.join(dir, 'hashes.json');
      const packDir = builtinPackDir('tiny-venhancer-test');
      const first = new HashCache(cacheFile);
      const verified = await verifyPack(packDir, { hashCache: first });
      expect(first.stats.hashed).toBe(verified.manifest.files.length);
      await verifyPack(packDir, { hashCache: first });
      expect(first.stats.hashed).toBe(verified.manifest.files.length);
      expect(first.stats.hits).toBe(verified.manifest.files.length);

      const reopened = new HashCache(cacheFile);
      const again = await verifyPack(packDir, { hashCache: reopened });
      expect(reopened.stats.hashed).toBe(0);
      expect(again.packHash).toBe(verified.packHash);
    } finally {
      cleanup();
    }
  });

  it('re-hashes a file whose mtime changed', async () => {
    const { dir, cleanup } = makeTempDir('upframe-pack-hash-');
    try {
      const file = path.join(dir, 'data.bin');
      require('node:fs').writeFileSync(file, 'hello');
      const cache = new HashCache(path.join(dir, 'hashes.json'));
      const hash = await cache.sha256(file);
      expect(hash).toBe('2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
      await cache.sha256(file);
      expect(cache.stats.hashed).toBe(1);
      utimesSync(file, new Date(), new Date(Date.now() + 5000));
      expect(await cache.sha256(file)).toBe(hash);
      expect(cache.stats.hashed).toBe(2);
    } finally {
      cleanup();
    }
  });
});

describe('session lifetime', () => {
  it('releases idle sessions and reopens them on the next call', async () => {
    // Long enough that the three sessions opened by loadPack's check are all still open when it returns, even on a
    // loaded machine (50 ms let the first close while the last was still opening).
    const runtime = await loadPack(builtinPackDir('analytic-test'), CPU, { idleReleaseMs: 1500 });
    try {
      expect(runtime).toBeInstanceOf(OnnxPackRuntime);
      const onnx = runtime as OnnxPackRuntime;
      expect(onnx.stats.sessionsOpened).toBe(3);
      expect(onnx.openGraphs().sort()).toEqual(['denoiser', 'vae_decoder', 'vae_encoder']);
      await waitFor(() => onnx.openGraphs().length === 0);
      expect(onnx.stats.sessionsReleased).toBe(3);

      const images: Tensor = { dims: [1, 3, 4, 4], data: randomValues(48, 3) };
      const latents = await runtime.vaeEncode(images);
      expect(latents.dims).toEqual([1, 24, 2, 2]);
      expect(onnx.stats.sessionsOpened).toBe(4);
      expect(onnx.openGraphs()).toEqual(['vae_encoder']);
      await waitFor(() => onnx.openGraphs().length === 0);
    } finally {
      await runtime.release();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

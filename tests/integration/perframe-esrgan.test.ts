// The built-in ESRGAN (thick) pack, converted from @upscalerjs/esrgan-thick by the app's converter, reproduces the
// original library's own results: for x2, x3, x4 and x8, the pack's output on the package's fixture.png is within
// one step of 255 of samples/<s>x/result.png on every pixel. Real onnxruntime-node, PNGs decoded by real ffmpeg.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PackRegistry } from '../../main/engine/pack/registry';
import { verifyPerFramePack } from '../../main/engine/pack/per-frame-manifest';
import { esrganPackageDir, writeEsrganPack } from '../../main/engine/perframe/esrgan-converter';
import { PerFrameModel } from '../../main/engine/perframe/per-frame-model';
import type { ExecutionOptions, RgbFrame } from '../../main/engine/types';
import { FFMPEG, makeTempDir } from '../helpers/media-fixtures';

const CPU: ExecutionOptions = { provider: 'cpu', deviceId: 0, threads: 0, fp16: false, allowCpuFallback: false };
let packDir: string;
let cleanup: () => void;
let packageDir: string;

function decodePng(file: string): RgbFrame {
  const probe = execFileSync(FFMPEG.replace(/ffmpeg$/, 'ffprobe'), ['-v', 'error', '-show_entries', 'stream=width,height', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  const [width, height] = probe.trim().split(',').map(Number);
  const data = execFileSync(FFMPEG, ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 << 20 });
  return { width, height, data: new Uint8Array(data) };
}

beforeAll(async () => {
  const dir = esrganPackageDir();
  if (!dir) throw new Error('@upscalerjs/esrgan-thick is not installed: npm ci installs it (it is a dependency).');
  packageDir = dir;
  let tempDir: string;
  ({ dir: tempDir, cleanup } = makeTempDir('upframe-esrgan-'));
  packDir = await writeEsrganPack(packageDir, path.join(tempDir, 'esrgan-thick'));
}, 300_000);
afterAll(() => cleanup?.());

describe('built-in ESRGAN (thick) pack', () => {
  it('is a verified per-frame pack with x2, x3, x4 and x8, listed as a real built-in pack', async () => {
    const { manifest } = await verifyPerFramePack(packDir);
    expect(manifest.models.map((m) => m.scale)).toEqual([2, 3, 4, 8]);
    expect(manifest.testPack).toBe(false);
    const registry = new PackRegistry({ dir: path.join(packDir, '..', 'user-packs'), builtinDirs: [packDir] });
    const [entry] = await registry.list();
    expect(entry).toMatchObject({ id: 'esrgan-thick@1.0.0', family: 'per-frame', builtin: true, testPack: false, status: 'ok' });
    expect(entry.label).toBe('ESRGAN (thick) (x2, x3, x4, x8)');
    expect(entry.label).not.toMatch(/test/i);
    expect(await registry.resolve(null, 'per-frame')).toBe(packDir);
  });

  it('converts reproducibly: a second conversion writes byte-identical graphs', async () => {
    const { dir, cleanup: done } = makeTempDir('upframe-esrgan-again-');
    try {
      const again = await writeEsrganPack(packageDir, path.join(dir, 'again'));
      const a = (await verifyPerFramePack(packDir)).manifest.files;
      const b = (await verifyPerFramePack(again)).manifest.files;
      expect(b).toEqual(a);
    } finally {
      done();
    }
  }, 300_000);

  for (const scale of [2, 3, 4, 8]) {
    it(`x${scale} reproduces the original library's result on fixture.png within 1/255 on every pixel`, async () => {
      const fixture = decodePng(path.join(packageDir, 'assets', 'fixture.png'));
      const expected = decodePng(path.join(packageDir, 'assets', 'samples', `${scale}x`, 'result.png'));
      const model = await PerFrameModel.open(path.join(packDir, `x${scale}.onnx`), CPU, { expectedScale: scale });
      try {
        const out = await model.upscale(fixture);
        expect([out.width, out.height]).toEqual([expected.width, expected.height]);
        let worst = 0;
        for (let i = 0; i < out.data.length; i++) worst = Math.max(worst, Math.abs(out.data[i] - expected.data[i]));
        expect(worst).toBeLessThanOrEqual(1);
      } finally {
        await model.release();
      }
    }, 300_000);
  }
});

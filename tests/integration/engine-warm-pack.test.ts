// The engine process keeps the last pack open between jobs (the chunk renderer runs one job per few frames), and
// opens it again only for another pack. Real child process, real onnxruntime-node (CPU), real ffmpeg.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultClipSettings } from '../../main/common/settings';
import { defaultExecutionOptions } from '../../main/engine/execution';
import { builtinPackDir, type BuiltinPackName } from '../../main/engine/pack/builtin';
import { EngineHost } from '../../main/engine/process/engine-host';
import type { EnhanceJobSpec } from '../../main/engine/types';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

let tmp: { dir: string; cleanup: () => void };
let clip: string;
let host: EngineHost;
const logs: string[] = [];

beforeAll(() => {
  tmp = makeTempDir('upframe-warm-pack-');
  clip = makeTestVideo(tmp.dir, { name: 'clip', width: 48, height: 32, fps: 8, durationSec: 1 });
  host = new EngineHost({ log: (m) => logs.push(m) });
});
afterAll(async () => {
  await host.dispose();
  tmp.cleanup();
});

function spec(pack: BuiltinPackName, name: string): EnhanceJobSpec {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  return {
    input: clip,
    settings: { ...defaultClipSettings(), engine: 'diffusion', scale: 1, noise: 0, steps: 2 },
    packDir: builtinPackDir(pack),
    execution: defaultExecutionOptions({ provider: 'cpu' }),
    output: { kind: 'video', path: path.join(dir, 'out.mp4') },
  };
}

const denoiserOpens = () => logs.filter((m) => /opened denoiser session/.test(m)).length;

describe('engine process pack reuse', () => {
  it('opens a pack once for consecutive jobs and again for another pack', async () => {
    await host.run(spec('analytic-test', 'a1'));
    expect(denoiserOpens()).toBe(1);
    await host.run(spec('analytic-test', 'a2'));
    expect(denoiserOpens()).toBe(1);
    await host.run(spec('tiny-venhancer-test', 't1'));
    expect(denoiserOpens()).toBe(2);
    await host.run(spec('analytic-test', 'a3'));
    expect(denoiserOpens()).toBe(3);
  });
});

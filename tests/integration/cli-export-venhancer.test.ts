// `upframe packs export-venhancer` as a user runs it: bad input exits 2 with a message naming the file.
// (The export itself, its refusals and cancellation are in venhancer-export.test.ts.)
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../helpers/media-fixtures';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'main', 'cli', 'upframe.ts');
const TSX = pathToFileURL(require.resolve('tsx', { paths: [ROOT] })).href;

function upframe(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', TSX, CLI, ...args], { cwd: tmp.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let tmp: { dir: string; cleanup: () => void };
beforeAll(() => {
  tmp = makeTempDir('upframe-cli-venhancer-');
  mkdirSync(path.join(tmp.dir, 'vae'));
  writeFileSync(path.join(tmp.dir, 'vae', 'config.json'), JSON.stringify({ _class_name: 'AutoencoderKL', in_channels: 3 }));
  writeFileSync(path.join(tmp.dir, 'venhancer_v2.pt'), 'not a checkpoint');
  writeFileSync(path.join(tmp.dir, 'clip.bin'), 'not a checkpoint');
});
afterAll(() => tmp.cleanup());

describe('upframe packs export-venhancer: bad input exits 2', () => {
  it('names the missing files', async () => {
    const r = await upframe(['packs', 'export-venhancer', '-o', 'pack']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give --checkpoint, --vae, --clip: the VEnhancer checkpoint \(venhancer_v2\.pt\)/);
  });

  it('a checkpoint that does not exist', async () => {
    const r = await upframe(['packs', 'export-venhancer', '--checkpoint', 'nope.pt', '--vae', 'vae', '--clip', 'clip.bin', '-o', 'pack']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--checkpoint ${path.join(tmp.dir, 'nope.pt')}: no such file`);
  });

  it('a VAE folder of another architecture, named in the message', async () => {
    const r = await upframe(['packs', 'export-venhancer', '--checkpoint', 'venhancer_v2.pt', '--vae', 'vae', '--clip', 'clip.bin', '-o', 'pack']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(path.join(tmp.dir, 'vae', 'config.json'));
    expect(r.stderr).toMatch(/another architecture/);
  }, 120_000);

  it('an output folder that is not empty', async () => {
    mkdirSync(path.join(tmp.dir, 'full'));
    writeFileSync(path.join(tmp.dir, 'full', 'x'), 'x');
    const r = await upframe(['packs', 'export-venhancer', '--random-weights', '-o', 'full']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists and is not empty/);
  });
});

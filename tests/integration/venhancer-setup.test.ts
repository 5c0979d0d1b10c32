// Add VEnhancer… through the real dispatcher and services: Python found, the three downloads found in a folder
// tree, the real exporter (tiny model configurations, files in the released formats made at test time) writing
// straight into the packs folder, then installed by a rename, with progress events; a refusal naming the file, a
// duplicate, a cancel and a second start while one runs, each leaving no pack and no staging folder behind.
// Needs /usr/bin/python3 with torch, onnx and numpy.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyEvent } from '../../main/common/api';
import type { VenhancerJob } from '../../main/common/venhancer-setup-model';
import { createServices, type Services } from '../../main/services/services';
import { makeTempDir } from '../helpers/media-fixtures';
import { call, callError } from '../helpers/services';

const ROOT = path.resolve(__dirname, '..', '..');
const HELPER = path.join(ROOT, 'tests', 'helpers', 'venhancer_inputs.py');
const TIMEOUT = 600_000;

let tmp: { dir: string; cleanup: () => void };
let made: string;
let downloads: string;
let services: Services;
let userData: string;
const events: VenhancerJob[] = [];

function helper(...args: string[]): void {
  const r = spawnSync('/usr/bin/python3', [HELPER, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`venhancer_inputs.py ${args.join(' ')} failed: ${r.stderr}`);
}

/** The helper's files laid out as a person's downloads: one folder per repository, under their released names. */
function layOut(from: string, to: string): void {
  fs.mkdirSync(path.join(to, 'VEnhancer'), { recursive: true });
  fs.mkdirSync(path.join(to, 'stable-video-diffusion-img2vid'), { recursive: true });
  fs.copyFileSync(path.join(from, 'checkpoint.pt'), path.join(to, 'VEnhancer', 'venhancer_v2.pt'));
  fs.cpSync(path.join(from, 'vae'), path.join(to, 'stable-video-diffusion-img2vid', 'vae'), { recursive: true });
  fs.copyFileSync(path.join(from, 'clip.bin'), path.join(to, 'open_clip_pytorch_model.bin'));
}

function inputsIn(dir: string) {
  return {
    checkpoint: path.join(dir, 'VEnhancer', 'venhancer_v2.pt'),
    vae: path.join(dir, 'stable-video-diffusion-img2vid', 'vae'),
    clip: path.join(dir, 'open_clip_pytorch_model.bin'),
  };
}

/** Resolves with the job once it has ended (done, failed or cancelled). */
async function ended(id: string): Promise<VenhancerJob> {
  for (;;) {
    const { job } = await call(services, 'packs.venhancerStatus', {});
    if (job?.id === id && !['exporting', 'installing'].includes(job.state)) return job;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Only installed packs: no staging folder, no exporter temporary folder. */
function packsFolder(): string[] {
  const dir = path.join(userData, 'packs');
  return fs.existsSync(dir) ? fs.readdirSync(dir).sort() : [];
}

beforeAll(() => {
  tmp = makeTempDir('upframe-venhancer-setup-');
  made = path.join(tmp.dir, 'made');
  helper('inputs', made);
  downloads = path.join(tmp.dir, 'downloads');
  layOut(made, downloads);
  userData = path.join(tmp.dir, 'user');
  services = createServices({
    userDataDir: userData,
    host: 'web',
    log: () => {},
    mediaWatchMs: 0,
    builtinPackDirs: [],
    venhancerTinyConfig: path.join(made, 'tiny.json'),
  });
  services.subscribe((e: AnyEvent) => {
    if (e.event === 'packs.venhancerUpdated') events.push(e.payload);
  });
}, TIMEOUT);
afterAll(async () => {
  await services?.close();
  tmp?.cleanup();
});

describe('Add VEnhancer', () => {
  it('finds Python with torch, onnx and numpy, and the three downloads two folders down', async () => {
    const status = await call(services, 'packs.venhancerStatus', {});
    expect(status.python).toMatchObject({ ok: true, message: null, installCommand: null });
    expect(status.job).toBeNull();
    expect(await call(services, 'packs.venhancerLocate', { dir: downloads })).toEqual(inputsIn(downloads));
    // A folder with only some of them: the others are null, not guessed.
    expect(await call(services, 'packs.venhancerLocate', { dir: path.join(downloads, 'VEnhancer') })).toEqual({
      checkpoint: inputsIn(downloads).checkpoint,
      vae: null,
      clip: null,
    });
    const missing = await callError(services, 'packs.venhancerLocate', { dir: path.join(tmp.dir, 'nowhere') });
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toContain(path.join(tmp.dir, 'nowhere'));
  });

  it('refuses a path that does not exist before starting anything', async () => {
    const error = await callError(services, 'packs.venhancerStart', { ...inputsIn(downloads), clip: path.join(downloads, 'nope.bin') });
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.message).toContain(`${path.join(downloads, 'nope.bin')}: no such file`);
    expect((await call(services, 'packs.venhancerStatus', {})).job).toBeNull();
  });

  it(
    'exports and installs the pack in the background, with progress, and lists it',
    async () => {
      events.length = 0;
      const job = await call(services, 'packs.venhancerStart', inputsIn(downloads));
      expect(job.state).toBe('exporting');
      // One at a time.
      const second = await callError(services, 'packs.venhancerStart', inputsIn(downloads));
      expect(second.code).toBe('CONFLICT');
      const done = await ended(job.id);
      expect(done.error).toBeNull();
      expect(done.state).toBe('done');
      expect(done.packId).toMatch(/@/);
      // Progress went out as events: stages of the exporter, fractions that only grow, an ETA, then installing.
      const exporting = events.filter((e) => e.state === 'exporting');
      expect(exporting.length).toBeGreaterThan(3);
      expect(exporting.some((e) => /^Denoiser \(1\/\d\)/.test(e.stage))).toBe(true);
      expect(exporting.some((e) => e.etaSec !== null)).toBe(true);
      const fractions = exporting.map((e) => e.fraction);
      expect(fractions.every((f, i) => i === 0 || f >= fractions[i - 1] - 1e-9)).toBe(true);
      expect(events.map((e) => e.state)).toContain('installing');
      expect(events.at(-1)!.state).toBe('done');

      const packs = await call(services, 'packs.list', {});
      const installed = packs.find((p) => p.id === done.packId)!;
      // The tiny configurations export a pack of the tiny-test family (a test pack); the real files give 'venhancer'.
      expect(installed).toMatchObject({ status: 'ok', family: 'tiny-test', builtin: false, testPack: true });
      expect(installed.sizeBytes).toBeGreaterThan(0);
      // Installed by a rename: the pack's folder and nothing else.
      expect(packsFolder()).toHaveLength(1);
      expect(packsFolder()[0].startsWith('.')).toBe(false);
    },
    TIMEOUT,
  );

  it(
    'a second export of the same model ends failed, saying it is installed, and leaves nothing behind',
    async () => {
      const before = packsFolder();
      const job = await call(services, 'packs.venhancerStart', inputsIn(downloads));
      const done = await ended(job.id);
      expect(done.state).toBe('failed');
      expect(done.error).toMatch(/is already installed.*Remove it first/);
      expect(packsFolder()).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    'a VAE of another architecture fails naming its config.json; nothing is installed',
    async () => {
      const damaged = path.join(tmp.dir, 'damaged');
      fs.cpSync(made, damaged, { recursive: true });
      helper('damage', damaged, 'other-vae');
      const before = packsFolder();
      const job = await call(services, 'packs.venhancerStart', { checkpoint: path.join(damaged, 'checkpoint.pt'), vae: path.join(damaged, 'vae'), clip: path.join(damaged, 'clip.bin') });
      const done = await ended(job.id);
      expect(done.state).toBe('failed');
      expect(done.errorFile).toBe(path.join(damaged, 'vae', 'config.json'));
      expect(done.error).toMatch(/another architecture/);
      expect(packsFolder()).toEqual(before);
    },
    TIMEOUT,
  );

  it(
    'cancel stops the exporter: the job ends cancelled and no staging folder is left',
    async () => {
      const before = packsFolder();
      events.length = 0;
      const job = await call(services, 'packs.venhancerStart', inputsIn(downloads));
      // Cancel once the exporter has reported progress, so it is really running (not refused at start). Its first
      // report comes after Python has imported torch and exported a first graph: on a loaded two-core machine (the
      // other test files run beside this one) that took over a minute, so the wait is bounded by the clock and by
      // the job itself ending, not by a count of short sleeps.
      const deadline = Date.now() + TIMEOUT / 2;
      while (!events.some((e) => e.id === job.id && e.fraction > 0)) {
        const { job: now } = await call(services, 'packs.venhancerStatus', {});
        if (now?.id === job.id && !['exporting', 'installing'].includes(now.state)) {
          throw new Error(`the exporter ended (${now.state}: ${now.error ?? now.stage}) before it reported progress`);
        }
        if (Date.now() > deadline) throw new Error(`the exporter reported no progress in ${TIMEOUT / 2000} s`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await call(services, 'packs.venhancerCancel', {})).toEqual({ cancelled: true });
      const done = await ended(job.id);
      expect(done.state).toBe('cancelled');
      expect(packsFolder()).toEqual(before);
      expect(await call(services, 'packs.venhancerCancel', {})).toEqual({ cancelled: false });
    },
    TIMEOUT,
  );
});

// Encoder trial encodes with the real ffmpeg: a software encoder passes, a made-up hardware device fails with a
// reason, and verdicts are kept per ffmpeg binary in memory and in the cache file (a changed binary is probed again).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { codecDefinition, listCodecs } from '../../main/export/codecs';
import { binaryKey, EncoderProbeCache, failureReason, probeArgs, type ProbeRunner } from '../../main/export/encoder-probe';
import { runTool } from '../../main/media/run-process';
import { locateFfmpeg } from '../../main/media/ffmpeg-locate';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'upframe-probe-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The real trial encode, counted. */
function countingRunner(): { run: ProbeRunner; calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    run: async (ffmpeg, args) => {
      calls.push(args[args.indexOf('-c:v') + 1]);
      await runTool(ffmpeg, args, { timeoutMs: 20_000 });
    },
  };
}

const x264 = codecDefinition('h264');
// VA-API against a device path that cannot exist: fails on every machine, whatever GPU it has.
const vaapi = { ...codecDefinition('h264_vaapi'), globalArgs: ['-vaapi_device', path.join(dir, 'no-such-render-node')] };

describe('encoder probe', () => {
  const { ffmpeg } = locateFfmpeg();

  it('runs a tiny real encode per encoder and says why a failing one cannot be used', async () => {
    const { run, calls } = countingRunner();
    const cache = new EncoderProbeCache(null, () => {}, run);
    const verdicts = await cache.verdicts(ffmpeg, [x264, vaapi]);
    expect(verdicts.get('libx264')).toEqual({ ok: true, reason: null });
    const failed = verdicts.get('h264_vaapi')!;
    expect(failed.ok).toBe(false);
    expect(failed.reason).toMatch(/^h264_vaapi needs a VA-API GPU device/);
    expect(calls.sort()).toEqual(['h264_vaapi', 'libx264']);

    // Asked again: nothing is probed twice.
    await cache.verdicts(ffmpeg, [x264, vaapi]);
    expect(calls).toHaveLength(2);
  });

  it('keeps verdicts per binary in the cache file and probes a changed binary again', async () => {
    const file = path.join(dir, 'cache', 'encoder-probes.json');
    const copy = path.join(dir, 'ffmpeg-copy');
    fs.copyFileSync(fs.realpathSync(ffmpeg), copy);
    fs.chmodSync(copy, 0o755);

    const first = countingRunner();
    await new EncoderProbeCache(file, () => {}, first.run).verdicts(copy, [x264]);
    expect(first.calls).toEqual(['libx264']);
    const stored = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(stored.binaries[binaryKey(copy)].libx264).toEqual({ ok: true, reason: null });

    // A new launch (a new cache object) reads the file: no trial encode.
    const second = countingRunner();
    const again = await new EncoderProbeCache(file, () => {}, second.run).verdicts(copy, [x264]);
    expect(again.get('libx264')?.ok).toBe(true);
    expect(second.calls).toEqual([]);

    // The binary changes (an upgrade): its key changes, so it is probed again.
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(copy, later, later);
    const third = countingRunner();
    await new EncoderProbeCache(file, () => {}, third.run).verdicts(copy, [x264]);
    expect(third.calls).toEqual(['libx264']);
  });

  it('ignores a damaged cache file and probes again', async () => {
    const file = path.join(dir, 'damaged.json');
    fs.writeFileSync(file, '{ not json');
    const logs: string[] = [];
    const runner = countingRunner();
    const verdicts = await new EncoderProbeCache(file, (m) => logs.push(m), runner.run).verdicts(ffmpeg, [x264]);
    expect(verdicts.get('libx264')?.ok).toBe(true);
    expect(runner.calls).toEqual(['libx264']);
    expect(logs.join('\n')).toMatch(/Ignoring the encoder probe cache/);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).version).toBe(1);
  });

  it('lists unavailable codecs with the reason', () => {
    const verdicts = new Map([
      ['libx264', { ok: true, reason: null }],
      ['h264_nvenc', { ok: false, reason: 'h264_nvenc needs an NVIDIA GPU with its driver; the trial encode failed: Cannot load libcuda.so.1' }],
    ]);
    const codecs = listCodecs(new Set(['libx264', 'h264_nvenc']), verdicts);
    expect(codecs.find((c) => c.id === 'h264')).toMatchObject({ available: true, reason: null });
    expect(codecs.find((c) => c.id === 'h264_nvenc')).toMatchObject({ available: false, reason: expect.stringContaining('NVIDIA GPU') });
    expect(codecs.find((c) => c.id === 'h265')).toMatchObject({ available: false, reason: 'This ffmpeg build has no libx265 encoder.' });
  });

  it('names the hardware and keeps ffmpeg\'s own line, without the generic trailer', () => {
    const reason = failureReason('h264_nvenc', '[h264_nvenc @ 0x1] Cannot load libcuda.so.1\nError while opening encoder for output stream #0:0\nConversion failed!');
    expect(reason).toBe('h264_nvenc needs an NVIDIA GPU with its driver; the trial encode failed: [h264_nvenc @ 0x1] Cannot load libcuda.so.1');
    expect(probeArgs(x264)).toEqual(expect.arrayContaining(['-f', 'null', '-frames:v', '5']));
  });
});

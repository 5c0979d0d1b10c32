// Whether each export encoder really works here. `ffmpeg -encoders` lists what the build was compiled with, not
// what this machine can run: NVENC is listed without an NVIDIA GPU, VA-API without a render device. So each listed
// encoder is tried once with a tiny real encode (a fraction of a second of a solid colour to the null muxer), and
// the verdict is kept per ffmpeg binary (path, size and mtime: a new ffmpeg is probed again), in memory and in a
// JSON file in the user data folder, so later launches list the codecs at once.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { runTool, stderrTail, ToolError } from '../media/run-process';
import type { CodecDefinition } from './codecs';

export type EncoderVerdict = { ok: boolean; reason: string | null };

const CacheFileSchema = z.object({
  version: z.literal(1),
  binaries: z.record(z.string(), z.record(z.string(), z.object({ ok: z.boolean(), reason: z.string().nullable() }))),
});
type CacheFile = z.infer<typeof CacheFileSchema>;

/** The identity of an ffmpeg binary: its real path, size and modification time. */
export function binaryKey(ffmpeg: string): string {
  const real = fs.realpathSync(ffmpeg);
  const stat = fs.statSync(real);
  return `${real}|${stat.size}|${Math.round(stat.mtimeMs)}`;
}

/** The arguments of the trial encode: 256x144 (above every hardware encoder's minimum size), 5 frames. */
export function probeArgs(def: CodecDefinition): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...(def.globalArgs ?? []),
    '-f',
    'lavfi',
    '-i',
    'color=c=gray:s=256x144:r=25:d=0.2',
    ...(def.filterSuffix ? ['-vf', def.filterSuffix] : []),
    ...def.args(def.qualityModes.includes('crf') ? { mode: 'crf', crf: 23 } : { mode: 'bitrate', kbps: 1000 }),
    '-frames:v',
    '5',
    '-f',
    'null',
    '-',
  ];
}

/** Why an encoder that ffmpeg lists cannot run: the hardware it needs, then ffmpeg's own last line. */
export function failureReason(encoder: string, stderr: string): string {
  const needs = /nvenc/.test(encoder)
    ? 'needs an NVIDIA GPU with its driver'
    : /qsv/.test(encoder)
      ? 'needs an Intel GPU with Quick Sync'
      : /vaapi/.test(encoder)
        ? 'needs a VA-API GPU device (/dev/dri/renderD128)'
        : /videotoolbox/.test(encoder)
          ? 'needs macOS VideoToolbox'
          : /amf/.test(encoder)
            ? 'needs an AMD GPU with the AMF driver'
            : 'does not run with this ffmpeg';
  const lines = stderrTail(stderr, 3)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^Conversion failed|^Error while opening encoder|^Error initializing output stream|^Could not open encoder before EOF/i.test(l));
  const detail = lines[0];
  return detail ? `${encoder} ${needs}; the trial encode failed: ${detail}` : `${encoder} ${needs}; the trial encode failed.`;
}

export type ProbeRunner = (ffmpeg: string, args: string[]) => Promise<void>;

const runProbe: ProbeRunner = async (ffmpeg, args) => {
  await runTool(ffmpeg, args, { timeoutMs: 20_000, maxOutputBytes: 1024 * 1024 });
};

export class EncoderProbeCache {
  private readonly memory = new Map<string, Map<string, Promise<EncoderVerdict>>>();

  constructor(
    /** The JSON file that keeps verdicts across launches; null keeps them in memory only. */
    private readonly file: string | null,
    private readonly log: (message: string) => void,
    private readonly run: ProbeRunner = runProbe,
  ) {}

  /** Each encoder's verdict for this ffmpeg, probing (at most two at a time) only what was never probed. */
  async verdicts(ffmpeg: string, defs: CodecDefinition[]): Promise<Map<string, EncoderVerdict>> {
    const key = binaryKey(ffmpeg);
    let known = this.memory.get(key);
    if (!known) {
      known = new Map();
      const stored = this.readFile().binaries[key] ?? {};
      for (const [encoder, verdict] of Object.entries(stored)) known.set(encoder, Promise.resolve(verdict));
      this.memory.set(key, known);
    }
    const missing = defs.filter((d) => !known.has(d.encoder));
    const slots: Promise<void>[] = [];
    let next = 0;
    const worker = async () => {
      while (next < missing.length) {
        const def = missing[next++];
        const verdict = this.probe(ffmpeg, def);
        known.set(def.encoder, verdict);
        await verdict;
      }
    };
    for (let i = 0; i < Math.min(2, missing.length); i++) slots.push(worker());
    await Promise.all(slots);
    const result = new Map<string, EncoderVerdict>();
    for (const def of defs) result.set(def.encoder, await known.get(def.encoder)!);
    if (missing.length > 0) this.writeFile(key, result);
    return result;
  }

  private async probe(ffmpeg: string, def: CodecDefinition): Promise<EncoderVerdict> {
    try {
      await this.run(ffmpeg, probeArgs(def));
      return { ok: true, reason: null };
    } catch (error) {
      const stderr = error instanceof ToolError ? error.stderr : String((error as Error).message ?? error);
      const reason = error instanceof ToolError && error.failure === 'timeout' ? `${def.encoder} did not finish a 5-frame trial encode in 20 s.` : failureReason(def.encoder, stderr);
      this.log(`Export encoder ${def.encoder} is unavailable: ${reason}`);
      return { ok: false, reason };
    }
  }

  private readFile(): CacheFile {
    const empty: CacheFile = { version: 1, binaries: {} };
    if (!this.file) return empty;
    try {
      const parsed = CacheFileSchema.safeParse(JSON.parse(fs.readFileSync(this.file, 'utf8')));
      if (parsed.success) return parsed.data;
      this.log(`Ignoring the encoder probe cache ${this.file}: it does not have the expected shape; the encoders are probed again.`);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.log(`Ignoring the encoder probe cache ${this.file}: ${(error as Error).message}`);
    }
    return empty;
  }

  /** Verdicts of other ffmpeg binaries stay; the file is replaced by rename, so it is never half written. */
  private writeFile(key: string, verdicts: Map<string, EncoderVerdict>): void {
    if (!this.file) return;
    const data = this.readFile();
    data.binaries[key] = { ...(data.binaries[key] ?? {}), ...Object.fromEntries(verdicts) };
    const temp = `${this.file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(temp, `${JSON.stringify(data, null, 2)}\n`);
      fs.renameSync(temp, this.file);
    } catch (error) {
      fs.rmSync(temp, { force: true });
      // The verdicts still hold in memory; only the next launch probes again.
      this.log(`Could not save the encoder probe cache ${this.file}: ${(error as Error).message}`);
    }
  }
}

// Turns `upframe render` options into an ExportSpec. Every message names the option and what it accepts; the
// ExportSpec schema does the range checks, so the command accepts exactly what the export dialog accepts.
import path from 'node:path';
import type { Rational } from '../common/model';
import { ExportCodecIdSchema, ExportSpecSchema, type ExportCodecId, type ExportSpec } from '../common/render-model';
import { codecDefinition } from '../export/codecs';
import { BadInputError } from './enhance-options';

export type RenderCliOptions = {
  output: string;
  range?: string;
  codec?: string;
  crf?: number;
  bitrate?: number;
  audio?: string;
  conform?: string;
  rateConversion?: string;
  overwrite?: boolean;
  dataDir?: string;
  farm?: string;
};

export function parseRange(text: string | undefined): ExportSpec['range'] {
  if (text === undefined || text === 'timeline') return { kind: 'timeline' };
  if (text === 'marks') return { kind: 'marks' };
  const match = /^clips:(.+)$/.exec(text);
  if (match) {
    const ids = match[1].split(',').map((s) => s.trim());
    if (ids.some((id) => !/^\d+$/.test(id))) throw new BadInputError(`--range ${text}: clip ids are whole numbers, as in clips:3,7.`);
    return { kind: 'clips', clipIds: ids.map(Number) };
  }
  throw new BadInputError(`--range ${text} is not allowed. Allowed: timeline, marks, or clips:ID,ID (clip ids).`);
}

function parseRate(text: string): Rational | null {
  const fraction = /^(\d+)\/(\d+)$/.exec(text);
  if (fraction && Number(fraction[1]) > 0 && Number(fraction[2]) > 0) return { num: Number(fraction[1]), den: Number(fraction[2]) };
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > 240) return null;
  // Decimal rates as exact fractions: 29.97 -> 30000/1001, 23.976 -> 24000/1001, otherwise thousandths.
  for (const base of [24, 30, 60, 120]) if (Math.abs(value - (base * 1000) / 1001) < 0.01) return { num: base * 1000, den: 1001 };
  if (Number.isInteger(value)) return { num: value, den: 1 };
  return { num: Math.round(value * 1000), den: 1000 };
}

export function parseConform(text: string | undefined): ExportSpec['conform'] {
  if (text === undefined || text === 'first') return { policy: 'first' };
  if (text === 'largest') return { policy: 'largest' };
  if (text === 'project') return { policy: 'project' };
  const match = /^(\d+)x(\d+)@(.+)$/.exec(text);
  const fps = match ? parseRate(match[3]) : null;
  if (!match || !fps) {
    throw new BadInputError(`--conform ${text} is not allowed. Allowed: first, largest, project, or WIDTHxHEIGHT@FPS (as in 1920x1080@24 or 1280x720@30000/1001).`);
  }
  return { policy: 'custom', width: Number(match[1]), height: Number(match[2]), fps };
}

/** The codec: --codec, else from the output's extension (.mov: ProRes; no extension: PNG frames; else H.264). */
export function chooseCodec(output: string, codec: string | undefined): ExportCodecId {
  const ext = path.extname(output).toLowerCase();
  let id: ExportCodecId;
  if (codec !== undefined) {
    const parsed = ExportCodecIdSchema.safeParse(codec);
    if (!parsed.success) throw new BadInputError(`--codec ${codec} is not allowed. Allowed: ${ExportCodecIdSchema.options.join(', ')}.`);
    id = parsed.data;
  } else {
    id = ext === '.mov' ? 'prores_hq' : ext === '' ? 'png' : 'h264';
  }
  const container = codecDefinition(id).container;
  if (container === 'png' && ext !== '') {
    throw new BadInputError(`-o ${output}: a PNG sequence is written to a folder; give a folder name without an extension.`);
  }
  if (container !== 'png' && ext !== `.${container}`) {
    throw new BadInputError(`-o ${output}: ${codecDefinition(id).label} is written as .${container}; name the output .${container} (or choose another --codec).`);
  }
  return id;
}

export function specFromOptions(opts: RenderCliOptions): ExportSpec {
  if (opts.crf !== undefined && opts.bitrate !== undefined) throw new BadInputError('--crf and --bitrate exclude each other: give one of them.');
  const codec = chooseCodec(opts.output, opts.codec);
  const out = path.resolve(opts.output);
  const ext = path.extname(out);
  const raw = {
    range: parseRange(opts.range),
    folder: path.dirname(out),
    fileName: path.basename(out, ext),
    codec,
    quality: opts.bitrate !== undefined ? { mode: 'bitrate', kbps: opts.bitrate } : { mode: 'crf', crf: opts.crf ?? 18 },
    conform: parseConform(opts.conform),
    rateConversion: opts.rateConversion ?? 'blend',
    audio: opts.audio ?? 'aac',
    overwrite: opts.overwrite ?? false,
    farm: opts.farm ?? null,
  };
  const parsed = ExportSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const names: Record<string, string> = { quality: opts.bitrate !== undefined ? '--bitrate' : '--crf', audio: '--audio', conform: '--conform', rateConversion: '--rate-conversion', fileName: '-o', folder: '-o', farm: '--farm' };
    throw new BadInputError(
      parsed.error.issues.map((issue) => `${names[String(issue.path[0])] ?? String(issue.path[0])}: ${issue.message}`).join('\n'),
    );
  }
  return parsed.data;
}

// What the export dialog edits: text fields as typed, turned into an ExportSpec input only when starting.
// Free of zod (types only), so the editor chunk stays small; the schema check lives in the lazily loaded form.
import { expandExportName } from '../../../../main/common/export-name';
import type { Rational } from '../../../../main/common/model';
import type { ExportCodec, ExportCodecId } from '../../../../main/common/render-model';

export type RangeKind = 'timeline' | 'marks' | 'clips';
export type QualityMode = 'crf' | 'bitrate';
export type ConformPolicy = 'first' | 'largest' | 'project' | 'custom';
export type AudioMode = 'copy' | 'aac' | 'none';
export type RateConversion = 'nearest' | 'blend' | 'motion';

export type ExportDraft = {
  range: RangeKind;
  folder: string;
  fileName: string;
  codec: ExportCodecId;
  qualityMode: QualityMode;
  crf: string;
  kbps: string;
  conform: ConformPolicy;
  width: string;
  height: string;
  fps: string;
  audio: AudioMode;
  /** How clips at another frame rate reach the output's. */
  rateConversion: RateConversion;
  /** Render on this machine, or on the render farm at farmUrl (its Redis). */
  renderOn: 'local' | 'farm';
  farmUrl: string;
};

export const DEFAULT_FILE_NAME = '{project}-{range}-{codec}';
export const DEFAULT_CRF = 18;

export function defaultDraft(folder: string): ExportDraft {
  return {
    range: 'timeline',
    folder,
    fileName: DEFAULT_FILE_NAME,
    codec: 'h264',
    qualityMode: 'crf',
    crf: String(DEFAULT_CRF),
    kbps: '20000',
    conform: 'first',
    width: '1920',
    height: '1080',
    fps: '24',
    audio: 'aac',
    rateConversion: 'blend',
    renderOn: 'local',
    farmUrl: '',
  };
}

const LAST_CHOICES_KEY = 'upframe.export.last';

/** The person's last choices over the defaults; a field that no longer fits its type falls back to the default. */
export function loadDraft(defaultFolder: string): ExportDraft {
  const base = defaultDraft(defaultFolder);
  let saved: Record<string, unknown>;
  try {
    const raw = localStorage.getItem(LAST_CHOICES_KEY);
    if (!raw) return base;
    saved = JSON.parse(raw) as Record<string, unknown>;
  } catch (err) {
    console.warn('Ignoring unreadable saved export choices', err);
    return base;
  }
  const draft: ExportDraft = { ...base };
  for (const key of Object.keys(base) as (keyof ExportDraft)[]) {
    const value = saved[key];
    if (typeof value === 'string' && (value !== '' || key !== 'folder')) (draft as Record<string, string>)[key] = value;
  }
  if (!['timeline', 'marks', 'clips'].includes(draft.range)) draft.range = base.range;
  if (!['crf', 'bitrate'].includes(draft.qualityMode)) draft.qualityMode = base.qualityMode;
  if (!['first', 'largest', 'project', 'custom'].includes(draft.conform)) draft.conform = base.conform;
  if (!['copy', 'aac', 'none'].includes(draft.audio)) draft.audio = base.audio;
  if (!['nearest', 'blend', 'motion'].includes(draft.rateConversion)) draft.rateConversion = base.rateConversion;
  if (!['local', 'farm'].includes(draft.renderOn)) draft.renderOn = base.renderOn;
  return draft;
}

/** Remembers the choices, except a farm password: it is typed again rather than kept in the browser's storage. */
export function saveDraft(draft: ExportDraft): void {
  localStorage.setItem(LAST_CHOICES_KEY, JSON.stringify({ ...draft, farmUrl: withoutPassword(draft.farmUrl) }));
}

function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    parsed.password = '';
    return parsed.toString();
  } catch {
    return url;
  }
}

const PENDING_PREFIX = 'upframe.export.pending.';

/** The choices of a started export wait here; they become the next dialog's defaults only if it finishes. */
export function rememberPendingDraft(jobId: number, draft: ExportDraft): void {
  localStorage.setItem(`${PENDING_PREFIX}${jobId}`, JSON.stringify(draft));
}

/** A finished export's choices become the defaults; a failed or cancelled one's are forgotten. */
export function settlePendingDraft(jobId: number, finished: boolean): void {
  const key = `${PENDING_PREFIX}${jobId}`;
  const raw = localStorage.getItem(key);
  if (raw === null) return;
  localStorage.removeItem(key);
  if (finished) localStorage.setItem(LAST_CHOICES_KEY, raw);
}

// NTSC rates typed as decimals mean their exact 1001 fractions.
const NTSC: Record<string, Rational> = {
  '23.976': { num: 24000, den: 1001 },
  '23.98': { num: 24000, den: 1001 },
  '29.97': { num: 30000, den: 1001 },
  '47.952': { num: 48000, den: 1001 },
  '59.94': { num: 60000, den: 1001 },
  '119.88': { num: 120000, den: 1001 },
};

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** "24", "29.97", "30000/1001" as a rational; null when the text is not a positive rate up to 240. */
export function parseFps(text: string): Rational | null {
  const t = text.trim();
  if (NTSC[t]) return NTSC[t];
  const fraction = /^(\d+)\s*\/\s*(\d+)$/.exec(t);
  let num: number;
  let den: number;
  if (fraction) {
    num = Number(fraction[1]);
    den = Number(fraction[2]);
  } else if (/^\d+(\.\d{1,3})?$/.test(t)) {
    den = 1000;
    num = Math.round(Number(t) * den);
  } else return null;
  if (!(num > 0 && den > 0) || num / den > 240) return null;
  const d = gcd(num, den);
  return { num: num / d, den: den / d };
}

/** Whole number from a field, NaN when the text is not one (so the schema reports it). */
function wholeNumber(text: string): number {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : Number.NaN;
}

/** {range} as the services fill it in: timeline, marks, clip-<id> or <n>-clips. */
export function rangeToken(range: RangeKind, clipIds: number[]): string {
  if (range !== 'clips') return range;
  return clipIds.length === 1 ? `clip-${clipIds[0]}` : `${clipIds.length}-clips`;
}

/** The template with its tokens filled in, exactly as the services name the output. */
export const expandFileName = expandExportName;

/** Tokens the template names that do not exist (kept as typed in the name), for an inline warning. */
export function unknownTokens(template: string, known: readonly string[]): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).filter((t) => !known.includes(t));
}

/** The draft as the chosen codec takes it: a quality mode it offers (none for ProRes and PNG, whose quality is
 *  fixed: the default CRF goes along unused) and no audio for a PNG sequence. */
export function fitDraftToCodec(draft: ExportDraft, codec: ExportCodec | undefined): ExportDraft {
  const modes = codec?.qualityModes ?? ['crf'];
  const fitted = { ...draft };
  if (modes.length === 0) {
    fitted.qualityMode = 'crf';
    fitted.crf = String(DEFAULT_CRF);
  } else if (!modes.includes(fitted.qualityMode)) fitted.qualityMode = modes[0];
  if (draft.codec === 'png') fitted.audio = 'none';
  return fitted;
}

/** The ExportSpec input the draft stands for, before the schema checks it. */
export function draftToSpecInput(draft: ExportDraft, selectedClipIds: number[], overwrite: boolean): unknown {
  const range =
    draft.range === 'clips' ? { kind: 'clips', clipIds: selectedClipIds } : draft.range === 'marks' ? { kind: 'marks' } : { kind: 'timeline' };
  const quality =
    draft.qualityMode === 'bitrate' ? { mode: 'bitrate', kbps: wholeNumber(draft.kbps) } : { mode: 'crf', crf: wholeNumber(draft.crf) };
  const conform =
    draft.conform === 'custom'
      ? {
          policy: 'custom',
          width: wholeNumber(draft.width),
          height: wholeNumber(draft.height),
          fps: parseFps(draft.fps) ?? undefined,
        }
      : { policy: draft.conform };
  return {
    range,
    folder: draft.folder.trim(),
    fileName: draft.fileName.trim(),
    codec: draft.codec,
    quality,
    conform,
    audio: draft.codec === 'png' ? 'none' : draft.audio,
    rateConversion: draft.rateConversion,
    overwrite,
    farm: draft.renderOn === 'farm' ? draft.farmUrl.trim() : null,
  };
}

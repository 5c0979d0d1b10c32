// The inspector's fields: how each one reads from and writes into ClipSettings, how its text is parsed, and the
// message a person sees when a value is out of range. Pure (no React), so the rules are testable on their own.
import { ClipSettingsSchema, type ClipSettings } from '../../../../main/common/settings';

export type FieldKey =
  | 'engine'
  | 'packId'
  | 'scale'
  | 'targetFps'
  | 'noise'
  | 'sCond'
  | 'steps'
  | 'cfg'
  | 'prompt'
  | 'seed'
  | 'provider'
  | 'chunkFrames'
  | 'tileLatent'
  | 'classic.denoise'
  | 'classic.sharpen'
  | 'classic.deflicker'
  | 'classic.deinterlace';

export const MIXED = Symbol('mixed');
export type Common<T> = T | typeof MIXED;

export function getField(s: ClipSettings, key: FieldKey): unknown {
  // Settings saved before the deinterlace option existed lack it: they mean auto.
  if (key === 'classic.deinterlace') return s.classic.deinterlace ?? 'auto';
  if (key.startsWith('classic.')) return s.classic[key.slice('classic.'.length) as keyof ClipSettings['classic']];
  return s[key as Exclude<FieldKey, `classic.${string}`>];
}

/** Settings with one field replaced; the result is not validated here. */
export function setField(s: ClipSettings, key: FieldKey, value: unknown): ClipSettings {
  if (key.startsWith('classic.')) return { ...s, classic: { ...s.classic, [key.slice('classic.'.length)]: value } };
  return { ...s, [key]: value };
}

/** The value every one of the settings shares, or MIXED. */
export function commonValue(all: ClipSettings[], key: FieldKey): Common<unknown> {
  const first = JSON.stringify(getField(all[0], key));
  return all.every((s) => JSON.stringify(getField(s, key)) === first) ? getField(all[0], key) : MIXED;
}

type NumberRule = { label: string; min: number; max: number; int?: boolean; nullable?: string; words?: string[] };

/** Fields typed as text: their range and what an empty field means. Matches ClipSettingsSchema. */
export const NUMBER_RULES: Partial<Record<FieldKey, NumberRule>> = {
  scale: { label: 'Scale', min: 1, max: 8 },
  targetFps: { label: 'Target fps', min: 0.001, max: 240, nullable: 'keep the source rate' },
  noise: { label: 'Noise', min: 0, max: 300, int: true },
  sCond: { label: 's_cond', min: 0, max: 16 },
  steps: { label: 'Steps', min: 1, max: 100, int: true, words: ['fast', 'normal'] },
  cfg: { label: 'CFG', min: 1, max: 20 },
  seed: { label: 'Seed', min: 0, max: 2 ** 31 - 1, int: true },
  chunkFrames: { label: 'Chunk frames', min: 2, max: 128, int: true, nullable: "use the pack's rule" },
  tileLatent: { label: 'Latent tile', min: 8, max: 512, int: true, nullable: "use the pack's rule" },
};

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

/** The value typed into a field, or what is wrong with it and what to type instead. */
export function parseField(key: FieldKey, text: string): Parsed {
  const rule = NUMBER_RULES[key];
  if (!rule) return { ok: true, value: text };
  const t = text.trim();
  if (t === '' || (rule.nullable && t.toLowerCase() === 'keep')) {
    return rule.nullable ? { ok: true, value: null } : { ok: false, error: `Enter ${rule.label.toLowerCase()}: ${range(rule)}.` };
  }
  if (rule.words?.includes(t.toLowerCase())) return { ok: true, value: t.toLowerCase() };
  const n = Number(t);
  if (!Number.isFinite(n)) return { ok: false, error: `${rule.label} must be a number: ${range(rule)}.` };
  if (rule.int && !Number.isInteger(n)) return { ok: false, error: `${rule.label} must be a whole number: ${range(rule)}.` };
  if (n < rule.min || n > rule.max) return { ok: false, error: `${rule.label} must be ${range(rule)}; ${t} is out of range.` };
  return { ok: true, value: n };
}

function range(rule: NumberRule): string {
  const base = `${rule.min === 0.001 ? 'above 0' : `from ${rule.min}`} to ${rule.max}`;
  return rule.nullable ? `${base}, or empty to ${rule.nullable}` : base;
}

/** The text a field shows for a stored value. */
export function formatField(key: FieldKey, value: Common<unknown>): string {
  if (value === MIXED || value === null || value === undefined) return '';
  if (key === 'prompt') return String(value);
  if (typeof value === 'number' && !Number.isInteger(value)) return String(Number(value.toFixed(4)));
  return String(value);
}

/** Validates whole settings with the shared schema; errors keyed by field. */
export function validateSettings(s: ClipSettings): { settings: ClipSettings | null; errors: Partial<Record<FieldKey, string>> } {
  const parsed = ClipSettingsSchema.safeParse(s);
  if (parsed.success) return { settings: parsed.data, errors: {} };
  const errors: Partial<Record<FieldKey, string>> = {};
  for (const issue of parsed.error.issues) {
    const key = (issue.path[0] === 'classic' ? `classic.${String(issue.path[1])}` : String(issue.path[0])) as FieldKey;
    if (!errors[key]) errors[key] = issue.message;
  }
  return { settings: null, errors };
}

/** A frame rate as people write it: 48, 29.97, 23.976. */
export function formatRate(fps: number): string {
  return String(Number(fps.toFixed(3)));
}

import { describe, expect, it } from 'vitest';
import { ClipSettingsSchema, defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import {
  MIXED,
  NUMBER_RULES,
  commonValue,
  formatField,
  formatRate,
  getField,
  parseField,
  setField,
  validateSettings,
  type FieldKey,
} from '../../renderer/src/components/inspector/fields';

const ALL_KEYS: FieldKey[] = [
  'engine',
  'packId',
  'scale',
  'targetFps',
  'noise',
  'sCond',
  'steps',
  'cfg',
  'prompt',
  'seed',
  'provider',
  'chunkFrames',
  'tileLatent',
  'classic.denoise',
  'classic.sharpen',
  'classic.deflicker',
  'classic.deinterlace',
];

describe('getField / setField', () => {
  it('reads top-level and classic.* fields', () => {
    const s = { ...defaultClipSettings(), scale: 2, classic: { denoise: 'nlmeans', sharpen: 'cas', deflicker: true } } as ClipSettings;
    expect(getField(s, 'scale')).toBe(2);
    expect(getField(s, 'steps')).toBe('fast');
    expect(getField(s, 'targetFps')).toBeNull();
    expect(getField(s, 'classic.denoise')).toBe('nlmeans');
    expect(getField(s, 'classic.sharpen')).toBe('cas');
    expect(getField(s, 'classic.deflicker')).toBe(true);
    // Settings saved before the option existed read as auto; a stored choice reads as itself.
    expect(getField(s, 'classic.deinterlace')).toBe('auto');
    expect(getField(setField(s, 'classic.deinterlace', 'off'), 'classic.deinterlace')).toBe('off');
  });

  it('every field key reads a defined value from default settings', () => {
    const s = defaultClipSettings();
    for (const key of ALL_KEYS) expect(getField(s, key)).not.toBeUndefined();
  });

  it('writes one field, leaving the rest and the input alone', () => {
    const s = defaultClipSettings();
    const snapshot = structuredClone(s);
    const t = setField(s, 'cfg', 3);
    expect(t.cfg).toBe(3);
    expect({ ...t, cfg: s.cfg }).toEqual(s);
    expect(s).toEqual(snapshot);
  });

  it('writing a classic.* field keeps the other classic filters and does not share the classic object', () => {
    const s = defaultClipSettings();
    const t = setField(s, 'classic.sharpen', 'unsharp');
    expect(t.classic).toEqual({ denoise: 'off', sharpen: 'unsharp', deflicker: false });
    expect(s.classic.sharpen).toBe('off');
    expect(t.classic).not.toBe(s.classic);
    expect(getField(t, 'classic.sharpen')).toBe('unsharp');
  });

  it('round-trips every field', () => {
    const values: Record<FieldKey, unknown> = {
      engine: 'diffusion',
      packId: 'pack@1.0.0',
      scale: 2.5,
      targetFps: 48,
      noise: 100,
      sCond: 4,
      steps: 12,
      cfg: 5,
      prompt: 'sharp film grain',
      seed: 42,
      provider: 'cuda',
      chunkFrames: 16,
      tileLatent: 64,
      'classic.denoise': 'hqdn3d',
      'classic.sharpen': 'cas',
      'classic.deflicker': true,
      'classic.deinterlace': 'on',
    };
    let s = defaultClipSettings();
    for (const key of ALL_KEYS) s = setField(s, key, values[key]);
    for (const key of ALL_KEYS) expect(getField(s, key)).toEqual(values[key]);
    expect(ClipSettingsSchema.safeParse(s).success).toBe(true);
  });
});

describe('commonValue', () => {
  const a = defaultClipSettings();
  const b = setField(defaultClipSettings(), 'scale', 2);
  const c = setField(defaultClipSettings(), 'classic.deflicker', true);

  it('returns the shared value when all agree', () => {
    expect(commonValue([a, b, c], 'noise')).toBe(250);
    expect(commonValue([a, b, c], 'targetFps')).toBeNull();
    expect(commonValue([a, b], 'classic.deflicker')).toBe(false);
    expect(commonValue([b], 'scale')).toBe(2);
  });

  it('returns MIXED when any differs', () => {
    expect(commonValue([a, b, c], 'scale')).toBe(MIXED);
    expect(commonValue([a, c], 'classic.deflicker')).toBe(MIXED);
    expect(commonValue([a, setField(a, 'steps', 8)], 'steps')).toBe(MIXED);
    expect(commonValue([a, setField(a, 'targetFps', 24)], 'targetFps')).toBe(MIXED);
  });

  it('a word and a number are different, as are a string number and a number', () => {
    expect(commonValue([setField(a, 'steps', 'fast'), setField(a, 'steps', 4)], 'steps')).toBe(MIXED);
    expect(commonValue([setField(a, 'prompt', '4'), setField(a, 'prompt', 4)], 'prompt')).toBe(MIXED);
  });

  it('MIXED formats as an empty field', () => {
    expect(formatField('scale', commonValue([a, b], 'scale'))).toBe('');
  });
});

describe('parseField', () => {
  it('passes text fields through unchanged', () => {
    expect(parseField('prompt', '  a  misty  morning ')).toEqual({ ok: true, value: '  a  misty  morning ' });
    expect(parseField('prompt', '')).toEqual({ ok: true, value: '' });
    expect(parseField('engine', 'diffusion')).toEqual({ ok: true, value: 'diffusion' });
  });

  it('parses numbers, trimming spaces', () => {
    expect(parseField('scale', '2.5')).toEqual({ ok: true, value: 2.5 });
    expect(parseField('scale', ' 3 ')).toEqual({ ok: true, value: 3 });
    expect(parseField('noise', '250')).toEqual({ ok: true, value: 250 });
    expect(parseField('cfg', '7.5')).toEqual({ ok: true, value: 7.5 });
    expect(parseField('targetFps', '29.97')).toEqual({ ok: true, value: 29.97 });
    expect(parseField('seed', String(2 ** 31 - 1))).toEqual({ ok: true, value: 2 ** 31 - 1 });
  });

  it('an empty nullable field (or "keep") means the default rule', () => {
    expect(parseField('targetFps', '')).toEqual({ ok: true, value: null });
    expect(parseField('targetFps', '   ')).toEqual({ ok: true, value: null });
    expect(parseField('targetFps', 'keep')).toEqual({ ok: true, value: null });
    expect(parseField('targetFps', ' KEEP ')).toEqual({ ok: true, value: null });
    expect(parseField('chunkFrames', '')).toEqual({ ok: true, value: null });
    expect(parseField('tileLatent', 'Keep')).toEqual({ ok: true, value: null });
  });

  it('an empty required field asks for a value and names its range', () => {
    expect(parseField('scale', '')).toEqual({ ok: false, error: 'Enter scale: from 1 to 8.' });
    expect(parseField('steps', ' ')).toEqual({ ok: false, error: 'Enter steps: from 1 to 100.' });
    expect(parseField('seed', '')).toEqual({ ok: false, error: `Enter seed: from 0 to ${2 ** 31 - 1}.` });
  });

  it('"keep" is not a value for fields that cannot be empty', () => {
    expect(parseField('scale', 'keep')).toEqual({ ok: false, error: 'Scale must be a number: from 1 to 8.' });
  });

  it('steps takes the words fast and normal, case-insensitively', () => {
    expect(parseField('steps', 'fast')).toEqual({ ok: true, value: 'fast' });
    expect(parseField('steps', ' Normal ')).toEqual({ ok: true, value: 'normal' });
    expect(parseField('steps', '25')).toEqual({ ok: true, value: 25 });
    expect(parseField('noise', 'fast')).toEqual({ ok: false, error: 'Noise must be a number: from 0 to 300.' });
  });

  it('rejects text that is not a number', () => {
    expect(parseField('cfg', 'abc')).toEqual({ ok: false, error: 'CFG must be a number: from 1 to 20.' });
    expect(parseField('sCond', 'Infinity')).toEqual({ ok: false, error: 's_cond must be a number: from 0 to 16.' });
    expect(parseField('scale', '2x')).toEqual({ ok: false, error: 'Scale must be a number: from 1 to 8.' });
    expect(parseField('targetFps', 'NaN')).toEqual({
      ok: false,
      error: 'Target fps must be a number: above 0 to 240, or empty to keep the source rate.',
    });
  });

  it('rejects fractions in whole-number fields', () => {
    expect(parseField('noise', '12.5')).toEqual({ ok: false, error: 'Noise must be a whole number: from 0 to 300.' });
    expect(parseField('steps', '4.5')).toEqual({ ok: false, error: 'Steps must be a whole number: from 1 to 100.' });
    expect(parseField('chunkFrames', '8.5')).toEqual({
      ok: false,
      error: "Chunk frames must be a whole number: from 2 to 128, or empty to use the pack's rule.",
    });
  });

  it('out-of-range values name the range and the value typed', () => {
    expect(parseField('scale', '0.5')).toEqual({ ok: false, error: 'Scale must be from 1 to 8; 0.5 is out of range.' });
    expect(parseField('scale', '9')).toEqual({ ok: false, error: 'Scale must be from 1 to 8; 9 is out of range.' });
    expect(parseField('targetFps', '0')).toEqual({
      ok: false,
      error: 'Target fps must be above 0 to 240, or empty to keep the source rate; 0 is out of range.',
    });
    expect(parseField('targetFps', '-24')).toMatchObject({ ok: false });
    expect(parseField('targetFps', '241')).toMatchObject({ ok: false });
    expect(parseField('seed', String(2 ** 31))).toEqual({
      ok: false,
      error: `Seed must be from 0 to ${2 ** 31 - 1}; ${2 ** 31} is out of range.`,
    });
    expect(parseField('tileLatent', '4')).toEqual({
      ok: false,
      error: "Latent tile must be from 8 to 512, or empty to use the pack's rule; 4 is out of range.",
    });
  });

  it('accepts the range bounds themselves', () => {
    for (const [key, rule] of Object.entries(NUMBER_RULES) as [FieldKey, { min: number; max: number }][]) {
      expect(parseField(key, String(rule.min))).toEqual({ ok: true, value: rule.min });
      expect(parseField(key, String(rule.max))).toEqual({ ok: true, value: rule.max });
    }
  });

  it('agrees with ClipSettingsSchema at the bounds and just outside them', () => {
    const below: Partial<Record<FieldKey, number>> = {
      scale: 0.99,
      targetFps: 0,
      noise: -1,
      sCond: -0.01,
      steps: 0,
      cfg: 0.99,
      seed: -1,
      chunkFrames: 1,
      tileLatent: 7,
    };
    const base = defaultClipSettings();
    for (const [key, rule] of Object.entries(NUMBER_RULES) as [FieldKey, { min: number; max: number; int?: boolean }][]) {
      for (const good of [rule.min, rule.max]) {
        const parsed = parseField(key, String(good));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) expect(validateSettings(setField(base, key, parsed.value)).errors).toEqual({});
      }
      const bad = [below[key]!, rule.max + (rule.int ? 1 : 0.01)];
      for (const v of bad) {
        expect(parseField(key, String(v)).ok, `${key}=${v}`).toBe(false);
        expect(ClipSettingsSchema.safeParse(setField(base, key, v)).success, `${key}=${v}`).toBe(false);
      }
    }
  });
});

describe('formatField', () => {
  it('shows nothing for MIXED, null and undefined', () => {
    expect(formatField('scale', MIXED)).toBe('');
    expect(formatField('targetFps', null)).toBe('');
    expect(formatField('chunkFrames', undefined)).toBe('');
  });

  it('shows numbers plainly, fractions to at most 4 decimals', () => {
    expect(formatField('noise', 250)).toBe('250');
    expect(formatField('cfg', 7.5)).toBe('7.5');
    expect(formatField('scale', 4 / 3)).toBe('1.3333');
    expect(formatField('targetFps', 30000 / 1001)).toBe('29.97');
    expect(formatField('scale', 2.000001)).toBe('2');
    expect(formatField('steps', 'fast')).toBe('fast');
  });

  it('shows the prompt as typed', () => {
    expect(formatField('prompt', '  x  ')).toBe('  x  ');
    expect(formatField('prompt', '')).toBe('');
  });

  it('formatted values parse back to the same value', () => {
    const cases: [FieldKey, unknown][] = [
      ['scale', 2.5],
      ['targetFps', 48],
      ['targetFps', null],
      ['noise', 0],
      ['steps', 'normal'],
      ['steps', 30],
      ['seed', 666],
      ['chunkFrames', null],
      ['tileLatent', 128],
      ['prompt', 'hello'],
    ];
    for (const [key, value] of cases) expect(parseField(key, formatField(key, value))).toEqual({ ok: true, value });
  });
});

describe('validateSettings', () => {
  it('accepts default settings and returns them', () => {
    const s = defaultClipSettings();
    expect(validateSettings(s)).toEqual({ settings: s, errors: {} });
  });

  it('keys the schema message by field', () => {
    const r = validateSettings(setField(defaultClipSettings(), 'scale', 9));
    expect(r.settings).toBeNull();
    expect(r.errors).toEqual({ scale: 'Scale must be at most 8x' });
    expect(validateSettings(setField(defaultClipSettings(), 'scale', 0.5)).errors).toEqual({ scale: 'Scale must be at least 1x' });
  });

  it('keys classic filter errors as classic.<name>', () => {
    const r = validateSettings(setField(defaultClipSettings(), 'classic.denoise', 'bogus'));
    expect(r.settings).toBeNull();
    expect(Object.keys(r.errors)).toEqual(['classic.denoise']);
    expect(r.errors['classic.denoise']).toEqual(expect.any(String));
  });

  it('reports every bad field, one message each', () => {
    let s = defaultClipSettings();
    s = setField(s, 'noise', 12.5);
    s = setField(s, 'seed', -1);
    s = setField(s, 'steps', 'slow');
    s = setField(s, 'classic.deflicker', 'yes');
    const r = validateSettings(s);
    expect(r.settings).toBeNull();
    expect(Object.keys(r.errors).sort()).toEqual(['classic.deflicker', 'noise', 'seed', 'steps']);
    for (const msg of Object.values(r.errors)) expect(typeof msg).toBe('string');
  });

  it('fills schema defaults for fields left out', () => {
    const partial = { version: 1 } as unknown as ClipSettings;
    const r = validateSettings(partial);
    expect(r.errors).toEqual({});
    expect(r.settings).toEqual(defaultClipSettings());
  });
});

describe('formatRate', () => {
  it('writes rates the way people do', () => {
    expect(formatRate(48)).toBe('48');
    expect(formatRate(25)).toBe('25');
    expect(formatRate(30000 / 1001)).toBe('29.97');
    expect(formatRate(24000 / 1001)).toBe('23.976');
    expect(formatRate(60000 / 1001)).toBe('59.94');
    expect(formatRate(2 * (24000 / 1001))).toBe('47.952');
    expect(formatRate(12.5)).toBe('12.5');
    expect(formatRate(24.0001)).toBe('24');
  });
});

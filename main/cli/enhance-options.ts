// Turns `upframe enhance` options into validated ClipSettings. Range checks come from ClipSettingsSchema, so the
// CLI accepts exactly what the editor accepts; messages name the option and its allowed values.
import { z } from 'zod';
import { ClipSettingsSchema, SETTINGS_VERSION, type ClipSettings } from '../common/settings';

export type EnhanceCliOptions = {
  output: string;
  engine: 'classic' | 'diffusion' | 'model';
  pack?: string;
  scale?: number;
  fps?: number;
  noise?: number;
  steps?: string;
  cfg?: number;
  prompt?: string;
  seed?: number;
  start?: number;
  end?: number;
  provider: 'auto' | 'cuda' | 'dml' | 'coreml' | 'cpu';
  allowCpuFallback?: boolean;
  threads?: number;
  overwrite?: boolean;
  verbose?: boolean;
};

/** A problem with what the user typed: reported on stderr with exit code 2. */
export class BadInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadInputError';
  }
}

/** Settings field -> the option that sets it and what it accepts. */
const FIELDS: Record<string, { option: string; allowed: string }> = {
  engine: { option: '--engine', allowed: 'classic, diffusion or model' },
  scale: { option: '--scale', allowed: 'a number from 1 to 8' },
  targetFps: { option: '--fps', allowed: 'a number above 0, at most 240' },
  noise: { option: '--noise', allowed: 'a whole number from 0 to 300' },
  steps: { option: '--steps', allowed: 'fast, normal or a whole number from 1 to 100' },
  cfg: { option: '--cfg', allowed: 'a number from 1 to 20' },
  prompt: { option: '--prompt', allowed: 'text of at most 1000 characters' },
  seed: { option: '--seed', allowed: `a whole number from 0 to ${2 ** 31 - 1}` },
  provider: { option: '--provider', allowed: 'auto, cuda, dml, coreml or cpu' },
};

export function parseSteps(text: string): 'fast' | 'normal' | number {
  if (text === 'fast' || text === 'normal') return text;
  const n = Number(text);
  // Range errors are left to the schema so the message is the same as for the other options.
  return text.trim() !== '' && Number.isFinite(n) ? n : (text as 'fast');
}

export function settingsFromOptions(opts: EnhanceCliOptions): ClipSettings {
  const raw: Record<string, unknown> = { version: SETTINGS_VERSION, engine: opts.engine, provider: opts.provider };
  if (opts.scale !== undefined) raw.scale = opts.scale;
  if (opts.fps !== undefined) raw.targetFps = opts.fps;
  if (opts.noise !== undefined) raw.noise = opts.noise;
  if (opts.steps !== undefined) raw.steps = parseSteps(opts.steps);
  if (opts.cfg !== undefined) raw.cfg = opts.cfg;
  if (opts.prompt !== undefined) raw.prompt = opts.prompt;
  if (opts.seed !== undefined) raw.seed = opts.seed;
  const parsed = ClipSettingsSchema.safeParse(raw);
  if (!parsed.success) throw new BadInputError(describeIssues(parsed.error, raw));
  return parsed.data;
}

function describeIssues(error: z.ZodError, raw: Record<string, unknown>): string {
  return error.issues
    .map((issue) => {
      const field = String(issue.path[0] ?? '');
      const known = FIELDS[field];
      if (!known) return `${field || 'settings'}: ${issue.message}`;
      const value = raw[field];
      return `${known.option}${value === undefined ? '' : ` ${JSON.stringify(value)}`} is not allowed: ${issue.message}. Allowed: ${known.allowed}.`;
    })
    .join('\n');
}

/** Commander argument parsers: reject what is not a number before any range check. */
export function numberArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new Error(`"${value}" is not a number.`);
  return n;
}

export function integerArg(value: string): number {
  const n = numberArg(value);
  if (!Number.isInteger(n)) throw new Error(`"${value}" is not a whole number.`);
  return n;
}

/** Checks a --start/--end range against the input's duration (seconds). */
export function checkRange(start: number | undefined, end: number | undefined, durationSec: number): void {
  if (start !== undefined && start < 0) throw new BadInputError(`--start ${start} is not allowed: the start must be 0 or later.`);
  if (end !== undefined && end <= 0) throw new BadInputError(`--end ${end} is not allowed: the end must be after 0.`);
  if (start !== undefined && end !== undefined && end <= start) {
    throw new BadInputError(`--end ${end} is not after --start ${start}: the range would be empty.`);
  }
  if (start !== undefined && durationSec > 0 && start >= durationSec) {
    throw new BadInputError(`--start ${start} is past the end of the input (it lasts ${durationSec.toFixed(3)} s).`);
  }
}

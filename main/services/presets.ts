// Settings presets: four built-ins that ship with the app, and the person's own, kept app-wide (every project
// sees them) in <userData>/presets.json. Unlike preferences, a damaged presets file holds the person's work: it is
// never replaced behind their back. Listing still offers the built-ins (and logs the problem); saving or removing
// refuses with a message naming the file, so nothing is overwritten until the person repairs or moves it.
import { randomBytes, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ApiError } from '../common/api';
import { PresetSchema, type Preset } from '../common/render-model';
import { ClipSettingsSchema, defaultClipSettings, type ClipSettings } from '../common/settings';

const FILE_VERSION = 1;

const UserPresetSchema = PresetSchema.omit({ builtin: true });
type UserPreset = z.infer<typeof UserPresetSchema>;

const PresetsFileSchema = z.object({
  version: z.literal(FILE_VERSION),
  presets: z.array(UserPresetSchema),
});

function builtin(id: string, name: string, settings: Partial<ClipSettings>, fpsMultiplier: number | null = null): Preset {
  return PresetSchema.parse({
    id: `builtin:${id}`,
    name,
    builtin: true,
    settings: ClipSettingsSchema.parse({ ...defaultClipSettings(), ...settings }),
    fpsMultiplier,
  });
}

export const BUILTIN_PRESETS: readonly Preset[] = Object.freeze([
  builtin('ai-clip-x4-24fps', 'AI clip x4, 24 fps', { engine: 'diffusion', scale: 4, targetFps: 24, noise: 250 }),
  builtin('interpolate-x2', 'Interpolate x2', { engine: 'classic', scale: 1, targetFps: null }, 2),
  builtin('refine-only', 'Refine only', { engine: 'diffusion', scale: 1, targetFps: null, noise: 150 }),
  builtin('faces-low-noise', 'Faces (low noise)', { engine: 'diffusion', scale: 2, targetFps: null, noise: 50 }),
]);

/** Names compare without case and surrounding space, so "Night" and "night " are the same preset. */
function sameName(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

type FileRead = { ok: true; presets: UserPreset[] } | { ok: false; reason: string };

export class PresetStore {
  constructor(
    readonly file: string,
    private readonly log: (message: string) => void,
  ) {}

  /** Built-ins first, then the person's presets in the order they were first saved. */
  list(): Preset[] {
    const read = this.read();
    if (!read.ok) {
      this.log(`${this.damagedMessage(read.reason)} Listing only the built-in presets.`);
      return [...BUILTIN_PRESETS];
    }
    return [...BUILTIN_PRESETS, ...read.presets.map((p) => ({ ...p, builtin: false }))];
  }

  /** Saves the settings under the name; a preset of the same name is replaced (keeping its id and place). */
  save(name: string, settings: ClipSettings): Preset {
    const trimmed = name.trim();
    const clash = BUILTIN_PRESETS.find((p) => sameName(p.name, trimmed));
    if (clash) {
      throw new ApiError('CONFLICT', `"${clash.name}" is a built-in preset and cannot be replaced: choose another name.`);
    }
    const presets = this.requireReadable('saved');
    const parsedSettings = ClipSettingsSchema.parse(settings);
    const existing = presets.findIndex((p) => sameName(p.name, trimmed));
    const preset: UserPreset = {
      id: existing >= 0 ? presets[existing].id : `user:${randomUUID()}`,
      name: trimmed,
      settings: parsedSettings,
      fpsMultiplier: null,
    };
    const next = existing >= 0 ? presets.map((p, i) => (i === existing ? preset : p)) : [...presets, preset];
    this.write(next);
    return { ...preset, builtin: false };
  }

  remove(id: string): void {
    const fixed = BUILTIN_PRESETS.find((p) => p.id === id);
    if (fixed) throw new ApiError('CONFLICT', `"${fixed.name}" is a built-in preset and cannot be removed.`);
    const presets = this.requireReadable('removed');
    if (!presets.some((p) => p.id === id)) {
      throw new ApiError('NOT_FOUND', `No preset with id ${id} (removed already?): refresh the preset list.`);
    }
    this.write(presets.filter((p) => p.id !== id));
  }

  private requireReadable(action: string): UserPreset[] {
    const read = this.read();
    if (!read.ok) throw new ApiError('CONFLICT', `${this.damagedMessage(read.reason)} Nothing was ${action}.`);
    return read.presets;
  }

  private damagedMessage(reason: string): string {
    return `The presets file ${this.file} is damaged (${reason}): repair it or move it elsewhere to start a new list.`;
  }

  private read(): FileRead {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, presets: [] };
      return { ok: false, reason: `cannot be read: ${(error as Error).message}` };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return { ok: false, reason: `not valid JSON: ${(error as Error).message}` };
    }
    const parsed = PresetsFileSchema.safeParse(json);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(file)'}: ${issue.message}`);
      return { ok: false, reason: issues.join('; ') };
    }
    return { ok: true, presets: parsed.data.presets };
  }

  /** A temp file renamed over the list, so a crash leaves either the old or the new list, never half of one. */
  private write(presets: UserPreset[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      fs.writeFileSync(temp, `${JSON.stringify({ version: FILE_VERSION, presets }, null, 2)}\n`);
      fs.renameSync(temp, this.file);
    } catch (error) {
      fs.rmSync(temp, { force: true });
      throw writeError(this.file, error as NodeJS.ErrnoException);
    }
  }
}

function writeError(file: string, error: NodeJS.ErrnoException): Error {
  if (error.code === 'ENOSPC' || error.code === 'EDQUOT') {
    return new ApiError('DISK_FULL', `The presets could not be saved to ${file}: the disk is full. Free some space and save again.`);
  }
  if (error.code === 'EACCES' || error.code === 'EPERM' || error.code === 'EROFS') {
    return new ApiError('NOT_WRITABLE', `The presets could not be saved: ${path.dirname(file)} cannot be written (${error.code}).`);
  }
  return error;
}

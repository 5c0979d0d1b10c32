// App-level preferences (not per project), kept as JSON in the user data folder. Preferences are a convenience:
// an unreadable or damaged file never stops the app from starting. It is set aside (renamed to
// .corrupt-<time>), the reason is logged, and the defaults apply until the user saves again.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { ApiError, EnginePreferencesSchema, type EnginePreferences } from '../common/api';
import { maxThreads } from '../engine/execution';

export const DEFAULT_ENGINE_PREFERENCES: Readonly<EnginePreferences> = Object.freeze({
  provider: 'auto',
  deviceId: 0,
  threads: 0,
  fp16: true,
  // An explicit GPU choice that cannot start fails loudly unless the user opts in ('auto' always falls back).
  allowCpuFallback: false,
});

const FILE_VERSION = 1;

// Stored preferences may lack fields added later (the defaults fill them) or carry fields of a newer version
// (ignored); a field that is present must be valid, or the file is treated as damaged.
const PreferencesFileSchema = z.object({
  version: z.literal(FILE_VERSION),
  engine: z.object(EnginePreferencesSchema.shape).partial().default({}),
});

export class PreferencesStore {
  private engine: EnginePreferences;

  constructor(
    private readonly file: string,
    private readonly log: (message: string) => void = (message) => console.warn(`[preferences] ${message}`),
  ) {
    this.engine = this.load();
  }

  getEngine(): EnginePreferences {
    return { ...this.engine };
  }

  /** Validates and stores the engine preferences; throws ApiError BAD_REQUEST naming the bad field. */
  setEngine(input: unknown): EnginePreferences {
    const parsed = EnginePreferencesSchema.safeParse(input);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(preferences)'}: ${issue.message}`);
      throw new ApiError('BAD_REQUEST', `Engine preferences not saved: ${fields.join('; ')}`);
    }
    const limit = maxThreads();
    if (parsed.data.threads > limit) {
      throw new ApiError(
        'BAD_REQUEST',
        `Engine preferences not saved: threads: this machine allows at most ${limit} CPU threads (4 per core); use 0 for automatic.`,
      );
    }
    const next = { ...parsed.data };
    this.save(next);
    this.engine = next;
    return this.getEngine();
  }

  private load(): EnginePreferences {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log(`Could not read the preferences ${this.file} (${(error as Error).message}); using the defaults.`);
      }
      return { ...DEFAULT_ENGINE_PREFERENCES };
    }
    let reason: string;
    try {
      const parsed = PreferencesFileSchema.safeParse(JSON.parse(text));
      if (parsed.success) {
        // Parse the merged result again so a future default can never slip through unvalidated.
        return EnginePreferencesSchema.parse({ ...DEFAULT_ENGINE_PREFERENCES, ...parsed.data.engine });
      }
      reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    } catch (error) {
      reason = (error as Error).message;
    }
    const aside = `${this.file}.corrupt-${Date.now()}`;
    try {
      fs.renameSync(this.file, aside);
      this.log(`The preferences ${this.file} were unreadable (${reason}); moved them to ${aside} and using the defaults.`);
    } catch (error) {
      this.log(
        `The preferences ${this.file} were unreadable (${reason}) and could not be moved aside (${(error as Error).message}); ` +
          'using the defaults; saving the preferences will replace the file.',
      );
    }
    return { ...DEFAULT_ENGINE_PREFERENCES };
  }

  /** Writes a temp file and renames it over the preferences, so a crash leaves either the old or the new file. */
  private save(engine: EnginePreferences): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      fs.writeFileSync(temp, `${JSON.stringify({ version: FILE_VERSION, engine }, null, 2)}\n`);
      fs.renameSync(temp, this.file);
    } catch (error) {
      fs.rmSync(temp, { force: true });
      throw error;
    }
  }
}

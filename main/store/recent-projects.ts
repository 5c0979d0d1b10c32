// The recently opened projects, kept as JSON in the user data folder. The list is a convenience: a damaged
// file is set aside (renamed to .corrupt-<time>) and replaced by an empty list rather than stopping the app.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { RecentProject } from '../common/model';

const MAX_RECENT = 20;

const RecentFileSchema = z.object({
  version: z.literal(1),
  projects: z.array(z.object({ path: z.string(), name: z.string(), openedAt: z.number() })),
});
type RecentEntry = z.infer<typeof RecentFileSchema>['projects'][number];

export class RecentProjects {
  private entries: RecentEntry[];

  constructor(
    private readonly file: string,
    private readonly log: (message: string) => void = (message) => console.warn(`[recent-projects] ${message}`),
  ) {
    this.entries = this.load();
  }

  /** Newest first, at most 20, each with whether the file is still there. */
  list(): RecentProject[] {
    return this.entries.map((entry) => ({ ...entry, exists: fs.existsSync(entry.path) }));
  }

  touch(projectPath: string, name: string): void {
    const resolved = path.resolve(projectPath);
    const rest = this.entries.filter((entry) => entry.path !== resolved);
    this.save([{ path: resolved, name, openedAt: Date.now() }, ...rest].slice(0, MAX_RECENT));
  }

  remove(projectPath: string): void {
    const resolved = path.resolve(projectPath);
    this.save(this.entries.filter((entry) => entry.path !== resolved));
  }

  private load(): RecentEntry[] {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    let reason: string;
    try {
      const parsed = RecentFileSchema.safeParse(JSON.parse(text));
      if (parsed.success) return parsed.data.projects.slice(0, MAX_RECENT);
      reason = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    } catch (error) {
      reason = (error as Error).message;
    }
    const aside = `${this.file}.corrupt-${Date.now()}`;
    fs.renameSync(this.file, aside);
    this.log(`The recent projects list ${this.file} was unreadable (${reason}); moved it to ${aside} and started a new list.`);
    return [];
  }

  /** Writes a temp file and renames it over the list, so a crash leaves either the old or the new list. */
  private save(entries: RecentEntry[]): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify({ version: 1, projects: entries }, null, 2));
    fs.renameSync(temp, this.file);
    this.entries = entries;
  }
}

// Render farms see the same shared storage under different paths (\\nas\media on one machine, /mnt/media on
// another). A worker maps each path a job names by the longest matching FROM prefix; once it has maps, a path
// outside every FROM is refused, so a job can never make a worker read or write elsewhere on its disks.
import path from 'node:path';

export class PathMapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PathMapError';
  }
}

export type PathMapping = { from: string; to: string };

/** Parses FROM=TO; FROM may be a Windows or POSIX path of the submitting machine. */
export function parsePathMapping(text: string): PathMapping {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1) {
    throw new PathMapError(`--path-map ${text}: write FROM=TO, e.g. --path-map /Volumes/media=/mnt/media.`);
  }
  const from = normalise(text.slice(0, eq));
  const to = text.slice(eq + 1);
  if (!path.isAbsolute(to)) throw new PathMapError(`--path-map ${text}: TO must be an absolute path on this machine.`);
  return { from, to: path.resolve(to) };
}

function normalise(p: string): string {
  const slashed = p.replace(/\\/g, '/');
  return slashed.length > 1 ? slashed.replace(/\/+$/, '') : slashed;
}

export class PathMap {
  private readonly mappings: PathMapping[];

  constructor(mappings: PathMapping[]) {
    // Longest FROM first: /media/projects wins over /media.
    this.mappings = [...mappings].sort((a, b) => b.from.length - a.from.length);
  }

  get confined(): boolean {
    return this.mappings.length > 0;
  }

  /** This machine's path for a path named by a job; throws PathMapError when it falls outside every mapping. */
  map(jobPath: string, what: string): string {
    if (!this.confined) return path.resolve(jobPath);
    const p = normalise(jobPath);
    for (const { from, to } of this.mappings) {
      if (p === from || p.startsWith(`${from}/`)) {
        const rest = p.slice(from.length).split('/').filter(Boolean);
        // '..' cannot climb out of the mapped folder.
        if (rest.includes('..')) break;
        return path.join(to, ...rest);
      }
    }
    const froms = this.mappings.map((m) => m.from).join(', ');
    throw new PathMapError(`${what} ${jobPath} is outside the folders this worker may use (${froms}): add a --path-map for it.`);
  }
}

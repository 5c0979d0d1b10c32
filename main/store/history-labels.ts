// What a history entry says: the edit, what it changed and on which clip ("Scale 1 → 4 on t2v.mp4", "Trim end of
// life360.mp4 −4 frames"), so the History panel and Undo/Redo read like an editor's, not like a list of verbs.
import path from 'node:path';
import { formatFrameDelta } from '../common/frame-time';
import type { ClipSettings } from '../common/settings';
import type { ClipRow, ProjectQueries, TrackRow } from './queries';

/** The clip's media file name, or "clip N" when its media is gone. */
export function clipName(q: ProjectQueries, clip: Pick<ClipRow, 'id' | 'media_id'>): string {
  const media = q.getMedia.get(clip.media_id);
  return media ? path.basename(media.path) : `clip ${clip.id}`;
}

/** "t2v.mp4" for one clip, "3 clips" for several. */
export function clipsName(q: ProjectQueries, clips: Pick<ClipRow, 'id' | 'media_id'>[]): string {
  return clips.length === 1 ? clipName(q, clips[0]) : `${clips.length} clips`;
}

export function moveLabel(q: ProjectQueries, moves: { before: ClipRow; after: ClipRow }[]): string {
  if (moves.length !== 1) return `Move ${moves.length} clips`;
  const [{ before, after }] = moves;
  const name = clipName(q, before);
  const parts: string[] = [];
  if (after.track_id !== before.track_id) parts.push(`to ${trackName(q.getTrack.get(after.track_id), after.track_id)}`);
  if (after.start !== before.start) parts.push(formatFrameDelta(after.start - before.start));
  return parts.length ? `Move ${name} ${parts.join(' ')}` : `Move ${name}`;
}

export function trimLabel(q: ProjectQueries, before: ClipRow, after: ClipRow): string {
  const name = clipName(q, before);
  const startDelta = after.source_in - before.source_in;
  const endDelta = after.source_out - before.source_out;
  if (startDelta !== 0 && endDelta === 0) return `Trim start of ${name} ${formatFrameDelta(-startDelta)}`;
  if (endDelta !== 0 && startDelta === 0) return `Trim end of ${name} ${formatFrameDelta(endDelta)}`;
  return `Trim ${name}`;
}

const SETTING_NAMES: Partial<Record<keyof ClipSettings, string>> = {
  engine: 'Engine',
  packId: 'Pack',
  scale: 'Scale',
  targetFps: 'Frame rate',
  noise: 'Noise',
  sCond: 's_cond',
  steps: 'Steps',
  cfg: 'CFG',
  prompt: 'Prompt',
  seed: 'Seed',
  provider: 'Provider',
  chunkFrames: 'Chunk frames',
  tileLatent: 'Tile',
  classic: 'Classic filters',
};

/** Values short enough to print; the prompt and the filter set are only named. */
function settingValue(key: keyof ClipSettings, value: unknown): string | null {
  if (key === 'prompt' || key === 'classic') return null;
  if (value === null) return key === 'targetFps' ? 'source' : key === 'packId' ? 'default' : 'auto';
  return String(value);
}

/** "Scale 1 → 4 on t2v.mp4"; several settings: "Scale 1 → 4, Seed 666 → 7 on 2 clips"; many: "… and 3 more". */
export function settingsLabel(q: ProjectQueries, changes: { clip: ClipRow; before: ClipSettings; after: ClipSettings }[]): string {
  const changed = new Map<keyof ClipSettings, { before: Set<string>; after: string | null }>();
  for (const { before, after } of changes) {
    for (const key of Object.keys(SETTING_NAMES) as (keyof ClipSettings)[]) {
      const b = JSON.stringify(before[key] ?? null);
      const a = JSON.stringify(after[key] ?? null);
      if (a === b) continue;
      const entry = changed.get(key) ?? { before: new Set<string>(), after: settingValue(key, after[key]) };
      const shown = settingValue(key, before[key]);
      if (shown !== null) entry.before.add(shown);
      changed.set(key, entry);
    }
  }
  const touched = changes.filter(({ before, after }) => JSON.stringify(before) !== JSON.stringify(after)).map((c) => c.clip);
  if (changed.size === 0) return `Change enhancement settings on ${clipsName(q, changes.map((c) => c.clip))}`;
  const phrases = [...changed].map(([key, { before, after }]) => {
    const name = SETTING_NAMES[key]!;
    if (after === null) return `Change ${name.toLowerCase()}`;
    // Clips that differed before show their new value only.
    return before.size === 1 ? `${name} ${[...before][0]} → ${after}` : `${name} → ${after}`;
  });
  const shown = phrases.length > 2 ? `${phrases.slice(0, 2).join(', ')} and ${phrases.length - 2} more` : phrases.join(', ');
  return `${shown} on ${clipsName(q, touched)}`;
}

function trackName(track: TrackRow | undefined, id: number): string {
  return track?.name ?? `track ${id}`;
}

// Timeline edits: validate the request, then change clip/track rows through the ChangeRecorder so that the
// whole edit becomes one history entry. Overlaps follow an overwrite edit: the clip being placed wins, and
// whatever it lands on is trimmed, split or removed.
import { ApiError } from '../common/api';
import { durationInFrames } from '../common/frame-time';
import type { Rational } from '../common/model';
import { ClipSettingsSchema, defaultClipSettings, type ClipSettings } from '../common/settings';
import { describeZodError } from './errors';
import type { ChangeRecorder } from './history';
import { clipName, clipsName, moveLabel, settingsLabel, trimLabel } from './history-labels';
import { clipEnd, settingsFromJson, type ClipRow, type ProjectQueries, type TrackRow } from './queries';
import { requireFrame, requireIdList, requireInteger } from './validate';

export type EditContext = { q: ProjectQueries; rec: ChangeRecorder; fps: Rational };
export type Edit<T> = { label: string; result: T };

export function addTrack({ q, rec }: EditContext): Edit<TrackRow> {
  const top = q.maxTrackPosition.get()?.position ?? null;
  const position = top === null ? 0 : top + 1;
  const track = rec.insertTrack({ position, name: `V${position + 1}`, muted: 0, hidden: 0, locked: 0 });
  return { label: 'Add track', result: track };
}

/** Shows or hides a track's video (hidden tracks are skipped by the viewer, previews and exports), mutes its
 *  audio (silence in exports, no sound in the viewer), or locks its clips against edits. */
export function setTrack(ctx: EditContext, input: { trackId: number; hidden?: boolean; muted?: boolean; locked?: boolean }): Edit<void> {
  const track = requireTrack(ctx.q, requireInteger('trackId', input.trackId));
  for (const key of ['hidden', 'muted', 'locked'] as const) {
    if (input[key] !== undefined && typeof input[key] !== 'boolean') throw new ApiError('BAD_REQUEST', `${key} must be true or false.`);
  }
  const after: TrackRow = {
    ...track,
    hidden: input.hidden === undefined ? track.hidden : Number(input.hidden),
    muted: input.muted === undefined ? track.muted : Number(input.muted),
    locked: input.locked === undefined ? track.locked : Number(input.locked),
  };
  ctx.rec.updateTrack(track, after);
  const parts: string[] = [];
  if (after.hidden !== track.hidden) parts.push(after.hidden ? `Hide ${track.name}` : `Show ${track.name}`);
  if (after.muted !== track.muted) parts.push(after.muted ? `Mute the audio of ${track.name}` : `Unmute the audio of ${track.name}`);
  if (after.locked !== track.locked) parts.push(after.locked ? `Lock ${track.name}` : `Unlock ${track.name}`);
  return { label: parts.join(', ') || `Change ${track.name}`, result: undefined };
}

export function addClip(
  ctx: EditContext,
  input: { mediaId: number; trackId: number; start: number; sourceIn: number; sourceOut: number },
): Edit<ClipRow> {
  const mediaId = requireInteger('mediaId', input.mediaId);
  const trackId = requireInteger('trackId', input.trackId);
  const start = requireFrame('start', input.start);
  const { sourceIn, sourceOut } = requireSourceRange(ctx, mediaId, input.sourceIn, input.sourceOut);
  requireUnlocked(requireTrack(ctx.q, trackId));
  const end = start + sourceOut - sourceIn;
  overwrite(ctx, trackId, start, end, new Set());
  const clip = ctx.rec.insertClip({
    media_id: mediaId,
    track_id: trackId,
    start,
    source_in: sourceIn,
    source_out: sourceOut,
    settings: JSON.stringify(defaultClipSettings()),
  });
  return { label: `Add ${clipName(ctx.q, clip)} to ${requireTrack(ctx.q, trackId).name}`, result: clip };
}

export function moveClips(ctx: EditContext, moves: { clipId: number; trackId: number; start: number }[]): Edit<void> {
  if (!Array.isArray(moves) || moves.length === 0) throw new ApiError('BAD_REQUEST', 'moves must list at least one clip.');
  const clipIds = requireIdList('moves[].clipId', moves.map((move) => move?.clipId));
  const placed = moves.map((move, index) => {
    const clip = requireClip(ctx.q, clipIds[index]);
    requireUnlocked(requireTrack(ctx.q, clip.track_id));
    const trackId = requireInteger(`moves[${index}].trackId`, move.trackId);
    requireUnlocked(requireTrack(ctx.q, trackId));
    const start = requireFrame(`moves[${index}].start`, move.start);
    return { clip, after: { ...clip, track_id: trackId, start } };
  });
  requireNoOverlapAmong(placed.map((move) => move.after));
  const moving = new Set(clipIds);
  for (const { after } of placed) overwrite(ctx, after.track_id, after.start, clipEnd(after), moving);
  for (const { clip, after } of placed) ctx.rec.updateClip(clip, after);
  return { label: moveLabel(ctx.q, placed.map(({ clip, after }) => ({ before: clip, after }))), result: undefined };
}

export function trimClip(ctx: EditContext, input: { clipId: number; start: number; sourceIn: number; sourceOut: number }): Edit<void> {
  const clip = requireClip(ctx.q, requireInteger('clipId', input.clipId));
  requireUnlocked(requireTrack(ctx.q, clip.track_id));
  const start = requireFrame('start', input.start);
  const { sourceIn, sourceOut } = requireSourceRange(ctx, clip.media_id, input.sourceIn, input.sourceOut);
  const after: ClipRow = { ...clip, start, source_in: sourceIn, source_out: sourceOut };
  overwrite(ctx, clip.track_id, start, clipEnd(after), new Set([clip.id]));
  ctx.rec.updateClip(clip, after);
  return { label: trimLabel(ctx.q, clip, after), result: undefined };
}

export function splitClips(ctx: EditContext, clipIds: number[], at: number): Edit<void> {
  const ids = requireIdList('clipIds', clipIds);
  const frame = requireFrame('at', at);
  const spanning = ids.map((id) => requireClip(ctx.q, id)).filter((clip) => clip.start < frame && frame < clipEnd(clip));
  if (spanning.length === 0) throw new ApiError('BAD_REQUEST', 'The playhead is not inside a selected clip');
  for (const clip of spanning) requireUnlocked(requireTrack(ctx.q, clip.track_id));
  for (const clip of spanning) {
    const cut = clip.source_in + (frame - clip.start);
    ctx.rec.updateClip(clip, { ...clip, source_out: cut });
    const { id: _left, ...right } = clip;
    ctx.rec.insertClip({ ...right, start: frame, source_in: cut });
  }
  return { label: `Split ${clipsName(ctx.q, spanning)}`, result: undefined };
}

export function deleteClips(ctx: EditContext, clipIds: number[], ripple: boolean): Edit<void> {
  const ids = requireIdList('clipIds', clipIds);
  if (typeof ripple !== 'boolean') throw new ApiError('BAD_REQUEST', 'ripple must be true or false.');
  const doomed = ids.map((id) => requireClip(ctx.q, id));
  for (const clip of doomed) requireUnlocked(requireTrack(ctx.q, clip.track_id));
  for (const clip of doomed) ctx.rec.deleteClip(clip);
  if (ripple) {
    // Each remaining clip moves left by the length of every deleted clip before it on its track. Clips never
    // overlap, so order is kept and no two shifted clips can collide.
    for (const trackId of new Set(doomed.map((clip) => clip.track_id))) {
      const gaps = doomed.filter((clip) => clip.track_id === trackId);
      for (const clip of ctx.q.clipsOnTrack.all(trackId)) {
        const shift = gaps.filter((gap) => gap.start < clip.start).reduce((sum, gap) => sum + clipEnd(gap) - gap.start, 0);
        if (shift > 0) ctx.rec.updateClip(clip, { ...clip, start: clip.start - shift });
      }
    }
  }
  const label = `${ripple ? 'Ripple delete' : 'Delete'} ${clipsName(ctx.q, doomed)}`;
  return { label, result: undefined };
}

export function setClipSettings(ctx: EditContext, writes: { clipIds: number[]; settings: ClipSettings }[]): Edit<void> {
  if (!Array.isArray(writes) || writes.length === 0) throw new ApiError('BAD_REQUEST', 'Give at least one settings write.');
  const firstBefore = new Map<number, { clip: ClipRow; before: ClipSettings }>();
  const lastAfter = new Map<number, ClipSettings>();
  for (const { clipIds, settings } of writes) {
    const ids = requireIdList('clipIds', clipIds);
    const parsed = ClipSettingsSchema.safeParse(settings);
    if (!parsed.success) throw new ApiError('BAD_REQUEST', describeZodError(parsed.error, 'settings'));
    const json = JSON.stringify(parsed.data);
    // Re-read each clip: a clip listed in two writes takes the later one.
    for (const id of ids) {
      const clip = requireClip(ctx.q, id);
      if (!firstBefore.has(id)) firstBefore.set(id, { clip, before: settingsFromJson(clip.settings, id) });
      ctx.rec.updateClip(clip, { ...clip, settings: json });
      lastAfter.set(id, parsed.data);
    }
  }
  const changes = [...firstBefore].map(([id, { clip, before }]) => ({ clip, before, after: lastAfter.get(id)! }));
  return { label: settingsLabel(ctx.q, changes), result: undefined };
}

/** Makes room for [from, to) on a track: clips there (other than `keep`) are trimmed, split or removed. */
function overwrite({ q, rec }: EditContext, trackId: number, from: number, to: number, keep: Set<number>): void {
  for (const clip of q.clipsOverlapping.all(trackId, to, from)) {
    if (keep.has(clip.id)) continue;
    const end = clipEnd(clip);
    const leftSurvives = clip.start < from;
    const rightSurvives = end > to;
    if (!leftSurvives && !rightSurvives) {
      rec.deleteClip(clip);
      continue;
    }
    if (rightSurvives) {
      const right = { ...clip, start: to, source_in: clip.source_in + (to - clip.start) };
      if (leftSurvives) {
        const { id: _left, ...values } = right;
        rec.insertClip(values);
      } else {
        rec.updateClip(clip, right);
      }
    }
    if (leftSurvives) rec.updateClip(clip, { ...clip, source_out: clip.source_in + (from - clip.start) });
  }
}

function requireSourceRange(ctx: EditContext, mediaId: number, sourceInValue: unknown, sourceOutValue: unknown) {
  const sourceIn = requireFrame('sourceIn', sourceInValue);
  const sourceOut = requireFrame('sourceOut', sourceOutValue);
  if (sourceOut <= sourceIn) {
    throw new ApiError('BAD_REQUEST', `sourceOut (${sourceOut}) must be greater than sourceIn (${sourceIn}): a clip needs at least one frame.`);
  }
  const media = ctx.q.getMedia.get(mediaId);
  if (!media) throw new ApiError('NOT_FOUND', `No media with id ${mediaId} in this project.`);
  const length = durationInFrames((JSON.parse(media.probe) as { durationSec: number }).durationSec, ctx.fps);
  if (sourceOut > length) {
    throw new ApiError('BAD_REQUEST', `sourceOut (${sourceOut}) is past the end of the media, which is ${length} frames long at the project frame rate.`);
  }
  return { sourceIn, sourceOut };
}

function requireNoOverlapAmong(clips: ClipRow[]): void {
  const sorted = [...clips].sort((a, b) => a.track_id - b.track_id || a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (a.track_id === b.track_id && clipEnd(a) > b.start) {
      throw new ApiError('BAD_REQUEST', `moves: clips ${a.id} and ${b.id} would overlap each other on the same track.`);
    }
  }
}

/** A locked track refuses every edit that would add, move, trim, split or remove its clips. */
function requireUnlocked(track: TrackRow): void {
  if (track.locked) throw new ApiError('CONFLICT', `Track ${track.name} is locked: unlock it (the lock in its header) to edit its clips.`);
}

function requireClip(q: ProjectQueries, id: number): ClipRow {
  const clip = q.getClip.get(id);
  if (!clip) throw new ApiError('NOT_FOUND', `No clip with id ${id} on the timeline.`);
  return clip;
}

function requireTrack(q: ProjectQueries, id: number): TrackRow {
  const track = q.getTrack.get(id);
  if (!track) throw new ApiError('NOT_FOUND', `No track with id ${id} on the timeline.`);
  return track;
}

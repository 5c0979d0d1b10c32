// Builds a large project for the timeline-open benchmark: N clips spread over 3 tracks and M history entries,
// all made through the store's own edit code inside one transaction, so the result is a real project whose
// history undoes and redoes like any other.
import fs from 'node:fs';
import { durationInFrames } from '../main/common/frame-time';
import type { ProbeData } from '../main/common/model';
import { defaultClipSettings } from '../main/common/settings';
import { SqliteProjectStore } from '../main/store/project-store';

const TRACKS = 3;
const CLIP_FRAMES = 24;

/**
 * Creates `file` with `clips` clips and `history` history entries (at least clips + 2: adding the tracks and
 * clips is itself history; the rest are enhancement-settings changes spread over the clips).
 */
export function makeBigProject(file: string, opts: { clips: number; history: number; mediaPath: string; probe: ProbeData }): void {
  const store = SqliteProjectStore.open(file, { create: { name: 'Benchmark project', fps: opts.probe.fps } });
  try {
    store.transaction('build the benchmark project', () => {
      const stat = fs.existsSync(opts.mediaPath) ? fs.statSync(opts.mediaPath) : undefined;
      const [media] = store.addMedia([
        { path: opts.mediaPath, size: stat?.size ?? 0, mtimeMs: stat?.mtimeMs ?? 0, fingerprint: 'benchmark', probe: opts.probe },
      ]);
      const length = Math.min(CLIP_FRAMES, durationInFrames(opts.probe.durationSec, opts.probe.fps));
      if (length < 1) throw new Error(`The benchmark media ${opts.mediaPath} is too short to make clips from.`);
      const tracks = [store.listTracks()[0], ...Array.from({ length: TRACKS - 1 }, () => store.addTrack())];
      const clipIds: number[] = [];
      for (let i = 0; i < opts.clips; i++) {
        const clip = store.addClip({
          mediaId: media.id,
          trackId: tracks[i % TRACKS].id,
          start: Math.floor(i / TRACKS) * length,
          sourceIn: 0,
          sourceOut: length,
        });
        clipIds.push(clip.id);
      }
      const settingsChanges = opts.history - (TRACKS - 1) - opts.clips;
      for (let i = 0; i < settingsChanges && clipIds.length > 0; i++) {
        store.setClipSettings([clipIds[i % clipIds.length]], { ...defaultClipSettings(), seed: 1000 + Math.floor(i / clipIds.length) });
      }
    });
  } finally {
    store.close();
  }
}

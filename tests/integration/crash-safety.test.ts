// Kills the web host with SIGKILL in the middle of a burst of edits, then opens the project file directly: the
// file must pass SQLite's integrity check and hold every edit the host acknowledged.
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { integrityCheck, openProjectStore } from '../../main/store/project-store';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const tmp = makeTempDir('upframe-crash-');
let host: HostProcess | undefined;

afterAll(async () => {
  host?.kill('SIGKILL');
  if (host) await host.exited;
  tmp.cleanup();
});

it('keeps every acknowledged edit and an intact file when the host is killed mid-burst', async () => {
  host = await startHostProcess({ userDataDir: path.join(tmp.dir, 'user-data') });
  const { origin, token } = host;
  const projectFile = path.join(tmp.dir, 'crash.upframe');
  const video = makeTestVideo(tmp.dir, { name: 'clip', width: 160, height: 120, fps: 24, durationSec: 1, audio: false });
  await callApi(origin, token, 'project.create', { path: projectFile });
  const { imported } = await callApi(origin, token, 'media.import', { paths: [video] });
  const created = await callApi(origin, token, 'project.state', {});
  const trackId = created.tracks[0]?.id ?? (await callApi(origin, token, 'timeline.addTrack', {})).tracks[0].id;
  const withClip = await callApi(origin, token, 'timeline.addClip', { mediaId: imported[0].id, trackId, start: 0 });
  const clipId = withClip.clips[0].id;

  // A burst with up to 4 moves in flight. The host applies them one at a time but may receive them in any
  // order, so "the last acknowledged edit" is the acknowledged one with the highest revision.
  const total = 200;
  const killAfter = 60 + Math.floor(Math.random() * 60);
  let acknowledged = 0;
  let lastAck = { revision: withClip.revision, start: 0 };
  const unacknowledged = new Set<number>();
  let sent = 0;
  let killed = false;
  const failures: unknown[] = [];
  const worker = async () => {
    while (!killed && sent < total) {
      const start = ++sent;
      unacknowledged.add(start);
      try {
        const state = await callApi(origin, token, 'timeline.moveClips', { moves: [{ clipId, trackId, start }] });
        if (killed) return;
        unacknowledged.delete(start);
        // Each answer is the state right after its own edit (the host serialises edits).
        expect(state.clips.find((c) => c.id === clipId)!.start).toBe(start);
        acknowledged++;
        if (state.revision > lastAck.revision) lastAck = { revision: state.revision, start };
        if (acknowledged === killAfter) {
          killed = true;
          host!.kill('SIGKILL');
        }
      } catch (err) {
        if (!killed) failures.push(err);
        return;
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  expect(failures).toEqual([]);
  expect(killed).toBe(true);
  expect(sent).toBeLessThan(total); // killed mid-burst, not after it
  expect(await host.exited).toBeNull();

  expect(integrityCheck(projectFile)).toBe('ok');
  const store = openProjectStore(projectFile);
  try {
    const clip = store.getClip(clipId)!;
    const revision = store.revision();
    expect(revision).toBeGreaterThanOrEqual(lastAck.revision);
    if (revision === lastAck.revision) expect(clip.start).toBe(lastAck.start);
    // Otherwise moves in flight at the kill committed after it: the clip shows one of those.
    else expect([...unacknowledged]).toContain(clip.start);
    // The add and every acknowledged move are in the history (moves in flight at the kill may be too).
    const { total: entries } = store.listHistory(1);
    expect(entries).toBeGreaterThanOrEqual(acknowledged + 1);
    expect(entries).toBeLessThanOrEqual(acknowledged + unacknowledged.size + 1);
  } finally {
    store.close();
  }
});

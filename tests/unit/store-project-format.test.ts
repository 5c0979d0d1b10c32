// Project settings in the store: the person's frame rate and size, the rate fixed once clips exist, values checked,
// the choice remembered across reopening, and a version-2 project file migrated with its data kept.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../main/store/migrations';
import { integrityCheck, openProjectStore } from '../../main/store/project-store';
import { makeTempDir } from '../helpers/media-fixtures';
import { expectApiError, fakeProbe } from '../helpers/store-fixtures';

const temp = makeTempDir('upframe-store-format-');
afterAll(temp.cleanup);
let counter = 0;
const newPath = () => path.join(temp.dir, `format-${++counter}.upframe`);

describe('project format', () => {
  it('a new project without a rate has not chosen one; setFormat sets rate and size and remembers the choice', () => {
    const file = newPath();
    const store = openProjectStore(file, { create: { name: 'F' } });
    expect(store.formatChosen()).toBe(false);
    store.setFormat({ fps: { num: 25, den: 1 }, width: 1920, height: 1080 });
    expect(store.state().project).toMatchObject({ fps: { num: 25, den: 1 }, width: 1920, height: 1080 });
    expect(store.formatChosen()).toBe(true);
    store.close();
    const again = openProjectStore(file);
    expect(again.formatChosen()).toBe(true);
    again.close();
  });

  it('a rate given at creation is a choice', () => {
    const store = openProjectStore(newPath(), { create: { name: 'G', fps: { num: 30000, den: 1001 } } });
    expect(store.formatChosen()).toBe(true);
    store.close();
  });

  it('the rate is fixed once clips are on the timeline; the size is not; odd or tiny sizes are refused', () => {
    const store = openProjectStore(newPath(), { create: { name: 'H', fps: { num: 24, den: 1 } } });
    const media = store.addMedia([{ path: '/media/a.mp4', size: 1, mtimeMs: 1, fingerprint: 'a', probe: fakeProbe(4) }])[0];
    store.addClip({ mediaId: media.id, trackId: store.listTracks()[0].id, start: 0, sourceIn: 0, sourceOut: 24 });
    const before = store.state();
    expectApiError(() => store.setFormat({ fps: { num: 25, den: 1 } }), 'CONFLICT', /frame rate is fixed once clips are on the timeline \(1 now\)/);
    expect(store.state()).toEqual(before);
    // The same rate written another way is no change, so it is allowed with a new size.
    store.setFormat({ fps: { num: 48, den: 2 }, width: 1280, height: 720 });
    expect(store.state().project).toMatchObject({ fps: { num: 24, den: 1 }, width: 1280, height: 720 });
    expectApiError(() => store.setFormat({ width: 1281 }), 'BAD_REQUEST', /width must be an even number of pixels from 16 to 16384 \(got 1281\)/);
    expectApiError(() => store.setFormat({ height: 8 }), 'BAD_REQUEST', /height must be an even number/);
    store.close();
  });

  it('migrates a version-2 project file: the data kept, the format not chosen', () => {
    const file = newPath();
    const created = openProjectStore(file, { create: { name: 'Old' } });
    created.addTrack();
    const before = created.state();
    created.close();
    // Make it a version-2 file, as an earlier Upframe wrote it.
    const raw = new Database(file);
    raw.exec('ALTER TABLE project DROP COLUMN format_chosen');
    raw.exec('ALTER TABLE track DROP COLUMN locked');
    raw.pragma('user_version = 2');
    raw.close();
    const store = openProjectStore(file);
    expect(store.state()).toEqual(before);
    expect(store.formatChosen()).toBe(false);
    store.close();
    const db = new Database(file, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    db.close();
    expect(integrityCheck(file)).toBe('ok');
  });
});

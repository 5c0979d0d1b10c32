import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UPFRAME_APPLICATION_ID } from '../../main/store/connection';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../main/store/migrations';
import { integrityCheck, openProjectStore } from '../../main/store/project-store';
import { makeTempDir } from '../helpers/media-fixtures';
import { expectApiError } from '../helpers/store-fixtures';

const temp = makeTempDir('upframe-store-migrations-');
afterAll(temp.cleanup);
let counter = 0;
const newPath = (name = 'project') => path.join(temp.dir, `${name}-${++counter}.upframe`);
const hash = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function readHeader(file: string) {
  const db = new Database(file, { readonly: true });
  try {
    return {
      userVersion: db.pragma('user_version', { simple: true }) as number,
      applicationId: db.pragma('application_id', { simple: true }) as number,
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      tables: (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name),
    };
  } finally {
    db.close();
  }
}

describe('project store schema and file identity', () => {
  it('lists migrations in order, ending at the latest version', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
  });

  it('creates a project with user_version, application_id, WAL and the tables', () => {
    const file = newPath();
    const store = openProjectStore(file, { create: { name: 'First', fps: { num: 30000, den: 1001 }, width: 1280, height: 720 } });
    const state = store.state();
    store.close();
    expect(state.project).toMatchObject({ name: 'First', fps: { num: 30000, den: 1001 }, width: 1280, height: 720, markIn: null, markOut: null });
    expect(state.tracks.map((t) => t.name)).toEqual(['V1']);
    expect(state.revision).toBe(0);
    const header = readHeader(file);
    expect(header.userVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(header.applicationId).toBe(UPFRAME_APPLICATION_ID);
    expect(header.journalMode).toBe('wal');
    expect(header.tables).toEqual(expect.arrayContaining(['project', 'media_asset', 'track', 'clip', 'history', 'job']));
    expect(integrityCheck(file)).toBe('ok');
  });

  it('reopens idempotently, keeping the data', () => {
    const file = newPath();
    const created = openProjectStore(file, { create: { name: 'Again' } });
    created.addTrack();
    const before = created.state();
    created.close();
    for (let i = 0; i < 2; i++) {
      const store = openProjectStore(file);
      expect(store.state()).toEqual(before);
      store.close();
    }
    expect(readHeader(file).userVersion).toBe(LATEST_SCHEMA_VERSION);
  });

  it('refuses to create over an existing file, and to open a missing one', () => {
    const file = newPath();
    fs.writeFileSync(file, 'keep me');
    expectApiError(() => openProjectStore(file, { create: { name: 'X' } }), 'CONFLICT', /already exists/);
    expect(fs.readFileSync(file, 'utf8')).toBe('keep me');
    const missing = path.join(temp.dir, 'nowhere.upframe');
    expectApiError(() => openProjectStore(missing), 'NOT_FOUND', new RegExp(missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    expect(fs.existsSync(missing)).toBe(false);
    const noFolder = path.join(temp.dir, 'no-such-folder', 'p.upframe');
    expectApiError(() => openProjectStore(noFolder, { create: { name: 'X' } }), 'NOT_FOUND', /no-such-folder does not exist/);
  });

  it('refuses a project from a newer version without changing the file', () => {
    const file = newPath();
    openProjectStore(file, { create: { name: 'Future' } }).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 5}`);
    raw.close();
    const digest = hash(file);
    expectApiError(
      () => openProjectStore(file),
      'BAD_REQUEST',
      `This project was saved by a newer version of Upframe (schema ${LATEST_SCHEMA_VERSION + 5}); update Upframe to open it.`,
    );
    expect(hash(file)).toBe(digest);
    expect(readHeader(file).userVersion).toBe(LATEST_SCHEMA_VERSION + 5);
  });

  it('refuses a text file without modifying it', () => {
    const file = newPath('notes');
    fs.writeFileSync(file, 'These are my notes, not a project.\n'.repeat(20));
    const digest = hash(file);
    expectApiError(() => openProjectStore(file), 'BAD_REQUEST', /is not an Upframe project/);
    expect(hash(file)).toBe(digest);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('refuses an empty file without modifying it', () => {
    const file = newPath('empty');
    fs.writeFileSync(file, '');
    expectApiError(() => openProjectStore(file), 'BAD_REQUEST', /is not an Upframe project/);
    expect(fs.statSync(file).size).toBe(0);
  });

  it('refuses a SQLite database of another program without modifying it', () => {
    const file = newPath('other-app');
    const raw = new Database(file);
    raw.exec("CREATE TABLE contacts (name TEXT); INSERT INTO contacts VALUES ('Ada')");
    raw.close();
    const digest = hash(file);
    expectApiError(() => openProjectStore(file), 'BAD_REQUEST', /is not an Upframe project \(it is a database made by another program\)/);
    expect(hash(file)).toBe(digest);
    expect(readHeader(file)).toMatchObject({ userVersion: 0, applicationId: 0, journalMode: 'delete', tables: ['contacts'] });
  });

  it('rejects bad create options and leaves no half-made file behind', () => {
    const file = newPath();
    expectApiError(() => openProjectStore(file, { create: { name: '' } }), 'BAD_REQUEST', /name/);
    expectApiError(() => openProjectStore(file, { create: { name: 'X', fps: { num: 0, den: 1 } } }), 'BAD_REQUEST', /fps\.num/);
    expect(fs.existsSync(file)).toBe(false);
    expect(fs.existsSync(`${file}-wal`)).toBe(false);
  });

  it('logs slow queries with their name and duration', () => {
    const file = newPath();
    const messages: string[] = [];
    const store = openProjectStore(file, { create: { name: 'Slow' }, slowQueryMs: -1, log: (m) => messages.push(m) });
    store.state();
    store.close();
    expect(messages.some((m) => /^Slow query listClips: \d+\.\d ms$/.test(m))).toBe(true);
  });
});

// Opening a `.upframe` file: recognising it, refusing what is not ours (without touching it), setting the
// durability pragmas and bringing the schema up to date.
import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { ApiError } from '../common/api';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations';

/** PRAGMA application_id of every Upframe project: 'UPFR' in ASCII. */
export const UPFRAME_APPLICATION_ID = 0x55504652;

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
const BUSY_TIMEOUT_MS = 5000;

export type ConnectionOptions = { nativeBinding?: string };
type Db = Database.Database;

/** Creates a new project file with the current schema; `initialise` fills it inside the same transaction. */
export function createDatabase(file: string, opts: ConnectionOptions, initialise: (db: Db) => void): Db {
  if (fs.existsSync(file)) throw new ApiError('CONFLICT', `A file already exists at ${file}. Choose another name or open it.`);
  if (!fs.existsSync(path.dirname(path.resolve(file)))) {
    throw new ApiError('NOT_FOUND', `The folder ${path.dirname(path.resolve(file))} does not exist. Choose an existing folder for the project.`);
  }
  let db: Db | undefined;
  try {
    db = new Database(file, { nativeBinding: opts.nativeBinding });
    setPragmas(db);
    const database = db;
    database
      .transaction(() => {
        database.pragma(`application_id = ${UPFRAME_APPLICATION_ID}`);
        applyMigrations(database, 0);
        initialise(database);
      })
      .immediate();
    return db;
  } catch (error) {
    // A half-made file would later be refused as "not an Upframe project"; leave nothing behind.
    db?.close();
    for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
    throw error;
  }
}

/** Opens an existing project, migrating it if it is older. Files that are not ours are refused unmodified. */
export function openDatabase(file: string, opts: ConnectionOptions): Db {
  const version = identifyProject(file, opts);
  const db = new Database(file, { nativeBinding: opts.nativeBinding, fileMustExist: true });
  try {
    setPragmas(db);
    if (version < LATEST_SCHEMA_VERSION) db.transaction(() => applyMigrations(db, version)).immediate();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Checks, on a read-only connection, that the file is an Upframe project this build can open; returns its schema version. */
function identifyProject(file: string, opts: ConnectionOptions): number {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    throw new ApiError('NOT_FOUND', `No project file at ${file}. It may have been moved or deleted.`);
  }
  if (!stat.isFile()) throw new ApiError('BAD_REQUEST', `${file} is a folder, not an Upframe project file.`);
  if (!startsWithSqliteMagic(file)) {
    throw new ApiError('BAD_REQUEST', `${file} is not an Upframe project (it is not a project database). Choose a .upframe file.`);
  }
  let probe: Db | undefined;
  try {
    probe = new Database(file, { readonly: true, fileMustExist: true, nativeBinding: opts.nativeBinding });
    const applicationId = probe.pragma('application_id', { simple: true }) as number;
    const userVersion = probe.pragma('user_version', { simple: true }) as number;
    if (applicationId !== UPFRAME_APPLICATION_ID) {
      throw new ApiError('BAD_REQUEST', `${file} is not an Upframe project (it is a database made by another program). Choose a .upframe file.`);
    }
    if (userVersion > LATEST_SCHEMA_VERSION) {
      throw new ApiError(
        'BAD_REQUEST',
        `This project was saved by a newer version of Upframe (schema ${userVersion}); update Upframe to open it.`,
      );
    }
    return userVersion;
  } catch (error) {
    if (error instanceof Database.SqliteError) {
      throw new ApiError('BAD_REQUEST', `${file} cannot be opened as an Upframe project: it is damaged or not a project (${error.message}).`);
    }
    throw error;
  } finally {
    probe?.close();
  }
}

function startsWithSqliteMagic(file: string): boolean {
  const header = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = fs.openSync(file, 'r');
  try {
    const read = fs.readSync(fd, header, 0, header.length, 0);
    return read === header.length && header.equals(SQLITE_MAGIC);
  } finally {
    fs.closeSync(fd);
  }
}

// WAL with synchronous=FULL: a commit is on disk before the call returns, so an acknowledged edit survives a
// kill -9 or power loss. busy_timeout waits out short locks (a second window, a backup tool) instead of failing.
function setPragmas(db: Db): void {
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
}

function applyMigrations(db: Db, fromVersion: number): void {
  for (const migration of MIGRATIONS) {
    if (migration.version <= fromVersion) continue;
    db.exec(migration.sql);
    db.pragma(`user_version = ${migration.version}`);
  }
}

/** Runs PRAGMA integrity_check on a read-only connection; returns 'ok' or the problems, one per line. */
export function integrityCheck(file: string, opts: ConnectionOptions = {}): string {
  const db = new Database(file, { readonly: true, fileMustExist: true, nativeBinding: opts.nativeBinding });
  try {
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).join('\n');
  } finally {
    db.close();
  }
}

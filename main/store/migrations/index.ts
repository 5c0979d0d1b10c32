// Every schema migration, in order. A migration's version is the PRAGMA user_version the file has after it.
// Never edit a shipped migration: add the next numbered module and list it here.
import { sql as initial } from './0001-initial';
import { sql as jobProgress } from './0002-job-progress';
import { sql as projectFormat } from './0003-project-format';
import { sql as trackLock } from './0004-track-lock';

export type Migration = { version: number; name: string; sql: string };

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial', sql: initial },
  { version: 2, name: 'job progress', sql: jobProgress },
  { version: 3, name: 'project format chosen', sql: projectFormat },
  { version: 4, name: 'track lock', sql: trackLock },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

MIGRATIONS.forEach((migration, index) => {
  if (migration.version !== index + 1) {
    throw new Error(`Migration "${migration.name}" has version ${migration.version}; expected ${index + 1}.`);
  }
});

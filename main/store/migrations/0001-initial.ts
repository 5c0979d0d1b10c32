// Schema version 1. Frames are integers at the project frame rate; times are Unix milliseconds.
// STRICT tables make SQLite reject values of the wrong type instead of silently storing them.
export const sql = `
CREATE TABLE project (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  name         TEXT    NOT NULL,
  fps_num      INTEGER NOT NULL CHECK (fps_num > 0),
  fps_den      INTEGER NOT NULL CHECK (fps_den > 0),
  width        INTEGER NOT NULL CHECK (width > 0),
  height       INTEGER NOT NULL CHECK (height > 0),
  mark_in      INTEGER CHECK (mark_in >= 0),
  mark_out     INTEGER CHECK (mark_out >= 0),
  created_at   INTEGER NOT NULL,
  -- Bumped by every committed change to what state() returns; kept here so it survives restarts.
  revision     INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE media_asset (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  path         TEXT    NOT NULL,
  size         INTEGER NOT NULL CHECK (size >= 0),
  mtime_ms     REAL    NOT NULL,
  fingerprint  TEXT    NOT NULL,
  probe        TEXT    NOT NULL,
  offline      INTEGER NOT NULL DEFAULT 0 CHECK (offline IN (0, 1)),
  imported_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE track (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  position     INTEGER NOT NULL CHECK (position >= 0),
  name         TEXT    NOT NULL,
  muted        INTEGER NOT NULL DEFAULT 0 CHECK (muted IN (0, 1)),
  hidden       INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1))
) STRICT;

CREATE TABLE clip (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  media_id     INTEGER NOT NULL REFERENCES media_asset (id),
  track_id     INTEGER NOT NULL REFERENCES track (id),
  start        INTEGER NOT NULL CHECK (start >= 0),
  source_in    INTEGER NOT NULL CHECK (source_in >= 0),
  source_out   INTEGER NOT NULL,
  settings     TEXT    NOT NULL,
  CHECK (source_out > source_in)
) STRICT;
CREATE INDEX clip_by_track_start ON clip (track_id, start);
CREATE INDEX clip_by_media ON clip (media_id);

-- Each timeline edit as the list of row changes it made ({table, id, before, after}); undo applies 'before'
-- in reverse order, redo applies 'after'. Undone entries always follow every applied one (a new edit deletes
-- them), so the undo head is the newest applied entry and the redo head the oldest undone one.
CREATE TABLE history (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  label        TEXT    NOT NULL,
  changes      TEXT    NOT NULL,
  created_at   INTEGER NOT NULL,
  undone       INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1))
) STRICT;
CREATE INDEX history_by_undone ON history (undone, id);

CREATE TABLE job (
  id           INTEGER PRIMARY KEY AUTOINCREMENT,
  kind         TEXT    NOT NULL,
  state        TEXT    NOT NULL,
  label        TEXT    NOT NULL,
  payload      TEXT    NOT NULL,
  progress     REAL    NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
  eta_sec      REAL,
  message      TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
) STRICT;
`;

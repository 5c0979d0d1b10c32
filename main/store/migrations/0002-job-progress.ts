// Schema version 2: what the preview and export jobs report and resume from. stats holds the job's counters as
// JSON (chunks from the cache and computed for a preview, pieces and frames for an export); output_path is the
// file an export writes; elapsed_ms adds up the time the job actually ran, across pauses and restarts.
export const sql = `
ALTER TABLE job ADD COLUMN stats       TEXT    NOT NULL DEFAULT '{}';
ALTER TABLE job ADD COLUMN output_path TEXT;
ALTER TABLE job ADD COLUMN elapsed_ms  INTEGER NOT NULL DEFAULT 0 CHECK (elapsed_ms >= 0);
CREATE INDEX job_by_kind_state ON job (kind, state);
`;

// Schema version 4: a track can be locked, as in Resolve: its clips cannot be added to, moved, trimmed, split or
// deleted until it is unlocked.
export const sql = `
ALTER TABLE track ADD COLUMN locked INTEGER NOT NULL DEFAULT 0 CHECK (locked IN (0, 1));
`;

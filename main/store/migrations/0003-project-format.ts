// Schema version 3: whether the person chose the project's frame rate and size (Project settings, or a rate given
// at creation). Until they do, the first imported clip decides them, as before; once chosen, imports leave them.
export const sql = `
ALTER TABLE project ADD COLUMN format_chosen INTEGER NOT NULL DEFAULT 0 CHECK (format_chosen IN (0, 1));
`;

// The export file name from its template, shared by the export service (which has the last word) and the export
// dialog's live preview, so the name shown is the name written. Pure.

export type ExportNameValues = { project: string; range: string; codec: string; now: Date };

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** Fills {project}, {range}, {codec}, {date} (YYYY-MM-DD) and {time} (HH-MM-SS); unknown tokens stay as typed.
 *  Characters no file system takes (path separators included) become '-', and the name never starts hidden.
 *  May return '' (the caller says what to do). */
export function expandExportName(template: string, values: ExportNameValues): string {
  const d = values.now;
  const tokens: Record<string, string> = {
    project: values.project,
    range: values.range,
    codec: values.codec,
    date: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    time: `${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}`,
  };
  const expanded = template.replace(/\{(\w+)\}/g, (whole, key: string) => tokens[key] ?? whole);
  return expanded.replace(/[/\\:*?"<>|\x00-\x1f]/g, '-').trim().replace(/^\.+/, '');
}

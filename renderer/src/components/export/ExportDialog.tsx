// The export dialog. Placeholder until implemented.
export function ExportDialog() {
  return null;
}

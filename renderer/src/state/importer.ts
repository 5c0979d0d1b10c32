// Which file browser is open for media (import or relink), the imports running now with their progress, and the
// last import's per-file errors.
import type { EventPayload } from '../../../main/common/api';
import { createStore } from '../lib/store';

export type MediaBrowser = null | { kind: 'import' } | { kind: 'relink'; mediaId: number; name: string };
export type ImportError = { path: string; message: string };
export type ImportProgress = EventPayload<'media.importProgress'>;
/** An import this window started: progress is null until the services report its start (it may be queued). */
export type ImportRun = { importId: string; total: number; progress: ImportProgress | null; cancelling: boolean };

export const importStore = createStore({
  browser: null as MediaBrowser,
  errors: [] as ImportError[],
  runs: [] as ImportRun[],
  /** Progress events received for this window's imports; shown as a data attribute so tests need not race the UI. */
  progressEvents: 0,
});

/** A fresh id per import, so this window knows its own progress events among every window's. */
export function newImportId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return `import-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

export function addImportRun(importId: string, paths: string[]): void {
  importStore.set((s) => ({ runs: [...s.runs, { importId, total: paths.length, progress: null, cancelling: false }] }));
}

export function markImportCancelling(importId: string): void {
  importStore.set((s) => ({ runs: s.runs.map((r) => (r.importId === importId ? { ...r, cancelling: true } : r)) }));
}

export function endImportRun(importId: string): void {
  importStore.set((s) => ({ runs: s.runs.filter((r) => r.importId !== importId) }));
}

/** Applies a progress event when it belongs to one of this window's imports; others are ignored. */
export function applyImportProgress(progress: ImportProgress): void {
  const s = importStore.get();
  if (!s.runs.some((r) => r.importId === progress.importId)) return;
  importStore.set({
    runs: s.runs.map((r) => (r.importId === progress.importId ? { ...r, progress } : r)),
    progressEvents: s.progressEvents + 1,
  });
}

export function openImportBrowser(): void {
  importStore.set({ browser: { kind: 'import' } });
}

export function openRelinkBrowser(mediaId: number, name: string): void {
  importStore.set({ browser: { kind: 'relink', mediaId, name } });
}

// The import mutation lives in a component (MediaDialogs); drops from anywhere reach it through this hook-up.
let runImport: ((paths: string[]) => void) | null = null;

export function registerImportRunner(run: ((paths: string[]) => void) | null): void {
  runImport = run;
}

export function importPaths(paths: string[]): void {
  if (!runImport) throw new Error('No project is open to import into.');
  runImport(paths);
}

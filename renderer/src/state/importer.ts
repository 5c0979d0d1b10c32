// Which file browser is open for media (import or relink), and the last import's per-file errors.
import { createStore } from '../lib/store';

export type MediaBrowser = null | { kind: 'import' } | { kind: 'relink'; mediaId: number; name: string };
export type ImportError = { path: string; message: string };

export const importStore = createStore({
  browser: null as MediaBrowser,
  errors: [] as ImportError[],
});

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

// Export dialog and render queue visibility (owned by the export UI work). Placeholder until implemented.
import { createStore } from '../lib/store';

export const exportUiStore = createStore({ dialogOpen: false, queueOpen: false });

export function openExportDialog(): void {
  exportUiStore.set({ dialogOpen: true });
}

export function toggleRenderQueue(): void {
  exportUiStore.set((s) => ({ queueOpen: !s.queueOpen }));
}

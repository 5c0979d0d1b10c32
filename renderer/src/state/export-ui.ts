// Whether the export dialog and the render queue panel are open: UI state shared by the toolbar, the Ctrl+M
// shortcut and the dialog (which opens the queue after starting an export). The queue's visibility survives reloads.
import { createStore } from '../lib/store';

const QUEUE_OPEN_KEY = 'upframe.renderQueueOpen';

function savedQueueOpen(): boolean {
  try {
    return localStorage.getItem(QUEUE_OPEN_KEY) === '1';
  } catch {
    // Storage can be unavailable (privacy modes); the queue then starts closed.
    return false;
  }
}

export const exportUiStore = createStore({ dialogOpen: false, queueOpen: savedQueueOpen() });

export function openExportDialog(): void {
  exportUiStore.set({ dialogOpen: true });
}

export function closeExportDialog(): void {
  exportUiStore.set({ dialogOpen: false });
}

export function setRenderQueueOpen(open: boolean): void {
  exportUiStore.set({ queueOpen: open });
  localStorage.setItem(QUEUE_OPEN_KEY, open ? '1' : '0');
}

export function toggleRenderQueue(): void {
  setRenderQueueOpen(!exportUiStore.get().queueOpen);
}

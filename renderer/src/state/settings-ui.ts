// Whether the Settings dialog is open and on which tab: UI state shared by the toolbar, the start screen and the
// Ctrl/Cmd+, shortcut.
import { createStore } from '../lib/store';

export type SettingsTab = 'engine' | 'packs' | 'cache';

export const settingsStore = createStore({ open: false, tab: 'engine' as SettingsTab });

export function openSettings(tab?: SettingsTab): void {
  settingsStore.set(tab ? { open: true, tab } : { open: true });
}

// Whether the Settings dialog is open, on which tab, and whether its Add VEnhancer… dialog is open: UI state shared
// by the toolbar, the start screen, the inspector's "Add VEnhancer…" links and the Ctrl/Cmd+, shortcut.
import { createStore } from '../lib/store';

export type SettingsTab = 'engine' | 'packs' | 'cache';

export const settingsStore = createStore({ open: false, tab: 'engine' as SettingsTab, addVenhancer: false });

export function openSettings(tab?: SettingsTab): void {
  settingsStore.set(tab ? { open: true, tab } : { open: true });
}

/** Settings › Model packs with the Add VEnhancer… dialog open over it. */
export function openAddVenhancer(): void {
  settingsStore.set({ open: true, tab: 'packs', addVenhancer: true });
}

/** The Project settings dialog (frame rate and size), opened from the toolbar. */
export const projectSettingsStore = createStore({ open: false });

// The Settings dialog (app-level, not per project): engine preferences, model packs and the chunk cache, one tab each. Opened from
// the toolbar, the start screen, or Ctrl/Cmd+, anywhere in the app.
import * as Dialog from '@radix-ui/react-dialog';
import { X } from 'lucide-react';
import { lazy, Suspense, useEffect } from 'react';
import { useStore } from '../../lib/store';
import { openSettings, settingsStore, type SettingsTab } from '../../state/settings-ui';

// The panels (and the schema library their validation uses) load when the dialog first opens, not at start-up.
const EnginePrefsForm = lazy(() => import('./EnginePrefsForm').then((m) => ({ default: m.EnginePrefsForm })));
const PacksPanel = lazy(() => import('./PacksPanel').then((m) => ({ default: m.PacksPanel })));
const CachePanel = lazy(() => import('./CachePanel').then((m) => ({ default: m.CachePanel })));

const TABS: { id: SettingsTab; label: string }[] = [
  { id: 'engine', label: 'Engine' },
  { id: 'packs', label: 'Model packs' },
  { id: 'cache', label: 'Cache' },
];

export const SETTINGS_SHORTCUT = navigator.platform.toLowerCase().includes('mac') ? '⌘,' : 'Ctrl+,';

/** Ctrl+, (Cmd+, on macOS) opens the settings, as in most desktop apps; it works while typing too. */
export function useSettingsShortcut(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key === ',') {
        e.preventDefault();
        openSettings();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

export function SettingsDialog() {
  const open = useStore(settingsStore, (s) => s.open);
  const tab = useStore(settingsStore, (s) => s.tab);
  return (
    <Dialog.Root open={open} onOpenChange={(o) => settingsStore.set(o ? { open: true } : { open: false, addVenhancer: false })}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog settings" data-testid="settings-dialog" aria-describedby={undefined}>
          <Dialog.Title className="dialog-title">Settings</Dialog.Title>
          <div className="tabs" role="tablist" aria-label="Settings sections">
            {TABS.map((t) => (
              <button
                key={t.id}
                role="tab"
                id={`settings-tab-${t.id}`}
                aria-selected={tab === t.id}
                aria-controls={`settings-panel-${t.id}`}
                className={`tab ${tab === t.id ? 'tab-on' : ''}`}
                onClick={() => settingsStore.set({ tab: t.id })}
                data-testid={`settings-tab-${t.id}`}
              >
                {t.label}
              </button>
            ))}
          </div>
          <div role="tabpanel" id={`settings-panel-${tab}`} aria-labelledby={`settings-tab-${tab}`} className="settings-panel">
            <Suspense fallback={<p className="muted">Loading…</p>}>{tab === 'engine' ? <EnginePrefsForm /> : tab === 'packs' ? <PacksPanel /> : <CachePanel />}</Suspense>
          </div>
          <Dialog.Close className="btn btn-icon settings-close" aria-label="Close settings" data-testid="settings-close">
            <X size={14} aria-hidden />
          </Dialog.Close>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

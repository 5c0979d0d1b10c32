// The right column of the edit page: the clip inspector and the edit history, one tab each.
import { useState } from 'react';
import { HistoryPanel } from './HistoryPanel';
import { Inspector } from './inspector/Inspector';

type RightTab = 'inspector' | 'history';
const TABS: { id: RightTab; label: string }[] = [
  { id: 'inspector', label: 'Inspector' },
  { id: 'history', label: 'History' },
];

const TAB_KEY = 'upframe.rightPanelTab';

function savedTab(): RightTab {
  const saved = localStorage.getItem(TAB_KEY);
  return TABS.some((t) => t.id === saved) ? (saved as RightTab) : 'inspector';
}

/** The tab open last stays open across reloads, as panels do in desktop editors. */
export function RightPanel() {
  const [tab, setTabState] = useState<RightTab>(savedTab);
  const setTab = (next: RightTab) => {
    localStorage.setItem(TAB_KEY, next);
    setTabState(next);
  };
  return (
    <div className="panel right-panel" data-testid="right-panel">
      <div className="tabs right-tabs" role="tablist" aria-label="Inspector and history">
        {TABS.map((t) => (
          <button
            key={t.id}
            role="tab"
            id={`right-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`right-panel-${t.id}`}
            className={`tab ${tab === t.id ? 'tab-on' : ''}`}
            onClick={() => setTab(t.id)}
            data-testid={`right-tab-${t.id}`}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`right-panel-${tab}`} aria-labelledby={`right-tab-${tab}`} className="right-panel-body">
        {tab === 'inspector' ? <Inspector /> : <HistoryPanel />}
      </div>
    </div>
  );
}

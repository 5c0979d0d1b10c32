// History: every edit as an entry, newest on top; undone entries greyed; click one to undo/redo to it.
import type { HistoryEntry } from '../../../main/common/model';
import { useHistory, useHistoryJump } from '../state/server';

/** Undos (negative) or redos (positive) that make `target` the newest applied entry; null target = before all. */
export function stepsTo(entries: HistoryEntry[], target: HistoryEntry | null): number {
  if (target === null) return -entries.filter((e) => !e.undone).length;
  if (target.undone) return entries.filter((e) => e.undone && e.id <= target.id).length;
  return -entries.filter((e) => !e.undone && e.id > target.id).length;
}

export function HistoryPanel() {
  const history = useHistory(true);
  const jump = useHistoryJump();
  const entries = [...(history.data?.entries ?? [])].sort((a, b) => b.id - a.id);
  const head = entries.find((e) => !e.undone) ?? null;
  const complete = history.data ? history.data.total <= entries.length : false;
  const go = (target: HistoryEntry | null) => {
    const steps = stepsTo(entries, target);
    if (steps !== 0 && !jump.isPending) jump.mutate(steps);
  };
  return (
    <section className="panel history-panel" data-testid="history-panel">
      <header className="panel-header">
        <h2>History</h2>
        <span className="muted small">{history.data ? `${history.data.total} edits` : ''}</span>
      </header>
      <ol className="history-list" aria-busy={jump.isPending}>
        {entries.map((e) => (
          <li key={e.id}>
            <button
              className={`history-entry ${e.undone ? 'undone' : ''} ${head?.id === e.id ? 'current' : ''}`}
              data-testid="history-entry"
              data-entry-id={e.id}
              data-undone={e.undone}
              data-current={head?.id === e.id}
              onClick={() => go(e)}
              title={new Date(e.createdAt).toLocaleString()}
            >
              {e.label}
            </button>
          </li>
        ))}
        {complete && (
          <li>
            <button
              className={`history-entry origin ${head === null ? 'current' : ''}`}
              data-testid="history-origin"
              onClick={() => go(null)}
            >
              Project opened
            </button>
          </li>
        )}
        {!complete && history.data && <li className="muted small history-more">Older entries not shown</li>}
      </ol>
    </section>
  );
}

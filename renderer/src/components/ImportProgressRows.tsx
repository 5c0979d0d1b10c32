// The media bin's progress rows: one per import this window started, with how far it is, what it probes now,
// about how long is left, and Cancel (Esc cancels them too while they are shown).
import { useEffect } from 'react';
import { useStore } from '../lib/store';
import { importStore, markImportCancelling, type ImportRun } from '../state/importer';
import { call } from '../state/server';
import { showError } from '../state/toasts';

function cancelImport(importId: string): void {
  markImportCancelling(importId);
  // The import itself then rejects with CANCELLED, which says "nothing was imported".
  call('media.cancelImport', { importId }).catch((err) => showError(err, 'Could not cancel the import'));
}

/** Esc belongs to a dialog, a menu or a text field when one has focus; otherwise it cancels the imports. */
function escapeIsTakenElsewhere(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || target.isContentEditable || !!target.closest('[role="dialog"], [role="menu"]');
}

export function formatTimeLeft(etaSec: number): string {
  if (etaSec < 1) return 'less than a second left';
  if (etaSec < 60) return `about ${Math.ceil(etaSec)} s left`;
  return `about ${Math.ceil(etaSec / 60)} min left`;
}

export function importRunLabel(run: ImportRun): string {
  const p = run.progress;
  const files = `${run.total} file${run.total > 1 ? 's' : ''}`;
  // No progress yet: the services have not reached this import (another operation holds their queue).
  if (!p) return `Waiting to import ${files}…`;
  if (p.done >= p.total) return `Adding ${files} to the project…`;
  const eta = p.etaSec === null ? '' : ` — ${formatTimeLeft(p.etaSec)}`;
  return `Importing ${p.done + 1} of ${p.total}: ${p.currentName ?? ''}${eta}`;
}

export function ImportProgressRows() {
  const runs = useStore(importStore, (s) => s.runs);

  useEffect(() => {
    if (runs.length === 0) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || escapeIsTakenElsewhere(e.target)) return;
      e.preventDefault();
      for (const run of runs) if (!run.cancelling) cancelImport(run.importId);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [runs]);

  if (runs.length === 0) return null;
  return (
    <div className="import-progress-list">
      {runs.map((run) => (
        <ImportProgressRow key={run.importId} run={run} />
      ))}
    </div>
  );
}

function ImportProgressRow({ run }: { run: ImportRun }) {
  const done = run.progress?.done ?? 0;
  const label = importRunLabel(run);
  return (
    <div className="import-progress" data-testid="import-progress" data-import-id={run.importId} data-done={done} data-total={run.total}>
      <div className="import-progress-head">
        <span className="import-progress-label" data-testid="import-progress-label" title={label}>
          {run.cancelling ? 'Cancelling the import…' : label}
        </span>
        <button
          className="btn btn-small"
          data-testid="import-cancel"
          disabled={run.cancelling}
          title="Cancel the import (Esc): nothing is imported"
          onClick={() => cancelImport(run.importId)}
        >
          Cancel
        </button>
      </div>
      <div
        className="import-progress-bar"
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={run.total}
        aria-valuenow={done}
        aria-valuetext={label}
      >
        <div className="import-progress-fill" style={{ width: `${(100 * done) / run.total}%` }} />
      </div>
    </div>
  );
}

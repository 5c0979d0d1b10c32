// The render queue panel under the timeline: every export of the project (kept in SQLite, so it survives reloads
// and restarts), live from 'export.updated' events. Its notifications run while the panel is closed too.
import { useEffect, useRef, useState } from 'react';
import { X } from 'lucide-react';
import { useStore } from '../../lib/store';
import { useExportJobs, useExportUpdates } from '../../state/export';
import { exportUiStore, openExportDialog, setRenderQueueOpen } from '../../state/export-ui';
import { errorMessage } from '../../state/toasts';
import { notifyExportChange } from './output-actions';
import { RenderJobRow } from './RenderJobRow';

/** A clock for the rows' elapsed time between events; ticks only while a job runs. */
function useNow(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

export function RenderQueue() {
  const open = useStore(exportUiStore, (s) => s.queueOpen);
  useExportUpdates(notifyExportChange);
  const jobs = useExportJobs();
  const list = jobs.data ?? [];
  const running = list.some((j) => j.state === 'running');
  const now = useNow(open && running);
  const bodyRef = useRef<HTMLDivElement>(null);
  const newest = list.reduce((max, j) => Math.max(max, j.id), 0);
  // A newly queued export scrolls into view, so the person sees it start.
  useEffect(() => {
    if (!open || newest === 0) return;
    bodyRef.current?.querySelector(`[data-job-id="${newest}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [open, newest]);
  if (!open) return null;

  const active = list.filter((j) => j.state === 'running' || j.state === 'queued' || j.state === 'paused').length;
  return (
    <section className="panel render-queue" data-testid="render-queue" aria-label="Render queue">
      <header className="panel-header">
        <h2>Render queue</h2>
        <span className="muted small" data-testid="render-queue-summary">
          {list.length === 0 ? 'empty' : `${active} not finished · ${list.length} in all`}
        </span>
        <span className="grow" />
        <button className="btn btn-small" onClick={openExportDialog} title="Export the timeline, the I/O range or the selected clips (Ctrl+M)">
          New export…
        </button>
        <button className="btn btn-icon btn-small" onClick={() => setRenderQueueOpen(false)} aria-label="Hide the render queue" data-testid="render-queue-close">
          <X size={14} aria-hidden />
        </button>
      </header>
      <div className="render-queue-body" ref={bodyRef}>
        {jobs.error && (
          <div className="banner error" role="alert">
            Could not read the render queue: {errorMessage(jobs.error)}{' '}
            <button className="btn btn-small" onClick={() => void jobs.refetch()}>
              Try again
            </button>
          </div>
        )}
        {jobs.isPending && !jobs.error && <p className="muted render-queue-note">Loading…</p>}
        {jobs.data && list.length === 0 && (
          <p className="muted render-queue-note">No exports yet. Export… (Ctrl+M) adds one; it renders here while you keep editing.</p>
        )}
        {list.map((job) => (
          <RenderJobRow key={job.id} job={job} now={now} />
        ))}
      </div>
    </section>
  );
}

// One export in the render queue: what it writes, how far it is (frames, render fps, ETA, elapsed), what went
// wrong and what to do, and its actions (pause, resume, cancel with a confirm, remove, show the file).
import { useState } from 'react';
import type { ExportJob } from '../../../../main/common/render-model';
import { hostKind } from '../../api/client';
import { useExportJobAction, useRemoveExportJob } from '../../state/export';
import { baseName, copyPath, showInFolder } from './output-actions';
import { FarmPieces } from './FarmPieces';

const STATE_LABELS: Record<ExportJob['state'], string> = {
  queued: 'Queued',
  running: 'Rendering',
  paused: 'Paused',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

/** 75 -> "1:15", 3725 -> "1:02:05". */
export function formatClock(totalSec: number): string {
  const s = Math.max(0, Math.floor(totalSec));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor(s / 60) % 60;
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${String(mm).padStart(2, '0')}:${ss}` : `${mm}:${ss}`;
}

// Between two events a running job's elapsed time is counted here; never further than this past its last update,
// so a stalled job (or two clocks that disagree) cannot make it run away.
const MAX_ELAPSED_EXTRAPOLATION_SEC = 30;

function elapsedNow(job: ExportJob, now: number): number {
  if (job.state !== 'running') return job.elapsedSec;
  const since = Math.min(Math.max(0, (now - job.updatedAt) / 1000), MAX_ELAPSED_EXTRAPOLATION_SEC);
  return job.elapsedSec + since;
}

function outputFacts(job: ExportJob): string | null {
  if (!job.output) return null;
  const { width, height, fps } = job.output;
  const rate = fps.num / fps.den;
  return `${width}×${height} · ${Number.isInteger(rate) ? rate : rate.toFixed(3)} fps · ${job.spec.codec}`;
}

export function RenderJobRow({ job, now }: { job: ExportJob; now: number }) {
  const pause = useExportJobAction('export.pause');
  const resume = useExportJobAction('export.resume');
  const cancel = useExportJobAction('export.cancel');
  const remove = useRemoveExportJob();
  const [confirmingCancel, setConfirmingCancel] = useState(false);
  const [pathShown, setPathShown] = useState(false);

  const name = baseName(job.outputPath);
  const totalFrames = job.output?.frames ?? 0;
  const doneFrames = job.state === 'done' ? totalFrames : (job.stats.framesDone ?? Math.round(job.progress * totalFrames));
  const percent = Math.round(job.progress * 100);
  const live = job.state === 'running' || job.state === 'queued' || job.state === 'paused';
  const busy = pause.isPending || resume.isPending || cancel.isPending || remove.isPending;
  const facts = outputFacts(job);

  const stats: string[] = [];
  if (totalFrames > 0) stats.push(`${doneFrames} / ${totalFrames} frames`);
  if (job.state === 'running' && job.renderFps !== null) stats.push(`${job.renderFps.toFixed(1)} fps`);
  if (job.state === 'running' && job.etaSec !== null) stats.push(`${formatClock(job.etaSec)} left`);
  stats.push(`${formatClock(elapsedNow(job, now))} elapsed`);

  return (
    <div
      className={`render-job render-job-${job.state}`}
      data-testid="render-job"
      data-state={job.state}
      data-job-id={job.id}
      data-progress={job.progress}
      data-output-path={job.outputPath}
    >
      <div className="render-job-head">
        <span className="render-job-name" title={job.label}>
          {name}
        </span>
        <span className={`render-job-state state-${job.state}`} data-testid="render-job-state">
          {STATE_LABELS[job.state]}
          {live && job.state !== 'queued' ? ` ${percent}%` : ''}
        </span>
        <span className="render-job-actions">
          {(job.state === 'running' || job.state === 'queued') && (
            <button
              className="btn btn-small"
              disabled={busy}
              onClick={() => pause.mutate(job.id)}
              title="Stop here; Resume continues from the last finished piece"
              data-testid="render-job-pause"
            >
              Pause
            </button>
          )}
          {(job.state === 'paused' || job.state === 'failed') && (
            <button
              className="btn btn-small"
              disabled={busy}
              onClick={() => resume.mutate(job.id)}
              title="Continue from the last finished piece"
              data-testid="render-job-resume"
            >
              {job.state === 'failed' ? 'Retry' : 'Resume'}
            </button>
          )}
          {live && !confirmingCancel && (
            <button className="btn btn-small" disabled={busy} onClick={() => setConfirmingCancel(true)} data-testid="render-job-cancel">
              Cancel…
            </button>
          )}
          {job.state === 'done' && (
            <button
              className="btn btn-small"
              onClick={() => (hostKind() === 'electron' ? void showInFolder(job.outputPath) : setPathShown((v) => !v))}
              aria-expanded={hostKind() === 'electron' ? undefined : pathShown}
              data-testid="render-job-show"
            >
              {hostKind() === 'electron' ? 'Show in folder' : 'Show path'}
            </button>
          )}
          {!live && (
            <button
              className="btn btn-small"
              disabled={busy}
              onClick={() => remove.mutate(job.id)}
              title="Remove from the queue; the output file stays"
              data-testid="render-job-remove"
            >
              Remove
            </button>
          )}
        </span>
        <span className="render-job-path" title={job.outputPath}>
          {job.outputPath}
        </span>
      </div>
      <div
        className="render-job-bar"
        role="progressbar"
        aria-label={`Export ${name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <div className="render-job-fill" style={{ width: `${percent}%` }} />
      </div>
      <div className="render-job-facts">
        <span data-testid="render-job-stats">{stats.join(' · ')}</span>
        {facts && <span className="muted">{facts}</span>}
      </div>
      {job.farm && <FarmPieces farm={job.farm} />}
      {job.message && (
        <div className={`render-job-message ${job.state === 'failed' ? 'error' : ''}`} role={job.state === 'failed' ? 'alert' : undefined} data-testid="render-job-message">
          {job.message}
        </div>
      )}
      {confirmingCancel && live && (
        <div className="render-job-confirm" role="alertdialog" aria-label={`Cancel the export of ${name}?`} data-testid="render-job-cancel-dialog">
          <span>Cancel the export of {name}? What it has rendered so far is deleted.</span>
          <button
            className="btn btn-small btn-danger"
            disabled={busy}
            onClick={() => cancel.mutate(job.id, { onSettled: () => setConfirmingCancel(false) })}
            data-testid="render-job-cancel-confirm"
          >
            Cancel export
          </button>
          <button className="btn btn-small" autoFocus onClick={() => setConfirmingCancel(false)} data-testid="render-job-cancel-keep">
            Keep
          </button>
        </div>
      )}
      {pathShown && job.state === 'done' && (
        <div className="render-job-path-row" data-testid="render-job-path">
          <code>{job.outputPath}</code>
          <button className="btn btn-small" onClick={() => copyPath(job.outputPath)} data-testid="render-job-copy">
            Copy path
          </button>
        </div>
      )}
    </div>
  );
}

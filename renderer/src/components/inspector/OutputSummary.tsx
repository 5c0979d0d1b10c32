// What the settings produce for a clip: output size, rate, frame count and the time it would take here.
import type { Clip } from '../../../../main/common/model';
import type { ClipSettings } from '../../../../main/common/settings';
import { useClipEstimate } from '../../state/clip-settings';
import { errorMessage } from '../../state/toasts';
import { formatRate } from './fields';

/** "about 40 s", "about 3 min", "about 1 h 20 min". */
export function formatAbout(sec: number): string {
  if (sec < 60) return `about ${Math.max(1, Math.round(sec))} s`;
  if (sec < 3600) return `about ${Math.round(sec / 60)} min`;
  const h = Math.floor(sec / 3600);
  const m = Math.round((sec - h * 3600) / 60);
  return m > 0 ? `about ${h} h ${m} min` : `about ${h} h`;
}

export function OutputSummary({ clip, settings, clipCount }: { clip: Clip; settings: ClipSettings; clipCount: number }) {
  const estimate = useClipEstimate(clip.id, settings);
  const e = estimate.data;
  return (
    <div className="inspector-output">
      <span className="inspector-section-title">Output{clipCount > 1 ? ' (first selected clip)' : ''}</span>
      {estimate.isError && !e ? (
        <span className="field-error" role="alert" data-testid="settings-output" data-state="error">
          Could not estimate the output: {errorMessage(estimate.error)}
        </span>
      ) : e ? (
        <span
          className="inspector-output-text"
          data-testid="settings-output"
          data-state={estimate.isFetching ? 'updating' : 'ready'}
          data-width={e.width}
          data-height={e.height}
          data-frames={e.frames}
        >
          {`${e.width}×${e.height} · ${formatRate(e.fps)} fps · ${e.frames} frames · `}
          {e.estimateSec === null ? 'time: run a preview to estimate' : formatAbout(e.estimateSec)}
        </span>
      ) : (
        <span className="muted small" data-testid="settings-output" data-state="loading">
          Estimating…
        </span>
      )}
      {e && e.notes.length > 0 && (
        <ul className="inspector-notes" data-testid="settings-notes">
          {e.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

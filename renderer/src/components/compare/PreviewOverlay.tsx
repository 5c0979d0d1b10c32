// What the running preview is doing, over the viewer or the compare viewer: chunk, percentage, time left, and a
// cancel button (Esc does the same). A preview that failed before anything could be shown says why here.
import type { Preview } from '../../../../main/common/render-model';
import { cancelRunningPreview, closeCompare, compareShown, isPreviewRunning, type PreviewUiState } from '../../state/preview';
import { Tip } from '../Tip';

function formatSecondsLeft(sec: number): string {
  const s = Math.max(1, Math.round(sec));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  const rest = s % 60;
  return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
}

/** "Chunk 2 of 5 · 40 % · about 12 s left". */
export function progressText(p: Preview): string {
  const { total, done } = p.chunks;
  const chunk = total === 0 ? 'Planning chunks' : `Chunk ${Math.min(done + 1, total)} of ${total}`;
  const eta = p.etaSec === null ? 'estimating time left' : `about ${formatSecondsLeft(p.etaSec)} left`;
  return `${chunk} · ${Math.round(p.progress * 100)} % · ${eta}`;
}

export function PreviewOverlay({ ui }: { ui: PreviewUiState }) {
  const p = ui.preview;
  if (p && isPreviewRunning(p)) {
    return (
      <div className="preview-progress" role="status" data-testid="preview-progress" data-preview-id={p.id}>
        <div className="preview-progress-head">
          <span className="preview-progress-text">{progressText(p)}</span>
          <Tip label="Cancel the preview (Esc); finished chunks stay cached">
            <button className="btn btn-small" onClick={() => cancelRunningPreview()} data-testid="preview-cancel">
              Cancel
            </button>
          </Tip>
        </div>
        <div className="preview-progress-bar">
          <div className="preview-progress-fill" style={{ width: `${Math.round(p.progress * 100)}%` }} />
        </div>
        {(p.message || p.chunks.fromCache > 0) && (
          <div className="muted small">
            {[p.message, p.chunks.fromCache > 0 ? `${p.chunks.fromCache} from cache` : null].filter(Boolean).join(' · ')}
          </div>
        )}
      </div>
    );
  }
  if (ui.starting) {
    return (
      <div className="preview-progress" role="status" data-testid="preview-progress">
        <div className="preview-progress-head">
          <span className="preview-progress-text">Starting the preview…</span>
        </div>
      </div>
    );
  }
  if (p && p.state === 'failed' && !ui.dismissed && !compareShown(ui)) {
    return (
      <div className="preview-progress preview-failed" role="alert" data-testid="preview-failed">
        <div className="preview-progress-head">
          <strong>Preview failed</strong>
          <button className="btn btn-small" onClick={closeCompare}>
            Dismiss
          </button>
        </div>
        <div className="preview-failed-message">{p.message ?? 'The preview failed without a message; check the clip settings and try again.'}</div>
      </div>
    );
  }
  return null;
}

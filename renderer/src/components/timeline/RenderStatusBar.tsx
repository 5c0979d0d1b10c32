// The render-status bar above the tracks: per clip, which ranges are enhanced for its current settings (cached),
// were enhanced with other settings (stale) or not at all (none). It scrolls and zooms with the timeline, and a
// drag on it selects the preview segment.
import { memo } from 'react';
import type { RenderRangeState } from '../../../../main/common/render-model';
import { useStore } from '../../lib/store';
import { useRenderStatus, useRenderStatusEvents } from '../../state/clip-settings';
import { editorStore } from '../../state/editor';
import { errorMessage } from '../../state/toasts';
import { useTimelineActions } from './actions';
import { HEADER_WIDTH, RENDER_MARGIN_PX, RULER_HEIGHT, STATUS_BAR_HEIGHT } from './layout';

export const RANGE_MEANING: Record<RenderRangeState, string> = {
  cached: 'Enhanced for the current settings (in the cache): previews and exports reuse it.',
  stale: 'Enhanced with other settings or another pack: preview again to update it.',
  none: 'Not enhanced yet: preview it (P) or export to render it.',
};

export const RenderStatusBar = memo(function RenderStatusBar({ width }: { width: number }) {
  useRenderStatusEvents();
  const status = useRenderStatus();
  const actions = useTimelineActions();
  const pxPerFrame = useStore(editorStore, (s) => s.pxPerFrame);
  // Quantised like the track lanes, so small scrolls do not re-render the bar.
  const windowKey = useStore(editorStore, (s) => {
    const step = RENDER_MARGIN_PX / 2;
    const from = Math.floor(s.scrollLeft / step) * step - RENDER_MARGIN_PX;
    return `${from}:${from + s.viewportWidth - HEADER_WIDTH + RENDER_MARGIN_PX * 2 + step}`;
  });
  const [fromPx, toPx] = windowKey.split(':').map(Number);
  const fromFrame = Math.floor(fromPx / pxPerFrame);
  const toFrame = Math.ceil(toPx / pxPerFrame);

  const ranges: React.ReactNode[] = [];
  for (const clip of status.data?.clips ?? []) {
    clip.ranges.forEach((r, i) => {
      if (r.end <= fromFrame || r.start >= toFrame || r.end <= r.start) return;
      const title = clip.problem ? `${RANGE_MEANING[r.state]}\nProblem: ${clip.problem}` : RANGE_MEANING[r.state];
      ranges.push(
        <div
          key={`${clip.clipId}:${i}`}
          className={`render-status-range state-${r.state} ${clip.problem ? 'has-problem' : ''}`}
          data-testid="render-status-range"
          data-clip-id={clip.clipId}
          data-state={r.state}
          data-start={r.start}
          data-end={r.end}
          data-problem={clip.problem ?? undefined}
          title={title}
          style={{ transform: `translateX(${r.start * pxPerFrame}px)`, width: Math.max(1, (r.end - r.start) * pxPerFrame) }}
        />,
      );
    });
  }

  return (
    <div className="render-status-row" style={{ height: STATUS_BAR_HEIGHT, top: RULER_HEIGHT }}>
      <div className="render-status-corner" style={{ width: HEADER_WIDTH }} title="Green: cached · amber: stale · grey: not enhanced. Drag on the bar to choose the preview segment.">
        Render
      </div>
      <div
        className="render-status-lane"
        data-testid="render-status-bar"
        data-state={status.isError ? 'error' : status.isPending ? 'loading' : 'ready'}
        style={{ width }}
        onPointerDown={(e) => actions.beginSegment(e, null)}
      >
        {ranges}
        {status.isError && (
          <span className="render-status-error" role="alert" data-testid="render-status-error" title={errorMessage(status.error)}>
            Render status unavailable: {errorMessage(status.error)}
          </span>
        )}
      </div>
    </div>
  );
});

// The export dialog's summary line: what the export will produce (size, rate, duration) and how long the
// enhancement should take here, from the planner the export itself uses, before anything starts.
import { useQuery } from '@tanstack/react-query';
import type { ProjectState } from '../../../../main/common/model';
import { ExportConformSchema, ExportRangeSchema, type ExportSpec } from '../../../../main/common/render-model';
import { formatFps } from '../../lib/frames';
import { call } from '../../state/server';
import { errorMessage } from '../../state/toasts';
import { formatAbout } from '../inspector/OutputSummary';

export function ExportSummary({ state, specInput }: { state: ProjectState; specInput: unknown }) {
  const input = specInput as Partial<ExportSpec>;
  const range = ExportRangeSchema.safeParse(input.range);
  const conform = ExportConformSchema.safeParse(input.conform);
  const ready = range.success && conform.success;
  const summary = useQuery({
    // The project revision is in the key: an edit on the timeline changes what the export produces.
    queryKey: ['exportSummary', state.revision, JSON.stringify(input.range), JSON.stringify(input.conform)],
    queryFn: () => call('export.summary', { range: range.data!, conform: conform.data! }),
    enabled: ready,
    retry: false,
    meta: { silent: true },
  });
  let text: string;
  if (!ready) text = 'Complete the range and size settings to see what the export produces.';
  else if (summary.isPending) text = 'Planning…';
  else if (summary.error) text = `Cannot export this range: ${errorMessage(summary.error)}`;
  else {
    const s = summary.data!;
    const estimate = s.estimateSec === null ? 'run a preview of each engine to estimate the time' : `${formatAbout(s.estimateSec)} to enhance here`;
    text =
      `${s.width}×${s.height} · ${formatFps(s.fps)} fps · ${s.durationSec.toFixed(2)} s (${s.frames} frames) · ` +
      `${s.clips} clip${s.clips === 1 ? '' : 's'} · ${estimate}`;
    if (s.rateChanges.length > 0) {
      const how = { nearest: 'nearest frame', blend: 'blending', motion: 'motion compensation' }[input.rateConversion ?? 'nearest'];
      const clips = s.rateChanges.map((c) => `${c.name} (${formatFps(c.fromFps)} fps)`).join(', ');
      text += ` · to ${formatFps(s.fps)} fps by ${how}: ${clips}`;
    }
  }
  return (
    <div className={summary.error ? 'export-summary field-error' : 'export-summary small'} data-testid="export-summary" aria-live="polite">
      <span className="muted">Output: </span>
      {text}
    </div>
  );
}

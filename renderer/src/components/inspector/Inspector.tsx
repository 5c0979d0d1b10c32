// Per-clip enhancement settings for the selected clip(s). The form (and the schema library it validates with)
// loads when a clip is first selected, so the editor's first chunk stays small.
import { lazy, Suspense, useMemo } from 'react';
import { useStore } from '../../lib/store';
import { editorStore } from '../../state/editor';
import { useProjectState } from '../../state/server';

const InspectorForm = lazy(() => import('./InspectorForm').then((m) => ({ default: m.InspectorForm })));

export function Inspector() {
  const selection = useStore(editorStore, (s) => s.selection);
  const project = useProjectState();
  const state = project.data;
  const clips = useMemo(() => state?.clips.filter((c) => selection.has(c.id)) ?? [], [state, selection]);
  const formKey = clips.map((c) => c.id).join(',');
  return (
    <section className="inspector" data-testid="inspector" data-clip-count={clips.length}>
      {!state || clips.length === 0 ? (
        <p className="muted small inspector-empty">Select a clip to set its enhancement (click a clip; Shift+click adds more).</p>
      ) : (
        <Suspense fallback={<p className="muted small">Loading the inspector…</p>}>
          {/* Keyed by the selection: typed, unapplied text belongs to the clips it was typed for. */}
          <InspectorForm key={formKey} state={state} clips={clips} />
        </Suspense>
      )}
    </section>
  );
}

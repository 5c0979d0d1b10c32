// Editor commands shared by the toolbar and the keyboard: each sends one intent to the store.
import { useQueryClient } from '@tanstack/react-query';
import { useMemo, useRef } from 'react';
import type { ProjectState } from '../../../main/common/model';
import { fpsValue } from '../lib/frames';
import { editorStore, MAX_PX_PER_FRAME, MIN_PX_PER_FRAME, playheadStore, setPlayhead } from '../state/editor';
import { buildTimelineModel, clipsAt } from '../state/model';
import { projectKey, useEdit } from '../state/server';
import { showInfo } from '../state/toasts';
import { HEADER_WIDTH } from './timeline/layout';

const ZOOM_STEP = 1.5;

export type EditorCommands = ReturnType<typeof useEditorCommands>;

export function useEditorCommands() {
  const client = useQueryClient();
  const undo = useEdit('history.undo', 'Undo');
  const redo = useEdit('history.redo', 'Redo');
  const split = useEdit('timeline.splitClips', 'Split');
  const del = useEdit('timeline.deleteClips', 'Delete');
  const marks = useEdit('project.setMarks', 'Set marks');
  const addTrack = useEdit('timeline.addTrack', 'Add track');
  const m = useRef({ undo, redo, split, del, marks, addTrack });
  m.current = { undo, redo, split, del, marks, addTrack };

  return useMemo(() => {
    const state = () => client.getQueryData<ProjectState>(projectKey);
    const zoomTo = (px: number) => editorStore.set({ pxPerFrame: Math.min(MAX_PX_PER_FRAME, Math.max(MIN_PX_PER_FRAME, px)) });
    return {
      undo() {
        if (state()?.canUndo) m.current.undo.mutate({});
      },
      redo() {
        if (state()?.canRedo) m.current.redo.mutate({});
      },
      addTrack() {
        m.current.addTrack.mutate({});
      },
      split() {
        const s = state();
        if (!s) return;
        const at = playheadStore.get().frame;
        const selection = editorStore.get().selection;
        const ids = selection.size > 0 ? [...selection] : clipsAt(buildTimelineModel(s), at).map((c) => c.id);
        const spanning = s.clips.filter((c) => ids.includes(c.id) && c.start < at && at < c.start + c.sourceOut - c.sourceIn);
        if (spanning.length === 0) {
          showInfo('Nothing to split: move the playhead inside a clip (and select it, or select none).');
          return;
        }
        m.current.split.mutate({ clipIds: spanning.map((c) => c.id), at });
      },
      deleteSelected(ripple: boolean) {
        const ids = [...editorStore.get().selection];
        if (ids.length === 0) return;
        m.current.del.mutate(
          { clipIds: ids, ripple },
          { onSuccess: () => editorStore.set({ selection: new Set() }) },
        );
      },
      selectAll() {
        editorStore.set({ selection: new Set(state()?.clips.map((c) => c.id) ?? []) });
      },
      markIn() {
        const s = state();
        if (!s) return;
        const f = playheadStore.get().frame;
        const out = s.project.markOut;
        m.current.marks.mutate({ markIn: f, markOut: out !== null && out > f ? out : null });
      },
      markOut() {
        const s = state();
        if (!s) return;
        const f = playheadStore.get().frame;
        const inn = s.project.markIn;
        m.current.marks.mutate({ markIn: inn !== null && inn < f ? inn : null, markOut: f });
      },
      /** Alt+X, as in Resolve: both marks go (one undoable edit); nothing to do when none is set. */
      clearMarks() {
        const s = state();
        if (!s || (s.project.markIn === null && s.project.markOut === null)) return;
        m.current.marks.mutate({ markIn: null, markOut: null });
      },
      step(frames: number) {
        setPlayhead(playheadStore.get().frame + frames);
      },
      home() {
        setPlayhead(0);
      },
      end() {
        const s = state();
        if (s) setPlayhead(buildTimelineModel(s).endFrame);
      },
      zoomIn() {
        zoomTo(editorStore.get().pxPerFrame * ZOOM_STEP);
      },
      zoomOut() {
        zoomTo(editorStore.get().pxPerFrame / ZOOM_STEP);
      },
      zoomFit() {
        const s = state();
        if (!s) return;
        const fps = fpsValue(s.project.fps);
        const frames = Math.max(buildTimelineModel(s).endFrame, Math.round(fps * 10));
        zoomTo(((editorStore.get().viewportWidth - HEADER_WIDTH) * 0.95) / frames);
      },
      toggleSnapping() {
        editorStore.set((st) => ({ snapping: !st.snapping }));
      },
    };
  }, [client]);
}

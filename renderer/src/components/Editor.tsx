// The edit page: media pool and viewer on top, inspector and history on the right, timeline below, the render
// queue under it when open.
import { useEffect } from 'react';
import type { ProjectState } from '../../../main/common/model';
import { editorStore, loadViewState, playheadStore, saveViewState } from '../state/editor';
import { useTimelineModel } from '../state/model';
import { importStore } from '../state/importer';
import { configureTransport, stop } from '../state/playback';
import { ViewerArea } from './compare/ViewerArea';
import { ExportDialog } from './export/ExportDialog';
import { RenderQueue } from './export/RenderQueue';
import { HelpOverlay } from './HelpOverlay';
import { MediaBin } from './MediaBin';
import { MediaDialogs } from './MediaDialogs';
import { ProjectSettingsDialog } from './ProjectSettingsDialog';
import { Timeline } from './timeline/Timeline';
import { RightPanel } from './RightPanel';
import { Toolbar } from './Toolbar';
import { EditorPanels } from './EditorPanels';
import { useEditorCommands } from './useEditorCommands';
import { useShortcuts } from './useShortcuts';

export function Editor({ state }: { state: ProjectState }) {
  const model = useTimelineModel(state);
  const commands = useEditorCommands();
  useShortcuts(commands);
  const projectPath = state.project.path;

  useEffect(() => {
    loadViewState(projectPath);
    let timer: ReturnType<typeof setTimeout> | null = null;
    const save = () => {
      if (timer === null) timer = setTimeout(() => ((timer = null), saveViewState(projectPath)), 300);
    };
    const offA = editorStore.subscribe(save);
    const offB = playheadStore.subscribe(save);
    return () => {
      offA();
      offB();
      if (timer !== null) clearTimeout(timer);
      saveViewState(projectPath);
      stop();
      editorStore.set({ selection: new Set() });
      // A banner about the old project's imports never shows over the next project.
      importStore.set({ errors: [] });
    };
  }, [projectPath]);

  useEffect(() => configureTransport(state.project.fps, model.endFrame), [state.project.fps, model.endFrame]);

  // Clips removed by an edit elsewhere drop out of the selection.
  useEffect(() => {
    const selection = editorStore.get().selection;
    if (selection.size === 0) return;
    const ids = new Set(state.clips.map((c) => c.id));
    const kept = [...selection].filter((id) => ids.has(id));
    if (kept.length !== selection.size) editorStore.set({ selection: new Set(kept) });
  }, [state.clips]);

  return (
    <div className="editor" data-testid="editor">
      <Toolbar state={state} commands={commands} />
      <EditorPanels
        bin={<MediaBin media={state.media} fps={state.project.fps} />}
        viewer={<ViewerArea model={model} />}
        side={<RightPanel />}
        timeline={<Timeline model={model} commands={commands} />}
      />
      <RenderQueue />
      <MediaDialogs />
      <ExportDialog />
      <ProjectSettingsDialog state={state} />
      <HelpOverlay />
    </div>
  );
}

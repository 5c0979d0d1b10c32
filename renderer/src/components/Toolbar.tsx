import * as Slider from '@radix-ui/react-slider';
import { Eye, Keyboard, ListVideo, Magnet, Pause, Play, Plus, Redo2, Scissors, Settings, SlidersHorizontal, Trash, Undo2, Upload, ZoomIn, ZoomOut } from 'lucide-react';
import type { ProjectState } from '../../../main/common/model';
import { formatFps } from '../lib/frames';
import { useStore } from '../lib/store';
import { editorStore, MAX_PX_PER_FRAME, MIN_PX_PER_FRAME } from '../state/editor';
import { transportStore, togglePlay } from '../state/playback';
import { openExportDialog, toggleRenderQueue, exportUiStore } from '../state/export-ui';
import { startPreviewFromUi } from '../state/preview';
import { useCloseProject } from '../state/server';
import { openSettings, projectSettingsStore } from '../state/settings-ui';
import { SETTINGS_SHORTCUT } from './settings/SettingsDialog';
import { Tip } from './Tip';
import type { EditorCommands } from './useEditorCommands';

export function Toolbar({ state, commands }: { state: ProjectState; commands: EditorCommands }) {
  const snapping = useStore(editorStore, (s) => s.snapping);
  const playing = useStore(transportStore, (s) => s.speed !== 0);
  const close = useCloseProject();
  return (
    <header className="toolbar" data-testid="toolbar">
      <div className="toolbar-group">
        <span className="brand small">Upframe</span>
        <span className="project-name" title={state.project.path} data-testid="project-name">
          {state.project.name}
        </span>
        <Tip label={`Project settings: ${formatFps(state.project.fps)} fps, ${state.project.width}×${state.project.height}`}>
          <button className="btn btn-icon" onClick={() => projectSettingsStore.set({ open: true })} aria-label="Project settings" data-testid="project-settings-button">
            <SlidersHorizontal size={15} aria-hidden />
          </button>
        </Tip>
      </div>
      <div className="toolbar-group">
        <Tip label={state.undoLabel ? `Undo ${state.undoLabel} (Ctrl+Z)` : 'Nothing to undo'}>
          <button className="btn btn-icon" disabled={!state.canUndo} onClick={commands.undo} data-testid="undo-button" aria-label="Undo">
            <Undo2 size={16} aria-hidden />
          </button>
        </Tip>
        <Tip label={state.redoLabel ? `Redo ${state.redoLabel} (Shift+Ctrl+Z)` : 'Nothing to redo'}>
          <button className="btn btn-icon" disabled={!state.canRedo} onClick={commands.redo} data-testid="redo-button" aria-label="Redo">
            <Redo2 size={16} aria-hidden />
          </button>
        </Tip>
        <span className="toolbar-sep" />
        <Tip label={playing ? 'Pause (Space)' : 'Play (Space)'}>
          <button className="btn btn-icon" onClick={togglePlay} data-testid="play-button" aria-label={playing ? 'Pause' : 'Play'}>
            {playing ? <Pause size={16} aria-hidden /> : <Play size={16} aria-hidden />}
          </button>
        </Tip>
        <Tip label="Split at playhead (S)">
          <button className="btn" onClick={commands.split} data-testid="split-button" aria-label="Split">
            <Scissors size={14} aria-hidden /> <span className="btn-label-wide">Split</span>
          </button>
        </Tip>
        <Tip label="Delete selected (Delete); ripple with Shift+Delete">
          <button className="btn" onClick={() => commands.deleteSelected(false)} data-testid="delete-button" aria-label="Delete">
            <Trash size={14} aria-hidden /> <span className="btn-label-wide">Delete</span>
          </button>
        </Tip>
        <Tip label="Add a video track">
          <button className="btn" onClick={commands.addTrack} data-testid="add-track" aria-label="Add track">
            <Plus size={14} aria-hidden /> <span className="btn-label-wide">Add track</span>
          </button>
        </Tip>
        <span className="toolbar-sep" />
        <Tip label="Snapping (N)">
          <button
            className={`btn ${snapping ? 'btn-on' : ''}`}
            aria-pressed={snapping}
            onClick={commands.toggleSnapping}
            data-testid="snap-toggle"
            aria-label="Snap"
          >
            <Magnet size={14} aria-hidden /> <span className="btn-label-wide">Snap</span>
          </button>
        </Tip>
        <Tip label="Zoom out (-)">
          <button className="btn btn-icon" onClick={commands.zoomOut} aria-label="Zoom out" data-testid="zoom-out">
            <ZoomOut size={16} aria-hidden />
          </button>
        </Tip>
        <Tip label="Zoom to fit (0)">
          <button className="btn" onClick={commands.zoomFit} data-testid="zoom-fit">
            Fit
          </button>
        </Tip>
        <ZoomSlider />
        <Tip label="Zoom in (+)">
          <button className="btn btn-icon" onClick={commands.zoomIn} aria-label="Zoom in" data-testid="zoom-in">
            <ZoomIn size={16} aria-hidden />
          </button>
        </Tip>
      </div>
      <div className="toolbar-group">
        <Tip label="Preview the enhancement of the selected segment (P)">
          <button className="btn" onClick={startPreviewFromUi} data-testid="preview-button">
            <Eye size={14} aria-hidden /> Preview
          </button>
        </Tip>
        <Tip label="Export the timeline, the I/O range or the selected clips (Ctrl+M)">
          <button className="btn" onClick={openExportDialog} data-testid="export-button">
            <Upload size={14} aria-hidden /> Export…
          </button>
        </Tip>
        <QueueToggle />
        <span className="toolbar-sep" />
        <Tip label={`Settings: engine and model packs (${SETTINGS_SHORTCUT})`}>
          <button className="btn btn-icon" onClick={() => openSettings()} aria-label="Settings" data-testid="settings-button">
            <Settings size={16} aria-hidden />
          </button>
        </Tip>
        <Tip label="Keyboard shortcuts (?)">
          <button className="btn btn-icon" onClick={() => editorStore.set({ helpOpen: true })} aria-label="Keyboard shortcuts" data-testid="shortcuts-button">
            <Keyboard size={16} aria-hidden />
          </button>
        </Tip>
        <button className="btn" onClick={() => close.mutate()} data-testid="close-project">
          Close project
        </button>
      </div>
    </header>
  );
}

function QueueToggle() {
  const open = useStore(exportUiStore, (s) => s.queueOpen);
  return (
    <Tip label="Show or hide the render queue">
      <button className={`btn ${open ? 'btn-on' : ''}`} aria-pressed={open} onClick={toggleRenderQueue} data-testid="queue-toggle">
        <ListVideo size={14} aria-hidden /> Queue
      </button>
    </Tip>
  );
}

// The slider is logarithmic: each step is the same ratio of zoom, as with the keys.
const LOG_MIN = Math.log(MIN_PX_PER_FRAME);
const LOG_MAX = Math.log(MAX_PX_PER_FRAME);

function ZoomSlider() {
  const px = useStore(editorStore, (s) => s.pxPerFrame);
  const value = ((Math.log(px) - LOG_MIN) / (LOG_MAX - LOG_MIN)) * 100;
  return (
    <Slider.Root
      className="slider"
      value={[value]}
      min={0}
      max={100}
      step={0.5}
      aria-label="Timeline zoom"
      onValueChange={([v]) => editorStore.set({ pxPerFrame: Math.exp(LOG_MIN + (v / 100) * (LOG_MAX - LOG_MIN)) })}
    >
      <Slider.Track className="slider-track">
        <Slider.Range className="slider-range" />
      </Slider.Track>
      <Slider.Thumb className="slider-thumb" aria-label="Timeline zoom" />
    </Slider.Root>
  );
}

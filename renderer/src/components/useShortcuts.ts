// Global keyboard shortcuts; never while typing in a field or while a dialog has focus.
import { useEffect } from 'react';
import { editorStore } from '../state/editor';
import { openExportDialog } from '../state/export-ui';
import { shuttle, stop, togglePlay } from '../state/playback';
import { cancelRunningPreview, closeCompare, compareShown, previewStore, startPreviewFromUi } from '../state/preview';
import { compareTransport, cycleCompareZoom, setCompareMode, toggleAbSide } from './compare/compare-controls';
import type { EditorCommands } from './useEditorCommands';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || !!target.closest('[role="dialog"]');
}

export function useShortcuts(commands: EditorCommands): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || isTyping(e.target)) return;
      const mod = e.ctrlKey || e.metaKey;
      const key = e.key;
      const lower = key.length === 1 ? key.toLowerCase() : key;
      if (!mod && !e.altKey && compareShown(previewStore.get()) && compareKey(key, lower, e.shiftKey)) {
        e.preventDefault();
        return;
      }
      let handled = true;
      if (mod && lower === 'z') e.shiftKey ? commands.redo() : commands.undo();
      else if (mod && lower === 'y') commands.redo();
      else if (mod && lower === 'a') commands.selectAll();
      else if (mod && lower === 'm') openExportDialog();
      // By physical key: Alt+X types another character on macOS keyboards.
      else if (e.altKey && !mod && e.code === 'KeyX') commands.clearMarks();
      else if (mod || e.altKey) handled = false;
      else if (key === ' ') togglePlay();
      else if (lower === 'j') shuttle(-1);
      else if (lower === 'k') stop();
      else if (lower === 'l') shuttle(1);
      else if (key === 'ArrowLeft') commands.step(e.shiftKey ? -10 : -1);
      else if (key === 'ArrowRight') commands.step(e.shiftKey ? 10 : 1);
      else if (key === 'Home') commands.home();
      else if (key === 'End') commands.end();
      else if (lower === 'i') commands.markIn();
      else if (lower === 'o') commands.markOut();
      else if (lower === 's') commands.split();
      else if (key === 'Delete' || key === 'Backspace') commands.deleteSelected(e.shiftKey);
      else if (lower === 'n') commands.toggleSnapping();
      else if (lower === 'p') startPreviewFromUi();
      else if (key === '+' || key === '=') commands.zoomIn();
      else if (key === '-' || key === '_') commands.zoomOut();
      else if (key === '0') commands.zoomFit();
      else if (key === '?') editorStore.set({ helpOpen: true });
      else if (key === 'Escape') {
        if (!cancelRunningPreview()) editorStore.set({ selection: new Set() });
      }
      else handled = false;
      if (handled) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [commands]);
}

/** While the compare viewer is shown it takes the transport keys and its own; true when the key was its. */
function compareKey(key: string, lower: string, shift: boolean): boolean {
  const transport = compareTransport();
  if (key === ' ') transport?.togglePlay();
  else if (key === 'ArrowLeft') transport?.step(shift ? -10 : -1);
  else if (key === 'ArrowRight') transport?.step(shift ? 10 : 1);
  else if (key === 'Home') transport?.toLoopStart();
  else if (key === '1') setCompareMode('wipe');
  else if (key === '2') setCompareMode('side');
  else if (key === '3') setCompareMode('ab');
  else if (lower === 'b') toggleAbSide();
  else if (lower === 'z') cycleCompareZoom();
  else if (key === 'Escape') {
    if (!cancelRunningPreview()) closeCompare();
  } else return false;
  return true;
}

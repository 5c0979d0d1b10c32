import * as Dialog from '@radix-ui/react-dialog';
import { useStore } from '../lib/store';
import { editorStore } from '../state/editor';

export const SHORTCUTS: [string, string][] = [
  ['Space', 'Play / pause'],
  ['J / K / L', 'Shuttle reverse / stop / forward (press again: 2×, 4×, 8×)'],
  ['← / →', 'One frame back / forward'],
  ['Shift + ← / →', 'Ten frames back / forward'],
  ['Home / End', 'Start / end of the timeline'],
  ['I / O', 'Set in / out mark at the playhead'],
  ['Alt + X', 'Clear the in and out marks'],
  ['S', 'Split selected clips (or the clip under the playhead) at the playhead'],
  ['Delete / Backspace', 'Delete selected clips'],
  ['Shift + Delete', 'Ripple delete selected clips'],
  ['N', 'Snapping on / off'],
  ['+ or = / - / 0', 'Zoom in / out / fit'],
  ['Ctrl/Cmd + Z', 'Undo'],
  ['Shift + Ctrl/Cmd + Z, Ctrl + Y', 'Redo'],
  ['Ctrl/Cmd + A', 'Select all clips'],
  ['Esc', 'Cancel the running preview, else clear selection'],
  ['P', 'Preview the marked segment, the selected clip when the marks miss it, or 2 s around the playhead'],
  ['Alt + drag on a clip', 'Select a segment to preview (or drag on the status bar)'],
  ['Compare: Space / ← → / Home', 'Play-pause the loop / step a frame / loop start'],
  ['Compare: 1 / 2 / 3, B, Z', 'Wipe / side by side / A/B, flip A/B, zoom fit-100-200-400 %'],
  ['Compare: Esc', 'Close the compare viewer'],
  ['Ctrl/Cmd + M', 'Export…'],
  ['Ctrl/Cmd + ,', 'Settings (engine, model packs)'],
  ['?', 'This help'],
];

export function HelpOverlay() {
  const open = useStore(editorStore, (s) => s.helpOpen);
  return (
    <Dialog.Root open={open} onOpenChange={(o) => editorStore.set({ helpOpen: o })}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog help" data-testid="help-overlay" aria-describedby={undefined}>
          <Dialog.Title className="dialog-title">Keyboard shortcuts</Dialog.Title>
          <div className="help-scroll" data-testid="help-scroll">
          <table className="shortcut-table">
            <tbody>
              {SHORTCUTS.map(([keys, what]) => (
                <tr key={keys}>
                  <td>
                    <kbd>{keys}</kbd>
                  </td>
                  <td>{what}</td>
                </tr>
              ))}
            </tbody>
          </table>
          </div>
          <div className="dialog-actions">
            <span className="muted small">Shortcuts are off while you type in a field.</span>
            <Dialog.Close className="btn">Close</Dialog.Close>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

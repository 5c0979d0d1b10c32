// The export dialog (Ctrl+M, or Export… in the toolbar). The form, and the schema library its checks use, load
// when the dialog first opens, not with the editor.
import * as Dialog from '@radix-ui/react-dialog';
import { X } from 'lucide-react';
import { lazy, Suspense } from 'react';
import { useStore } from '../../lib/store';
import { exportUiStore } from '../../state/export-ui';
import { useProjectState } from '../../state/server';

const ExportForm = lazy(() => import('./ExportForm').then((m) => ({ default: m.ExportForm })));

export function ExportDialog() {
  const open = useStore(exportUiStore, (s) => s.dialogOpen);
  const project = useProjectState();
  return (
    <Dialog.Root open={open} onOpenChange={(o) => exportUiStore.set({ dialogOpen: o })}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog export-dialog" data-testid="export-dialog" aria-describedby={undefined}>
          <Dialog.Title className="dialog-title">Export</Dialog.Title>
          <Suspense fallback={<p className="muted">Loading…</p>}>{project.data && <ExportForm state={project.data} />}</Suspense>
          <Dialog.Close className="btn btn-icon export-close" aria-label="Close the export dialog" data-testid="export-close">
            <X size={14} aria-hidden />
          </Dialog.Close>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

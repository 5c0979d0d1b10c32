// The media file browsers (import, relink) and the import mutation every import path goes through.
import { useEffect } from 'react';
import { useStore } from '../lib/store';
import { importPaths, importStore, registerImportRunner } from '../state/importer';
import { useEdit, useImportMedia } from '../state/server';
import { showError, showInfo } from '../state/toasts';
import { FileBrowserDialog, VIDEO_EXTENSIONS } from './FileBrowserDialog';

export function MediaDialogs() {
  const browser = useStore(importStore, (s) => s.browser);
  const importMedia = useImportMedia();
  const relink = useEdit('media.relink', 'Relink');

  // mutateAsync, not mutate with callbacks: mutate's callbacks fire only for the latest call, and two imports can
  // overlap (the second waits in the services' queue), each with its own result.
  const runImport = importMedia.mutateAsync;
  useEffect(() => {
    registerImportRunner((paths) =>
      runImport(paths).then(
        (result) => {
          // Each bad file gets its own message, in the bin and as a toast.
          importStore.set({ errors: result.errors });
          for (const err of result.errors) showError(err.message, `Could not import ${err.path.split(/[\\/]/).pop()}`);
          if (result.imported.length > 0) {
            showInfo(`Imported ${result.imported.length} clip${result.imported.length > 1 ? 's' : ''}.`);
          }
        },
        // A failed or cancelled import is already shown by the mutation cache's error handler.
        () => undefined,
      ),
    );
    return () => registerImportRunner(null);
  }, [runImport]);

  const close = (open: boolean) => {
    if (!open) importStore.set({ browser: null });
  };

  return (
    <>
      <FileBrowserDialog
        open={browser?.kind === 'import'}
        onOpenChange={close}
        title="Import media"
        mode="files"
        extensions={VIDEO_EXTENSIONS}
        confirmLabel="Import"
        onConfirm={(paths) => importPaths(paths)}
      />
      <FileBrowserDialog
        open={browser?.kind === 'relink'}
        onOpenChange={close}
        title={browser?.kind === 'relink' ? `Relink “${browser.name}”` : 'Relink'}
        mode="file"
        extensions={VIDEO_EXTENSIONS}
        confirmLabel="Relink"
        onConfirm={([path]) => {
          if (browser?.kind !== 'relink') return;
          relink.mutate(
            { mediaId: browser.mediaId, path },
            { onSuccess: () => showInfo(`Relinked ${browser.name}.`) },
          );
        }}
      />
    </>
  );
}

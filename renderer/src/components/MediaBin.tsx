// Media bin: the project's media with thumbnail and facts; drag an item onto a track to place it.
import * as ContextMenu from '@radix-ui/react-context-menu';
import { X } from 'lucide-react';
import { memo, useEffect, useRef, useState } from 'react';
import type { MediaAsset, Rational } from '../../../main/common/model';
import { getApi, hostKind, pathForDroppedFile } from '../api/client';
import { formatDuration, formatFps, mediaDurationInFrames } from '../lib/frames';
import { useStore } from '../lib/store';
import { revealStore } from '../state/editor';
import { importPaths, importStore, openImportBrowser, openRelinkBrowser } from '../state/importer';
import { useEdit, useThumbnails } from '../state/server';
import { ImportProgressRows } from './ImportProgressRows';
import { showError, showInfo } from '../state/toasts';

export const MEDIA_DRAG_TYPE = 'application/x-upframe-media';

/** Files dropped from the desktop: real paths in Electron; the web host cannot know them. */
export function handleDroppedFiles(files: FileList): void {
  const paths: string[] = [];
  for (const file of Array.from(files)) {
    const p = pathForDroppedFile(file);
    if (p) paths.push(p);
  }
  if (paths.length === 0 || hostKind() === 'web') {
    showInfo(
      'Drag and drop of files needs the desktop app: a browser does not tell the host where a dropped file is. Pick the files with the built-in browser instead.',
      { label: 'Browse…', run: openImportBrowser },
      'Drop not supported here',
    );
    return;
  }
  importPaths(paths);
}

/** Import: the native dialog where the host has one, otherwise the built-in file browser. */
export async function startImport(): Promise<void> {
  try {
    const result = await getApi().call('dialog.openMedia', {});
    if (!result.supported) openImportBrowser();
    else if (result.paths.length > 0) importPaths(result.paths);
  } catch (err) {
    showError(err, 'Could not open the import dialog');
    openImportBrowser();
  }
}

/** The file name once: the services' messages usually name the file already. */
function importErrorText(err: { path: string; message: string }) {
  const name = err.path.split(/[\\/]/).pop() ?? err.path;
  if (err.message.includes(name)) return err.message;
  return (
    <>
      <span className="import-error-name">{name}</span>: {err.message}
    </>
  );
}

export function MediaBin({ media, fps }: { media: MediaAsset[]; fps: Rational }) {
  const errors = useStore(importStore, (s) => s.errors);
  const progressEvents = useStore(importStore, (s) => s.progressEvents);
  const [dropping, setDropping] = useState(false);
  return (
    <section
      className={`panel media-bin ${dropping ? 'dropping' : ''}`}
      data-testid="media-bin"
      data-import-progress-events={progressEvents}
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes('Files')) {
          e.preventDefault();
          setDropping(true);
        }
      }}
      onDragLeave={() => setDropping(false)}
      onDrop={(e) => {
        if (e.dataTransfer.files.length === 0) return;
        e.preventDefault();
        setDropping(false);
        handleDroppedFiles(e.dataTransfer.files);
      }}
    >
      <header className="panel-header">
        <h2>Media Pool</h2>
        <button className="btn btn-small btn-primary" onClick={() => void startImport()} data-testid="import-button">
          Import…
        </button>
      </header>
      <ImportProgressRows />
      {errors.length > 0 && (
        <div className="import-errors" role="alert" data-testid="import-errors">
          <div className="import-errors-head">
            <strong>
              {errors.length} file{errors.length > 1 ? 's' : ''} could not be imported
            </strong>
            <button className="toast-close" aria-label="Dismiss" onClick={() => importStore.set({ errors: [] })}>
              <X size={14} aria-hidden />
            </button>
          </div>
          <ul>
            {errors.map((err) => (
              <li key={err.path} data-testid="import-error">
                {importErrorText(err)}
              </li>
            ))}
          </ul>
        </div>
      )}
      <div className="bin-items">
        {media.length === 0 && (
          <div className="bin-empty">
            Import clips with <strong>Import…</strong>
            {hostKind() === 'electron' ? ' or drop files here' : ''}.
          </div>
        )}
        {media.map((m) => (
          <BinItem key={m.id} media={m} fps={fps} />
        ))}
      </div>
    </section>
  );
}

const BinItem = memo(function BinItem({ media, fps }: { media: MediaAsset; fps: Rational }) {
  const frames = mediaDurationInFrames(media, fps);
  const thumbs = useThumbnails(media.id, [Math.min(frames - 1, Math.floor(frames / 10))], 90, !media.offline);
  const remove = useEdit('media.remove', 'Remove media');
  const url = thumbs.data?.urls[0];
  const p = media.probe;
  const revealed = useRevealed(media.id);
  return (
    <ContextMenu.Root>
      <ContextMenu.Trigger asChild>
        <div
          ref={revealed.ref}
          className={`bin-item ${media.offline ? 'offline' : ''} ${revealed.on ? 'revealed' : ''}`}
          data-revealed={revealed.on}
          data-testid="bin-item"
          data-media-id={media.id}
          data-name={media.name}
          draggable
          onDragStart={(e) => {
            e.dataTransfer.setData(MEDIA_DRAG_TYPE, String(media.id));
            e.dataTransfer.effectAllowed = 'copy';
          }}
          title={media.path}
        >
          <div className="bin-thumb">
            {url && !media.offline ? <img src={url} alt="" draggable={false} /> : <div className="bin-thumb-empty" />}
            <span className="bin-duration">{formatDuration(p.durationSec)}</span>
          </div>
          <div className="bin-name">{media.name}</div>
          <div className="bin-facts">
            {p.displayWidth}×{p.displayHeight} · {formatFps(p.fps)} fps
            {p.variableFrameRate && <span className="badge badge-amber" title="Variable frame rate">VFR</span>}
            {p.audio.length === 0 && <span className="badge" title="No audio stream">no audio</span>}
          </div>
          {media.offline && (
            <div className="bin-offline">
              <span className="badge badge-red" data-testid="offline-badge">Offline</span>
              <button className="btn btn-small" onClick={() => openRelinkBrowser(media.id, media.name)} data-testid="relink-button">
                Relink…
              </button>
            </div>
          )}
        </div>
      </ContextMenu.Trigger>
      <ContextMenu.Portal>
        <ContextMenu.Content className="menu">
          <ContextMenu.Item className="menu-item" onSelect={() => openRelinkBrowser(media.id, media.name)}>
            Relink…
          </ContextMenu.Item>
          <ContextMenu.Item className="menu-item" onSelect={() => remove.mutate({ mediaId: media.id })}>
            Remove from project
          </ContextMenu.Item>
        </ContextMenu.Content>
      </ContextMenu.Portal>
    </ContextMenu.Root>
  );
});

const REVEAL_MS = 1500;

/** Scrolls the item into view and highlights it for a moment when a clip's "Reveal in media pool" names it. */
function useRevealed(mediaId: number): { ref: React.RefObject<HTMLDivElement | null>; on: boolean } {
  const ref = useRef<HTMLDivElement>(null);
  const nonce = useStore(revealStore, (s) => (s.mediaId === mediaId ? s.nonce : 0));
  const [on, setOn] = useState(false);
  useEffect(() => {
    if (nonce === 0) return;
    ref.current?.scrollIntoView({ block: 'nearest' });
    setOn(true);
    const timer = setTimeout(() => setOn(false), REVEAL_MS);
    return () => clearTimeout(timer);
  }, [nonce]);
  return { ref, on };
}

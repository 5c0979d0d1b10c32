// The built-in file browser over 'fs.list': the web host's only way to pick files, and the fallback in Electron.
import * as Dialog from '@radix-ui/react-dialog';
import { ArrowUp, Film, Folder } from 'lucide-react';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { call, useAppInfo } from '../state/server';
import { errorMessage } from '../state/toasts';

export const VIDEO_EXTENSIONS = ['mp4', 'mov', 'mkv', 'webm', 'avi', 'm4v', 'mxf', 'mts', 'm2ts', 'ts', 'mpg', 'mpeg', 'wmv', 'flv', 'ogv', '3gp'];
export const PROJECT_EXTENSIONS = ['upframe'];

const LAST_DIR_KEY = 'upframe.lastDir';

/** 'folder' picks the folder being shown (files are hidden): open the folder, then confirm. */
export type FileBrowserMode = 'files' | 'file' | 'save' | 'folder';

export type FileBrowserProps = {
  open: boolean;
  onOpenChange(open: boolean): void;
  title: string;
  mode: FileBrowserMode;
  /** Lowercase extensions without the dot; files with others are hidden. */
  extensions?: string[];
  confirmLabel: string;
  /** For 'save': the suggested file name. */
  defaultName?: string;
  onConfirm(paths: string[]): void;
};

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
}

export function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

export function FileBrowserDialog(props: FileBrowserProps) {
  const info = useAppInfo();
  const [dir, setDir] = useState<string | null>(null);
  const [typedDir, setTypedDir] = useState('');
  const [selected, setSelected] = useState<string[]>([]);
  const [fileName, setFileName] = useState(props.defaultName ?? '');

  useEffect(() => {
    if (!props.open) return;
    setSelected([]);
    setFileName(props.defaultName ?? '');
    if (dir === null && info.data) {
      const start = localStorage.getItem(LAST_DIR_KEY) || info.data.homeDir;
      setDir(start);
      setTypedDir(start);
    }
  }, [props.open, info.data]); // eslint-disable-line react-hooks/exhaustive-deps

  const listing = useQuery({
    queryKey: ['fs.list', dir, props.extensions],
    queryFn: () => call('fs.list', { dir: dir!, extensions: props.extensions }),
    enabled: props.open && dir !== null,
    staleTime: 5_000,
    retry: false,
    meta: { silent: true },
  });

  useEffect(() => {
    if (listing.data) {
      setTypedDir(listing.data.dir);
      localStorage.setItem(LAST_DIR_KEY, listing.data.dir);
    }
  }, [listing.data]);

  const entries = useMemo(() => {
    const all = listing.data?.entries ?? [];
    const visible = all.filter(
      (e) =>
        !e.name.startsWith('.') &&
        (e.kind === 'dir' || (props.mode !== 'folder' && (!props.extensions || props.extensions.includes(extensionOf(e.name))))),
    );
    return visible.sort((a, b) => (a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1));
  }, [listing.data, props.extensions, props.mode]);

  const navigate = (to: string) => {
    setSelected([]);
    setDir(to);
  };

  const pick = (path: string, additive: boolean) => {
    if (props.mode === 'files' && additive) {
      setSelected((s) => (s.includes(path) ? s.filter((p) => p !== path) : [...s, path]));
    } else if (props.mode === 'files') {
      setSelected((s) => (s.length === 1 && s[0] === path ? [] : s.includes(path) ? s.filter((p) => p !== path) : [...s, path]));
    } else {
      setSelected([path]);
      if (props.mode === 'save') setFileName(path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1));
    }
  };

  const currentDir = listing.data?.dir ?? dir ?? '';
  const result =
    props.mode === 'save'
      ? fileName.trim()
        ? [joinPath(currentDir, fileName.trim())]
        : []
      : props.mode === 'folder'
        ? listing.data
          ? [listing.data.dir]
          : []
        : selected;

  const confirm = () => {
    if (result.length === 0) return;
    props.onConfirm(result);
    props.onOpenChange(false);
  };

  return (
    <Dialog.Root open={props.open} onOpenChange={props.onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog file-browser" data-testid="file-browser" aria-describedby={undefined}>
          <Dialog.Title className="dialog-title">{props.title}</Dialog.Title>
          <form
            className="file-browser-bar"
            onSubmit={(e) => {
              e.preventDefault();
              if (typedDir.trim()) navigate(typedDir.trim());
            }}
          >
            <button
              type="button"
              className="btn btn-small"
              disabled={!listing.data?.parent}
              onClick={() => listing.data?.parent && navigate(listing.data.parent)}
              aria-label="Parent folder"
              data-testid="file-browser-up"
            >
              <ArrowUp size={14} aria-hidden />
            </button>
            <input
              className="input grow"
              value={typedDir}
              onChange={(e) => setTypedDir(e.target.value)}
              aria-label="Folder"
              data-testid="file-browser-path"
              spellCheck={false}
            />
            <button type="submit" className="btn btn-small">
              Go
            </button>
          </form>
          <div className="file-list" role="listbox" aria-multiselectable={props.mode === 'files'}>
            {listing.isPending && <div className="file-list-note">Loading…</div>}
            {listing.error && (
              <div className="file-list-note error" role="alert">
                Cannot list this folder: {errorMessage(listing.error)}
              </div>
            )}
            {listing.data && entries.length === 0 && (
              <div className="file-list-note">
                No folders{props.extensions && props.mode !== 'folder' ? ` or ${props.extensions.slice(0, 4).join('/')} files` : ''} here.
              </div>
            )}
            {entries.map((e) => (
              <div
                key={e.path}
                role="option"
                aria-selected={selected.includes(e.path)}
                className={`file-entry ${e.kind} ${selected.includes(e.path) ? 'selected' : ''}`}
                data-testid="file-entry"
                data-name={e.name}
                data-kind={e.kind}
                tabIndex={0}
                onClick={(ev) => (e.kind === 'dir' ? navigate(e.path) : pick(e.path, ev.shiftKey || ev.ctrlKey || ev.metaKey))}
                onDoubleClick={() => {
                  if (e.kind === 'file' && props.mode !== 'files') {
                    props.onConfirm([e.path]);
                    props.onOpenChange(false);
                  }
                }}
                onKeyDown={(ev) => {
                  if (ev.key === 'Enter') e.kind === 'dir' ? navigate(e.path) : pick(e.path, false);
                }}
              >
                <span className="file-icon" aria-hidden>
                  {e.kind === 'dir' ? <Folder size={14} /> : <Film size={14} />}
                </span>
                <span className="file-name">{e.name}</span>
                {e.kind === 'file' && <span className="file-size">{formatSize(e.size)}</span>}
              </div>
            ))}
          </div>
          {props.mode === 'save' && (
            <label className="field">
              <span>File name</span>
              <input
                className="input"
                value={fileName}
                onChange={(e) => setFileName(e.target.value)}
                data-testid="file-browser-name"
              />
            </label>
          )}
          <div className="dialog-actions">
            <span className="muted">
              {props.mode === 'files' && `${selected.length} selected · click to select several`}
              {props.mode === 'folder' && 'Open the folder, then choose it'}
            </span>
            <Dialog.Close className="btn">Cancel</Dialog.Close>
            <button className="btn btn-primary" disabled={result.length === 0} onClick={confirm} data-testid="file-browser-confirm">
              {props.confirmLabel}
            </button>
          </div>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

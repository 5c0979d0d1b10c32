// Start screen: new project, open a project file, or pick a recent one.
import { useState } from 'react';
import { Settings } from 'lucide-react';
import { useAppInfo, useOpenProject, useRecentProjects } from '../state/server';
import { openSettings } from '../state/settings-ui';
import { FileBrowserDialog, joinPath, PROJECT_EXTENSIONS } from './FileBrowserDialog';

function withExtension(path: string): string {
  return /\.upframe$/i.test(path) ? path : `${path}.upframe`;
}

function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1).replace(/\.upframe$/i, '');
}

export function ProjectScreen() {
  const info = useAppInfo();
  const recent = useRecentProjects();
  const openProject = useOpenProject();
  const [newPath, setNewPath] = useState<string | null>(null);
  const [openPath, setOpenPath] = useState('');
  const [browser, setBrowser] = useState<null | 'new' | 'open'>(null);

  const defaultNewPath = info.data ? joinPath(info.data.homeDir, 'Untitled.upframe') : '';
  const newPathValue = newPath ?? defaultNewPath;

  const create = (path: string) => {
    const file = withExtension(path.trim());
    openProject.mutate({ kind: 'create', path: file, name: baseName(file) });
  };
  const open = (path: string) => openProject.mutate({ kind: 'open', path: path.trim() });

  return (
    <div className="project-screen" data-testid="project-screen">
      <div className="project-card">
        <div className="row">
          <h1 className="brand grow">
            Upframe <span className="muted">video enhancement editor</span>
          </h1>
          <button className="btn" onClick={() => openSettings()} data-testid="settings-button">
            <Settings size={14} aria-hidden /> Settings
          </button>
        </div>
        {info.data?.ffmpeg.error && (
          <div className="banner error" role="alert">
            {info.data.ffmpeg.error}
          </div>
        )}
        <section className="project-section">
          <h2>New project…</h2>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (newPathValue.trim()) create(newPathValue);
            }}
          >
            <input
              className="input grow"
              value={newPathValue}
              onChange={(e) => setNewPath(e.target.value)}
              placeholder="/path/to/My project.upframe"
              aria-label="New project file"
              data-testid="new-project-path"
              spellCheck={false}
            />
            <button type="button" className="btn" onClick={() => setBrowser('new')}>
              Browse…
            </button>
            <button
              type="submit"
              className="btn btn-primary"
              disabled={!newPathValue.trim() || openProject.isPending}
              data-testid="create-project"
            >
              Create
            </button>
          </form>
        </section>
        <section className="project-section">
          <h2>Open…</h2>
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (openPath.trim()) open(openPath);
            }}
          >
            <input
              className="input grow"
              value={openPath}
              onChange={(e) => setOpenPath(e.target.value)}
              placeholder="/path/to/project.upframe"
              aria-label="Project file to open"
              data-testid="open-project-path"
              spellCheck={false}
            />
            <button type="button" className="btn" onClick={() => setBrowser('open')} data-testid="open-project-browse">
              Browse…
            </button>
            <button type="submit" className="btn btn-primary" disabled={!openPath.trim() || openProject.isPending} data-testid="open-project">
              Open
            </button>
          </form>
        </section>
        {openProject.error && (
          <div className="banner error" role="alert" data-testid="project-error">
            {openProject.error.message}
          </div>
        )}
        <section className="project-section">
          <h2>Recent projects</h2>
          {recent.data?.length === 0 && <p className="muted">No recent projects yet.</p>}
          <ul className="recent-list">
            {recent.data?.map((r) => (
              <li key={r.path}>
                <button
                  className="recent-item"
                  disabled={!r.exists || openProject.isPending}
                  onClick={() => open(r.path)}
                  title={r.exists ? r.path : `${r.path} no longer exists`}
                  data-testid="recent-project"
                >
                  <span className="recent-name">{r.name}</span>
                  <span className="recent-path">{r.path}</span>
                  {!r.exists && <span className="badge badge-red">missing</span>}
                </button>
              </li>
            ))}
          </ul>
        </section>
      </div>
      <FileBrowserDialog
        open={browser === 'new'}
        onOpenChange={(o) => setBrowser(o ? 'new' : null)}
        title="New project"
        mode="save"
        extensions={PROJECT_EXTENSIONS}
        defaultName={baseName(newPathValue) ? `${baseName(newPathValue)}.upframe` : 'Untitled.upframe'}
        confirmLabel="Choose"
        onConfirm={([p]) => setNewPath(withExtension(p))}
      />
      <FileBrowserDialog
        open={browser === 'open'}
        onOpenChange={(o) => setBrowser(o ? 'open' : null)}
        title="Open project"
        mode="file"
        extensions={PROJECT_EXTENSIONS}
        confirmLabel="Open"
        onConfirm={([p]) => {
          setOpenPath(p);
          open(p);
        }}
      />
    </div>
  );
}

// Sandboxed preload: exposes window.upframe (call, subscribe, getPathForFile) and nothing else. A sandboxed
// preload may require only 'electron', so the method list is kept here, and the compile-time check below fails
// the build when it drifts from main/common/api.ts.
import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron';
import type { AnyEvent, MethodName } from '../main/common/api';

const METHOD_NAMES = [
  'app.info',
  'app.recentProjects',
  'fs.list',
  'dialog.openMedia',
  'project.create',
  'project.open',
  'project.close',
  'project.state',
  'project.setFormat',
  'project.setMarks',
  'media.import',
  'media.cancelImport',
  'media.relink',
  'media.remove',
  'media.thumbnails',
  'media.url',
  'timeline.addTrack',
  'timeline.setTrack',
  'timeline.addClip',
  'timeline.moveClips',
  'timeline.trimClip',
  'timeline.splitClips',
  'timeline.deleteClips',
  'clip.setSettings',
  'history.undo',
  'history.redo',
  'history.list',
  'prefs.getEngine',
  'prefs.setEngine',
  'engine.providers',
  'engine.check',
  'packs.list',
  'packs.import',
  'packs.remove',
  'packs.venhancerStatus',
  'packs.venhancerLocate',
  'packs.venhancerStart',
  'packs.venhancerCancel',
  'jobs.list',
  'jobs.cancel',
  'clip.estimate',
  'presets.list',
  'presets.save',
  'presets.remove',
  'preview.start',
  'preview.get',
  'preview.cancel',
  'render.status',
  'cache.info',
  'cache.clear',
  'cache.setLimit',
  'export.codecs',
  'export.summary',
  'export.start',
  'export.list',
  'export.pause',
  'export.resume',
  'export.cancel',
  'export.remove',
  'farm.status',
  'shell.showInFolder',
  'dialog.chooseFolder',
] as const satisfies readonly MethodName[];

// Fails to compile when api.ts gains a method this list lacks.
type MissingFromPreload = Exclude<MethodName, (typeof METHOD_NAMES)[number]>;
const preloadListsEveryMethod: [MissingFromPreload] extends [never] ? true : MissingFromPreload = true;
void preloadListsEveryMethod;

const allowed = new Set<string>(METHOD_NAMES);

contextBridge.exposeInMainWorld('upframe', {
  call(method: unknown, input: unknown): Promise<unknown> {
    if (typeof method !== 'string' || !allowed.has(method)) {
      return Promise.resolve({ ok: false, error: { code: 'BAD_REQUEST', message: `Unknown method ${JSON.stringify(method)}.` } });
    }
    return ipcRenderer.invoke('upframe:call', method, input);
  },
  subscribe(listener: (event: AnyEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe needs a function.');
    // The IPC event object (with its sender) never reaches the page: only the payload does.
    const forward = (_event: IpcRendererEvent, payload: AnyEvent) => listener(payload);
    ipcRenderer.on('upframe:event', forward);
    return () => void ipcRenderer.removeListener('upframe:event', forward);
  },
  getPathForFile(file: File): string {
    return webUtils.getPathForFile(file);
  },
});

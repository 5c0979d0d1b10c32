// Editor UI state that is not server state: selection, zoom, scroll, snapping, drag/trim previews, playhead.
import { createStore } from '../lib/store';

export const MIN_PX_PER_FRAME = 0.02;
export const MAX_PX_PER_FRAME = 40;

export type DragPreview = { clipIds: ReadonlySet<number>; deltaFrames: number; deltaTracks: number } | null;
export type TrimPreview = { clipId: number; start: number; sourceIn: number; sourceOut: number } | null;

export const editorStore = createStore({
  selection: new Set<number>() as ReadonlySet<number>,
  pxPerFrame: 4,
  scrollLeft: 0,
  viewportWidth: 800,
  snapping: true,
  drag: null as DragPreview,
  trim: null as TrimPreview,
  helpOpen: false,
});

/** The playhead lives in its own store: it changes every animation frame during playback. */
export const playheadStore = createStore({ frame: 0 });

export function setPlayhead(frame: number): void {
  playheadStore.set({ frame: Math.max(0, Math.round(frame)) });
}

export function selectOnly(ids: number[]): void {
  editorStore.set({ selection: new Set(ids) });
}

export function toggleSelected(id: number): void {
  const next = new Set(editorStore.get().selection);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  editorStore.set({ selection: next });
}

/** Per-project view settings survive reloads and restarts (localStorage, keyed by the project file). */
export function loadViewState(projectPath: string): void {
  try {
    const raw = localStorage.getItem(`upframe.view:${projectPath}`);
    if (!raw) return;
    const v = JSON.parse(raw) as { pxPerFrame?: number; playhead?: number; snapping?: boolean };
    if (typeof v.pxPerFrame === 'number' && v.pxPerFrame >= MIN_PX_PER_FRAME && v.pxPerFrame <= MAX_PX_PER_FRAME) {
      editorStore.set({ pxPerFrame: v.pxPerFrame });
    }
    if (typeof v.snapping === 'boolean') editorStore.set({ snapping: v.snapping });
    if (typeof v.playhead === 'number') setPlayhead(v.playhead);
  } catch (err) {
    console.warn('Ignoring unreadable saved view state', err);
  }
}

export function saveViewState(projectPath: string): void {
  const { pxPerFrame, snapping } = editorStore.get();
  localStorage.setItem(
    `upframe.view:${projectPath}`,
    JSON.stringify({ pxPerFrame, snapping, playhead: playheadStore.get().frame }),
  );
}

/** "Reveal in media pool" from a clip: the bin scrolls its media into view and highlights it for a moment. */
export const revealStore = createStore({ mediaId: null as number | null, nonce: 0 });

export function revealMedia(mediaId: number): void {
  revealStore.set((s) => ({ mediaId, nonce: s.nonce + 1 }));
}

// How the compare viewer looks (mode, zoom, pan, wipe split, A/B side) and the commands keys and buttons share.
// The view settings outlive one preview, so the next preview opens the way the person left the last one.
import { createStore } from '../../lib/store';

export type CompareMode = 'wipe' | 'side' | 'ab';
export type CompareZoom = 'fit' | '1' | '2' | '4';
export type CompareSide = 'original' | 'enhanced';

export const COMPARE_MODES: { mode: CompareMode; label: string; key: string }[] = [
  { mode: 'wipe', label: 'Wipe', key: '1' },
  { mode: 'side', label: 'Side by side', key: '2' },
  { mode: 'ab', label: 'A/B', key: '3' },
];

export const COMPARE_ZOOMS: { zoom: CompareZoom; label: string }[] = [
  { zoom: 'fit', label: 'Fit' },
  { zoom: '1', label: '100 %' },
  { zoom: '2', label: '200 %' },
  { zoom: '4', label: '400 %' },
];

export const compareStore = createStore({
  mode: 'wipe' as CompareMode,
  zoom: 'fit' as CompareZoom,
  /** Pan offset of the picture's centre from the pane's centre, in CSS pixels. */
  panX: 0,
  panY: 0,
  /** Wipe split as a fraction of the pane's width: the enhanced picture shows right of it. */
  split: 0.5,
  /** The side the A/B mode shows. */
  abSide: 'enhanced' as CompareSide,
});

export function setCompareMode(mode: CompareMode): void {
  compareStore.set({ mode });
}

export function setCompareZoom(zoom: CompareZoom): void {
  // A new scale makes the old offset meaningless: start centred.
  compareStore.set({ zoom, panX: 0, panY: 0 });
}

/** Z: fit → 100 % → 200 % → 400 % → fit. */
export function cycleCompareZoom(): void {
  const order = COMPARE_ZOOMS.map((z) => z.zoom);
  const next = order[(order.indexOf(compareStore.get().zoom) + 1) % order.length];
  setCompareZoom(next);
}

/** B: in A/B mode shows the other side; from another mode, switches to A/B on the side shown last. */
export function toggleAbSide(): void {
  compareStore.set((s) => (s.mode === 'ab' ? { abSide: s.abSide === 'enhanced' ? 'original' : 'enhanced' } : { mode: 'ab' }));
}

/** What the mounted compare viewer's clock does for keys; null while no compare viewer is mounted. */
export type CompareTransport = {
  togglePlay(): void;
  step(frames: number): void;
  toLoopStart(): void;
};

let transport: CompareTransport | null = null;

export function registerCompareTransport(next: CompareTransport | null): void {
  transport = next;
}

export function compareTransport(): CompareTransport | null {
  return transport;
}

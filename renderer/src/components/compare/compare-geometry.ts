// Where the picture lies in a compare pane for a zoom and pan. Both sides get the same box (the enhanced picture's
// size at that zoom), so the original is scaled by enhancedWidth / originalWidth and both stay aligned.
import type { CompareZoom } from './compare-controls';

export type Size = { width: number; height: number };
export type Box = { left: number; top: number; width: number; height: number };

/** CSS pixels per enhanced pixel: 100 % is one enhanced pixel per device pixel. */
export function pictureScale(pane: Size, picture: Size, zoom: CompareZoom, devicePixelRatio: number): number {
  if (zoom !== 'fit') return Number(zoom) / devicePixelRatio;
  if (pane.width <= 0 || pane.height <= 0) return 0;
  return Math.min(pane.width / picture.width, pane.height / picture.height);
}

/** The pan offset kept within the picture: no panning past its edges, none at all when it fits. */
export function clampPan(pane: Size, picture: Size, scale: number, pan: { x: number; y: number }): { x: number; y: number } {
  const maxX = Math.max(0, (picture.width * scale - pane.width) / 2);
  const maxY = Math.max(0, (picture.height * scale - pane.height) / 2);
  return { x: Math.max(-maxX, Math.min(maxX, pan.x)), y: Math.max(-maxY, Math.min(maxY, pan.y)) };
}

export function pictureBox(
  pane: Size,
  picture: Size,
  zoom: CompareZoom,
  pan: { x: number; y: number },
  devicePixelRatio: number,
): Box {
  const scale = pictureScale(pane, picture, zoom, devicePixelRatio);
  const width = picture.width * scale;
  const height = picture.height * scale;
  const { x, y } = clampPan(pane, picture, scale, pan);
  // On whole device pixels, so at 100 % and above each picture pixel covers whole device pixels exactly.
  const snap = (v: number) => Math.round(v * devicePixelRatio) / devicePixelRatio;
  return { left: snap((pane.width - width) / 2 + x), top: snap((pane.height - height) / 2 + y), width, height };
}

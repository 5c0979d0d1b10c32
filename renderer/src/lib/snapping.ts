// Snapping: an edge within the pixel threshold of a target (clip edge, playhead, mark) moves onto it.
export const SNAP_THRESHOLD_PX = 8;

/** Returns the frame offset that brings the nearest of `edges` onto a target, or 0 when none is close enough. */
export function snapOffset(edges: number[], targets: number[], pxPerFrame: number, thresholdPx = SNAP_THRESHOLD_PX): number {
  const maxFrames = thresholdPx / pxPerFrame;
  let best = 0;
  let bestDistance = Infinity;
  for (const edge of edges) {
    for (const target of targets) {
      const d = target - edge;
      if (Math.abs(d) <= maxFrames && Math.abs(d) < bestDistance) {
        bestDistance = Math.abs(d);
        best = d;
      }
    }
  }
  return best;
}

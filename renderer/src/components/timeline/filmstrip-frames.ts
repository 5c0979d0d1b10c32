// Which frames a filmstrip's coarse thumbnails show, and which of them stands in for a slot still loading.

const COARSE_COUNT = 16;

/** About COARSE_COUNT frames on a power-of-two grid over [sourceIn, sourceOut): a trim keeps nearly the same frames,
 *  whose thumbnails the host has cached. */
export function coarseFrames(sourceIn: number, sourceOut: number): number[] {
  const length = Math.max(1, sourceOut - sourceIn);
  const step = 2 ** Math.max(0, Math.ceil(Math.log2(length / COARSE_COUNT)));
  const frames: number[] = [];
  for (let f = Math.ceil(sourceIn / step) * step; f < sourceOut; f += step) frames.push(f);
  return frames.length > 0 ? frames : [sourceIn];
}

export type Coarse = { frames: number[]; urls: (string | null)[] };

/** The loaded coarse thumbnail nearest to `frame`, if any. */
export function nearestCoarse(coarse: Coarse | null, frame: number): string | null {
  if (!coarse) return null;
  let best: string | null = null;
  let distance = Infinity;
  coarse.frames.forEach((f, i) => {
    const url = coarse.urls[i];
    if (url && Math.abs(f - frame) < distance) {
      best = url;
      distance = Math.abs(f - frame);
    }
  });
  return best;
}

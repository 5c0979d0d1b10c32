// Small loops over planar tensors shared by the denoise loop and the VAE decode.

export function cropPlanes(data: Float32Array, planes: number, h: number, w: number, y0: number, x0: number, th: number, tw: number): Float32Array {
  const out = new Float32Array(planes * th * tw);
  for (let p = 0; p < planes; p++) {
    for (let y = 0; y < th; y++) {
      const from = p * h * w + (y0 + y) * w + x0;
      out.set(data.subarray(from, from + tw), (p * th + y) * tw);
    }
  }
  return out;
}

/** Linear cross-fade over an overlap: out[j] = (1 - c_j) previous[j] + c_j next[j], per frame of `frameSize`. */
export function crossFadeFrames(
  previous: Float32Array,
  next: Float32Array,
  overlap: number,
  frameSize: number,
  weight: (j: number, overlap: number) => number,
): void {
  for (let j = 0; j < overlap; j++) {
    const c = weight(j, overlap);
    const base = j * frameSize;
    // c = 0 (the first overlap frame) keeps the previous chunk's frame: a copy.
    if (c === 0) next.set(previous.subarray(base, base + frameSize), base);
    else for (let i = base; i < base + frameSize; i++) next[i] = (1 - c) * previous[i] + c * next[i];
  }
}

export function assertFinite(data: Float32Array, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`${what} produced a non-finite value (${data[i]}) at element ${i}: the model pack or its provider is broken.`);
  }
}

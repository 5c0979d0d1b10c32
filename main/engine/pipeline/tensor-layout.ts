// The latent store and the sampler work frame-major ([F, C, h, w]: a frame range is one contiguous slice); the
// denoiser takes channel-major video tensors ([1, C, F, h, w]). These convert between the two.

/** [F, C, h, w] -> [C, F, h, w]. */
export function framesToChannels(data: Float32Array, frames: number, channels: number, plane: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      out.set(data.subarray((f * channels + c) * plane, (f * channels + c + 1) * plane), (c * frames + f) * plane);
    }
  }
  return out;
}

/** [C, F, h, w] -> [F, C, h, w]. */
export function channelsToFrames(data: Float32Array, frames: number, channels: number, plane: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let c = 0; c < channels; c++) {
    for (let f = 0; f < frames; f++) {
      out.set(data.subarray((c * frames + f) * plane, (c * frames + f + 1) * plane), (f * channels + c) * plane);
    }
  }
  return out;
}

/** Copies the spatial window [y0, y0 + th) x [x0, x0 + tw) of every [h, w] plane of `data`. */
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
    for (let i = base; i < base + frameSize; i++) next[i] = (1 - c) * previous[i] + c * next[i];
  }
}

export function assertFinite(data: Float32Array, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`${what} produced a non-finite value (${data[i]}) at element ${i}: the model pack or its provider is broken.`);
  }
}

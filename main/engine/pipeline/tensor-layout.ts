// Small loops over planar tensors shared by the denoise loop and the VAE decode.
import kernels from '@upframe/native-kernels';

/** Rows [y0, y0 + th) and columns [x0, x0 + tw) of each of `planes` [h, w] planes, into `out` (a new array by
 *  default). */
export function cropPlanes(data: Float32Array, planes: number, h: number, w: number, y0: number, x0: number, th: number, tw: number, out: Float32Array = new Float32Array(planes * th * tw)): Float32Array {
  kernels.copyRect(data, planes, h, w, y0, x0, th, tw, out);
  return out;
}

export function assertFinite(data: Float32Array, what: string): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new Error(`${what} produced a non-finite value (${data[i]}) at element ${i}: the model pack or its provider is broken.`);
  }
}

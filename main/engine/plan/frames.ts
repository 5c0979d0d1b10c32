// Where key (source) frames and inserted frames sit in the output. With k frames inserted between consecutive
// key frames, key j is output frame j (k + 1) and the output has F = N + k (N - 1) frames (ENHANCEMENT.md 2.1;
// reference: VEnhancer's mask_cond and the `repeat(interp_f_num + 1)` that fills inserted slots).

export type FramePlan = {
  /** Output frame count F = N + k (N - 1). */
  total: number;
  /** [F] key index at key frames, -1 at inserted frames: the denoiser's `mask` input. */
  mask: BigInt64Array;
  isKey(f: number): boolean;
  /** Key index (0..N-1) of output frame f, -1 for inserted frames. */
  keyIndex(f: number): number;
  /** Output frame index of key frame `key` (0..N-1). */
  keyFrame(key: number): number;
  /** Output frame index of the key frame at or before f (f itself for a key frame). */
  prevKey(f: number): number;
  /** Key index (0..N-1) of the key frame whose copy fills slot f when building the starting latent: the key
   *  frame at or before f (the previous key frame, as the reference repeats each key frame k + 1 times). */
  sourceKeyForFill(f: number): number;
};

export function planFrames(keyCount: number, k: number): FramePlan {
  if (!Number.isInteger(keyCount) || keyCount < 1) throw new Error(`Need at least one key frame, got ${keyCount}`);
  if (!Number.isInteger(k) || k < 0) throw new Error(`Inserted frames per gap must be a whole number >= 0, got ${k}`);
  const period = k + 1;
  const total = keyCount + k * (keyCount - 1);
  const mask = new BigInt64Array(total);
  for (let f = 0; f < total; f++) mask[f] = f % period === 0 ? BigInt(f / period) : -1n;

  function check(f: number): void {
    if (!Number.isInteger(f) || f < 0 || f >= total) throw new RangeError(`Frame ${f} is outside [0, ${total})`);
  }
  return {
    total,
    mask,
    isKey(f) {
      check(f);
      return f % period === 0;
    },
    keyIndex(f) {
      check(f);
      return f % period === 0 ? f / period : -1;
    },
    keyFrame(key) {
      if (!Number.isInteger(key) || key < 0 || key >= keyCount) throw new RangeError(`Key frame ${key} is outside [0, ${keyCount})`);
      return key * period;
    },
    prevKey(f) {
      check(f);
      return f - (f % period);
    },
    sourceKeyForFill(f) {
      check(f);
      return Math.floor(f / period);
    },
  };
}

// Out-of-memory handling: recognise an allocation failure from onnxruntime (any provider) or V8, shrink the work
// unit (spatial tiles first, they cost quality least; then temporal chunks) and, past the floor, tell the user
// which settings use less memory.

/** Matches allocation failures as onnxruntime (CPU, CUDA, cuDNN, DirectML, CoreML) and V8 report them. */
const OOM_PATTERNS: readonly RegExp[] = [
  /out of memory/i,
  /\boutofmemory\b/i,
  /E_OUTOFMEMORY|0x8007000e/i,
  /bad_alloc/i,
  /failed to allocate/i,
  /allocation failed/i,
  /CUDNN_STATUS_ALLOC_FAILED|CUBLAS_STATUS_ALLOC_FAILED|cudaErrorMemoryAllocation/,
  /insufficient (?:device )?memory|not enough memory/i,
  /Array buffer allocation failed|Invalid typed array length/i,
];

/** True when `error` (or any error in its `cause` chain) reports an allocation failure. */
export function isOutOfMemoryError(error: unknown): boolean {
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== null && current !== undefined && !seen.has(current)) {
    seen.add(current);
    if (typeof current === 'string') return OOM_PATTERNS.some((p) => p.test(current as string));
    if (typeof current !== 'object') return false;
    const { message, code, cause } = current as { message?: unknown; code?: unknown; cause?: unknown };
    if (code === 'ERR_MEMORY_ALLOCATION_FAILED' || code === 'ENOMEM') return true;
    if (typeof message === 'string' && OOM_PATTERNS.some((p) => p.test(message))) return true;
    current = cause;
  }
  return false;
}

/** The size of one unit of work. chunkLength: frames per temporal chunk in use (null: not chunked, cannot shrink
 *  in time; pass the effective length, e.g. min(F, the pack's L), to let shrinkPlan shorten chunks).
 *  tileH/tileW: spatial tile size in latent pixels. */
export type WorkPlan = { chunkLength: number | null; tileH: number; tileW: number };

/**
 * The next smaller plan after running out of memory: halve the tiles (never below the floor's), and once both
 * tile sides are at the floor, halve the chunk length (never below the floor's). Null when nothing can shrink.
 */
export function shrinkPlan(plan: WorkPlan, floor: WorkPlan): WorkPlan | null {
  if (plan.tileH > floor.tileH || plan.tileW > floor.tileW) {
    return {
      chunkLength: plan.chunkLength,
      tileH: Math.max(floor.tileH, Math.ceil(plan.tileH / 2)),
      tileW: Math.max(floor.tileW, Math.ceil(plan.tileW / 2)),
    };
  }
  if (plan.chunkLength !== null && floor.chunkLength !== null && plan.chunkLength > floor.chunkLength) {
    // Chunks are key-frame aligned (m (k + 1) + 1 frames): halve the part after the first frame.
    const halved = Math.floor((plan.chunkLength - 1) / 2) + 1;
    return { ...plan, chunkLength: Math.max(floor.chunkLength, halved) };
  }
  return null;
}

/** What the failed job looked like, for the message. */
export type MemoryFailureContext = {
  /** Where it failed, e.g. 'denoise', 'vae_encode', 'vae_decode'. */
  stage: string;
  /** The smallest plan tried (the floor, or where shrinking stopped). */
  plan: WorkPlan;
  /** Output frame size before padding. */
  outputWidth: number;
  outputHeight: number;
  /** The clip's spatial scale setting. */
  scale: number;
  /** Frames inserted between key frames (k). */
  insertedFrames: number;
  /** Provider in use, e.g. 'cuda' or 'cpu'. */
  provider: string;
};

/** A user-facing message naming settings that use less memory than the failed job, most effective first. */
export function describeFittingSettings(context: MemoryFailureContext): string {
  const { stage, plan, outputWidth, outputHeight, scale, insertedFrames, provider } = context;
  const tried =
    `Out of memory during ${stage} at ${outputWidth}x${outputHeight} output, even with ` +
    (plan.chunkLength !== null ? `temporal chunks of ${plan.chunkLength} frames and ` : '') +
    `${plan.tileH}x${plan.tileW} latent tiles.`;
  const suggestions: string[] = [];
  // Memory grows with the output area, i.e. with scale^2: scale / sqrt(2) about halves it.
  if (scale > 1) {
    const smaller = Math.max(1, Math.floor((scale / Math.SQRT2) * 4) / 4);
    suggestions.push(`set Scale to ${smaller}x or lower (about half the pixels)`);
  }
  if (plan.chunkLength !== null && plan.chunkLength > 2) {
    suggestions.push(`set Chunk frames to ${Math.max(2, Math.floor((plan.chunkLength - 1) / 2) + 1)}`);
  }
  const tile = Math.min(plan.tileH, plan.tileW);
  if (tile > 8) suggestions.push(`set Tile latent to ${Math.max(8, Math.floor(tile / 2))}`);
  if (insertedFrames > 0) suggestions.push('lower the target frame rate (fewer inserted frames per chunk)');
  if (provider !== 'cpu') suggestions.push('use the CPU provider, which uses system memory (much slower)');
  suggestions.push('close other applications that use the GPU or memory');
  return `${tried} Settings that use less memory: ${suggestions.join('; ')}.`;
}

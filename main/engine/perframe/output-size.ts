// The model engine's plan, pure so the renderer and estimates can use it without loading onnxruntime: which of a
// pack's graphs serves a requested scale, and the output size (the classic engine's rule, even sides for 4:2:0
// encoders, so a clip keeps its size when it switches between the two).
import { evenFloor } from '../classic/filter-graph';

/** The pack's graph used for a requested scale: the smallest whole-number scale at or above it (the final resize
 *  then only shrinks, which keeps the model's detail), else the largest. */
export function chooseModel<T extends { scale: number | null }>(models: readonly T[], requestedScale: number): T {
  const known = models.filter((m) => m.scale !== null) as (T & { scale: number })[];
  if (known.length === 0) return models[0];
  const sorted = [...known].sort((a, b) => a.scale - b.scale);
  return sorted.find((m) => m.scale >= requestedScale - 1e-9) ?? sorted[sorted.length - 1];
}

export function modelOutputSize(width: number, height: number, scale: number): { width: number; height: number } {
  return { width: evenFloor(width * scale), height: evenFloor(height * scale) };
}

// The model engine's output size: the classic engine's rule (even sides for 4:2:0 encoders), so a clip keeps its
// size when it switches between the two. Pure, so the renderer and estimates can use it without onnxruntime.
import { evenFloor } from '../classic/filter-graph';

export function modelOutputSize(width: number, height: number, scale: number): { width: number; height: number } {
  return { width: evenFloor(width * scale), height: evenFloor(height * scale) };
}

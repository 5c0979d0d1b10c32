// Which segment a preview covers (owned by the inspector / status-bar work). Placeholder until implemented.
import type { ProjectState } from '../../../main/common/model';

export type PreviewSegment = { clipId: number; start: number; end: number };

/** The segment to preview, in timeline frames: a dragged range, else the I/O marks, else 2 s around the playhead,
 *  clamped to one clip; or a message saying what to do. */
export function previewSegment(state: ProjectState, playhead: number): PreviewSegment | { error: string } {
  void state;
  void playhead;
  return { error: 'Preview is not available yet.' };
}

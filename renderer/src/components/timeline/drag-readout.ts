// What the timeline shows while a clip is moved or trimmed: where the edit lands (timecode) and by how much
// (frames), as Resolve's drag tooltip does. Pure, from the project and the drag or trim preview.
import { formatFrameDelta } from '../../../../main/common/frame-time';
import type { ProjectState } from '../../../../main/common/model';
import { formatTimecode } from '../../lib/frames';
import type { DragPreview, TrimPreview } from '../../state/editor';

export function dragReadout(state: ProjectState, drag: DragPreview, trim: TrimPreview): string | null {
  const fps = state.project.fps;
  if (drag) {
    const moving = state.clips.filter((c) => drag.clipIds.has(c.id));
    if (moving.length === 0) return null;
    const first = Math.min(...moving.map((c) => c.start)) + drag.deltaFrames;
    const tracks = drag.deltaTracks === 0 ? '' : ` · ${drag.deltaTracks > 0 ? 'up' : 'down'} ${Math.abs(drag.deltaTracks)} track${Math.abs(drag.deltaTracks) === 1 ? '' : 's'}`;
    return `Move to ${formatTimecode(first, fps)} · ${formatFrameDelta(drag.deltaFrames)}${tracks}`;
  }
  if (trim) {
    const clip = state.clips.find((c) => c.id === trim.clipId);
    if (!clip) return null;
    const lengthChange = trim.sourceOut - trim.sourceIn - (clip.sourceOut - clip.sourceIn);
    const length = formatTimecode(trim.sourceOut - trim.sourceIn, fps);
    if (trim.sourceIn !== clip.sourceIn) return `Start ${formatTimecode(trim.start, fps)} · ${formatFrameDelta(lengthChange)} · length ${length}`;
    return `End ${formatTimecode(trim.start + trim.sourceOut - trim.sourceIn, fps)} · ${formatFrameDelta(lengthChange)} · length ${length}`;
  }
  return null;
}

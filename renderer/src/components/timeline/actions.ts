// Pointer interactions on the timeline (move, trim, drop from the bin, preview-segment drag), shared with memoised clips through a
// stable context so that clips never re-render because a handler changed.
import { createContext, useContext } from 'react';
import type { Clip } from '../../../../main/common/model';

export type TimelineActions = {
  beginMove(e: React.PointerEvent, clip: Clip): void;
  beginTrim(e: React.PointerEvent, clip: Clip, side: 'left' | 'right'): void;
  /** Drags a preview segment inside `clip`, or inside the clip under the pointer when null (the status bar). */
  beginSegment(e: React.PointerEvent, clip: Clip | null): void;
};

export const TimelineActionsContext = createContext<TimelineActions | null>(null);

export function useTimelineActions(): TimelineActions {
  const actions = useContext(TimelineActionsContext);
  if (!actions) throw new Error('useTimelineActions outside the timeline');
  return actions;
}

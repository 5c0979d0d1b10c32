// The dragged preview segment, highlighted across the status bar and the tracks until Escape or a click elsewhere.
import { useStore } from '../../lib/store';
import { editorStore } from '../../state/editor';
import { segmentStore } from '../../state/segment';
import { HEADER_WIDTH, RULER_HEIGHT } from './layout';

export function SegmentOverlay() {
  const range = useStore(segmentStore, (s) => s.range);
  const pxPerFrame = useStore(editorStore, (s) => s.pxPerFrame);
  if (!range) return null;
  return (
    <div
      className="preview-segment"
      data-testid="preview-segment"
      data-clip-id={range.clipId}
      data-start={range.start}
      data-end={range.end}
      aria-hidden
      style={{ top: RULER_HEIGHT, transform: `translateX(${HEADER_WIDTH + range.start * pxPerFrame}px)`, width: Math.max(1, (range.end - range.start) * pxPerFrame) }}
    />
  );
}

import { memo } from 'react';
import type { MediaAsset, Track } from '../../../../main/common/model';
import { clipsInRange, type TrackIndex } from '../../lib/intervals';
import { useStore } from '../../lib/store';
import { editorStore } from '../../state/editor';
import { ClipView } from './ClipView';
import { HEADER_WIDTH, RENDER_MARGIN_PX, ROW_HEIGHT } from './layout';

type TrackLaneProps = {
  track: Track;
  index: TrackIndex;
  mediaById: Map<number, MediaAsset>;
  onDrop(e: React.DragEvent<HTMLDivElement>, track: Track): void;
  onDragOver(e: React.DragEvent<HTMLDivElement>): void;
};

export const TrackLane = memo(function TrackLane({ track, index, mediaById, onDrop, onDragOver }: TrackLaneProps) {
  const pxPerFrame = useStore(editorStore, (s) => s.pxPerFrame);
  const selection = useStore(editorStore, (s) => s.selection);
  const drag = useStore(editorStore, (s) => s.drag);
  const trim = useStore(editorStore, (s) => s.trim);
  // Quantised to the render margin so small scrolls do not re-render the lane.
  const windowKey = useStore(editorStore, (s) => {
    const step = RENDER_MARGIN_PX / 2;
    const from = Math.floor(s.scrollLeft / step) * step - RENDER_MARGIN_PX;
    return `${from}:${from + s.viewportWidth - HEADER_WIDTH + RENDER_MARGIN_PX * 2 + step}`;
  });
  const [fromPx, toPx] = windowKey.split(':').map(Number);
  const visible = clipsInRange(index, Math.floor(fromPx / pxPerFrame), Math.ceil(toPx / pxPerFrame));
  // A clip being dragged must stay mounted even when its own range scrolls away.
  if (drag) {
    const shown = new Set(visible.map((c) => c.id));
    for (const clip of index.clips) if (drag.clipIds.has(clip.id) && !shown.has(clip.id)) visible.push(clip);
  }
  return (
    <div
      className="track-lane"
      data-testid={`track-${track.position}`}
      data-track-id={track.id}
      style={{ height: ROW_HEIGHT }}
      onDragOver={onDragOver}
      onDrop={(e) => onDrop(e, track)}
      onPointerDown={(e) => {
        if (e.target === e.currentTarget && !e.shiftKey && !e.ctrlKey && !e.metaKey) editorStore.set({ selection: new Set() });
      }}
    >
      {visible.map((clip) => {
        const dragged = !!drag && drag.clipIds.has(clip.id);
        const shown = trim && trim.clipId === clip.id ? { ...clip, start: trim.start, sourceIn: trim.sourceIn, sourceOut: trim.sourceOut } : clip;
        return (
          <ClipView
            key={clip.id}
            clip={shown}
            media={mediaById.get(clip.mediaId)}
            pxPerFrame={pxPerFrame}
            selected={selection.has(clip.id)}
            offsetX={dragged ? drag.deltaFrames * pxPerFrame : 0}
            offsetY={dragged ? -drag.deltaTracks * ROW_HEIGHT : 0}
            dragging={dragged}
          />
        );
      })}
    </div>
  );
});

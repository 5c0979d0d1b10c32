// Time ruler: timecode labels for the visible range only, in/out marks, and scrubbing by dragging.
import { memo } from 'react';
import type { Rational } from '../../../../main/common/model';
import { formatTimecode } from '../../lib/frames';
import { rulerLabelStep } from './ruler-steps';
import { useStore } from '../../lib/store';
import { editorStore, setPlayhead } from '../../state/editor';
import { HEADER_WIDTH, RULER_HEIGHT } from './layout';

const MIN_LABEL_SPACING_PX = 90;

function labelStep(fps: Rational, pxPerFrame: number): number {
  return rulerLabelStep(fps, pxPerFrame, MIN_LABEL_SPACING_PX);
}

type RulerProps = { fps: Rational; markIn: number | null; markOut: number | null; width: number };

export const Ruler = memo(function Ruler({ fps, markIn, markOut, width }: RulerProps) {
  const pxPerFrame = useStore(editorStore, (s) => s.pxPerFrame);
  const scrollLeft = useStore(editorStore, (s) => s.scrollLeft);
  const viewportWidth = useStore(editorStore, (s) => s.viewportWidth);
  const step = labelStep(fps, pxPerFrame);
  // Minor ticks divide a label step into whole frames.
  const divisions = [5, 4, 3, 2].find((d) => step % d === 0 && (step / d) * pxPerFrame >= 8) ?? 1;
  const minor = step / divisions;
  const firstFrame = Math.max(0, Math.floor(scrollLeft / pxPerFrame / step) * step - step);
  const lastFrame = (scrollLeft + viewportWidth) / pxPerFrame + step;
  const ticks: React.ReactNode[] = [];
  for (let i = 0, f = firstFrame; f <= lastFrame; i++, f = firstFrame + i * minor) {
    const major = i % divisions === 0;
    ticks.push(
      <div key={f} className={`ruler-tick ${major ? 'major' : ''}`} style={{ transform: `translateX(${f * pxPerFrame}px)` }}>
        {major && <span className="ruler-label">{formatTimecode(f, fps)}</span>}
      </div>,
    );
  }

  const frameAt = (clientX: number, el: HTMLElement) => Math.max(0, Math.round((clientX - el.getBoundingClientRect().left) / pxPerFrame));

  return (
    <div
      className="ruler"
      data-testid="ruler"
      style={{ width, height: RULER_HEIGHT, marginLeft: HEADER_WIDTH }}
      onPointerDown={(e) => {
        if (e.button !== 0) return;
        const el = e.currentTarget;
        el.setPointerCapture(e.pointerId);
        setPlayhead(frameAt(e.clientX, el));
        const move = (ev: PointerEvent) => setPlayhead(frameAt(ev.clientX, el));
        const up = () => {
          el.removeEventListener('pointermove', move);
          el.removeEventListener('pointerup', up);
          el.removeEventListener('pointercancel', up);
        };
        el.addEventListener('pointermove', move);
        el.addEventListener('pointerup', up);
        el.addEventListener('pointercancel', up);
      }}
    >
      {markIn !== null && markOut !== null && markOut > markIn && (
        <div
          className="ruler-range"
          style={{ transform: `translateX(${markIn * pxPerFrame}px)`, width: (markOut - markIn) * pxPerFrame }}
        />
      )}
      {ticks}
      {markIn !== null && (
        <div className="ruler-mark mark-in" data-testid="mark-in" data-frame={markIn} style={{ transform: `translateX(${markIn * pxPerFrame}px)` }} title={`In ${formatTimecode(markIn, fps)}`} />
      )}
      {markOut !== null && (
        <div className="ruler-mark mark-out" data-testid="mark-out" data-frame={markOut} style={{ transform: `translateX(${markOut * pxPerFrame}px)` }} title={`Out ${formatTimecode(markOut, fps)}`} />
      )}
    </div>
  );
});

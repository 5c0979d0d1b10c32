// The playhead is positioned outside React: a store subscription writes its transform, so playback never
// re-renders the timeline. While playing it also pages the timeline to keep itself in view.
import { useEffect, useRef } from 'react';
import { editorStore, playheadStore } from '../../state/editor';
import { transportStore } from '../../state/playback';
import { HEADER_WIDTH } from './layout';

export function Playhead({ scrollRef }: { scrollRef: React.RefObject<HTMLDivElement | null> }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    let raf: number | null = null;
    const draw = () => {
      raf = null;
      const el = ref.current;
      if (!el) return;
      const frame = playheadStore.get().frame;
      const { pxPerFrame } = editorStore.get();
      const x = frame * pxPerFrame;
      el.style.transform = `translateX(${HEADER_WIDTH + x}px)`;
      el.dataset.frame = String(frame);
      const scroller = scrollRef.current;
      if (scroller && transportStore.get().speed !== 0) {
        const visibleWidth = scroller.clientWidth - HEADER_WIDTH;
        if (x < scroller.scrollLeft || x > scroller.scrollLeft + visibleWidth) {
          scroller.scrollLeft = Math.max(0, x - visibleWidth * 0.1);
        }
      }
    };
    const schedule = () => {
      if (raf === null) raf = requestAnimationFrame(draw);
    };
    draw();
    const offA = playheadStore.subscribe(schedule);
    const offB = editorStore.subscribe(schedule);
    return () => {
      offA();
      offB();
      if (raf !== null) cancelAnimationFrame(raf);
    };
  }, [scrollRef]);
  return (
    <div ref={ref} className="playhead" data-testid="playhead" data-frame={0} aria-hidden>
      <div className="playhead-head" />
    </div>
  );
}

// A clip's filmstrip: thumbnail slots in chunks; only chunks near the viewport are requested and drawn, and
// react-query caches them, so scrolling back shows them at once. Until a slot's own thumbnail arrives it shows the
// nearest of a few small ones spread over the clip (one cheap request per clip, reused across zoom levels), so the
// strip is filled at once and sharpens as the detail comes in.
import { memo } from 'react';
import { useStore } from '../../lib/store';
import { editorStore } from '../../state/editor';
import { useThumbnails } from '../../state/server';
import { coarseFrames, nearestCoarse, type Coarse } from './filmstrip-frames';
import { CLIP_VIDEO_HEIGHT, HEADER_WIDTH, RENDER_MARGIN_PX } from './layout';

const SLOTS_PER_CHUNK = 12;
const THUMB_HEIGHT = Math.min(360, Math.round(CLIP_VIDEO_HEIGHT * 2));
const COARSE_HEIGHT = Math.round(CLIP_VIDEO_HEIGHT / 2);

type FilmstripProps = {
  mediaId: number;
  clipStart: number;
  sourceIn: number;
  sourceOut: number;
  pxPerFrame: number;
  aspect: number;
};

export const Filmstrip = memo(function Filmstrip(p: FilmstripProps) {
  const thumbWidth = Math.max(16, Math.round(CLIP_VIDEO_HEIGHT * p.aspect));
  const widthPx = (p.sourceOut - p.sourceIn) * p.pxPerFrame;
  const slots = Math.max(1, Math.ceil(widthPx / thumbWidth));
  const chunks = Math.ceil(slots / SLOTS_PER_CHUNK);
  const clipLeft = p.clipStart * p.pxPerFrame;
  // A primitive selector: this re-renders only when the range of visible chunks changes.
  const range = useStore(editorStore, (s) => {
    const from = s.scrollLeft - RENDER_MARGIN_PX - clipLeft;
    const to = s.scrollLeft + s.viewportWidth - HEADER_WIDTH + RENDER_MARGIN_PX - clipLeft;
    const first = Math.max(0, Math.floor(from / (thumbWidth * SLOTS_PER_CHUNK)));
    const last = Math.min(chunks - 1, Math.floor(to / (thumbWidth * SLOTS_PER_CHUNK)));
    return `${first}:${last}`;
  });
  const [first, last] = range.split(':').map(Number);
  const framesPerSlot = thumbWidth / p.pxPerFrame;
  const coarseList = coarseFrames(p.sourceIn, p.sourceOut);
  const coarseThumbs = useThumbnails(p.mediaId, coarseList, COARSE_HEIGHT, true);
  const coarse: Coarse | null = coarseThumbs.data ? { frames: coarseList, urls: coarseThumbs.data.urls } : null;
  const visible: number[] = [];
  for (let c = first; c <= last; c++) visible.push(c);
  return (
    <div className="filmstrip" aria-hidden>
      {visible.map((c) => {
        const frames: number[] = [];
        for (let i = c * SLOTS_PER_CHUNK; i < Math.min(slots, (c + 1) * SLOTS_PER_CHUNK); i++) {
          // Snap to a coarse grid so nearby zoom levels and small trims reuse cached thumbnails.
          const raw = p.sourceIn + Math.floor(i * framesPerSlot);
          const grid = Math.max(1, Math.floor(framesPerSlot / 2));
          frames.push(Math.min(p.sourceOut - 1, Math.max(p.sourceIn, Math.round(raw / grid) * grid)));
        }
        return (
          <FilmstripChunk
            key={c}
            mediaId={p.mediaId}
            frames={frames}
            left={c * SLOTS_PER_CHUNK * thumbWidth}
            thumbWidth={thumbWidth}
            coarse={coarse}
          />
        );
      })}
    </div>
  );
});

function FilmstripChunk(p: { mediaId: number; frames: number[]; left: number; thumbWidth: number; coarse: Coarse | null }) {
  const thumbs = useThumbnails(p.mediaId, p.frames, THUMB_HEIGHT, true);
  return (
    <>
      {p.frames.map((frame, i) => {
        const detail = thumbs.data?.urls[i] ?? null;
        const url = detail ?? nearestCoarse(p.coarse, frame);
        return url ? (
          <img
            key={i}
            className={`filmstrip-thumb ${detail ? '' : 'coarse'}`}
            data-detail={detail !== null}
            src={url}
            alt=""
            draggable={false}
            style={{ left: p.left + i * p.thumbWidth, width: p.thumbWidth }}
            data-frame={frame}
          />
        ) : null;
      })}
    </>
  );
}

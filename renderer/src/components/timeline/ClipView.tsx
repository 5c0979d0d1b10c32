import { memo } from 'react';
import type { Clip, MediaAsset } from '../../../../main/common/model';
import { AudioLines } from 'lucide-react';
import { useTimelineActions } from './actions';
import { Filmstrip } from './Filmstrip';

type ClipViewProps = {
  clip: Clip;
  media: MediaAsset | undefined;
  pxPerFrame: number;
  selected: boolean;
  /** Live drag offset while this clip is being moved (pixels). */
  offsetX: number;
  offsetY: number;
  dragging: boolean;
};

/** Snapshots arrive as fresh objects after every edit: compare what a clip draws, not object identity. */
function sameClipProps(a: ClipViewProps, b: ClipViewProps): boolean {
  const ca = a.clip;
  const cb = b.clip;
  const ma = a.media;
  const mb = b.media;
  return (
    ca.id === cb.id &&
    ca.start === cb.start &&
    ca.sourceIn === cb.sourceIn &&
    ca.sourceOut === cb.sourceOut &&
    ca.trackId === cb.trackId &&
    ca.mediaId === cb.mediaId &&
    (ma === mb || (!!ma && !!mb && ma.id === mb.id && ma.offline === mb.offline && ma.name === mb.name && ma.probe.audio.length === mb.probe.audio.length)) &&
    a.pxPerFrame === b.pxPerFrame &&
    a.selected === b.selected &&
    a.offsetX === b.offsetX &&
    a.offsetY === b.offsetY &&
    a.dragging === b.dragging
  );
}

export const ClipView = memo(function ClipView({ clip, media, pxPerFrame, selected, offsetX, offsetY, dragging }: ClipViewProps) {
  const actions = useTimelineActions();
  const duration = clip.sourceOut - clip.sourceIn;
  const width = Math.max(2, duration * pxPerFrame);
  const offline = !media || media.offline;
  const hasAudio = !!media && media.probe.audio.length > 0;
  const aspect = media ? media.probe.displayWidth / media.probe.displayHeight : 16 / 9;
  const name = media?.name ?? `Missing media #${clip.mediaId}`;
  const classes = ['clip', selected && 'selected', offline && 'offline', dragging && 'dragging'].filter(Boolean).join(' ');
  return (
    <div
      className={classes}
      data-testid="clip"
      data-clip-id={clip.id}
      data-start={clip.start}
      data-duration={duration}
      data-source-in={clip.sourceIn}
      data-source-out={clip.sourceOut}
      data-track-id={clip.trackId}
      data-selected={selected}
      data-offline={offline}
      title={offline ? `${name}: media offline` : name}
      style={{
        transform: `translate(${clip.start * pxPerFrame + offsetX}px, ${offsetY}px)`,
        width,
      }}
      onPointerDown={(e) => (e.altKey ? actions.beginSegment(e, clip) : actions.beginMove(e, clip))}
    >
      <div className="clip-video">
        {!offline && width > 24 && (
          <Filmstrip
            mediaId={clip.mediaId}
            clipStart={clip.start}
            sourceIn={clip.sourceIn}
            sourceOut={clip.sourceOut}
            pxPerFrame={pxPerFrame}
            aspect={aspect}
          />
        )}
        <div className="clip-label">{offline ? `Media offline · ${name}` : name}</div>
      </div>
      <div className={`clip-audio ${hasAudio ? '' : 'silent'}`} aria-hidden>
        {hasAudio && width > 40 && <span className="clip-audio-label">
            <AudioLines size={11} aria-hidden /> {name}
          </span>}
      </div>
      <div
        className="clip-trim clip-trim-left"
        data-testid="clip-trim-left"
        onPointerDown={(e) => actions.beginTrim(e, clip, 'left')}
      />
      <div
        className="clip-trim clip-trim-right"
        data-testid="clip-trim-right"
        onPointerDown={(e) => actions.beginTrim(e, clip, 'right')}
      />
    </div>
  );
}, sameClipProps);

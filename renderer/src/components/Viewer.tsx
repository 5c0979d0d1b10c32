// Viewer: shows the topmost visible clip under the playhead in a <video>, seeked to the frame's centre time.
// Forward playback plays the element at the shuttle rate and only corrects drift; paused and reverse step it
// frame by frame. requestVideoFrameCallback, where present, confirms which frame is on screen.
import { useEffect, useRef } from 'react';
import type { Clip } from '../../../main/common/model';
import { formatTimecode, frameCentreSeconds, fpsValue } from '../lib/frames';
import { useStore } from '../lib/store';
import { playheadStore } from '../state/editor';
import { topClipAt, type TimelineModel } from '../state/model';
import { transportStore } from '../state/playback';
import { useMediaUrl } from '../state/server';
import { showError } from '../state/toasts';

/** Drift allowed while playing forward before the element is re-seeked. */
const PLAY_DRIFT_SEC = 0.2;

type VideoWithFrameCallback = HTMLVideoElement & {
  requestVideoFrameCallback?: (cb: (now: number, meta: { mediaTime: number }) => void) => number;
};

export function Viewer({ model }: { model: TimelineModel }) {
  const frame = useStore(playheadStore, (s) => s.frame);
  const speed = useStore(transportStore, (s) => s.speed);
  const clip = topClipAt(model, frame);
  const media = clip ? model.mediaById.get(clip.mediaId) : undefined;
  const offline = !!clip && (!media || media.offline);
  const url = useMediaUrl(clip && !offline ? clip.mediaId : null);
  const fps = model.state.project.fps;
  const videoRef = useRef<VideoWithFrameCallback>(null);
  const current = useRef<{ clip: Clip | undefined; frame: number; speed: number }>({ clip, frame, speed });
  current.current = { clip, frame, speed };

  const targetTime = () => {
    const { clip: c, frame: f } = current.current;
    return c ? frameCentreSeconds(c.sourceIn + (f - c.start), fps) : 0;
  };

  const confirmFrame = (video: VideoWithFrameCallback) => {
    if (!video.requestVideoFrameCallback) {
      video.dataset.presentedTime = String(video.currentTime);
      return;
    }
    video.requestVideoFrameCallback((_now, meta) => {
      video.dataset.presentedTime = String(meta.mediaTime);
      video.dataset.presentedFrame = String(Math.floor(meta.mediaTime * fpsValue(fps) + 1e-6));
    });
  };

  const seek = (video: VideoWithFrameCallback, time: number) => {
    // Seeks are coalesced: while one is in flight, the seeked handler re-reads the latest target.
    if (video.seeking) return;
    if (Math.abs(video.currentTime - time) < 1e-4) return;
    video.currentTime = time;
    video.dataset.targetTime = String(time);
  };

  const sync = () => {
    const video = videoRef.current;
    if (!video || !current.current.clip || video.readyState < HTMLMediaElement.HAVE_METADATA) return;
    const time = targetTime();
    const s = current.current.speed;
    if (s > 0) {
      video.playbackRate = s;
      if (Math.abs(video.currentTime - time) > PLAY_DRIFT_SEC * s) seek(video, time);
      if (video.paused) {
        video.play().catch((err: Error) => {
          if (err.name === 'NotAllowedError' && !video.muted) {
            // Autoplay with sound refused before any gesture: play muted rather than not at all.
            video.muted = true;
            return video.play();
          }
          if (err.name !== 'AbortError') showError(err, 'Playback failed');
        });
      }
    } else {
      if (!video.paused) video.pause();
      seek(video, time);
    }
  };

  useEffect(sync);

  // A muted track's clip plays without sound; unmuting gives it back (unless autoplay forced silence meanwhile).
  const trackMuted = !!clip && !!model.state.tracks.find((t) => t.id === clip.trackId)?.muted;
  useEffect(() => {
    const video = videoRef.current;
    if (video) video.muted = trackMuted;
  }, [trackMuted, clip?.mediaId, url.data?.url]);

  const onSeeked = () => {
    const video = videoRef.current;
    if (!video) return;
    if (current.current.speed <= 0 && current.current.clip) {
      const time = targetTime();
      if (Math.abs(video.currentTime - time) >= 1e-4) {
        seek(video, time);
        return;
      }
    }
    confirmFrame(video);
  };

  return (
    <section className="panel viewer" data-testid="viewer">
      <header className="panel-header">
        <h2>Timeline Viewer</h2>
        <span className="muted small">{media ? media.name : ''}</span>
      </header>
      <div className="viewer-screen">
        {clip && !offline && url.data && (
          <video
            ref={videoRef}
            key={clip.mediaId}
            className="viewer-video"
            src={url.data.url}
            preload="auto"
            playsInline
            data-testid="viewer-video"
            data-clip-id={clip.id}
            data-muted={trackMuted}
            onLoadedMetadata={(e) => {
              e.currentTarget.muted = trackMuted;
              sync();
            }}
            onSeeked={onSeeked}
            onError={(e) => {
              const err = e.currentTarget.error;
              showError(err?.message || `The media could not be played (code ${err?.code ?? '?'})`, `Viewer: ${media?.name ?? ''}`);
            }}
          />
        )}
        {offline && (
          <div className="viewer-offline" data-testid="viewer-offline">
            <strong>Media offline</strong>
            <span>{media?.name ?? `Media #${clip?.mediaId}`}</span>
            <span className="muted small">Relink it from the media pool.</span>
          </div>
        )}
      </div>
      <footer className="viewer-footer">
        <span className="timecode" data-testid="timecode">
          {formatTimecode(frame, fps)}
        </span>
        <span className="muted small" data-testid="frame-number">
          frame {frame}
        </span>
        <span className="muted small" data-testid="shuttle-speed">
          {speed === 0 ? '' : `${speed > 0 ? '▶' : '◀'} ${Math.abs(speed)}×`}
        </span>
      </footer>
    </section>
  );
}

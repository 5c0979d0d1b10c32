// Frame arithmetic at the project frame rate. Timeline positions are integer frames; times are derived from them.
import { durationInFrames, frameToSeconds } from '../../../main/common/frame-time';
import type { MediaAsset, Rational } from '../../../main/common/model';

export function fpsValue(fps: Rational): number {
  return fps.num / fps.den;
}

/** Seconds of the frame's centre: seeking there lands on the frame itself, never on its neighbour's edge. */
export function frameCentreSeconds(frame: number, fps: Rational): number {
  return frameToSeconds(frame + 0.5, fps);
}

/** The media's length in project frames, as the store counts it (the limit for sourceOut); at least 1 to draw. */
export function mediaDurationInFrames(media: MediaAsset, fps: Rational): number {
  return Math.max(1, durationInFrames(media.probe.durationSec, fps));
}

/** HH:MM:SS:FF, non-drop-frame, counting frames at the nominal (rounded) rate. */
export function formatTimecode(frame: number, fps: Rational): string {
  const nominal = Math.max(1, Math.round(fpsValue(fps)));
  const f = Math.max(0, Math.floor(frame));
  const ff = f % nominal;
  const totalSec = Math.floor(f / nominal);
  const ss = totalSec % 60;
  const mm = Math.floor(totalSec / 60) % 60;
  const hh = Math.floor(totalSec / 3600);
  return [hh, mm, ss, ff].map((n) => String(n).padStart(2, '0')).join(':');
}

export function formatFps(fps: Rational): string {
  const v = fpsValue(fps);
  return Number.isInteger(v) ? String(v) : v.toFixed(3).replace(/0+$/, '');
}

export function formatDuration(sec: number): string {
  const s = Math.max(0, sec);
  const m = Math.floor(s / 60);
  const rest = s - m * 60;
  return `${m}:${rest.toFixed(2).padStart(5, '0')}`;
}

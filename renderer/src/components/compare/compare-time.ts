// Time arithmetic of the compare viewer: where the loop lies in the enhanced video, which frame a time shows, and
// which original time shows the same moment of the media. Pure, so the clock and the labels agree.
import type { Preview, PreviewSide } from '../../../../main/common/render-model';

/** Tolerance, in frames, for times that went through container rounding. */
const FRAME_EPSILON = 1e-3;

/** The frame a playback position (video seconds) shows. */
export function frameAtTime(sec: number, fps: number): number {
  return Math.max(0, Math.floor(sec * fps + FRAME_EPSILON));
}

/** The frame a presented frame's timestamp belongs to: timestamps sit on frame starts, give or take rounding. */
export function frameAtTimestamp(sec: number, fps: number): number {
  return Math.max(0, Math.round(sec * fps));
}

/** The middle of a frame (video seconds): seeking there shows that frame and never its neighbour. */
export function frameCentre(frame: number, fps: number): number {
  return (frame + 0.5) / fps;
}

/** A side's frame number counted from the media's start (what the labels show) for a frame of its video. */
export function sideFrameNumber(side: PreviewSide, videoFrame: number): number {
  return side.firstFrame + videoFrame;
}

/** The loop, in enhanced video frames [first, end): the segment's frames that are playable now, or, before the
 *  segment's first frame is ready, whatever is. */
export function loopFrames(p: Preview): { first: number; end: number } {
  const e = p.enhanced;
  const playable = e.frames;
  const first = Math.min(playable, frameAtTime(Math.max(0, p.segment.startSec - e.mediaStartSec), e.fps));
  const end = Math.min(playable, Math.ceil((p.segment.endSec - e.mediaStartSec) * e.fps - FRAME_EPSILON));
  if (end <= first) return { first: 0, end: playable };
  return { first, end };
}

/** The original video's time showing the media moment the enhanced video shows at `enhancedSec`. */
export function originalTimeFor(p: Preview, enhancedSec: number): number {
  return Math.max(0, p.enhanced.mediaStartSec + enhancedSec - p.original.mediaStartSec);
}

/** The original video frame showing the media moment of enhanced frame `enhancedFrame`'s centre. */
export function originalFrameFor(p: Preview, enhancedFrame: number): number {
  return frameAtTime(originalTimeFor(p, frameCentre(enhancedFrame, p.enhanced.fps)), p.original.fps);
}

/** Wraps a frame into the loop (stepping past either end goes round). */
export function wrapIntoLoop(frame: number, loop: { first: number; end: number }): number {
  const length = loop.end - loop.first;
  if (length <= 0) return loop.first;
  return loop.first + ((((frame - loop.first) % length) + length) % length);
}

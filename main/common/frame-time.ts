// Conversions between frame indices and seconds at a rational frame rate. Pure: the store, the services and the
// renderer all count frames with these, so a media file has the same length in frames everywhere.
import type { Rational } from './model';

/**
 * Tolerance, in frames, for times that went through rounding (ffprobe prints microseconds, containers store
 * millisecond or tick timestamps): a time within a thousandth of a frame of a boundary counts as on it.
 */
const FRAME_EPSILON = 1e-3;

/** Start time of a frame, in seconds. */
export function frameToSeconds(frame: number, fps: Rational): number {
  return (frame * fps.den) / fps.num;
}

/** The frame showing at a time: the last frame that starts at or before it. */
export function secondsToFrame(sec: number, fps: Rational): number {
  return Math.max(0, Math.floor((sec * fps.num) / fps.den + FRAME_EPSILON));
}

/** How many frames it takes to cover a duration (a trailing partial frame counts as a frame). */
export function durationInFrames(durationSec: number, fps: Rational): number {
  return Math.max(0, Math.ceil((durationSec * fps.num) / fps.den - FRAME_EPSILON));
}

/** "+12 frames", "−1 frame": a signed count of frames with a real minus sign, as editors print deltas. */
export function formatFrameDelta(delta: number): string {
  const n = Math.abs(delta);
  return `${delta < 0 ? '−' : '+'}${n} frame${n === 1 ? '' : 's'}`;
}

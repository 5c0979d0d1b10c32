// What a clip's (possibly unsaved) settings produce: output size and rate, inserted frames, frames for the clip's
// trimmed range, a time estimate from rates measured on this machine, and notes where the pack or the engine
// changes what the person asked for.
import { durationInFrames, secondsToFrame } from '../common/frame-time';
import type { Clip, MediaAsset, Rational } from '../common/model';
import type { ClipEstimate } from '../common/render-model';
import { insertedFrames, type ClipSettings } from '../common/settings';
import type { ChunkRenderer, RenderVariant } from '../render/types';
import { clipSourceSeconds } from './render-status';

const rate = (r: Rational) => r.num / r.den;

function formatFps(fps: number): string {
  return Number.isInteger(fps) ? String(fps) : fps.toFixed(3).replace(/0+$/, '');
}

/** Output frames for media seconds [startSec, endSec): k inserted after every source frame but the media's last. */
export function outputFrames(variant: RenderVariant, startSec: number, endSec: number): number {
  const { fps, frameCount } = variant.media;
  const first = Math.min(frameCount, secondsToFrame(startSec, fps));
  const end = Math.min(frameCount, durationInFrames(endSec, fps));
  if (end <= first) return 0;
  const k = variant.insertedFrames;
  return (end - first) * (k + 1) - (end === frameCount ? k : 0);
}

/** Where the variant differs from what the settings ask for, in words. */
export function estimateNotes(variant: RenderVariant, settings: ClipSettings): string[] {
  const notes: string[] = [];
  const sourceFps = rate(variant.media.fps);
  const outputFps = rate(variant.output.fps);
  const wanted = insertedFrames(sourceFps, settings.targetFps);
  const by = variant.pack ? `The pack ${variant.pack.id}` : 'The classic engine';
  if (variant.insertedFrames < wanted) {
    notes.push(
      `${by} inserts at most ${variant.insertedFrames} frame${variant.insertedFrames === 1 ? '' : 's'} between source frames: ` +
        `${formatFps(outputFps)} fps instead of ${formatFps(sourceFps * (wanted + 1))} fps.`,
    );
  } else if (settings.targetFps !== null && Math.abs(outputFps - settings.targetFps) > 0.01) {
    notes.push(
      settings.targetFps <= sourceFps
        ? `The target ${formatFps(settings.targetFps)} fps is not above the source's ${formatFps(sourceFps)} fps: no frames are inserted.`
        : `Frames are inserted in whole numbers per source frame: ${formatFps(settings.targetFps)} fps becomes ${formatFps(outputFps)} fps ` +
            `(${variant.insertedFrames} inserted per source frame at ${formatFps(sourceFps)} fps).`,
    );
  }
  const askedWidth = Math.round(variant.media.width * settings.scale);
  const askedHeight = Math.round(variant.media.height * settings.scale);
  if (askedWidth !== variant.output.width || askedHeight !== variant.output.height) {
    notes.push(
      `${by} adjusts the size to ${variant.output.width}×${variant.output.height} ` +
        `(${formatFps(settings.scale)}x of ${variant.media.width}×${variant.media.height} is ${askedWidth}×${askedHeight}).`,
    );
  }
  return notes;
}

export async function estimateClip(
  renderer: ChunkRenderer,
  clip: Clip,
  media: MediaAsset,
  settings: ClipSettings,
  projectFps: Rational,
): Promise<ClipEstimate> {
  const variant = await renderer.variant(media, settings);
  const { startSec, endSec } = clipSourceSeconds(clip, projectFps);
  const frames = outputFrames(variant, startSec, endSec);
  return {
    width: variant.output.width,
    height: variant.output.height,
    fps: rate(variant.output.fps),
    insertedFrames: variant.insertedFrames,
    frames,
    estimateSec: renderer.estimateSec(variant, frames),
    notes: estimateNotes(variant, settings),
  };
}

// One clock for both sides of the compare viewer. The enhanced <video> is the master: it plays and loops over the
// previewed segment; the original follows in media time and is re-seeked when it drifts by more than half a
// frame. Stepping pauses both and seeks each to the middle of its frame, so the frame shown is never a neighbour.
import type { Preview } from '../../../../main/common/render-model';
import { createStore, type Store } from '../../lib/store';
import { showError } from '../../state/toasts';
import type { CompareTransport } from './compare-controls';
import {
  frameAtTime,
  frameAtTimestamp,
  frameCentre,
  loopFrames,
  originalFrameFor,
  originalTimeFor,
  sideFrameNumber,
  wrapIntoLoop,
} from './compare-time';

/** requestVideoFrameCallback reports the frame actually presented; older engines lack it. */
function hasFrameCallbacks(video: HTMLVideoElement): boolean {
  return typeof video.requestVideoFrameCallback === 'function';
}

export type ClockView = {
  playing: boolean;
  /** Frame numbers (from the media's start, in each side's own rate) on screen now; null before the first. */
  enhancedFrame: number | null;
  originalFrame: number | null;
};

export class CompareClock implements CompareTransport {
  readonly view: Store<ClockView> = createStore<ClockView>({ playing: false, enhancedFrame: null, originalFrame: null });
  private enhanced: HTMLVideoElement | null = null;
  private original: HTMLVideoElement | null = null;
  private raf: number | null = null;
  private frameCallbacks: { video: HTMLVideoElement; handle: number }[] = [];
  /** Enhanced video time to come back to when its file is replaced by a longer one (more chunks ready). */
  private lastEnhancedSec: number | null = null;

  constructor(private readonly preview: () => Preview) {}

  attach(enhanced: HTMLVideoElement, original: HTMLVideoElement): void {
    this.detach();
    this.enhanced = enhanced;
    this.original = original;
    this.watchFrames(enhanced, 'enhanced');
    this.watchFrames(original, 'original');
  }

  detach(): void {
    if (this.raf !== null) cancelAnimationFrame(this.raf);
    this.raf = null;
    for (const { video, handle } of this.frameCallbacks) video.cancelVideoFrameCallback(handle);
    this.frameCallbacks = [];
    this.enhanced?.pause();
    this.original?.pause();
    this.enhanced = null;
    this.original = null;
  }

  play(): void {
    this.view.set({ playing: true });
    const e = this.enhanced;
    if (!e || e.readyState < HTMLMediaElement.HAVE_METADATA) return; // onEnhancedMetadata starts it
    const p = this.preview();
    const loop = loopFrames(p);
    const frame = frameAtTime(e.currentTime, p.enhanced.fps);
    if (frame < loop.first || frame >= loop.end - 1) this.seekBoth(loop.first);
    this.startMedia(e);
    if (this.original) this.startMedia(this.original);
    if (this.raf === null) this.raf = requestAnimationFrame(this.tick);
  }

  pause(): void {
    this.view.set({ playing: false });
    if (this.raf !== null) cancelAnimationFrame(this.raf);
    this.raf = null;
    const e = this.enhanced;
    this.original?.pause();
    if (!e) return;
    e.pause();
    // Settle both on the frame the enhanced side stopped on, aligned exactly.
    if (e.readyState >= HTMLMediaElement.HAVE_METADATA) this.seekBoth(frameAtTime(e.currentTime, this.preview().enhanced.fps));
  }

  togglePlay(): void {
    if (this.view.get().playing) this.pause();
    else this.play();
  }

  step(frames: number): void {
    const e = this.enhanced;
    if (this.view.get().playing) this.pause();
    if (!e || e.readyState < HTMLMediaElement.HAVE_METADATA) return;
    const p = this.preview();
    // While a step's seek is in flight, currentTime already holds its target: steps add up.
    const from = frameAtTime(e.currentTime, p.enhanced.fps);
    this.seekBoth(wrapIntoLoop(from + frames, loopFrames(p)));
  }

  toLoopStart(): void {
    const e = this.enhanced;
    if (!e || e.readyState < HTMLMediaElement.HAVE_METADATA) return;
    this.seekBoth(loopFrames(this.preview()).first);
  }

  /** The enhanced file (re)loaded: continue where it was, or start the loop on the first load. */
  onEnhancedMetadata(): void {
    const e = this.enhanced;
    if (!e) return;
    const p = this.preview();
    const loop = loopFrames(p);
    const resumeFrame = this.lastEnhancedSec === null ? loop.first : frameAtTime(this.lastEnhancedSec, p.enhanced.fps);
    const frame = resumeFrame >= loop.first && resumeFrame < loop.end ? resumeFrame : loop.first;
    if (this.lastEnhancedSec !== null && this.view.get().playing) {
      // Keep the exact playing position rather than snapping back to a frame centre.
      e.currentTime = this.lastEnhancedSec;
    } else {
      this.seekBoth(frame);
    }
    if (this.view.get().playing) this.play();
  }

  /** The original file loaded: put it where the enhanced side is. */
  onOriginalMetadata(): void {
    const e = this.enhanced;
    if (!e || e.readyState < HTMLMediaElement.HAVE_METADATA) return;
    const p = this.preview();
    this.seekOriginal(originalFrameFor(p, frameAtTime(e.currentTime, p.enhanced.fps)));
    if (this.view.get().playing && this.original) this.startMedia(this.original);
  }

  private seekBoth(enhancedFrame: number): void {
    const e = this.enhanced;
    if (!e) return;
    const p = this.preview();
    const time = frameCentre(enhancedFrame, p.enhanced.fps);
    e.currentTime = time;
    this.lastEnhancedSec = time;
    this.seekOriginal(originalFrameFor(p, enhancedFrame));
    this.reportFromTimes();
  }

  private seekOriginal(originalFrame: number): void {
    const o = this.original;
    if (!o || o.readyState < HTMLMediaElement.HAVE_METADATA) return;
    o.currentTime = frameCentre(originalFrame, this.preview().original.fps);
  }

  private tick = (): void => {
    this.raf = null;
    const e = this.enhanced;
    if (!this.view.get().playing || !e) return;
    if (e.readyState >= HTMLMediaElement.HAVE_METADATA && !e.seeking) {
      const p = this.preview();
      const loop = loopFrames(p);
      const fps = p.enhanced.fps;
      const frame = frameAtTime(e.currentTime, fps);
      if (e.ended || frame >= loop.end || frame < loop.first) {
        this.seekBoth(loop.first);
        if (e.paused) this.startMedia(e);
      } else {
        this.lastEnhancedSec = e.currentTime;
        this.follow(p, e);
      }
    }
    this.raf = requestAnimationFrame(this.tick);
  };

  private follow(p: Preview, e: HTMLVideoElement): void {
    const o = this.original;
    if (!o || o.readyState < HTMLMediaElement.HAVE_METADATA || o.seeking) return;
    const target = originalTimeFor(p, e.currentTime);
    if (Math.abs(o.currentTime - target) > 0.5 / p.original.fps) o.currentTime = target;
    if (o.paused && !e.paused) this.startMedia(o);
  }

  private startMedia(video: HTMLVideoElement): void {
    if (!video.paused) return;
    video.play().catch((err: Error) => {
      // A pause or a new file interrupts a pending play: that is the person's doing, not a failure.
      if (err.name !== 'AbortError') showError(err, 'Compare playback failed');
    });
  }

  /** Frame numbers on screen: from the presented frame's timestamp where the browser reports it. */
  private watchFrames(video: HTMLVideoElement, side: 'enhanced' | 'original'): void {
    if (!hasFrameCallbacks(video)) return;
    const entry = { video, handle: 0 };
    const onFrame: VideoFrameRequestCallback = (_now, meta) => {
      const p = this.preview();
      const s = side === 'enhanced' ? p.enhanced : p.original;
      const number = sideFrameNumber(s, frameAtTimestamp(meta.mediaTime, s.fps));
      // On the element itself too, without a render per frame: tests and tools read it there.
      video.dataset.frame = String(number);
      this.view.set(side === 'enhanced' ? { enhancedFrame: number } : { originalFrame: number });
      entry.handle = video.requestVideoFrameCallback(onFrame);
    };
    entry.handle = video.requestVideoFrameCallback(onFrame);
    this.frameCallbacks.push(entry);
  }

  /** Without frame callbacks, the labels follow the seek targets. */
  private reportFromTimes(): void {
    const e = this.enhanced;
    const o = this.original;
    if (!e || hasFrameCallbacks(e)) return;
    const p = this.preview();
    const enhancedFrame = sideFrameNumber(p.enhanced, frameAtTime(e.currentTime, p.enhanced.fps));
    const originalFrame = o ? sideFrameNumber(p.original, frameAtTime(o.currentTime, p.original.fps)) : null;
    e.dataset.frame = String(enhancedFrame);
    if (o && originalFrame !== null) o.dataset.frame = String(originalFrame);
    this.view.set({ enhancedFrame, originalFrame });
  }
}

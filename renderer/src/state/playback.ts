// Transport: play/pause and J/K/L shuttle. One requestAnimationFrame loop advances the playhead store; the
// viewer follows the playhead (playing its <video> at the shuttle rate forward, stepping it in reverse).
import type { Rational } from '../../../main/common/model';
import { fpsValue } from '../lib/frames';
import { createStore } from '../lib/store';
import { playheadStore, setPlayhead } from './editor';

export const MAX_SHUTTLE = 8;

/** speed: frames of timeline per frame of real time; 0 is stopped, negative plays backwards. */
export const transportStore = createStore({ speed: 0 });

let fps: Rational = { num: 24, den: 1 };
let endFrame = 0;
let rafId: number | null = null;
let lastTime = 0;
let position = 0;

export function configureTransport(projectFps: Rational, timelineEnd: number): void {
  fps = projectFps;
  endFrame = timelineEnd;
}

function tick(now: number) {
  const { speed } = transportStore.get();
  if (speed === 0) {
    rafId = null;
    return;
  }
  // rAF's timestamp is the frame's start, which can precede the performance.now() taken when play began.
  const dt = Math.max(0, now - lastTime) / 1000;
  lastTime = Math.max(lastTime, now);
  position += dt * fpsValue(fps) * speed;
  if ((speed < 0 && position <= 0) || (speed > 0 && position >= endFrame)) {
    position = Math.max(0, Math.min(position, endFrame));
    setPlayhead(position);
    stop();
    return;
  }
  setPlayhead(Math.floor(position));
  rafId = requestAnimationFrame(tick);
}

function start(speed: number) {
  transportStore.set({ speed });
  // Starting at the end (forward) rewinds, like every editor.
  if (speed > 0 && playheadStore.get().frame >= endFrame) setPlayhead(0);
  if (rafId === null) {
    position = playheadStore.get().frame;
    lastTime = performance.now();
    rafId = requestAnimationFrame(tick);
  }
}

export function stop(): void {
  transportStore.set({ speed: 0 });
  if (rafId !== null) cancelAnimationFrame(rafId);
  rafId = null;
}

export function togglePlay(): void {
  if (transportStore.get().speed !== 0) stop();
  else start(1);
}

/** J (direction -1) and L (+1): start at 1x, each further press in the same direction doubles, up to 8x. */
export function shuttle(direction: 1 | -1): void {
  const { speed } = transportStore.get();
  const next = Math.sign(speed) === direction ? Math.min(MAX_SHUTTLE, Math.abs(speed) * 2) * direction : direction;
  start(next);
}

/** Any manual playhead move while playing re-bases the loop on the new position. */
playheadStore.subscribe(() => {
  const f = playheadStore.get().frame;
  if (Math.floor(position) !== f) position = f;
});

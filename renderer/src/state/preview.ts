// The preview the person started last: its latest snapshot from the host, and whether the compare viewer shows it.
// Progress arrives as 'preview.updated' events; a slow poll of preview.get covers events missed while the event
// socket reconnects or that crossed the preview.start reply.
import type { ProjectState } from '../../../main/common/model';
import type { Preview } from '../../../main/common/render-model';
import { getApi } from '../api/client';
import { createStore } from '../lib/store';
import { playheadStore } from './editor';
import { stop } from './playback';
import { previewSegment } from './segment';
import { call } from './server';
import { showError, showInfo } from './toasts';

/** How long a running preview may go without news before the host is asked directly. */
const POLL_AFTER_SILENCE_MS = 2_000;

export type PreviewUiState = {
  /** The latest snapshot of the preview shown (or starting); null when there is none. */
  preview: Preview | null;
  /** preview.start is in flight. */
  starting: boolean;
  /** The person closed the compare viewer (or dismissed the failure) of this preview. */
  dismissed: boolean;
};

export const previewStore = createStore<PreviewUiState>({ preview: null, starting: false, dismissed: false });

/** The compare viewer shows once the first enhanced chunk is playable, until closed. */
export function compareShown(s: PreviewUiState): boolean {
  return !!s.preview && s.preview.enhanced.url !== null && !s.dismissed;
}

export function isPreviewRunning(p: Preview | null): boolean {
  return !!p && (p.state === 'queued' || p.state === 'running' || p.state === 'paused');
}

function isFinal(p: Preview): boolean {
  return p.state === 'done' || p.state === 'failed' || p.state === 'cancelled';
}

/** Whether `next` is at least as recent as `prev` (events, replies and polls can cross). */
function isNotOlder(next: Preview, prev: Preview): boolean {
  if (isFinal(prev)) return isFinal(next);
  if (isFinal(next)) return true;
  if (next.chunks.done !== prev.chunks.done) return next.chunks.done > prev.chunks.done;
  return next.progress >= prev.progress;
}

// The project snapshot the editor shows: the segment is chosen on what the person sees.
let projectState: ProjectState | null = null;

/** Called by the viewer area with every project snapshot it renders. */
export function bindPreviewProject(state: ProjectState | null): void {
  projectState = state;
}

// Snapshots that arrived for a preview before its preview.start reply did.
const early = new Map<number, Preview>();
// Previews whose end was already announced to the person (toast), so a repeated snapshot does not repeat it.
const announced = new Set<number>();
let cancelRequested: number | null = null;
let lastNewsAt = 0;
let pollTimer: ReturnType<typeof setInterval> | null = null;
let unsubscribe: (() => void) | null = null;

function listen(): void {
  if (unsubscribe) return;
  unsubscribe = getApi().subscribe((e) => {
    if (e.event === 'preview.updated') accept(e.payload);
  });
}

function accept(next: Preview): void {
  const current = previewStore.get().preview;
  if (!current || current.id !== next.id) {
    // Only the reply of a pending start can make this preview current; remember it until then.
    if (previewStore.get().starting && (!current || next.id > current.id)) {
      const prev = early.get(next.id);
      if (!prev || isNotOlder(next, prev)) early.set(next.id, next);
    }
    return;
  }
  lastNewsAt = Date.now();
  if (!isNotOlder(next, current)) return;
  previewStore.set({ preview: next });
  if (isFinal(next)) finish(next);
}

function finish(p: Preview): void {
  stopPolling();
  if (announced.has(p.id)) return;
  announced.add(p.id);
  if (p.state === 'failed') {
    showError(p.message ?? 'The preview failed without a message; check the engine settings and try again.', 'Preview failed');
  } else if (p.state === 'cancelled' && cancelRequested === p.id) {
    showInfo(
      p.chunks.done > 0
        ? `Preview cancelled. The ${p.chunks.done} finished chunk${p.chunks.done === 1 ? '' : 's'} stay cached.`
        : 'Preview cancelled.',
    );
  }
}

function startPolling(id: number): void {
  stopPolling();
  lastNewsAt = Date.now();
  pollTimer = setInterval(() => {
    const current = previewStore.get().preview;
    if (!current || current.id !== id || !isPreviewRunning(current)) return stopPolling();
    if (Date.now() - lastNewsAt < POLL_AFTER_SILENCE_MS) return;
    lastNewsAt = Date.now();
    call('preview.get', { id })
      .then(accept)
      .catch((err: unknown) => {
        // Once is enough: the host lost the preview (restarted?) and asking again would only repeat the error.
        stopPolling();
        showError(err, 'Preview progress could not be read');
      });
  }, POLL_AFTER_SILENCE_MS / 2);
}

function stopPolling(): void {
  if (pollTimer !== null) clearInterval(pollTimer);
  pollTimer = null;
}

/** Starts a preview of the segment the person chose (I/O marks, a dragged range, or 2 s around the playhead). */
export function startPreviewFromUi(): void {
  if (!projectState) return;
  const segment = previewSegment(projectState, playheadStore.get().frame);
  if ('error' in segment) {
    showInfo(segment.error);
    return;
  }
  void startPreview(segment.clipId, segment.start, segment.end);
}

/** Starts a preview of [start, end) timeline frames of the clip; the host cancels the one running. */
export async function startPreview(clipId: number, start: number, end: number): Promise<void> {
  listen();
  // The timeline's transport would keep moving the playhead under the compare viewer.
  stop();
  early.clear();
  previewStore.set({ starting: true });
  try {
    const reply = await call('preview.start', { clipId, start, end });
    const earlier = early.get(reply.id);
    early.clear();
    const latest = earlier && isNotOlder(earlier, reply) ? earlier : reply;
    previewStore.set({ preview: latest, starting: false, dismissed: false });
    lastNewsAt = Date.now();
    if (isFinal(latest)) finish(latest);
    else startPolling(latest.id);
  } catch (err) {
    previewStore.set({ starting: false });
    showError(err, 'Preview could not start');
  }
}

/** Cancels the running preview; true when there was one (Esc then does nothing else). */
export function cancelRunningPreview(): boolean {
  const current = previewStore.get().preview;
  if (!isPreviewRunning(current)) return false;
  const id = current!.id;
  cancelRequested = id;
  call('preview.cancel', { id })
    // Whether or not it had already ended, the host's record is the truth the viewer must show.
    .then(() => call('preview.get', { id }))
    .then(accept)
    .catch((err: unknown) => showError(err, 'Preview could not be cancelled'));
  return true;
}

/** Closes the compare viewer (or the failure notice) and returns to the timeline viewer. */
export function closeCompare(): void {
  previewStore.set({ dismissed: true });
}

/** Forgets the preview (the project closed); the host stops its work on the old project itself. */
export function resetPreview(): void {
  stopPolling();
  early.clear();
  previewStore.set({ preview: null, starting: false, dismissed: false });
}

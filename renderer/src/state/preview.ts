// The running or shown preview (owned by the compare-viewer work). Placeholder until implemented.
/** Starts a preview of the segment the person chose (I/O marks, a dragged range, or 2 s around the playhead). */
export function startPreviewFromUi(): void {}

/** Cancels the running preview; true when there was one (Esc then does nothing else). */
export function cancelRunningPreview(): boolean {
  return false;
}

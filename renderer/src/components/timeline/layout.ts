// Timeline geometry shared by the ruler, lanes, clips and playhead.
export const HEADER_WIDTH = 132;
export const RULER_HEIGHT = 30;
/** The render-status bar between the ruler and the tracks. */
export const STATUS_BAR_HEIGHT = 14;
export const CLIP_VIDEO_HEIGHT = 46;
export const CLIP_AUDIO_HEIGHT = 16;
export const ROW_PADDING = 5;
export const ROW_HEIGHT = ROW_PADDING * 2 + CLIP_VIDEO_HEIGHT + 2 + CLIP_AUDIO_HEIGHT;
/** Clips this far (in pixels) outside the viewport are still rendered, so scrolling never shows gaps. */
export const RENDER_MARGIN_PX = 600;
/** Movement below this many pixels is a click, not a drag. */
export const DRAG_START_PX = 3;

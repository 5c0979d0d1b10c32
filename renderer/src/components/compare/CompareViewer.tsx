// The compare viewer: the previewed segment's original and enhanced videos, looping in sync, as a wipe, side by
// side, or one at a time (A/B). Both <video> elements stay mounted in every mode (only CSS changes), so switching
// modes never reloads or desynchronises them.
import { useEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type SyntheticEvent } from 'react';
import type { ProjectState } from '../../../../main/common/model';
import { useProjectState } from '../../state/server';
import { Pause, Play, SkipBack, StepBack, StepForward } from 'lucide-react';
import type { Preview, PreviewSide } from '../../../../main/common/render-model';
import { useStore } from '../../lib/store';
import { closeCompare } from '../../state/preview';
import { showError } from '../../state/toasts';
import { Tip } from '../Tip';
import { CompareClock } from './compare-clock';
import {
  COMPARE_MODES,
  COMPARE_ZOOMS,
  compareStore,
  registerCompareTransport,
  setCompareMode,
  setCompareZoom,
  toggleAbSide,
  type CompareSide,
  type CompareZoom,
} from './compare-controls';
import { clampPan, pictureBox, pictureScale, type Size } from './compare-geometry';
import { QualityReadout } from './QualityReadout';

/** Gap between the two panes side by side, in CSS pixels. */
const SIDE_GAP = 4;

type Drag = { kind: 'pan' | 'split'; x: number; y: number; panX: number; panY: number; rect: DOMRect };

/** The preview's job state as the viewer reports it. */
export function compareState(p: Preview): 'running' | 'done' | 'cancelled' | 'failed' {
  return p.state === 'done' || p.state === 'cancelled' || p.state === 'failed' ? p.state : 'running';
}

function useElementSize(ref: React.RefObject<HTMLElement | null>): Size {
  const [size, setSize] = useState<Size>({ width: 0, height: 0 });
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new ResizeObserver(([entry]) => {
      const { width, height } = entry.contentRect;
      setSize((old) => (old.width === width && old.height === height ? old : { width, height }));
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [ref]);
  return size;
}

/** "life360.mp4 (clip 3)": the media name of the previewed clip, so the viewer says what it shows. */
function clipLabel(state: ProjectState | undefined, clipId: number): string {
  const clip = state?.clips.find((c) => c.id === clipId);
  const media = clip ? state?.media.find((m) => m.id === clip.mediaId) : undefined;
  return media ? `${media.name} (clip ${clipId})` : `Clip ${clipId}`;
}

/** Buttons clicked with the pointer give focus back, so Space and the arrows keep driving the compare. */
function releaseFocus(e: React.MouseEvent<HTMLElement>): void {
  if (e.detail > 0) e.currentTarget.blur();
}

export function CompareViewer({ preview }: { preview: Preview }) {
  const { mode, zoom, panX, panY, split, abSide } = useStore(compareStore, (s) => s);
  const previewRef = useRef(preview);
  previewRef.current = preview;
  const [clock] = useState(() => new CompareClock(() => previewRef.current));
  const playing = useStore(clock.view, (s) => s.playing);
  const project = useProjectState();
  const clipName = clipLabel(project.data, preview.clipId);
  // Each preview opens at fit, whatever the last one was zoomed to.
  useEffect(() => setCompareZoom('fit'), [preview.id]);
  const enhancedRef = useRef<HTMLVideoElement>(null);
  const originalRef = useRef<HTMLVideoElement>(null);
  const stageRef = useRef<HTMLDivElement>(null);
  const drag = useRef<Drag | null>(null);
  const stage = useElementSize(stageRef);

  useEffect(() => {
    clock.attach(enhancedRef.current!, originalRef.current!);
    registerCompareTransport(clock);
    clock.play();
    return () => {
      registerCompareTransport(null);
      clock.detach();
    };
  }, [clock]);

  const pane: Size = mode === 'side' ? { width: Math.max(0, (stage.width - SIDE_GAP) / 2), height: stage.height } : stage;
  const picture: Size = { width: preview.enhanced.width, height: preview.enhanced.height };
  const dpr = window.devicePixelRatio || 1;
  const box = pictureBox(pane, picture, zoom, { x: panX, y: panY }, dpr);
  const boxStyle = { left: box.left, top: box.top, width: box.width, height: box.height };
  const state = compareState(preview);

  const onPointerDown = (e: ReactPointerEvent<HTMLDivElement>) => {
    if (e.button !== 0) return;
    const onHandle = !!(e.target as HTMLElement).closest('.compare-split');
    const kind = onHandle || (mode === 'wipe' && zoom === 'fit') ? 'split' : zoom !== 'fit' ? 'pan' : null;
    if (!kind) return;
    e.currentTarget.setPointerCapture(e.pointerId);
    drag.current = { kind, x: e.clientX, y: e.clientY, panX, panY, rect: e.currentTarget.getBoundingClientRect() };
    onPointerMove(e);
  };
  const onPointerMove = (e: ReactPointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    if (d.kind === 'split') {
      compareStore.set({ split: Math.max(0, Math.min(1, (e.clientX - d.rect.left) / Math.max(1, d.rect.width))) });
      return;
    }
    const scale = pictureScale(pane, picture, zoom, dpr);
    const next = clampPan(pane, picture, scale, { x: d.panX + e.clientX - d.x, y: d.panY + e.clientY - d.y });
    compareStore.set({ panX: next.x, panY: next.y });
  };
  const endDrag = () => {
    drag.current = null;
  };

  const onVideoError = (side: CompareSide) => (e: SyntheticEvent<HTMLVideoElement>) => {
    const err = e.currentTarget.error;
    // A file replaced while loading aborts the old load: only real decode or network errors are news.
    if (!err || err.code === MediaError.MEDIA_ERR_ABORTED) return;
    showError(err.message || `The ${side} video could not be played (code ${err.code}).`, 'Compare viewer');
  };

  const paneClass = (side: CompareSide) =>
    `compare-pane compare-pane-${side}${mode === 'ab' && abSide !== side ? ' compare-pane-hidden' : ''}`;

  return (
    <section
      className="panel viewer compare"
      data-testid="compare-viewer"
      data-mode={mode}
      data-state={state}
      data-zoom={zoom}
      data-ab-side={abSide}
      aria-label="Compare viewer"
    >
      <header className="panel-header">
        <h2>Compare</h2>
        <span className="compare-clip-name" data-testid="compare-clip-name" title={clipName}>
          {clipName}
        </span>
        <CompareStatus preview={preview} />
        <Tip label="Close the compare viewer (Esc when no preview runs)">
          <button className="btn btn-small" onClick={closeCompare} data-testid="compare-close">
            Close
          </button>
        </Tip>
      </header>
      {state === 'failed' && (
        <div className="banner error compare-error" role="alert" data-testid="compare-error">
          {preview.message ?? 'The preview failed.'}
        </div>
      )}
      <div
        ref={stageRef}
        className={`compare-stage compare-stage-${mode}${zoom !== 'fit' ? ' compare-stage-zoomed' : ''}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={endDrag}
        onPointerCancel={endDrag}
      >
        <ComparePane
          side="original"
          info={preview.original}
          videoRef={originalRef}
          className={paneClass('original')}
          boxStyle={boxStyle}
          clock={clock}
          ab={mode === 'ab'}
          onMetadata={() => clock.onOriginalMetadata()}
          onError={onVideoError('original')}
        />
        <ComparePane
          side="enhanced"
          info={preview.enhanced}
          videoRef={enhancedRef}
          className={paneClass('enhanced')}
          style={mode === 'wipe' ? { clipPath: `inset(0 0 0 ${split * 100}%)` } : undefined}
          boxStyle={boxStyle}
          clock={clock}
          ab={mode === 'ab'}
          onMetadata={() => clock.onEnhancedMetadata()}
          onError={onVideoError('enhanced')}
        />
        {mode === 'wipe' && (
          <div className="compare-split" style={{ left: `${split * 100}%` }} data-testid="compare-split" aria-label="Wipe position">
            <span className="compare-split-grip" />
          </div>
        )}
      </div>
      <footer className="compare-footer">
        <QualityReadout quality={preview.quality} />
        <div className="compare-group">
          <Tip label="Loop start (Home)">
            <button className="btn btn-icon" onClick={(e) => (clock.toLoopStart(), releaseFocus(e))} aria-label="Loop start">
              <SkipBack size={16} aria-hidden />
            </button>
          </Tip>
          <Tip label="Previous frame (←)">
            <button className="btn btn-icon" onClick={(e) => (clock.step(-1), releaseFocus(e))} aria-label="Previous frame" data-testid="compare-step-back">
              <StepBack size={16} aria-hidden />
            </button>
          </Tip>
          <Tip label={playing ? 'Pause (Space)' : 'Play the loop (Space)'}>
            <button
              className="btn btn-icon"
              onClick={(e) => (clock.togglePlay(), releaseFocus(e))}
              aria-label={playing ? 'Pause' : 'Play'}
              data-testid="compare-play"
              data-playing={playing}
            >
              {playing ? <Pause size={16} aria-hidden /> : <Play size={16} aria-hidden />}
            </button>
          </Tip>
          <Tip label="Next frame (→)">
            <button className="btn btn-icon" onClick={(e) => (clock.step(1), releaseFocus(e))} aria-label="Next frame" data-testid="compare-step-forward">
              <StepForward size={16} aria-hidden />
            </button>
          </Tip>
          <span className="muted small compare-loop">
            Loop {preview.segment.startSec.toFixed(2)}–{preview.segment.endSec.toFixed(2)} s
          </span>
        </div>
        <div className="compare-group" role="group" aria-label="Compare mode">
          {COMPARE_MODES.map((m) => (
            <Tip key={m.mode} label={`${m.label} (${m.key})`}>
              <button
                className={`btn btn-small ${mode === m.mode ? 'btn-on' : ''}`}
                aria-pressed={mode === m.mode}
                onClick={(e) => (setCompareMode(m.mode), releaseFocus(e))}
                data-testid={`compare-mode-${m.mode}`}
              >
                {m.label}
              </button>
            </Tip>
          ))}
          <Tip label="Show the other side (B)">
            <button className="btn btn-small btn-fixed-ab" onClick={(e) => (toggleAbSide(), releaseFocus(e))} data-testid="compare-ab-toggle" data-side={abSide}>
              {abSide === 'original' ? 'A: Original' : 'B: Enhanced'}
            </button>
          </Tip>
        </div>
        <div className="compare-group">
          <label className="muted small" htmlFor="compare-zoom">
            Zoom (Z)
          </label>
          <select
            id="compare-zoom"
            className="input compare-zoom"
            value={zoom}
            data-testid="compare-zoom"
            onChange={(e) => {
              setCompareZoom(e.currentTarget.value as CompareZoom);
              // Back to the page, so the compare keys work at once.
              e.currentTarget.blur();
            }}
          >
            {COMPARE_ZOOMS.map((z) => (
              <option key={z.zoom} value={z.zoom} data-zoom={z.zoom}>
                {z.label}
              </option>
            ))}
          </select>
        </div>
      </footer>
    </section>
  );
}

/** One side of the compare: its video in the shared picture box (so both sides stay aligned), and its label. */
function ComparePane(props: {
  side: CompareSide;
  info: PreviewSide;
  videoRef: React.RefObject<HTMLVideoElement | null>;
  className: string;
  style?: React.CSSProperties;
  boxStyle: React.CSSProperties;
  clock: CompareClock;
  ab: boolean;
  onMetadata(): void;
  onError(e: SyntheticEvent<HTMLVideoElement>): void;
}) {
  const { side, info } = props;
  return (
    <div className={props.className} style={props.style}>
      <div className="compare-picture" style={props.boxStyle}>
        <video
          ref={props.videoRef}
          className="compare-video"
          data-testid={`compare-${side}`}
          data-width={info.width}
          data-height={info.height}
          src={info.url ?? undefined}
          muted
          playsInline
          preload="auto"
          onLoadedMetadata={props.onMetadata}
          onError={props.onError}
        />
      </div>
      <SideLabel clock={props.clock} side={side} info={info} ab={props.ab} />
    </div>
  );
}

function CompareStatus({ preview }: { preview: Preview }) {
  const { total, done, fromCache } = preview.chunks;
  const cached = fromCache > 0 ? ` (${fromCache} from cache)` : '';
  let text: string;
  if (preview.state === 'done') text = `Done · ${total} chunk${total === 1 ? '' : 's'}${cached}`;
  else if (preview.state === 'cancelled') text = `Cancelled · showing ${done} of ${total} chunks`;
  else if (preview.state === 'failed') text = 'Failed';
  else text = `Enhancing · ${done} of ${total} chunks ready${cached}`;
  return (
    <span className={`small compare-status compare-status-${compareState(preview)}`} data-testid="compare-status">
      {text}
    </span>
  );
}

function SideLabel({ clock, side, info, ab }: { clock: CompareClock; side: CompareSide; info: PreviewSide; ab: boolean }) {
  const frame = useStore(clock.view, (s) => (side === 'enhanced' ? s.enhancedFrame : s.originalFrame));
  const name = side === 'enhanced' ? 'Enhanced' : 'Original';
  const fps = Number.isInteger(info.fps) ? String(info.fps) : info.fps.toFixed(3).replace(/0+$/, '');
  return (
    <div className={`compare-label compare-label-${side}`} data-testid={`compare-label-${side}`}>
      <strong>{ab ? `${side === 'enhanced' ? 'B' : 'A'} · ${name}` : name}</strong>
      <span>
        {info.width}×{info.height} · {fps} fps · frame {frame ?? '–'}
      </span>
    </div>
  );
}

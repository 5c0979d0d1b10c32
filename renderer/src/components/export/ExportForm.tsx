// The export dialog's form: range, output folder and file-name template, codec and quality, the size/fps conform
// policy and audio. Checked as the person types with the schema the services apply (this module, and zod with it,
// loads when the dialog first opens). Start queues the export; an existing output asks before it is replaced.
import { useQueryClient } from '@tanstack/react-query';
import { X } from 'lucide-react';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { ProjectState } from '../../../../main/common/model';
import { EXPORT_NAME_TOKENS, ExportSpecSchema, type ExportCodec, type ExportSpec } from '../../../../main/common/render-model';
import { hostKind } from '../../api/client';
import { formatFps, formatTimecode } from '../../lib/frames';
import { useStore } from '../../lib/store';
import { editorStore } from '../../state/editor';
import { mergeExportJob, useExportCodecs } from '../../state/export';
import { closeExportDialog, setRenderQueueOpen } from '../../state/export-ui';
import { call, errorCode } from '../../state/server';
import { errorMessage, showError } from '../../state/toasts';
import { FileBrowserDialog } from '../FileBrowserDialog';
import { ExportSummary } from './ExportSummary';
import { RenderOnField } from './RenderOnField';
import {
  draftToSpecInput,
  expandFileName,
  fitDraftToCodec,
  loadDraft,
  parseFps,
  rangeToken,
  rememberPendingDraft,
  unknownTokens,
  type ExportDraft,
  type RangeKind,
} from './export-draft';

type Field = 'range' | 'folder' | 'fileName' | 'codec' | 'crf' | 'kbps' | 'width' | 'height' | 'fps' | 'audio' | 'farm';
type FieldErrors = Partial<Record<Field, string>>;

function dirName(filePath: string): string {
  const cut = Math.max(filePath.lastIndexOf('/'), filePath.lastIndexOf('\\'));
  return cut > 0 ? filePath.slice(0, cut) : filePath;
}

function joinPath(dir: string, name: string): string {
  const sep = dir.includes('\\') && !dir.includes('/') ? '\\' : '/';
  return dir.endsWith(sep) ? dir + name : dir + sep + name;
}

const WHOLE_NUMBER = /^\s*-?\d+\s*$/;

/** The spec to start, or what is wrong with each field: own checks for what the schema cannot phrase well (text
 *  that is not a number, path separators in the name), then the schema's own messages. */
function checkDraft(draft: ExportDraft, clipIds: number[]): { spec: ExportSpec | null; errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (/[\\/]/.test(draft.fileName)) errors.fileName = 'The file name cannot contain / or \\: choose the folder in Output folder.';
  if (draft.qualityMode === 'crf' && !WHOLE_NUMBER.test(draft.crf)) errors.crf = 'Enter the CRF as a whole number, 0 (lossless) to 51.';
  if (draft.qualityMode === 'bitrate' && !WHOLE_NUMBER.test(draft.kbps)) errors.kbps = 'Enter the bitrate in kb/s as a whole number.';
  if (draft.conform === 'custom') {
    if (!WHOLE_NUMBER.test(draft.width)) errors.width = 'Enter the width in pixels (16 to 16384).';
    if (!WHOLE_NUMBER.test(draft.height)) errors.height = 'Enter the height in pixels (16 to 16384).';
    if (!parseFps(draft.fps)) errors.fps = 'Enter the rate as 24, 29.97 or 30000/1001 (at most 240).';
  }
  const parsed = ExportSpecSchema.safeParse(draftToSpecInput(draft, clipIds, false));
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [head, sub] = issue.path;
      let field: Field | null = null;
      if (head === 'range' || head === 'folder' || head === 'fileName' || head === 'codec' || head === 'audio' || head === 'farm') field = head;
      else if (head === 'quality') field = draft.qualityMode === 'bitrate' ? 'kbps' : 'crf';
      else if (head === 'conform' && (sub === 'width' || sub === 'height' || sub === 'fps')) field = sub;
      if (field && !errors[field]) errors[field] = issue.message;
    }
  }
  const valid = parsed.success && Object.keys(errors).length === 0;
  return { spec: valid ? parsed.data : null, errors };
}

function FieldMessage({ id, error, note }: { id: string; error?: string; note?: ReactNode }) {
  if (error) {
    return (
      <span className="field-error" role="alert" data-testid={`${id}-error`}>
        {error}
      </span>
    );
  }
  return note ? <span className="field-note">{note}</span> : null;
}

const RATE_NOTES: Record<ExportDraft['rateConversion'], string> = {
  nearest: 'For clips whose rate is not the output’s: each output frame shows the source frame at its time. Sharp, may stutter.',
  blend: 'For clips whose rate is not the output’s: frames between two source frames mix them by distance. Smooth, softer in motion.',
  motion: 'For clips whose rate is not the output’s: frames between two source frames are built along the motion (ffmpeg minterpolate). Smoothest, several times slower.',
};

const CONFORM_NOTES = {
  first: 'Every clip is made the size and rate of the first clip’s output; a clip that differs is scaled to fit (with bars) and its rate conformed.',
  largest: 'The output takes the largest clip size and the highest rate among the clips; the others are scaled up to fit.',
  project: 'The output has the project’s size and rate (Project settings, the slider icon by the project name); every clip is scaled to fit (with bars).',
  custom: 'Every clip is scaled to fit this size (with bars) and conformed to this rate.',
} as const;

export function ExportForm({ state }: { state: ProjectState }) {
  const client = useQueryClient();
  const selection = useStore(editorStore, (s) => s.selection);
  const codecs = useExportCodecs(true);
  const { markIn, markOut } = state.project;
  const marksSet = markIn !== null && markOut !== null && markOut > markIn;
  const clipIds = useMemo(() => [...selection].sort((a, b) => a - b), [selection]);
  const endFrame = useMemo(() => state.clips.reduce((end, c) => Math.max(end, c.start + c.sourceOut - c.sourceIn), 0), [state.clips]);

  const [draft, setDraft] = useState<ExportDraft>(() => {
    const saved = loadDraft(dirName(state.project.path));
    const usable = saved.range === 'timeline' || (saved.range === 'marks' ? marksSet : clipIds.length > 0);
    return usable ? saved : { ...saved, range: 'timeline' };
  });
  const [browsing, setBrowsing] = useState(false);
  const [starting, setStarting] = useState(false);
  const [startError, setStartError] = useState<string | null>(null);
  const [replaceName, setReplaceName] = useState<{ name: string; message: string } | null>(null);

  const codecList: ExportCodec[] = codecs.data ?? [];
  const codec = codecList.find((c) => c.id === draft.codec);
  const unavailableCodecs = codecList.filter((c) => !c.available);
  // A remembered codec this ffmpeg lacks (another machine, another build) falls back to H.264.
  useEffect(() => {
    if (codecs.data && (!codec || !codec.available)) setDraft((d) => ({ ...d, codec: 'h264' }));
  }, [codecs.data, codec]);

  const fitted = fitDraftToCodec(draft, codec);
  const { spec, errors } = checkDraft(fitted, clipIds);
  const unknown = unknownTokens(draft.fileName, EXPORT_NAME_TOKENS);
  const extension = codec?.container ?? 'mp4';
  const expanded = expandFileName(draft.fileName, { project: state.project.name, range: rangeToken(draft.range, clipIds), codec: draft.codec, now: new Date() });
  const outputName = extension === 'png' ? `${expanded}/` : `${expanded}.${extension}`;

  const set = (patch: Partial<ExportDraft>) => {
    setReplaceName(null);
    setStartError(null);
    // Choices become defaults only through an export that finishes (settlePendingDraft): a failed one changes none.
    setDraft((d) => ({ ...d, ...patch }));
  };

  const start = async (overwrite: boolean) => {
    if (!spec || starting) return;
    setStarting(true);
    setStartError(null);
    try {
      const job = await call('export.start', { ...spec, overwrite });
      mergeExportJob(client, job);
      rememberPendingDraft(job.id, draft);
      closeExportDialog();
      setRenderQueueOpen(true);
    } catch (err) {
      if (errorCode(err) === 'FILE_EXISTS') setReplaceName({ name: outputName, message: errorMessage(err) });
      else setStartError(errorMessage(err));
    } finally {
      setStarting(false);
    }
  };

  const browse = async () => {
    if (hostKind() === 'electron') {
      try {
        const chosen = await call('dialog.chooseFolder', {});
        if (chosen.supported) {
          if (chosen.path) set({ folder: chosen.path });
          return;
        }
      } catch (err) {
        showError(err, 'Could not open the folder dialog');
        return;
      }
    }
    setBrowsing(true);
  };

  const rangeNote: Record<RangeKind, string> = {
    timeline: endFrame > 0 ? `Frames 0 to ${endFrame} (${formatTimecode(endFrame, state.project.fps)}).` : 'The timeline is empty: add a clip first.',
    marks: marksSet
      ? `${formatTimecode(markIn!, state.project.fps)} to ${formatTimecode(markOut!, state.project.fps)} (${markOut! - markIn!} frames).`
      : 'Set the in and out marks (I and O on the timeline) first.',
    clips: clipIds.length > 0 ? `${clipIds.length} selected clip${clipIds.length > 1 ? 's' : ''}, each whole, in timeline order.` : 'Select clips on the timeline first.',
  };

  return (
    <form
      className="export-form"
      data-testid="export-form"
      onSubmit={(e) => {
        e.preventDefault();
        void start(false);
      }}
    >
      <label className="field">
        <span>Range</span>
        <select
          className="input"
          value={draft.range}
          onChange={(e) => set({ range: e.target.value as RangeKind })}
          aria-invalid={!!errors.range}
          data-testid="export-range"
        >
          <option value="timeline">Whole timeline</option>
          <option value="marks" disabled={!marksSet}>
            In/out range{marksSet ? '' : ' (set I and O first)'}
          </option>
          <option value="clips" disabled={clipIds.length === 0}>
            Selected clips{clipIds.length > 0 ? ` (${clipIds.length})` : ' (none selected)'}
          </option>
        </select>
        <FieldMessage id="export-range" error={errors.range} note={rangeNote[draft.range]} />
      </label>

      <label className="field">
        <span>Output folder</span>
        <span className="export-folder-row">
          <input
            className="input grow"
            value={draft.folder}
            onChange={(e) => set({ folder: e.target.value })}
            spellCheck={false}
            aria-invalid={!!errors.folder}
            data-testid="export-folder"
          />
          <button type="button" className="btn" onClick={() => void browse()} data-testid="export-browse">
            Browse…
          </button>
        </span>
        <FieldMessage id="export-folder" error={errors.folder} />
      </label>

      <label className="field">
        <span>File name</span>
        <input
          className="input"
          value={draft.fileName}
          onChange={(e) => set({ fileName: e.target.value })}
          spellCheck={false}
          aria-invalid={!!errors.fileName}
          data-testid="export-filename"
        />
        <FieldMessage
          id="export-filename"
          error={errors.fileName}
          note={
            <>
              <span className="export-name-preview" data-testid="export-filename-preview" title={joinPath(draft.folder, outputName)}>
                {outputName}
                {extension === 'png' ? ' (a folder of numbered PNG frames)' : ''}
              </span>
              <span className="export-tokens">
                Tokens:{' '}
                {EXPORT_NAME_TOKENS.map((token) => (
                  <button
                    key={token}
                    type="button"
                    className="btn btn-small export-token"
                    title={`Add {${token}} to the name`}
                    onClick={() => set({ fileName: `${draft.fileName}{${token}}` })}
                  >
                    {`{${token}}`}
                  </button>
                ))}
              </span>
              {unknown.length > 0 && (
                <span className="field-note warn" data-testid="export-filename-unknown">
                  Not a token: {unknown.map((t) => `{${t}}`).join(' ')} (kept as typed).
                </span>
              )}
            </>
          }
        />
      </label>

      <div className="settings-row">
        <label className="field">
          <span>Format</span>
          <select
            className="input"
            value={draft.codec}
            onChange={(e) => set({ codec: e.target.value as ExportDraft['codec'] })}
            disabled={!codecs.data}
            data-testid="export-codec"
          >
            {!codecs.data && <option value={draft.codec}>{codecs.error ? 'Codecs unavailable' : 'Loading codecs…'}</option>}
            {codecList.map((c) => (
              <option key={c.id} value={c.id} disabled={!c.available} title={c.reason ?? undefined} data-testid={`export-codec-${c.id}`}>
                {c.label}
                {c.hardware ? ' (hardware)' : ''}
                {c.available ? '' : c.hardware ? ' — no such hardware here' : ' — not in this ffmpeg'}
              </option>
            ))}
          </select>
          {codecs.error ? (
            <span className="field-error" role="alert" data-testid="export-codec-error">
              Could not list the codecs: {errorMessage(codecs.error)}
            </span>
          ) : (
            <FieldMessage id="export-codec" error={errors.codec} note={codec?.hardware ? 'Hardware encoders are fast; at the same bitrate they look worse than x264/x265.' : undefined} />
          )}
        </label>

        <QualityFields draft={fitted} codec={codec} errors={errors} set={set} />
      </div>
      {unavailableCodecs.length > 0 && (
                <details className="field-note codec-unavailable" data-testid="export-codec-unavailable">
                  <summary>
                    {unavailableCodecs.length} format{unavailableCodecs.length > 1 ? 's' : ''} cannot be written here
                  </summary>
                  <ul>
                    {unavailableCodecs.map((c) => (
                      <li key={c.id}>
                        <strong>{c.label}</strong>: {c.reason ?? 'unavailable'}
                      </li>
                    ))}
                  </ul>
                </details>
              )}

      <div className="settings-row">
        <label className="field">
          <span>Size and rate when clips differ</span>
          <select
            className="input"
            value={draft.conform}
            onChange={(e) => set({ conform: e.target.value as ExportDraft['conform'] })}
            data-testid="export-conform"
          >
            <option value="first">Conform to the first clip</option>
            <option value="largest">Conform to the largest</option>
            <option value="project">
              Project settings ({state.project.width}×{state.project.height} · {formatFps(state.project.fps)} fps)
            </option>
            <option value="custom">Custom size and rate</option>
          </select>
          <span className="field-note">{CONFORM_NOTES[draft.conform]}</span>
        </label>

        <label className="field">
          <span>Frame rate conversion</span>
          <select
            className="input"
            value={draft.rateConversion}
            onChange={(e) => set({ rateConversion: e.target.value as ExportDraft['rateConversion'] })}
            data-testid="export-rate-conversion"
          >
            <option value="blend">Blend neighbouring frames</option>
            <option value="nearest">Nearest frame (drop or repeat)</option>
            <option value="motion">Motion-compensated (slow)</option>
          </select>
          <span className="field-note">{RATE_NOTES[draft.rateConversion]}</span>
        </label>

        <label className="field">
          <span>Audio</span>
          <select
            className="input"
            value={fitted.audio}
            onChange={(e) => set({ audio: e.target.value as ExportDraft['audio'] })}
            disabled={draft.codec === 'png'}
            data-testid="export-audio"
          >
            <option value="copy">Copy the source audio</option>
            <option value="aac">AAC</option>
            <option value="none">No audio</option>
          </select>
          <FieldMessage
            id="export-audio"
            error={errors.audio}
            note={
              draft.codec === 'png'
                ? 'A PNG sequence has no audio.'
                : fitted.audio === 'copy'
                  ? 'Kept as it is when the range is one clip’s audio and the container takes it; otherwise AAC.'
                  : fitted.audio === 'aac'
                    ? 'Trimmed and aligned with the video; frame interpolation leaves its duration unchanged.'
                    : undefined
            }
          />
        </label>
      </div>

      <RenderOnField draft={draft} error={errors.farm} set={set} />

      {draft.conform === 'custom' && (
        <div className="export-custom-row">
          <label className="field">
            <span>Width</span>
            <input className="input" inputMode="numeric" value={draft.width} onChange={(e) => set({ width: e.target.value })} aria-invalid={!!errors.width} data-testid="export-width" />
            <FieldMessage id="export-width" error={errors.width} />
          </label>
          <label className="field">
            <span>Height</span>
            <input className="input" inputMode="numeric" value={draft.height} onChange={(e) => set({ height: e.target.value })} aria-invalid={!!errors.height} data-testid="export-height" />
            <FieldMessage id="export-height" error={errors.height} />
          </label>
          <label className="field">
            <span>Frame rate</span>
            <input className="input" value={draft.fps} onChange={(e) => set({ fps: e.target.value })} aria-invalid={!!errors.fps} data-testid="export-fps" />
            <FieldMessage id="export-fps" error={errors.fps} note="24, 29.97 or 30000/1001" />
          </label>
        </div>
      )}

      {replaceName && (
        <div className="export-confirm" role="alertdialog" aria-label={`Replace ${replaceName.name}?`} data-testid="export-overwrite-confirm">
          <div>
            <strong>Replace {replaceName.name}?</strong>
            <div className="muted small">{replaceName.message}</div>
          </div>
          <button type="button" className="btn btn-danger" disabled={starting} onClick={() => void start(true)} data-testid="export-overwrite-replace">
            Replace
          </button>
          <button type="button" className="btn" autoFocus onClick={() => setReplaceName(null)} data-testid="export-overwrite-cancel">
            Keep it
          </button>
        </div>
      )}
      {startError && (
        <div className="banner error banner-dismissable" role="alert" data-testid="export-error">
          <span className="grow">{startError}</span>
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={() => setStartError(null)} data-testid="export-error-dismiss">
            <X size={14} aria-hidden />
          </button>
        </div>
      )}

      <ExportSummary state={state} specInput={draftToSpecInput(fitted, clipIds, false)} />
      <div className="dialog-actions">
        <span className="muted small">Renders in the background; the render queue shows its progress.</span>
        <button type="button" className="btn" onClick={closeExportDialog}>
          Cancel
        </button>
        <button type="submit" className="btn btn-primary" disabled={!spec || starting || !!replaceName} data-testid="export-start">
          {starting ? 'Starting…' : 'Start export'}
        </button>
      </div>

      <FileBrowserDialog
        open={browsing}
        onOpenChange={setBrowsing}
        title="Output folder"
        mode="folder"
        confirmLabel="Choose this folder"
        onConfirm={([folder]) => set({ folder })}
      />
    </form>
  );
}

function QualityFields({
  draft,
  codec,
  errors,
  set,
}: {
  draft: ExportDraft;
  codec: ExportCodec | undefined;
  errors: FieldErrors;
  set: (patch: Partial<ExportDraft>) => void;
}) {
  const modes = codec?.qualityModes ?? ['crf'];
  if (modes.length === 0) {
    return (
      <div className="field">
        <span>Quality</span>
        <span className="field-note" data-testid="export-quality-fixed">
          {draft.codec === 'png' ? 'PNG frames are lossless.' : `${codec?.label ?? 'This format'} has a fixed quality.`}
        </span>
      </div>
    );
  }
  return (
    <div className="field">
      <span>Quality</span>
      <span className="export-quality-row">
        {modes.length > 1 && (
          <select
            className="input"
            value={draft.qualityMode}
            onChange={(e) => set({ qualityMode: e.target.value as ExportDraft['qualityMode'] })}
            aria-label="Quality mode"
            data-testid="export-quality-mode"
          >
            <option value="crf">CRF</option>
            <option value="bitrate">Bitrate</option>
          </select>
        )}
        {draft.qualityMode === 'crf' ? (
          <input
            className="input export-number"
            inputMode="numeric"
            value={draft.crf}
            onChange={(e) => set({ crf: e.target.value })}
            aria-label="CRF"
            aria-invalid={!!errors.crf}
            data-testid="export-crf"
          />
        ) : (
          <>
            <input
              className="input export-number"
              inputMode="numeric"
              value={draft.kbps}
              onChange={(e) => set({ kbps: e.target.value })}
              aria-label="Bitrate in kb/s"
              aria-invalid={!!errors.kbps}
              data-testid="export-bitrate"
            />
            <span className="muted">kb/s</span>
          </>
        )}
      </span>
      {draft.qualityMode === 'crf' ? (
        <FieldMessage id="export-crf" error={errors.crf} note="Constant quality: lower is better and larger; 18 looks lossless." />
      ) : (
        <FieldMessage id="export-bitrate" error={errors.kbps} note="Average bitrate of the video." />
      )}
    </div>
  );
}

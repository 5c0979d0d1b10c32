// Project settings: the timeline's frame rate and the project's frame size, visible and editable instead of being
// taken silently from the first clip. The rate is fixed once clips are on the timeline (as in Resolve): every clip
// position is counted in its frames. Once saved, imports keep both. A refusal shows as an error toast.
import * as Dialog from '@radix-ui/react-dialog';
import { useEffect, useState } from 'react';
import type { ProjectState, Rational } from '../../../main/common/model';
import { formatFps } from '../lib/frames';
import { useStore } from '../lib/store';
import { useEdit } from '../state/server';
import { projectSettingsStore } from '../state/settings-ui';
import { showInfo } from '../state/toasts';

const RATES: Rational[] = [
  { num: 24000, den: 1001 },
  { num: 24, den: 1 },
  { num: 25, den: 1 },
  { num: 30000, den: 1001 },
  { num: 30, den: 1 },
  { num: 48, den: 1 },
  { num: 50, den: 1 },
  { num: 60000, den: 1001 },
  { num: 60, den: 1 },
];

const SIZES: { label: string; width: number; height: number }[] = [
  { label: 'HD 1280×720', width: 1280, height: 720 },
  { label: 'Full HD 1920×1080', width: 1920, height: 1080 },
  { label: 'QHD 2560×1440', width: 2560, height: 1440 },
  { label: 'UHD 3840×2160', width: 3840, height: 2160 },
  { label: 'Vertical 1080×1920', width: 1080, height: 1920 },
];

const rateKey = (r: Rational) => `${r.num}/${r.den}`;

function sizeProblem(text: string, what: string): string | null {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 16 || n > 16384 || n % 2 !== 0) return `The ${what} must be an even number of pixels from 16 to 16384.`;
  return null;
}

export function ProjectSettingsDialog({ state }: { state: ProjectState }) {
  const open = useStore(projectSettingsStore, (s) => s.open);
  const setFormat = useEdit('project.setFormat', 'Changing the project settings');
  const { project } = state;
  const [rate, setRate] = useState(rateKey(project.fps));
  const [width, setWidth] = useState(String(project.width));
  const [height, setHeight] = useState(String(project.height));

  // Each opening starts from the project as it is now.
  useEffect(() => {
    if (!open) return;
    setRate(rateKey(project.fps));
    setWidth(String(project.width));
    setHeight(String(project.height));
  }, [open]); // eslint-disable-line react-hooks/exhaustive-deps

  const locked = state.clips.length > 0;
  const rates = RATES.some((r) => rateKey(r) === rateKey(project.fps)) ? RATES : [project.fps, ...RATES];
  const preset = SIZES.find((s) => String(s.width) === width && String(s.height) === height);
  const widthProblem = sizeProblem(width, 'width');
  const heightProblem = sizeProblem(height, 'height');

  const save = () => {
    if (widthProblem || heightProblem) return;
    const [num, den] = rate.split('/').map(Number);
    setFormat.mutate(
      { ...(locked ? {} : { fps: { num, den } }), width: Number(width), height: Number(height) },
      {
        onSuccess: () => {
          projectSettingsStore.set({ open: false });
          showInfo('Project settings saved.');
        },
      },
    );
  };

  return (
    <Dialog.Root open={open} onOpenChange={(o) => projectSettingsStore.set({ open: o })}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog project-settings" data-testid="project-settings" aria-describedby="project-settings-intro">
          <Dialog.Title className="dialog-title">Project settings: {project.name}</Dialog.Title>
          <p id="project-settings-intro" className="muted small">
            The timeline counts time in frames of the project's rate; the size is that of exports showing no clip, and the
            default the export dialog conforms to. Until you save here, the first imported clip sets both.
          </p>
          <form
            className="settings-form"
            onSubmit={(e) => {
              e.preventDefault();
              save();
            }}
          >
            <label className="field">
              <span>Frame rate</span>
              <select className="input" value={rate} disabled={locked} onChange={(e) => setRate(e.target.value)} data-testid="project-fps">
                {rates.map((r) => (
                  <option key={rateKey(r)} value={rateKey(r)}>
                    {formatFps(r)} fps
                  </option>
                ))}
              </select>
              <span className="field-note" data-testid="project-fps-note">
                {locked
                  ? `Fixed: ${state.clips.length} clip${state.clips.length === 1 ? ' is' : 's are'} on the timeline, placed in frames of this rate. Create a new project for another rate.`
                  : 'Choose it before adding clips: it is fixed once clips are on the timeline.'}
              </span>
            </label>
            <label className="field">
              <span>Frame size</span>
              <select
                className="input"
                value={preset ? `${preset.width}x${preset.height}` : 'custom'}
                onChange={(e) => {
                  const chosen = SIZES.find((s) => `${s.width}x${s.height}` === e.target.value);
                  if (chosen) {
                    setWidth(String(chosen.width));
                    setHeight(String(chosen.height));
                  }
                }}
                data-testid="project-size"
              >
                {SIZES.map((s) => (
                  <option key={s.label} value={`${s.width}x${s.height}`}>
                    {s.label}
                  </option>
                ))}
                <option value="custom">Custom</option>
              </select>
            </label>
            <div className="row">
              <label className="field grow">
                <span>Width</span>
                <input className="input" inputMode="numeric" value={width} onChange={(e) => setWidth(e.target.value)} aria-invalid={!!widthProblem} data-testid="project-width" />
                {widthProblem && <span className="field-error">{widthProblem}</span>}
              </label>
              <label className="field grow">
                <span>Height</span>
                <input className="input" inputMode="numeric" value={height} onChange={(e) => setHeight(e.target.value)} aria-invalid={!!heightProblem} data-testid="project-height" />
                {heightProblem && <span className="field-error">{heightProblem}</span>}
              </label>
            </div>
            <div className="dialog-actions">
              <Dialog.Close className="btn" type="button">
                Cancel
              </Dialog.Close>
              <button type="submit" className="btn btn-primary" disabled={setFormat.isPending || !!widthProblem || !!heightProblem} data-testid="project-settings-save">
                Save
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

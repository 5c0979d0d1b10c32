// The inspector's form for the selected clip(s). Each committed change (Enter, blur, slider release, a select)
// writes only the changed field into every selected clip, after the shared schema accepted the result; fields
// whose values differ between the clips show "Mixed". Loaded lazily: it brings the schema library with it.
import * as Slider from '@radix-ui/react-slider';
import { Dices } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import type { Clip, ProjectState } from '../../../../main/common/model';
import { insertedFrames, type ClipSettings } from '../../../../main/common/settings';
import { groupWrites, useSetClipSettings } from '../../state/clip-settings';
import { useEngineProviders, usePacks } from '../../state/server';
import { openAddVenhancer, openSettings } from '../../state/settings-ui';
import { defaultPack, NO_DEFAULT_PACK, settingsUnavailableReason } from './pack-availability';
import { errorMessage } from '../../state/toasts';
import {
  commonValue,
  formatField,
  formatRate,
  MIXED,
  NUMBER_RULES,
  parseField,
  setField,
  validateSettings,
  type Common,
  type FieldKey,
} from './fields';
import { InspectorSection } from './InspectorSection';
import { OutputSummary } from './OutputSummary';
import { PresetBar } from './PresetBar';

type Drafts = Partial<Record<FieldKey, string>>;
type Errors = Partial<Record<FieldKey, string>>;

const PROVIDERS = [
  { id: 'auto', label: 'Automatic' },
  { id: 'cuda', label: 'CUDA' },
  { id: 'dml', label: 'DirectML' },
  { id: 'coreml', label: 'Core ML' },
  { id: 'cpu', label: 'CPU' },
] as const;

const TEST_IDS: Partial<Record<FieldKey, string>> = {
  scale: 'settings-scale',
  targetFps: 'settings-target-fps',
  noise: 'settings-noise',
  sCond: 'settings-scond',
  steps: 'settings-steps-count',
  cfg: 'settings-cfg',
  prompt: 'settings-prompt',
  seed: 'settings-seed',
  chunkFrames: 'settings-chunk-frames',
  tileLatent: 'settings-tile-latent',
};

function mediaFps(state: ProjectState, clip: Clip): number | null {
  const media = state.media.find((m) => m.id === clip.mediaId);
  return media ? media.probe.fps.num / media.probe.fps.den : null;
}

/** After `ms` without a change, the latest value. */
function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}

export function InspectorForm({ state, clips }: { state: ProjectState; clips: Clip[] }) {
  const [drafts, setDrafts] = useState<Drafts>({});
  const [errors, setErrors] = useState<Errors>({});
  // Text committed and on its way: shown until the call settles, and never sent twice (a blur after Enter).
  const [sent, setSent] = useState<Drafts>({});
  const setClipSettings = useSetClipSettings();
  const packs = usePacks();
  const providers = useEngineProviders();
  const all = clips.map((c) => c.settings);
  const common = (k: FieldKey) => commonValue(all, k);
  const primary = clips[0];

  const without = (keys: FieldKey[]) => (d: Drafts) => {
    const next = { ...d };
    for (const k of keys) delete next[k];
    return next;
  };
  const dropDrafts = (keys: FieldKey[]) => setDrafts(without(keys));

  /** Writes `values` into every selected clip; nothing is sent when any result is invalid. */
  const commitValues = (values: Partial<Record<FieldKey, unknown>>) => {
    const keys = Object.keys(values) as FieldKey[];
    const perClip: { clipId: number; settings: ClipSettings }[] = [];
    for (const clip of clips) {
      let next = clip.settings;
      for (const k of keys) next = setField(next, k, values[k]);
      const checked = validateSettings(next);
      if (!checked.settings) {
        setErrors((e) => ({ ...e, ...checked.errors }));
        return;
      }
      if (JSON.stringify(checked.settings) !== JSON.stringify(clip.settings)) perClip.push({ clipId: clip.id, settings: checked.settings });
    }
    setErrors((e) => {
      const next = { ...e };
      for (const k of keys) delete next[k];
      return next;
    });
    dropDrafts(keys);
    if (perClip.length === 0) return;
    const shown: Drafts = {};
    for (const k of keys) shown[k] = formatField(k, values[k]);
    setSent((d) => ({ ...d, ...shown }));
    setClipSettings.mutate(groupWrites(perClip), { onSettled: () => setSent(without(keys)) });
  };

  /** Parses the typed text of `keys` and commits it; a bad value shows its message and sends nothing. */
  const commitDrafts = (keys: FieldKey[]) => {
    const values: Partial<Record<FieldKey, unknown>> = {};
    const found: Errors = {};
    for (const k of keys) {
      const text = drafts[k];
      if (text === undefined) continue;
      const parsed = parseField(k, text);
      if (parsed.ok) values[k] = parsed.value;
      else found[k] = parsed.error;
    }
    if (Object.keys(found).length > 0) {
      setErrors((e) => ({ ...e, ...found }));
      return;
    }
    if (Object.keys(values).length > 0) commitValues(values);
  };

  const draftKeys = (Object.keys(drafts) as FieldKey[]).filter((k) => drafts[k] !== formatField(k, common(k)));

  // The estimate follows the typed (still uncommitted) values that parse, so the summary answers "what if".
  const candidate = useMemo(() => {
    let next = primary.settings;
    for (const k of Object.keys(drafts) as FieldKey[]) {
      const parsed = parseField(k, drafts[k]!);
      if (parsed.ok) next = setField(next, k, parsed.value);
    }
    return validateSettings(next).settings ?? primary.settings;
  }, [drafts, primary.settings]);
  const estimateSettings = useDebounced(candidate, 250);

  const text = (k: FieldKey) => drafts[k] ?? sent[k] ?? formatField(k, common(k));
  const inputProps = (k: FieldKey) => ({
    className: 'input',
    value: text(k),
    placeholder: common(k) === MIXED ? 'Mixed' : NUMBER_RULES[k]?.nullable ? (k === 'targetFps' ? 'keep' : 'pack rule') : undefined,
    'aria-invalid': !!errors[k],
    'data-testid': TEST_IDS[k],
    'data-mixed': common(k) === MIXED,
    onChange: (e: React.ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
      const value = e.target.value;
      setDrafts((d) => ({ ...d, [k]: value }));
    },
    onBlur: () => commitDrafts([k]),
    onKeyDown: (e: React.KeyboardEvent) => {
      if (e.key === 'Enter' && !(k === 'prompt' && e.shiftKey)) {
        e.preventDefault();
        commitDrafts([k]);
      } else if (e.key === 'Escape') {
        dropDrafts([k]);
        setErrors((er) => ({ ...er, [k]: undefined }));
      }
    },
  });
  const errorFor = (k: FieldKey) =>
    errors[k] ? (
      <span className="field-error" role="alert" data-testid="settings-error" data-field={k}>
        {errors[k]}
      </span>
    ) : null;

  const selectValue = (k: FieldKey) => {
    const v = common(k);
    return v === MIXED ? '__mixed' : v === null ? '' : String(v);
  };
  const mixedOption = (k: FieldKey) =>
    common(k) === MIXED ? (
      <option value="__mixed" disabled>
        Mixed
      </option>
    ) : null;

  const slider = (k: 'scale' | 'noise', min: number, max: number, step: number, testId: string) => {
    const parsed = parseField(k, text(k));
    const fallback = common(k);
    const value = parsed.ok && typeof parsed.value === 'number' ? parsed.value : typeof fallback === 'number' ? fallback : min;
    return (
      <Slider.Root
        className="slider inspector-slider"
        min={min}
        max={max}
        step={step}
        value={[Math.min(max, Math.max(min, value))]}
        onValueChange={([v]) => setDrafts((d) => ({ ...d, [k]: formatField(k, v) }))}
        onValueCommit={([v]) => commitValues({ [k]: v })}
        data-testid={testId}
      >
        <Slider.Track className="slider-track">
          <Slider.Range className="slider-range" />
        </Slider.Track>
        <Slider.Thumb className="slider-thumb" aria-label={k === 'scale' ? 'Scale' : 'Noise'} />
      </Slider.Root>
    );
  };

  const engine = common('engine') as Common<'classic' | 'diffusion' | 'model'>;
  const showDiffusion = engine !== 'classic' && engine !== 'model';
  const showClassic = engine !== 'diffusion' && engine !== 'model';
  const showModel = engine === 'model';
  const steps = common('steps');
  const stepsMode = steps === MIXED ? '__mixed' : typeof steps === 'number' ? 'custom' : String(steps);

  // k and the resulting rate, for the first clip (clips of other rates get their own k when applied).
  const inputFps = mediaFps(state, primary);
  const targetParsed = parseField('targetFps', text('targetFps'));
  const target = targetParsed.ok ? (targetParsed.value as number | null) : null;
  const k = inputFps !== null && common('targetFps') !== MIXED ? insertedFrames(inputFps, target) : null;
  // Each engine lists the packs of its own kind: per-frame packs for the model engine, diffusion packs otherwise.
  const packOptions = (packs.data ?? []).filter((p) => (p.family === 'per-frame') === showModel);
  const packId = common('packId');
  const diffusionPacks = (packs.data ?? []).filter((p) => p.family !== 'per-frame');
  const anyUsablePack = diffusionPacks.some((p) => p.status === 'ok');
  const noDefault = packs.data !== undefined && defaultPack(diffusionPacks) === null;
  const packProblem = engine === 'diffusion' && packId !== MIXED ? settingsUnavailableReason({ engine: 'diffusion', packId: packId as string | null }, packs.data ?? null) : null;

  const providerField = (
    <label className="field">
      <span>Provider</span>
      <select
        className="input"
        value={selectValue('provider')}
        onChange={(e) => commitValues({ provider: e.target.value })}
        data-testid="settings-provider"
      >
        {mixedOption('provider')}
        {PROVIDERS.map((p) => {
          const info = providers.data?.providers.find((x) => x.provider === p.id);
          return (
            <option key={p.id} value={p.id}>
              {p.label}
              {info && !info.available ? ' (not on this platform)' : ''}
            </option>
          );
        })}
      </select>
    </label>
  );

  return (
    <div className="inspector-form" data-testid="inspector-form" data-clip-ids={clips.map((c) => c.id).join(',')}>
      <div className="inspector-head">
        <span className="inspector-title" data-testid="inspector-title">
          {clips.length === 1 ? (state.media.find((m) => m.id === primary.mediaId)?.name ?? `Clip ${primary.id}`) : `${clips.length} clips selected`}
        </span>
        {clips.length > 1 && <span className="muted small">Changes apply to every selected clip; "Mixed" fields keep each clip's value.</span>}
      </div>

      {/* The sections scroll; the pending-edit bar and the output summary below them stay in view. */}
      <div className="inspector-scroll">
        <InspectorSection id="presets" title="Presets">
          <PresetBar state={state} clips={clips} onApplied={() => setErrors({})} />
        </InspectorSection>

        <InspectorSection id="engine" title="Engine">
          <label className="field">
            <span>Engine</span>
            <select
              className="input"
              value={selectValue('engine')}
              // A pack of one engine's kind cannot serve the other: switching engines goes back to that engine's default pack.
              onChange={(e) =>
                commitValues(
                  (e.target.value === 'model') !== (engine === 'model') ? { engine: e.target.value, packId: null } : { engine: e.target.value },
                )
              }
              data-testid="settings-engine"
            >
              {mixedOption('engine')}
              <option value="classic">Classic (ffmpeg scaling and filters)</option>
              <option value="diffusion" disabled={packs.data !== undefined && !anyUsablePack && engine !== 'diffusion'}>
                Diffusion (model pack){packs.data !== undefined && !anyUsablePack ? ' — no model pack installed' : ''}
              </option>
              <option value="model">Model (per frame)</option>
            </select>
            {packs.data !== undefined && !anyUsablePack && engine !== 'diffusion' && (
              <span className="field-note" data-testid="engine-unavailable">
                Diffusion {NO_DEFAULT_PACK}.{' '}
                <button type="button" className="btn-link" onClick={openAddVenhancer} data-testid="engine-add-venhancer">
                  Add VEnhancer…
                </button>
              </span>
            )}
          </label>

          {(showDiffusion || showModel) && (
            <label className="field">
              <span>Model pack</span>
              <select
                className="input"
                value={selectValue('packId')}
                onChange={(e) => commitValues({ packId: e.target.value === '' ? null : e.target.value })}
                data-testid="settings-pack"
              >
                {mixedOption('packId')}
                {showModel ? (
                  <option value="">Default (built-in ESRGAN, else the first per-frame pack)</option>
                ) : (
                  <option value="" disabled={noDefault && packId !== null}>
                    {noDefault ? 'Default pack — none installed' : `Default pack (${defaultPack(packOptions)?.label ?? '…'})`}
                  </option>
                )}
                {packOptions.map((p) => (
                  <option key={p.id} value={p.id} disabled={p.status !== 'ok' && p.id !== packId}>
                    {p.label}
                    {p.testPack && !/test pack/i.test(p.label) ? ' (test pack)' : ''}
                    {p.status !== 'ok' ? ` (${p.status})` : ''}
                  </option>
                ))}
                {typeof packId === 'string' && !packOptions.some((p) => p.id === packId) && <option value={packId}>{packId} (not installed)</option>}
              </select>
              {packs.error && <span className="field-error">Could not list the packs: {errorMessage(packs.error)}</span>}
              {packProblem && (
                <span className="field-error" role="alert" data-testid="pack-unavailable">
                  This clip cannot render: it {packProblem}. Pick a pack above, or{' '}
                  {packProblem === NO_DEFAULT_PACK ? (
                    <button type="button" className="btn-link" onClick={openAddVenhancer} data-testid="pack-add-venhancer">
                      add VEnhancer
                    </button>
                  ) : (
                    <button type="button" className="btn-link" onClick={() => openSettings('packs')} data-testid="pack-open-settings">
                      import one in Settings › Model packs
                    </button>
                  )}
                  .
                </span>
              )}
            </label>
          )}
          {(showDiffusion || showModel) && providerField}
          {showModel && (
            <span className="field-note" data-testid="settings-model-note">
              Each frame goes through the pack's model at its nearest whole scale, then a lanczos resize to the scale above;
              frames are inserted by motion interpolation.
            </span>
          )}
        </InspectorSection>

        <InspectorSection id="output" title="Size and frame rate">
          <label className="field">
            <span>Scale</span>
            <span className="inspector-pair">
              {slider('scale', 1, 8, 0.25, 'settings-scale-slider')}
              <input {...inputProps('scale')} inputMode="decimal" aria-label="Scale factor" />
              <span className="muted small">×</span>
            </span>
            {errorFor('scale')}
          </label>

          <label className="field">
            <span>Target fps</span>
            <input {...inputProps('targetFps')} inputMode="decimal" />
            {errorFor('targetFps') ?? (
              <span className="field-note" data-testid="settings-fps-note">
                {common('targetFps') === MIXED
                  ? 'Each clip keeps its own target rate.'
                  : inputFps === null || k === null
                    ? 'Empty keeps the source rate.'
                    : target === null
                      ? `Keeps the source rate (${formatRate(inputFps)} fps), no inserted frames.`
                      : `k = ${k} inserted → ${formatRate(inputFps * (k + 1))} fps${clips.length > 1 ? ' (first clip)' : ''}` +
                        (Math.abs(inputFps * (k + 1) - target) > 1e-3 ? `; exports convert to exactly ${formatRate(target)} fps` : '')}
              </span>
            )}
          </label>
          <label className="field" title="bwdif, before anything else, for every engine. Auto deinterlaces sources stored as interlaced fields.">
            <span>Deinterlace</span>
            <select
              className="input"
              value={selectValue('classic.deinterlace')}
              onChange={(e) => commitValues({ 'classic.deinterlace': e.target.value })}
              data-testid="settings-deinterlace"
            >
              {mixedOption('classic.deinterlace')}
              <option value="auto">Auto (interlaced sources)</option>
              <option value="on">On</option>
              <option value="off">Off</option>
            </select>
          </label>
        </InspectorSection>

        {showDiffusion && (
          <InspectorSection id="diffusion" title="Diffusion">
            <label className="field">
              <span>Noise</span>
              <span className="inspector-pair">
                <span className="muted small">fidelity</span>
                {slider('noise', 0, 300, 1, 'settings-noise-slider')}
                <span className="muted small">regeneration</span>
              </span>
              <input {...inputProps('noise')} inputMode="numeric" aria-label="Noise level (0-300)" />
              {errorFor('noise')}
            </label>
            <div className="inspector-row">
              <label className="field">
                <span>s_cond</span>
                <input {...inputProps('sCond')} inputMode="decimal" />
                {errorFor('sCond')}
              </label>
              <label className="field">
                <span>CFG</span>
                <input {...inputProps('cfg')} inputMode="decimal" />
                {errorFor('cfg')}
              </label>
            </div>
            <label className="field">
              <span>Steps</span>
              <span className="inspector-pair">
                <select
                  className="input"
                  value={stepsMode}
                  onChange={(e) =>
                    commitValues({ steps: e.target.value === 'custom' ? (typeof steps === 'number' ? steps : 30) : e.target.value })
                  }
                  data-testid="settings-steps"
                >
                  {steps === MIXED && (
                    <option value="__mixed" disabled>
                      Mixed
                    </option>
                  )}
                  <option value="fast">Fast</option>
                  <option value="normal">Normal</option>
                  <option value="custom">Custom…</option>
                </select>
                {stepsMode === 'custom' && <input {...inputProps('steps')} inputMode="numeric" aria-label="Steps" />}
              </span>
              {errorFor('steps')}
            </label>
            <label className="field">
              <span>Prompt</span>
              <textarea {...inputProps('prompt')} rows={2} maxLength={1000} />
              {errorFor('prompt')}
            </label>
            <label className="field">
              <span>Seed</span>
              <span className="inspector-pair">
                <input {...inputProps('seed')} inputMode="numeric" />
                <button
                  type="button"
                  className="btn btn-small"
                  onClick={() => commitValues({ seed: Math.floor(Math.random() * 2 ** 31) })}
                  data-testid="settings-seed-random"
                  title="A new random seed"
                >
                  <Dices size={14} aria-hidden />
                </button>
              </span>
              {errorFor('seed')}
            </label>
            <details className="inspector-advanced" data-testid="settings-advanced">
              <summary>Advanced</summary>
              <div className="inspector-row">
                <label className="field">
                  <span>Chunk frames</span>
                  <input {...inputProps('chunkFrames')} inputMode="numeric" />
                  {errorFor('chunkFrames')}
                </label>
                <label className="field">
                  <span>Latent tile</span>
                  <input {...inputProps('tileLatent')} inputMode="numeric" />
                  {errorFor('tileLatent')}
                </label>
              </div>
              <span className="field-note">Empty uses the pack's rule.</span>
            </details>
          </InspectorSection>
        )}

        {showClassic && (
          <InspectorSection id="classic" title="Classic filters">
            <div className="inspector-row">
              <label className="field">
                <span>Denoise</span>
                <select
                  className="input"
                  value={selectValue('classic.denoise')}
                  onChange={(e) => commitValues({ 'classic.denoise': e.target.value })}
                  data-testid="settings-denoise"
                >
                  {mixedOption('classic.denoise')}
                  <option value="off">Off</option>
                  <option value="hqdn3d">hqdn3d (fast)</option>
                  <option value="nlmeans">nlmeans (slow, better)</option>
                </select>
              </label>
              <label className="field">
                <span>Sharpen</span>
                <select
                  className="input"
                  value={selectValue('classic.sharpen')}
                  onChange={(e) => commitValues({ 'classic.sharpen': e.target.value })}
                  data-testid="settings-sharpen"
                >
                  {mixedOption('classic.sharpen')}
                  <option value="off">Off</option>
                  <option value="cas">CAS</option>
                  <option value="unsharp">Unsharp</option>
                </select>
              </label>
            </div>
            <label className="check">
              <input
                type="checkbox"
                checked={common('classic.deflicker') === true}
                ref={(el) => {
                  if (el) el.indeterminate = common('classic.deflicker') === MIXED;
                }}
                onChange={(e) => commitValues({ 'classic.deflicker': e.target.checked })}
                data-testid="settings-deflicker"
              />
              <span>Deflicker</span>
            </label>
          </InspectorSection>
        )}
      </div>

      <div className="inspector-footer">
        {draftKeys.length > 0 && (
          <div className="inspector-apply">
            <span className="muted small">Edited: press Enter or Apply.</span>
            <button
              type="button"
              className="btn btn-primary btn-small"
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => commitDrafts(draftKeys)}
              disabled={setClipSettings.isPending}
              data-testid="settings-apply"
            >
              Apply
            </button>
          </div>
        )}

        <OutputSummary clip={primary} settings={estimateSettings} clipCount={clips.length} />
      </div>
    </div>
  );
}

// Presets: applying one replaces the selected clips' settings (a rate multiplier becomes each clip's own target
// rate); "Save as preset…" names the first selected clip's settings; the person's own presets can be removed.
import * as Dialog from '@radix-ui/react-dialog';
import { useState } from 'react';
import type { Clip, ProjectState } from '../../../../main/common/model';
import { PresetNameSchema, type Preset } from '../../../../main/common/render-model';
import type { ClipSettings } from '../../../../main/common/settings';
import { groupWrites, usePresets, useRemovePreset, useSavePreset, useSetClipSettings } from '../../state/clip-settings';
import { errorMessage, showError, showInfo } from '../../state/toasts';
import { validateSettings } from './fields';
import { presetUnavailableReason } from './pack-availability';
import { usePacks } from '../../state/server';
import { openAddVenhancer, openSettings } from '../../state/settings-ui';
import { NO_DEFAULT_PACK } from './pack-availability';

/** The settings a preset gives one clip: its rate multiplier times the clip's own media rate, capped at 240. */
export function presetSettingsFor(preset: Preset, clip: Clip, state: ProjectState): ClipSettings {
  const settings = { ...preset.settings };
  if (preset.fpsMultiplier !== null) {
    const media = state.media.find((m) => m.id === clip.mediaId);
    const rate = media ? media.probe.fps.num / media.probe.fps.den : null;
    settings.targetFps = rate === null ? null : Math.min(240, Number((rate * preset.fpsMultiplier).toFixed(3)));
  }
  return settings;
}

/** "A", "B" needs …. — presets grouped by the reason they cannot be applied. */
function blockedText(blocked: Preset[], reasonOf: (p: Preset) => string | null): string {
  const groups = new Map<string, string[]>();
  for (const p of blocked) {
    const reason = reasonOf(p) ?? '';
    groups.set(reason, [...(groups.get(reason) ?? []), `"${p.name}"`]);
  }
  return [...groups].map(([reason, names]) => `${names.join(', ')} ${reason}.`).join(' ');
}

/** Applies a preset to clips as one undoable edit, after checking it can render here and fits every clip; says
 *  why not otherwise. Shared by the inspector's preset list and the timeline's clip menu. */
export function useApplyPreset() {
  const packs = usePacks();
  const setClipSettings = useSetClipSettings();
  const apply = (preset: Preset, clips: Clip[], state: ProjectState, onApplied?: () => void) => {
    const unavailable = presetUnavailableReason(preset, packs.data ?? null);
    if (unavailable) {
      showError(`The preset "${preset.name}" ${unavailable}: add one in Settings › Model packs (Add VEnhancer…).`, 'Preset not applied');
      return;
    }
    const perClip: { clipId: number; settings: ClipSettings }[] = [];
    for (const clip of clips) {
      const checked = validateSettings(presetSettingsFor(preset, clip, state));
      if (!checked.settings) {
        showError(`The preset "${preset.name}" does not fit clip ${clip.id}: ${Object.values(checked.errors).join(' ')}`, 'Preset not applied');
        return;
      }
      perClip.push({ clipId: clip.id, settings: checked.settings });
    }
    setClipSettings.mutate(groupWrites(perClip), { onSuccess: () => (onApplied?.(), showInfo(`Applied the preset "${preset.name}".`)) });
  };
  return { apply, pending: setClipSettings.isPending, packs: packs.data ?? null };
}

export function PresetBar({ state, clips, onApplied }: { state: ProjectState; clips: Clip[]; onApplied: () => void }) {
  const presets = usePresets();
  const packs = usePacks();
  const applyPreset = useApplyPreset();
  const [saving, setSaving] = useState(false);

  const apply = (id: string) => {
    const preset = presets.data?.find((p) => p.id === id);
    if (preset) applyPreset.apply(preset, clips, state, onApplied);
  };

  const builtin = presets.data?.filter((p) => p.builtin) ?? [];
  const own = presets.data?.filter((p) => !p.builtin) ?? [];
  const reasonOf = (p: Preset) => presetUnavailableReason(p, packs.data ?? null);
  const blocked = (presets.data ?? []).filter((p) => reasonOf(p) !== null);
  const option = (p: Preset) => {
    const reason = reasonOf(p);
    return (
      <option key={p.id} value={p.id} disabled={reason !== null} title={reason ?? undefined}>
        {p.name}
        {reason ? ' — needs a model pack' : ''}
      </option>
    );
  };
  return (
    <div className="inspector-presets">
      <select
        className="input"
        value=""
        onChange={(e) => apply(e.target.value)}
        disabled={!presets.data || applyPreset.pending}
        data-testid="preset-select"
        aria-label="Apply a preset"
      >
        <option value="" disabled>
          {presets.isPending ? 'Loading presets…' : 'Apply a preset…'}
        </option>
        {builtin.length > 0 && (
          <optgroup label="Built in">
            {builtin.map(option)}
          </optgroup>
        )}
        {own.length > 0 && (
          <optgroup label="My presets">
            {own.map(option)}
          </optgroup>
        )}
      </select>
      <button type="button" className="btn btn-small" onClick={() => setSaving(true)} data-testid="preset-save">
        Save as preset…
      </button>
      {blocked.length > 0 && (
        <span className="field-note preset-blocked" data-testid="preset-unavailable">
          {blockedText(blocked, reasonOf)}{' '}
          {blocked.some((p) => reasonOf(p) === NO_DEFAULT_PACK) ? (
            <button type="button" className="btn-link" onClick={openAddVenhancer} data-testid="preset-add-venhancer">
              Add VEnhancer…
            </button>
          ) : (
            <button type="button" className="btn-link" onClick={() => openSettings('packs')} data-testid="preset-open-packs">
              Open Settings › Model packs
            </button>
          )}
        </span>
      )}
      {presets.error && (
        <span className="field-error" role="alert" data-testid="preset-error">
          Could not list the presets: {errorMessage(presets.error)}
        </span>
      )}
      <SavePresetDialog open={saving} onOpenChange={setSaving} settings={clips[0].settings} own={own} mixed={clips.length > 1} />
    </div>
  );
}

function SavePresetDialog({
  open,
  onOpenChange,
  settings,
  own,
  mixed,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  settings: ClipSettings;
  own: Preset[];
  mixed: boolean;
}) {
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const save = useSavePreset();
  const remove = useRemovePreset();

  const submit = () => {
    const parsed = PresetNameSchema.safeParse(name);
    if (!parsed.success) {
      setError(parsed.error.issues[0]?.message ?? 'Name the preset.');
      return;
    }
    const replaces = own.some((p) => p.name === parsed.data);
    save.mutate(
      { name: parsed.data, settings },
      {
        onSuccess: (preset) => {
          showInfo(replaces ? `Replaced the preset "${preset.name}".` : `Saved the preset "${preset.name}".`);
          setName('');
          onOpenChange(false);
        },
      },
    );
  };

  return (
    <Dialog.Root open={open} onOpenChange={(o) => (setError(null), onOpenChange(o))}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog preset-dialog" data-testid="preset-dialog" aria-describedby={undefined}>
          <Dialog.Title className="dialog-title">Save as preset</Dialog.Title>
          <form
            className="settings-form"
            onSubmit={(e) => {
              e.preventDefault();
              submit();
            }}
          >
            <label className="field">
              <span>Name</span>
              <input
                className="input"
                value={name}
                autoFocus
                maxLength={120}
                onChange={(e) => (setName(e.target.value), setError(null))}
                aria-invalid={!!error}
                data-testid="preset-name"
              />
              {error ? (
                <span className="field-error" role="alert" data-testid="preset-name-error">
                  {error}
                </span>
              ) : (
                <span className="field-note">
                  {mixed ? "Saves the first selected clip's settings. " : ''}A preset of the same name is replaced.
                </span>
              )}
            </label>
            <div className="dialog-actions">
              <Dialog.Close className="btn" type="button">
                Cancel
              </Dialog.Close>
              <button type="submit" className="btn btn-primary" disabled={save.isPending} data-testid="preset-save-confirm">
                {save.isPending ? 'Saving…' : 'Save'}
              </button>
            </div>
          </form>
          {own.length > 0 && (
            <div className="preset-own">
              <span className="inspector-section-title">My presets</span>
              {own.map((p) => (
                <div key={p.id} className="preset-own-row" data-testid="preset-own" data-preset-id={p.id}>
                  <span>{p.name}</span>
                  <button
                    type="button"
                    className="btn btn-small"
                    disabled={remove.isPending}
                    onClick={() => remove.mutate(p.id, { onSuccess: () => showInfo(`Removed the preset "${p.name}".`) })}
                    data-testid="preset-remove"
                  >
                    Remove
                  </button>
                </div>
              ))}
            </div>
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

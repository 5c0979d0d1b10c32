// The "Engine" tab: app-level engine preferences (provider, GPU, CPU threads, fp16, CPU fallback), validated as
// the user types with the same schema the services apply, and saved as one unit.
import { useEffect, useState } from 'react';
import { EnginePreferencesSchema, type EnginePreferences } from '../../../../main/common/api';
import { ProviderSchema, type Provider } from '../../../../main/common/settings';
import { useEngineCheck, useEnginePrefs, useEngineProviders, useSetEnginePrefs } from '../../state/server';
import { effectiveProvider } from './effective-provider';
import { errorMessage, showInfo } from '../../state/toasts';

type Draft = { provider: Provider; deviceId: string; threads: string; fp16: boolean; allowCpuFallback: boolean };
type DraftErrors = Partial<Record<keyof Draft, string>>;

function toDraft(prefs: EnginePreferences): Draft {
  return { ...prefs, deviceId: String(prefs.deviceId), threads: String(prefs.threads) };
}

function wholeNumber(text: string): number {
  return text.trim() === '' ? Number.NaN : Number(text.trim());
}

/** The preferences the draft stands for, or what is wrong with each field. */
export function checkDraft(draft: Draft, maxThreads: number | null): { prefs: EnginePreferences | null; errors: DraftErrors } {
  const errors: DraftErrors = {};
  const deviceId = wholeNumber(draft.deviceId);
  const threads = wholeNumber(draft.threads);
  if (Number.isNaN(deviceId)) errors.deviceId = 'Enter the GPU device id as a whole number (0 is the first GPU).';
  if (Number.isNaN(threads)) errors.threads = 'Enter the number of CPU threads as a whole number (0 = automatic).';
  const parsed = EnginePreferencesSchema.safeParse({ ...draft, deviceId, threads });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = issue.path[0] as keyof Draft | undefined;
      if (field && !errors[field]) errors[field] = issue.message;
    }
  }
  if (!errors.threads && maxThreads !== null && threads > maxThreads) {
    errors.threads = `This machine allows at most ${maxThreads} CPU threads (4 per core); 0 = automatic.`;
  }
  return { prefs: parsed.success && Object.keys(errors).length === 0 ? parsed.data : null, errors };
}

export function EnginePrefsForm() {
  const prefs = useEnginePrefs();
  const providers = useEngineProviders();
  const check = useEngineCheck();
  const save = useSetEnginePrefs();
  const [draft, setDraft] = useState<Draft | null>(() => (prefs.data ? toDraft(prefs.data) : null));

  useEffect(() => {
    if (prefs.data) setDraft(toDraft(prefs.data));
  }, [prefs.data]);

  if (prefs.error) {
    return (
      <div className="banner error" role="alert">
        Could not read the engine preferences: {errorMessage(prefs.error)}
      </div>
    );
  }
  if (!draft || !prefs.data) return <p className="muted">Loading…</p>;

  const platform = providers.data;
  const { prefs: valid, errors } = checkDraft(draft, platform?.maxThreads ?? null);
  const changed = JSON.stringify(toDraft(prefs.data)) !== JSON.stringify(draft);
  const chosen = platform?.providers.find((p) => p.provider === draft.provider);
  const outcomes = check.data?.outcomes ?? [];
  const outcomeOf = (p: string) => outcomes.find((o) => o.provider === p);
  const effective = platform && check.data ? effectiveProvider(draft.provider, platform.autoProvider, draft.allowCpuFallback, outcomes) : null;
  const usesGpuIndex = draft.provider === 'auto' || draft.provider === 'cuda' || draft.provider === 'dml';
  const set = (patch: Partial<Draft>) => setDraft((d) => (d ? { ...d, ...patch } : d));

  return (
    <form
      className="settings-form"
      data-testid="engine-prefs"
      onSubmit={(e) => {
        e.preventDefault();
        if (!valid || !changed) return;
        save.mutate(valid, { onSuccess: () => showInfo('Engine preferences saved. They apply to the next enhancement job.') });
      }}
    >
      <label className="field">
        <span>Execution provider</span>
        <select
          className="input"
          value={draft.provider}
          onChange={(e) => set({ provider: ProviderSchema.parse(e.target.value) })}
          data-testid="pref-provider"
        >
          {(platform?.providers ?? [{ provider: draft.provider, label: draft.provider, available: true, reason: null }]).map((p) => (
            <option key={p.provider} value={p.provider} title={outcomeOf(p.provider)?.reason ?? p.reason ?? undefined}>
              {p.label}
              {!p.available ? ' (not on this platform)' : outcomeOf(p.provider)?.loaded === false ? ' (does not start here)' : ''}
            </option>
          ))}
        </select>
        {chosen && !chosen.available && (
          <span className="field-note warn" role="note" data-testid="provider-unavailable">
            {chosen.label} is not available here: {chosen.reason}. Enhancement jobs will{' '}
            {draft.allowCpuFallback ? 'run on the CPU instead (allowed below), much more slowly.' : 'fail unless you allow the CPU fallback below.'}
          </span>
        )}
        <span className={`field-note${effective && effective.runs === null ? ' warn' : ''}`} data-testid="provider-effective" data-runs={effective?.runs ?? ''}>
          {check.error ? (
            <>Could not check which provider starts: {errorMessage(check.error)}</>
          ) : effective ? (
            <>
              <strong>Will run on: </strong>
              {effective.summary}
            </>
          ) : (
            'Checking which providers start on this machine…'
          )}
        </span>
      </label>

      <div className="settings-row">
        <label className="field">
          <span>GPU device id</span>
          <input
            className="input"
            inputMode="numeric"
            value={draft.deviceId}
            onChange={(e) => set({ deviceId: e.target.value })}
            disabled={!usesGpuIndex}
            aria-invalid={!!errors.deviceId}
            data-testid="pref-device-id"
          />
          {errors.deviceId ? (
            <span className="field-error" role="alert" data-testid="pref-device-id-error">
              {errors.deviceId}
            </span>
          ) : (
            <span className="field-note">{usesGpuIndex ? '0 is the first GPU.' : 'Not used by this provider.'}</span>
          )}
        </label>
        <label className="field">
          <span>CPU threads</span>
          <input
            className="input"
            inputMode="numeric"
            value={draft.threads}
            onChange={(e) => set({ threads: e.target.value })}
            aria-invalid={!!errors.threads}
            data-testid="pref-threads"
          />
          {errors.threads ? (
            <span className="field-error" role="alert" data-testid="pref-threads-error">
              {errors.threads}
            </span>
          ) : (
            <span className="field-note">
              0 = automatic{platform ? `; at most ${platform.maxThreads} here` : ''}. Used when the engine runs on the CPU.
            </span>
          )}
        </label>
      </div>

      <label className="check">
        <input type="checkbox" checked={draft.fp16} onChange={(e) => set({ fp16: e.target.checked })} data-testid="pref-fp16" />
        <span>
          Half precision (fp16)
          <span className="field-note">Faster and about half the GPU memory, where the pack ships fp16 graphs. The CPU always runs fp32.</span>
        </span>
      </label>

      <label className="check">
        <input
          type="checkbox"
          checked={draft.allowCpuFallback}
          onChange={(e) => set({ allowCpuFallback: e.target.checked })}
          data-testid="pref-cpu-fallback"
        />
        <span>
          Allow CPU fallback
          <span className="field-note">
            When the chosen GPU provider cannot start (no GPU, driver or CUDA runtime), run the job on the CPU instead of stopping
            with an error. The CPU is many times slower; the job reports the fallback. Automatic always falls back.
          </span>
        </span>
      </label>

      <div className="dialog-actions">
        <span className="muted small">Engine preferences apply to every project.</span>
        <button type="button" className="btn" disabled={!changed || save.isPending} onClick={() => setDraft(toDraft(prefs.data!))}>
          Revert
        </button>
        <button type="submit" className="btn btn-primary" disabled={!valid || !changed || save.isPending} data-testid="save-engine-prefs">
          {save.isPending ? 'Saving…' : 'Save'}
        </button>
      </div>
    </form>
  );
}

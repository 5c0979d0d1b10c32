// "Render on": this machine, or a render farm (the Redis URL its workers run `upframe worker --farm` against).
// Check reaches the farm and lists its workers before anything is queued.
import { useMutation } from '@tanstack/react-query';
import { call } from '../../state/server';
import { errorMessage } from '../../state/toasts';
import type { ExportDraft } from './export-draft';

export function RenderOnField({ draft, error, set }: { draft: ExportDraft; error?: string; set: (patch: Partial<ExportDraft>) => void }) {
  const check = useMutation({ mutationFn: (url: string) => call('farm.status', { url }) });
  const onFarm = draft.renderOn === 'farm';
  return (
    <fieldset className="field render-on" data-testid="export-render-on">
      <legend>Render on</legend>
      <div className="render-on-choices" role="radiogroup" aria-label="Render on">
        <label>
          <input type="radio" name="render-on" checked={!onFarm} onChange={() => set({ renderOn: 'local' })} data-testid="export-render-local" /> This machine
        </label>
        <label>
          <input type="radio" name="render-on" checked={onFarm} onChange={() => set({ renderOn: 'farm' })} data-testid="export-render-farm" /> Render farm
        </label>
      </div>
      {onFarm && (
        <>
          <div className="render-on-url">
            <input
              className="input"
              placeholder="redis://render-host:6379"
              value={draft.farmUrl}
              onChange={(e) => {
                check.reset();
                set({ farmUrl: e.target.value });
              }}
              aria-invalid={!!error}
              aria-label="Farm URL"
              data-testid="export-farm-url"
            />
            <button type="button" className="btn" disabled={!draft.farmUrl.trim() || check.isPending} onClick={() => check.mutate(draft.farmUrl.trim())} data-testid="export-farm-check">
              {check.isPending ? 'Checking…' : 'Check'}
            </button>
          </div>
          {error ? (
            <span className="field-error" role="alert" data-testid="export-farm-error">
              {error}
            </span>
          ) : check.isError ? (
            <span className="field-error" role="alert" data-testid="export-farm-error">
              {errorMessage(check.error)}
            </span>
          ) : check.data ? (
            <span className="field-note" data-testid="export-farm-workers">
              {check.data.workers.length === 0
                ? `${check.data.url} answers, but no worker is connected: start one with upframe worker --farm ${check.data.url}.`
                : `${check.data.workers.length} worker(s): ${check.data.workers.map((w) => `${w.id} (${w.state}, ${w.device})`).join(', ')}`}
            </span>
          ) : (
            <span className="field-note">
              The project’s media and the output folder must be reachable by the workers (a shared folder; workers map paths with --path-map).
            </span>
          )}
        </>
      )}
    </fieldset>
  );
}

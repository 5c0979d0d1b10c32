// The "Cache" tab: how much the chunk cache holds against its limit, clearing it (after a confirmation), and
// the limit itself in GB, validated as typed with the same bounds the services apply.
import { useEffect, useState } from 'react';
import { MAX_CACHE_LIMIT_BYTES, MIN_CACHE_LIMIT_BYTES } from '../../../../main/common/render-model';
import { useCacheInfo, useClearCache, useSetCacheLimit } from '../../state/clip-settings';
import { errorMessage, showInfo } from '../../state/toasts';

const GB = 1024 ** 3;

/** 1.5 GB, 300 MB, 12 KB: the unit that keeps the number readable. */
export function formatBytes(bytes: number): string {
  if (bytes >= GB) return `${(bytes / GB).toFixed(2)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${bytes} B`;
}

/** The limit in bytes for the text typed (in GB), or what is wrong with it. */
export function parseLimitGb(text: string): { bytes: number } | { error: string } {
  const min = MIN_CACHE_LIMIT_BYTES / GB;
  const max = MAX_CACHE_LIMIT_BYTES / GB;
  const t = text.trim();
  const n = Number(t);
  if (t === '' || !Number.isFinite(n)) return { error: `Enter the limit in GB, from ${min} to ${max}.` };
  if (n < min || n > max) return { error: `The cache limit must be from ${min} GB to ${max} GB (${max / 1024} TB).` };
  return { bytes: Math.round(n * GB) };
}

export function CachePanel() {
  const info = useCacheInfo();
  const clear = useClearCache();
  const setLimit = useSetCacheLimit();
  const [confirming, setConfirming] = useState(false);
  const [limitText, setLimitText] = useState<string | null>(null);

  useEffect(() => {
    if (info.data && limitText === null) setLimitText(String(Number((info.data.limitBytes / GB).toFixed(2))));
  }, [info.data, limitText]);

  if (info.error) {
    return (
      <div className="banner error" role="alert" data-testid="cache-error">
        Could not read the cache: {errorMessage(info.error)}
      </div>
    );
  }
  if (!info.data) return <p className="muted">Loading…</p>;
  const { sizeBytes, limitBytes, entries, dir } = info.data;
  const parsed = limitText === null ? null : parseLimitGb(limitText);
  const limitError = parsed && 'error' in parsed ? parsed.error : null;
  const changed = parsed !== null && 'bytes' in parsed && parsed.bytes !== limitBytes;
  const used = Math.min(1, sizeBytes / limitBytes);

  return (
    <div className="settings-form cache-panel" data-testid="cache-panel">
      <p className="muted small">
        Enhanced chunks are kept on disk so a second preview, and the export, reuse them. When the cache passes its limit the
        least recently used chunks go first.
      </p>
      <div className="cache-usage">
        <div className="cache-figures">
          <span data-testid="cache-size" data-bytes={sizeBytes}>
            {formatBytes(sizeBytes)}
          </span>
          <span className="muted"> of </span>
          <span data-testid="cache-limit-value" data-bytes={limitBytes}>
            {formatBytes(limitBytes)}
          </span>
          <span className="muted"> · </span>
          <span data-testid="cache-entries" data-entries={entries}>
            {entries} {entries === 1 ? 'chunk' : 'chunks'}
          </span>
        </div>
        <div className="import-progress-bar" aria-hidden>
          <div className="import-progress-fill" style={{ width: `${used * 100}%` }} />
        </div>
        <div className="muted small cache-dir" title={dir}>
          {dir}
        </div>
      </div>

      <form
        className="settings-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (!parsed || !('bytes' in parsed) || !changed) return;
          setLimit.mutate(parsed.bytes, {
            onSuccess: (next) => {
              setLimitText(String(Number((next.limitBytes / GB).toFixed(2))));
              showInfo(`Cache limit set to ${formatBytes(next.limitBytes)}.`);
            },
          });
        }}
      >
        <label className="field">
          <span>Size limit (GB)</span>
          <span className="row">
            <input
              className="input"
              inputMode="decimal"
              value={limitText ?? ''}
              onChange={(e) => setLimitText(e.target.value)}
              aria-invalid={!!limitError}
              data-testid="cache-limit"
            />
            <button type="submit" className="btn" disabled={!changed || !!limitError || setLimit.isPending} data-testid="cache-limit-save">
              {setLimit.isPending ? 'Saving…' : 'Set limit'}
            </button>
          </span>
          {limitError ? (
            <span className="field-error" role="alert" data-testid="cache-limit-error">
              {limitError}
            </span>
          ) : (
            <span className="field-note">Applies at once: a smaller limit evicts the oldest chunks now.</span>
          )}
        </label>
      </form>

      <div className="dialog-actions">
        <span className="muted small">Chunks in use by a running job stay.</span>
        {confirming ? (
          <span className="row" data-testid="cache-clear-confirm-row">
            <span className="small">Delete every cached chunk ({formatBytes(sizeBytes)})?</span>
            <button
              className="btn btn-small btn-danger"
              disabled={clear.isPending}
              onClick={() =>
                clear.mutate(undefined, {
                  onSuccess: (next) => showInfo(`Cache cleared: ${formatBytes(next.sizeBytes)} left (chunks in use by a running job stay).`),
                  onSettled: () => setConfirming(false),
                })
              }
              data-testid="cache-clear-confirm"
            >
              Clear
            </button>
            <button className="btn btn-small" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </span>
        ) : (
          <button className="btn" onClick={() => setConfirming(true)} data-testid="cache-clear">
            Clear cache…
          </button>
        )}
      </div>
    </div>
  );
}

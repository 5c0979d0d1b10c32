// The "Model packs" tab: built-in and installed packs with their family, the device they will run on and their
// verification status; Add VEnhancer… (export the released model into a pack), importing a pack folder or a bare
// .onnx model through the file browser, and removing an installed pack after a confirmation.
import { useState } from 'react';
import type { PackInfo } from '../../../../main/common/api';
import { venhancerJobRunning } from '../../../../main/common/venhancer-setup-model';
import { useStore } from '../../lib/store';
import { useEngineCheck, useEnginePrefs, useEngineProviders, useImportPack, usePacks, useRemovePack } from '../../state/server';
import { openAddVenhancer, settingsStore } from '../../state/settings-ui';
import { errorMessage, showInfo } from '../../state/toasts';
import { useVenhancerStatus, useVenhancerUpdates } from '../../state/venhancer-setup';
import { FileBrowserDialog } from '../FileBrowserDialog';
import { AddVenhancerDialog, jobSummary } from './AddVenhancerDialog';
import { effectiveProvider, providerLabel } from './effective-provider';

const STATUS_TEXT: Record<PackInfo['status'], string> = {
  ok: 'OK',
  'missing-files': 'Files missing',
  corrupt: 'Corrupt',
  invalid: 'Invalid',
};

export function formatMegabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return mb > 0 && mb < 0.01 ? '< 0.01 MB' : `${mb.toFixed(mb < 100 ? 2 : 0)} MB`;
}

const FAMILY_TEXT: Record<string, string> = {
  venhancer: 'VEnhancer (diffusion)',
  'tiny-test': 'VEnhancer, tiny test model',
  'analytic-test': 'Analytic test model',
  'per-frame': 'Per frame',
};

/** "CPU", "CUDA (GPU 0)", or why nothing will run: what the engine preferences really run here. */
function useRunsOn(): string | null {
  const prefs = useEnginePrefs();
  const providers = useEngineProviders();
  const check = useEngineCheck();
  if (!prefs.data || !providers.data || !check.data) return null;
  const effective = effectiveProvider(prefs.data.provider, providers.data.autoProvider, prefs.data.allowCpuFallback, check.data.outcomes);
  if (effective.runs === null) return 'nothing starts (see Engine)';
  return effective.runs === 'cpu' ? 'CPU' : `${providerLabel(effective.runs)} (GPU ${prefs.data.deviceId})`;
}

export function PacksPanel() {
  useVenhancerUpdates();
  const venhancer = useVenhancerStatus();
  const addingVenhancer = useStore(settingsStore, (s) => s.addVenhancer);
  const runsOn = useRunsOn();
  const packs = usePacks();
  const importPack = useImportPack();
  const removePack = useRemovePack();
  const [browsing, setBrowsing] = useState(false);
  const [browsingModel, setBrowsingModel] = useState(false);
  const [confirmingRemove, setConfirmingRemove] = useState<string | null>(null);

  return (
    <div className="packs-panel" data-testid="packs-panel">
      <p className="muted small">
        A model pack is a folder with manifest.json and ONNX graphs. Importing verifies every file, then copies the pack into
        Upframe's own folder. Test packs prove the engine and never enhance.
      </p>
      {packs.error && (
        <div className="banner error" role="alert">
          Could not list the model packs: {errorMessage(packs.error)}
        </div>
      )}
      <div className="packs-table-wrap">
        <table className="packs-table" data-testid="packs-table">
          <thead>
            <tr>
              <th>Pack</th>
              <th>Version</th>
              <th>Family</th>
              <th>Runs on</th>
              <th className="num">Size</th>
              <th>Status</th>
              <th aria-label="Actions" />
            </tr>
          </thead>
          <tbody>
            {packs.isPending && (
              <tr>
                <td colSpan={7} className="muted">
                  Verifying packs…
                </td>
              </tr>
            )}
            {packs.data?.map((pack) => (
              <tr key={pack.id} data-testid="pack-row" data-pack-id={pack.id} data-status={pack.status} data-test-pack={pack.testPack}>
                <td>
                  <span className="pack-label" data-testid="pack-label">
                    {pack.label}
                  </span>
                  {pack.testPack && (
                    <span className="badge badge-amber" data-testid="test-pack-badge">
                      Test pack
                    </span>
                  )}
                  {pack.builtin && <span className="badge">Built in</span>}
                  <div className="muted small">{pack.id}</div>
                </td>
                <td>{pack.version ?? '—'}</td>
                <td data-testid="pack-family">{pack.family ? (FAMILY_TEXT[pack.family] ?? pack.family) : '—'}</td>
                <td data-testid="pack-device">{pack.status === 'ok' ? (runsOn ?? '…') : '—'}</td>
                <td className="num" data-testid="pack-size">
                  {formatMegabytes(pack.sizeBytes)}
                </td>
                <td>
                  <span className={pack.status === 'ok' ? 'pack-ok' : 'pack-problem'} data-testid="pack-status">
                    {STATUS_TEXT[pack.status]}
                  </span>
                  {pack.problem && (
                    <div className="pack-problem-text small" data-testid="pack-problem">
                      {pack.problem}
                    </div>
                  )}
                </td>
                <td className="pack-actions">
                  {!pack.builtin &&
                    (confirmingRemove === pack.id ? (
                      <span className="row" data-testid="remove-confirm">
                        <span className="small">Delete its files?</span>
                        <button
                          className="btn btn-small btn-danger"
                          disabled={removePack.isPending}
                          onClick={() =>
                            removePack.mutate(pack.id, {
                              onSuccess: () => showInfo(`Removed ${pack.label}.`),
                              onSettled: () => setConfirmingRemove(null),
                            })
                          }
                          data-testid="remove-pack-confirm"
                        >
                          Remove
                        </button>
                        <button className="btn btn-small" onClick={() => setConfirmingRemove(null)}>
                          Cancel
                        </button>
                      </span>
                    ) : (
                      <button className="btn btn-small" onClick={() => setConfirmingRemove(pack.id)} data-testid="remove-pack">
                        Remove
                      </button>
                    ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {venhancer.data?.job && (venhancerJobRunning(venhancer.data.job) || !addingVenhancer) && (
        <div className="row small venhancer-job-row" data-testid="venhancer-job-row" data-state={venhancer.data.job.state}>
          <span className="grow">
            Add VEnhancer: {venhancer.data.job.state === 'exporting' ? `${venhancer.data.job.stage} · ` : ''}
            {jobSummary(venhancer.data.job)}
          </span>
          <button type="button" className="btn btn-small" onClick={openAddVenhancer}>
            Show
          </button>
        </div>
      )}
      <div className="dialog-actions">
        <span className="muted small">{importPack.isPending ? 'Verifying and copying the pack…' : ''}</span>
        <button className="btn" onClick={openAddVenhancer} data-testid="add-venhancer">
          Add VEnhancer…
        </button>
        <button className="btn" onClick={() => setBrowsing(true)} disabled={importPack.isPending} data-testid="import-pack">
          Import pack…
        </button>
        <button className="btn" onClick={() => setBrowsingModel(true)} disabled={importPack.isPending} data-testid="import-onnx">
          Import ONNX model…
        </button>
      </div>
      <AddVenhancerDialog open={addingVenhancer} onOpenChange={(open) => settingsStore.set({ addVenhancer: open })} />
      <FileBrowserDialog
        open={browsing}
        onOpenChange={setBrowsing}
        title="Import a model pack: open its folder (the one holding manifest.json)"
        mode="folder"
        confirmLabel="Import this folder"
        onConfirm={([dir]) => importPack.mutate(dir, { onSuccess: (pack) => showInfo(`Imported ${pack.label}.`) })}
      />
      <FileBrowserDialog
        open={browsingModel}
        onOpenChange={setBrowsingModel}
        title="Import a per-frame model: an .onnx upscaler (frames [N, 3, H, W] in [0, 1] to [N, 3, sH, sW])"
        mode="file"
        extensions={['onnx']}
        confirmLabel="Check and import"
        onConfirm={([file]) => importPack.mutate(file, { onSuccess: (pack) => showInfo(`Imported ${pack.label}.`) })}
      />
    </div>
  );
}

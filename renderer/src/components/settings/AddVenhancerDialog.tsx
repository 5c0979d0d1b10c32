// Settings › Model packs › Add VEnhancer…: which three files to download and from where, picking them (or the folder
// holding them), whether Python can run the exporter (and the exact command when it cannot), then the export and
// install as a background job with progress, ETA and cancel. Closing the dialog leaves the job running; the packs
// panel shows it and reopens this dialog.
import * as Dialog from '@radix-ui/react-dialog';
import { Copy, FolderSearch } from 'lucide-react';
import { useEffect, useState } from 'react';
import {
  VENHANCER_DOWNLOADS,
  venhancerJobRunning,
  type VenhancerInputRole,
  type VenhancerInputs,
  type VenhancerJob,
} from '../../../../main/common/venhancer-setup-model';
import { useVenhancerStatus, useCancelVenhancer, useLocateVenhancer, useStartVenhancer } from '../../state/venhancer-setup';
import { errorMessage, showInfo } from '../../state/toasts';
import { FileBrowserDialog } from '../FileBrowserDialog';
import { formatTimeLeft } from '../ImportProgressRows';
import { formatClock } from '../export/RenderJobRow';

type Browsing = VenhancerInputRole | 'folder' | null;

const EMPTY: VenhancerInputs = { checkpoint: '', vae: '', clip: '' };

const BROWSE: Record<VenhancerInputRole, { title: string; mode: 'file' | 'folder'; extensions?: string[] }> = {
  checkpoint: { title: 'The VEnhancer checkpoint (venhancer_v2.pt)', mode: 'file', extensions: ['pt', 'pth'] },
  vae: { title: 'The SVD "vae" folder: open it (it holds config.json), then choose it', mode: 'folder' },
  clip: { title: 'The OpenCLIP weights (open_clip_pytorch_model.bin)', mode: 'file', extensions: ['bin'] },
};

function copyText(text: string): void {
  void navigator.clipboard?.writeText(text).then(
    () => showInfo('Copied.'),
    () => showInfo(text),
  );
}

export function jobSummary(job: VenhancerJob): string {
  const percent = `${Math.floor(job.fraction * 100)} %`;
  switch (job.state) {
    case 'exporting':
      return `${percent} · ${job.etaSec === null ? 'estimating the time left' : formatTimeLeft(job.etaSec)}`;
    case 'installing':
      return 'Verifying and installing the pack…';
    case 'done':
      return `Installed ${job.packId ?? 'the pack'}: pick it in the inspector (engine Diffusion).`;
    case 'cancelled':
      return 'Cancelled: nothing was installed.';
    case 'failed':
      return 'Failed: nothing was installed.';
  }
}

export function AddVenhancerDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const status = useVenhancerStatus();
  const locate = useLocateVenhancer();
  const start = useStartVenhancer();
  const cancel = useCancelVenhancer();
  const [inputs, setInputs] = useState<VenhancerInputs>(EMPTY);
  const [browsing, setBrowsing] = useState<Browsing>(null);
  const [located, setLocated] = useState<string | null>(null);
  const [now, setNow] = useState(() => Date.now());

  const job = status.data?.job ?? null;
  const running = venhancerJobRunning(job);
  const python = status.data?.python ?? null;

  useEffect(() => {
    if (open) void status.refetch();
  }, [open]); // eslint-disable-line react-hooks/exhaustive-deps
  // Inputs of a running or ended job are shown, so reopening the dialog tells what it works on.
  useEffect(() => {
    if (open && job && inputs === EMPTY) setInputs(job.inputs);
  }, [open, job, inputs]);
  useEffect(() => {
    if (!running) return;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [running]);

  const missing = (['checkpoint', 'vae', 'clip'] as const).filter((role) => inputs[role].trim() === '');
  const canStart = python?.ok === true && missing.length === 0 && !running && !start.isPending;

  const onFolder = (dir: string) => {
    locate.mutate(dir, {
      onSuccess: (found) => {
        setInputs((current) => ({
          checkpoint: found.checkpoint ?? current.checkpoint,
          vae: found.vae ?? current.vae,
          clip: found.clip ?? current.clip,
        }));
        const notFound = VENHANCER_DOWNLOADS.filter((d) => found[d.role] === null).map((d) => d.name);
        setLocated(notFound.length === 0 ? `Found all three in ${dir}.` : `Not found in ${dir}: ${notFound.join(', ')}. Choose ${notFound.length > 1 ? 'them' : 'it'} below.`);
      },
    });
  };

  return (
    <Dialog.Root open={open} onOpenChange={onOpenChange}>
      <Dialog.Portal>
        <Dialog.Overlay className="dialog-overlay" />
        <Dialog.Content className="dialog add-venhancer" data-testid="add-venhancer-dialog" aria-describedby="add-venhancer-intro">
          <Dialog.Title className="dialog-title">Add VEnhancer</Dialog.Title>
          <p id="add-venhancer-intro" className="muted small">
            VEnhancer is released as PyTorch weights only. Download these three, then Upframe converts them into a model pack on this
            machine and installs it. The full model needs about 17.4 GB of memory and 13.6 GB of free disk while it converts, and takes
            a while; you can close this dialog meanwhile.
          </p>
          <table className="packs-table venhancer-downloads" data-testid="venhancer-downloads">
            <thead>
              <tr>
                <th>Download</th>
                <th>From (Hugging Face)</th>
                <th>Size</th>
              </tr>
            </thead>
            <tbody>
              {VENHANCER_DOWNLOADS.map((d) => (
                <tr key={d.role} data-testid="venhancer-download" data-role={d.role}>
                  <td>
                    <code>{d.name}</code>
                    <div className="muted small">{d.what}</div>
                  </td>
                  <td>
                    <span className="venhancer-url">{d.repository}</span>
                    <button type="button" className="btn btn-icon btn-small" title={`Copy ${d.url}`} aria-label={`Copy the address of ${d.name}`} onClick={() => copyText(d.url)}>
                      <Copy size={12} aria-hidden />
                    </button>
                  </td>
                  <td className="small">{d.size}</td>
                </tr>
              ))}
            </tbody>
          </table>

          <div className="venhancer-python" data-testid="venhancer-python" data-ok={python?.ok ?? 'unknown'}>
            {status.isPending && <span className="muted small">Looking for Python with torch, onnx and numpy…</span>}
            {status.error && <span className="field-error">Could not check Python: {errorMessage(status.error)}</span>}
            {python?.ok && <span className="small pack-ok">The export runs with {python.python} (torch, onnx and numpy found).</span>}
            {python && !python.ok && (
              <div className="banner error" role="alert">
                <div>{python.message}</div>
                {python.installCommand && (
                  <div className="row venhancer-install">
                    <code data-testid="venhancer-install-command">{python.installCommand}</code>
                    <button type="button" className="btn btn-small" onClick={() => copyText(python.installCommand!)}>
                      Copy
                    </button>
                    <button type="button" className="btn btn-small" onClick={() => void status.refetch()} disabled={status.isFetching}>
                      Check again
                    </button>
                  </div>
                )}
              </div>
            )}
          </div>

          <div className="venhancer-inputs">
            <div className="row">
              <button type="button" className="btn btn-small" onClick={() => setBrowsing('folder')} disabled={running || locate.isPending} data-testid="venhancer-find">
                <FolderSearch size={13} aria-hidden /> Find in a folder…
              </button>
              <span className="muted small" data-testid="venhancer-located">
                {locate.isPending ? 'Looking…' : locate.error ? errorMessage(locate.error) : located}
              </span>
            </div>
            {VENHANCER_DOWNLOADS.map((d) => (
              <label key={d.role} className="field">
                <span>{d.kind === 'folder' ? `The ${d.name} folder` : d.name}</span>
                <span className="row">
                  <input
                    className="input grow"
                    value={inputs[d.role]}
                    placeholder={d.kind === 'folder' ? 'Folder path' : 'File path'}
                    disabled={running}
                    onChange={(e) => setInputs({ ...inputs, [d.role]: e.target.value })}
                    data-testid={`venhancer-input-${d.role}`}
                  />
                  <button type="button" className="btn btn-small" disabled={running} onClick={() => setBrowsing(d.role)}>
                    Browse…
                  </button>
                </span>
              </label>
            ))}
          </div>

          {job && <JobProgress job={job} now={now} />}
          {start.error && (
            <div className="banner error" role="alert" data-testid="venhancer-start-error">
              {errorMessage(start.error)}
            </div>
          )}

          <div className="dialog-actions">
            <span className="muted small">
              {!running && missing.length > 0 ? `Choose ${missing.map((m) => VENHANCER_DOWNLOADS.find((d) => d.role === m)!.name).join(', ')}.` : ''}
            </span>
            {running ? (
              <button
                type="button"
                className="btn btn-danger"
                onClick={() => cancel.mutate()}
                disabled={cancel.isPending || job?.state !== 'exporting'}
                data-testid="venhancer-cancel"
              >
                Cancel export
              </button>
            ) : (
              <button
                type="button"
                className="btn btn-primary"
                disabled={!canStart}
                onClick={() => start.mutate(inputs)}
                data-testid="venhancer-start"
              >
                {job ? 'Export and install again' : 'Export and install'}
              </button>
            )}
            <Dialog.Close className="btn" type="button">
              Close
            </Dialog.Close>
          </div>

          {browsing !== null && (
            <FileBrowserDialog
              open
              onOpenChange={(o) => !o && setBrowsing(null)}
              title={browsing === 'folder' ? 'The folder holding the three downloads: open it, then choose it' : BROWSE[browsing].title}
              mode={browsing === 'folder' ? 'folder' : BROWSE[browsing].mode}
              extensions={browsing === 'folder' ? undefined : BROWSE[browsing].extensions}
              confirmLabel={browsing === 'folder' ? 'Look here' : 'Choose'}
              onConfirm={([picked]) => {
                const role = browsing;
                setBrowsing(null);
                if (!picked) return;
                if (role === 'folder') onFolder(picked);
                else setInputs((current) => ({ ...current, [role]: picked }));
              }}
            />
          )}
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}

function JobProgress({ job, now }: { job: VenhancerJob; now: number }) {
  const elapsed = ((job.endedAt ?? now) - job.startedAt) / 1000;
  return (
    <div className="venhancer-job" data-testid="venhancer-job" data-state={job.state}>
      <div className="row">
        <span className="grow small" data-testid="venhancer-stage">
          {job.stage}
        </span>
        <span className="muted small">{formatClock(Math.max(0, elapsed))}</span>
      </div>
      {(job.state === 'exporting' || job.state === 'installing') && (
        <div
          className="import-progress-bar"
          role="progressbar"
          aria-label="Export progress"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.floor(job.fraction * 100)}
        >
          <div className="import-progress-fill" style={{ width: `${job.fraction * 100}%` }} />
        </div>
      )}
      <div className={job.state === 'failed' ? 'field-error' : 'small'} data-testid="venhancer-summary">
        {jobSummary(job)}
      </div>
      {job.error && (
        <div className="banner error" role="alert" data-testid="venhancer-error">
          {job.error}
        </div>
      )}
      {job.notes.length > 0 && job.state !== 'done' && (
        <ul className="muted small venhancer-notes">
          {job.notes.map((note, i) => (
            <li key={i}>{note}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

// What a person can do with a finished export's file: show it in the system file manager (Electron), or copy
// its path (the web host cannot open a file manager on the host), and the notifications when a job ends.
import { settlePendingDraft } from './export-draft';
import { hostKind } from '../../api/client';
import type { ExportJobChange } from '../../state/export';
import { call } from '../../state/server';
import { showError, showInfo } from '../../state/toasts';

export function baseName(filePath: string): string {
  const trimmed = filePath.replace(/[\\/]+$/, '');
  return trimmed.slice(Math.max(trimmed.lastIndexOf('/'), trimmed.lastIndexOf('\\')) + 1) || filePath;
}

export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Without the async clipboard (an insecure origin), the selection-based copy still works.
  const area = document.createElement('textarea');
  area.value = text;
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('The browser refused to copy. Select the path and copy it by hand.');
}

export function copyPath(path: string): void {
  copyText(path).then(
    () => showInfo(`Copied ${path}`),
    (err) => showError(err, 'Could not copy the path'),
  );
}

/** Shows the file in the file manager; where the host has none, says where the file is, with a copy action. */
export async function showInFolder(path: string): Promise<void> {
  try {
    const { supported } = await call('shell.showInFolder', { path });
    if (!supported) showInfo(path, { label: 'Copy path', run: () => copyPath(path) }, 'The file is here');
  } catch (err) {
    showError(err, 'Could not show the file');
  }
}

/** A done toast when a job finishes (seen as an event, so never for jobs that were already done on reload), an
 *  error toast when one fails. */
export function notifyExportChange({ job, previous }: ExportJobChange): void {
  if (previous?.state === job.state) return;
  if (job.state === 'done' || job.state === 'failed' || job.state === 'cancelled') settlePendingDraft(job.id, job.state === 'done');
  const name = baseName(job.outputPath);
  if (job.state === 'done') {
    if (hostKind() === 'electron') {
      showInfo(`Export finished: ${name}`, { label: 'Show in folder', run: () => void showInFolder(job.outputPath) });
    } else {
      showInfo(job.outputPath, { label: 'Copy path', run: () => copyPath(job.outputPath) }, `Export finished: ${name}`);
    }
  } else if (job.state === 'failed') {
    showError(job.message ?? 'The export stopped with an error; see the render queue.', `Export failed: ${name}`);
  }
}

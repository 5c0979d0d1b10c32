// Export through the dialog (Ctrl+M) with real ffmpeg: the render queue shows the job progressing to done, a done
// toast appears and the file is the H.264 of the expected size; the same name again asks before replacing; a job
// paused mid-render stays paused and completes once resumed; after a reload the queue still lists the jobs and no
// done toast repeats.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { ffprobeJson, makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let work: ReturnType<typeof makeTempDir>;
let outDir: string;

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-user-');
  work = makeTempDir('upframe-e2e-export-');
  outDir = path.join(work.dir, 'renders');
  mkdirSync(outDir);
  const clip = makeTestVideo(work.dir, { name: 'clip', width: 160, height: 120, fps: 24, durationSec: 2 });
  host = await startHostProcess({ userDataDir: userData.dir });
  // The timeline is set up through the API: this spec is about exporting, not editing.
  const created = await callApi(host.origin, host.token, 'project.create', { path: path.join(work.dir, 'trip.upframe') });
  const { imported } = await callApi(host.origin, host.token, 'media.import', { paths: [clip] });
  await callApi(host.origin, host.token, 'timeline.addClip', { mediaId: imported[0].id, trackId: created.tracks[0].id, start: 0 });
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  work?.cleanup();
});

/** Records every state each render-job row shows, so a brief 'running' is still seen. */
async function recordJobStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Record<string, string[]> = {};
    (window as unknown as { jobStates: typeof seen }).jobStates = seen;
    const record = () => {
      for (const row of Array.from(document.querySelectorAll<HTMLElement>('[data-testid="render-job"]'))) {
        const id = row.dataset.jobId ?? '?';
        const states = (seen[id] ??= []);
        const state = row.dataset.state ?? '?';
        if (states[states.length - 1] !== state) states.push(state);
      }
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    record();
  });
}

async function jobStatesSeen(page: Page, jobId: string): Promise<string[]> {
  return page.evaluate((id) => (window as unknown as { jobStates: Record<string, string[]> }).jobStates[id] ?? [], jobId);
}

async function openExportDialog(page: Page): Promise<Locator> {
  // Focus the page itself (not a field, not a closed dialog's leftovers): shortcuts do not fire while typing.
  await page.getByTestId('project-name').click();
  await page.keyboard.press('Control+m');
  const dialog = page.getByTestId('export-dialog');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('export-codec')).toBeEnabled();
  return dialog;
}

function probeVideo(file: string): { codec: string; width: number; height: number; hasAudio: boolean; durationSec: number } {
  const probe = ffprobeJson(file);
  const video = probe.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
  return {
    codec: video.codec_name,
    width: video.width,
    height: video.height,
    hasAudio: probe.streams.some((s: { codec_type: string }) => s.codec_type === 'audio'),
    durationSec: Number(probe.format.duration),
  };
}

test('export from the dialog, replace on confirm, pause and resume, and the queue survives a reload', async ({ page }) => {
  const pageErrors = watchErrors(page);
  await page.goto(host.url);
  await expect(page.getByTestId('clip')).toHaveCount(1);
  await recordJobStates(page);

  // Ctrl+M opens the dialog; choose the folder, a name, H.264 at CRF 20 with AAC.
  let dialog = await openExportDialog(page);
  await dialog.getByTestId('export-folder').fill('');
  await expect(dialog.getByTestId('export-folder-error')).toContainText('Choose the output folder');
  await expect(dialog.getByTestId('export-start')).toBeDisabled();
  await dialog.getByTestId('export-folder').fill(outDir);
  await dialog.getByTestId('export-filename').fill('{project}-{range}');
  await expect(dialog.getByTestId('export-filename-preview')).toContainText('trip-timeline.mp4');
  await dialog.getByTestId('export-codec').selectOption('h264');
  await dialog.getByTestId('export-crf').fill('60');
  await expect(dialog.getByTestId('export-crf-error')).toContainText('CRF is 0 (lossless) to 51');
  await dialog.getByTestId('export-crf').fill('20');
  await expect(dialog.getByTestId('export-crf-error')).toHaveCount(0);
  await dialog.getByTestId('export-audio').selectOption('aac');
  // Before it starts, the dialog says what the export produces: the clip's size and rate, 2 s, one clip; no
  // time estimate yet, the engine never having run here.
  await expect(dialog.getByTestId('export-summary')).toContainText('160×120 · 24 fps · 2.00 s (48 frames) · 1 clip · run a preview');
  await dialog.getByTestId('export-start').click();

  // The dialog closes, the queue opens, and the job runs to done with a notification.
  await expect(dialog).toBeHidden();
  const queue = page.getByTestId('render-queue');
  await expect(queue).toBeVisible();
  const rows = queue.getByTestId('render-job');
  await expect(rows).toHaveCount(1);
  const first = rows.first();
  const firstId = (await first.getAttribute('data-job-id'))!;
  await expect(first).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  const firstStates = await jobStatesSeen(page, firstId);
  expect(firstStates[firstStates.length - 1]).toBe('done');
  expect(firstStates.some((s) => s === 'queued' || s === 'running')).toBe(true);
  await expect(first.getByTestId('render-job-stats')).toContainText('/ 48 frames');
  const output = path.join(outDir, 'trip-timeline.mp4');
  await expect(first).toHaveAttribute('data-output-path', output);
  await expect(page.getByTestId('toast').filter({ hasText: 'Export finished: trip-timeline.mp4' })).toBeVisible();

  const probed = probeVideo(output);
  expect(probed).toMatchObject({ codec: 'h264', width: 160, height: 120, hasAudio: true });
  expect(probed.durationSec).toBeGreaterThan(1.9);
  expect(probed.durationSec).toBeLessThan(2.15);

  // The web host cannot open a file manager: Show path shows the path instead.
  await first.getByTestId('render-job-show').click();
  await expect(first.getByTestId('render-job-path')).toContainText(output);

  // The same name again: the dialog remembers the choices, and asks before replacing the file.
  const firstMtime = statSync(output).mtimeMs;
  dialog = await openExportDialog(page);
  await expect(dialog.getByTestId('export-folder')).toHaveValue(outDir);
  await expect(dialog.getByTestId('export-filename')).toHaveValue('{project}-{range}');
  await expect(dialog.getByTestId('export-crf')).toHaveValue('20');
  await dialog.getByTestId('export-start').click();
  const confirm = dialog.getByTestId('export-overwrite-confirm');
  await expect(confirm).toContainText('Replace trip-timeline.mp4?');
  await expect(rows).toHaveCount(1);
  await confirm.getByTestId('export-overwrite-replace').click();
  await expect(dialog).toBeHidden();
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(1)).toHaveAttribute('data-state', 'done', { timeout: 60_000 });
  expect(statSync(output).mtimeMs).toBeGreaterThan(firstMtime);
  expect(probeVideo(output)).toMatchObject({ codec: 'h264', width: 160, height: 120 });

  // A slower export (conformed up to 960x540, H.265) paused while it renders stays paused, then completes.
  dialog = await openExportDialog(page);
  await dialog.getByTestId('export-filename').fill('paused');
  await dialog.getByTestId('export-codec').selectOption('h265');
  await dialog.getByTestId('export-conform').selectOption('custom');
  await dialog.getByTestId('export-width').fill('960');
  await dialog.getByTestId('export-height').fill('540');
  await dialog.getByTestId('export-fps').fill('24');
  await dialog.getByTestId('export-audio').selectOption('none');
  await dialog.getByTestId('export-start').click();
  await expect(dialog).toBeHidden();
  await expect(rows).toHaveCount(3);
  const third = rows.nth(2);
  await expect(third).toHaveAttribute('data-state', /queued|running/);
  await third.getByTestId('render-job-pause').click();
  await expect(third).toHaveAttribute('data-state', 'paused');
  await page.waitForTimeout(1500);
  await expect(third).toHaveAttribute('data-state', 'paused');
  const pausedOutput = path.join(outDir, 'paused.mp4');
  expect(() => statSync(pausedOutput)).toThrow();
  await third.getByTestId('render-job-resume').click();
  await expect(third).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
  expect(probeVideo(pausedOutput)).toMatchObject({ codec: 'hevc', width: 960, height: 540, hasAudio: false });
  await expect(page.getByTestId('toast').filter({ hasText: 'Export finished: paused.mp4' })).toBeVisible();

  // After a reload the queue (kept open) lists the same jobs, and no done notification repeats.
  const listed = await callApi(host.origin, host.token, 'export.list', {});
  expect(listed.map((j) => j.state)).toEqual(['done', 'done', 'done']);
  await page.reload();
  await expect(page.getByTestId('render-queue')).toBeVisible();
  await expect(page.getByTestId('render-job')).toHaveCount(3);
  await expect(page.locator('[data-testid="render-job"][data-state="done"]')).toHaveCount(3);
  await expect(page.getByTestId('toast').filter({ hasText: 'Export finished' })).toHaveCount(0);

  // Removing an ended job drops it from the queue; its file stays.
  await page.getByTestId('render-job').first().getByTestId('render-job-remove').click();
  await expect(page.getByTestId('render-job')).toHaveCount(2);
  expect((await callApi(host.origin, host.token, 'export.list', {})).length).toBe(2);
  expect(statSync(output).isFile()).toBe(true);

  expect(pageErrors).toEqual([]);
  await expect(page.locator('[data-testid="toast"].toast-error')).toHaveCount(0);
});

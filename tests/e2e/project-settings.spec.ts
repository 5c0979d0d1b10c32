// Project settings against the real web host: the rate and size are visible and editable before clips are added,
// an import then keeps them, and once a clip is on the timeline the rate is shown fixed, with the reason.
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let work: ReturnType<typeof makeTempDir>;
let clip: string;

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-format-user-');
  work = makeTempDir('upframe-e2e-format-');
  clip = makeTestVideo(work.dir, { name: 'shot', width: 160, height: 120, fps: 24, durationSec: 1 });
  host = await startHostProcess({ userDataDir: userData.dir });
  await callApi(host.origin, host.token, 'project.create', { path: path.join(work.dir, 'format.upframe') });
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  work?.cleanup();
});

test('project settings: rate and size chosen before clips, kept by an import, the rate fixed once a clip is placed', async ({ page }) => {
  const pageErrors = watchErrors(page);
  await page.goto(host.url);
  await expect(page.getByTestId('editor')).toBeVisible();

  await page.getByTestId('project-settings-button').click();
  const dialog = page.getByTestId('project-settings');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('project-fps')).toBeEnabled();
  await expect(dialog.getByTestId('project-fps-note')).toContainText('fixed once clips are on the timeline');
  await dialog.getByTestId('project-fps').selectOption('25/1');
  await dialog.getByTestId('project-size').selectOption('1920x1080');
  await expect(dialog.getByTestId('project-width')).toHaveValue('1920');
  // An odd width is refused where it is typed.
  await dialog.getByTestId('project-width').fill('1921');
  await expect(dialog).toContainText('The width must be an even number of pixels');
  await expect(dialog.getByTestId('project-settings-save')).toBeDisabled();
  await dialog.getByTestId('project-width').fill('1920');
  await dialog.getByTestId('project-settings-save').click();
  await expect(dialog).toBeHidden();
  expect((await callApi(host.origin, host.token, 'project.state', {})).project).toMatchObject({ fps: { num: 25, den: 1 }, width: 1920, height: 1080 });

  // A 24 fps clip imported and placed: the project keeps 25 fps, and the rate is now shown fixed.
  const { imported, state } = await callApi(host.origin, host.token, 'media.import', { paths: [clip] });
  await callApi(host.origin, host.token, 'timeline.addClip', { mediaId: imported[0].id, trackId: state.tracks[0].id, start: 0 });
  await expect(page.getByTestId('clip')).toHaveCount(1);
  await page.getByTestId('project-settings-button').click();
  await expect(dialog.getByTestId('project-fps')).toHaveValue('25/1');
  await expect(dialog.getByTestId('project-fps')).toBeDisabled();
  await expect(dialog.getByTestId('project-fps-note')).toContainText('Fixed: 1 clip is on the timeline');
  await dialog.getByTestId('project-size').selectOption('1280x720');
  await dialog.getByTestId('project-settings-save').click();
  await expect(dialog).toBeHidden();
  expect((await callApi(host.origin, host.token, 'project.state', {})).project).toMatchObject({ fps: { num: 25, den: 1 }, width: 1280, height: 720 });

  // The export dialog can conform to the project's size and rate, and its summary says so before it starts.
  await page.getByTestId('project-name').click();
  await page.keyboard.press('Control+m');
  const exportDialog = page.getByTestId('export-dialog');
  await expect(exportDialog).toBeVisible();
  await exportDialog.getByTestId('export-conform').selectOption('project');
  await expect(exportDialog.getByTestId('export-conform')).toContainText('Project settings (1280×720 · 25 fps)');
  await expect(exportDialog.getByTestId('export-summary')).toContainText('1280×720 · 25 fps · 1.00 s (25 frames)');
  expect(pageErrors).toEqual([]);
});

// The Settings dialog against the real web host: both built-in test packs are listed as test packs, a pack folder
// is imported through the file browser and removed again, and an engine preference (CPU threads) is validated
// inline, saved, and still there after a reload.
import { expect, test } from '@playwright/test';
import fs from 'node:fs';
import path from 'node:path';
import { builtinPackDir } from '../../main/engine/pack/builtin';
import { watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir } from '../helpers/media-fixtures';

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let work: ReturnType<typeof makeTempDir>;
let packSource: string;

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-settings-user-');
  work = makeTempDir('upframe-e2e-settings-work-');
  // A copy of the analytic test pack under its own name, so it is not a duplicate of the built-in one.
  packSource = path.join(work.dir, 'my-pack');
  fs.cpSync(builtinPackDir('analytic-test'), packSource, { recursive: true });
  const manifestFile = path.join(packSource, 'manifest.json');
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
  Object.assign(manifest, { name: 'e2e-copy', version: '3.0.0' });
  fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  host = await startHostProcess({ userDataDir: userData.dir });
  await callApi(host.origin, host.token, 'project.create', { path: path.join(work.dir, 'settings.upframe') });
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  work?.cleanup();
});

test('settings list the test packs as test packs, import and remove a pack, and keep CPU threads across a reload', async ({ page }) => {
  const pageErrors = watchErrors(page);
  await page.goto(host.url);
  await expect(page.getByTestId('editor')).toBeVisible();

  await page.getByTestId('settings-button').click();
  const dialog = page.getByTestId('settings-dialog');
  await expect(dialog).toBeVisible();

  // Model packs: the two built-in test packs, each labelled and badged as a test pack, verified OK, with a size;
  // then the built-in ESRGAN pack that set-up converts from npm, a real pack, never badged as a test pack.
  await dialog.getByTestId('settings-tab-packs').click();
  const rows = dialog.getByTestId('pack-row');
  await expect(rows).toHaveCount(3);
  const esrgan = dialog.locator('[data-testid="pack-row"][data-pack-id="esrgan-thick@1.0.0"]');
  await expect(esrgan.getByTestId('pack-label')).toHaveText(/ESRGAN \(thick\)/);
  await expect(esrgan.getByTestId('test-pack-badge')).toHaveCount(0);
  await expect(esrgan.getByTestId('remove-pack')).toHaveCount(0);
  await expect(rows.nth(0)).toHaveAttribute('data-pack-id', 'analytic-test@1.0.0');
  await expect(rows.nth(1)).toHaveAttribute('data-pack-id', 'tiny-venhancer-test@1.0.0');
  for (const row of [rows.nth(0), rows.nth(1)]) {
    await expect(row.getByTestId('pack-label')).toHaveText(/test pack.*does not enhance/i);
    await expect(row.getByTestId('test-pack-badge')).toHaveText('Test pack');
    await expect(row.getByTestId('pack-status')).toHaveText('OK');
    await expect(row.getByTestId('pack-size')).toHaveText(/^(< 0\.01|\d+\.\d\d) MB$/);
    // Built-in packs cannot be removed.
    await expect(row.getByTestId('remove-pack')).toHaveCount(0);
  }
  await expect(rows.nth(0)).not.toContainText(/enhancement/i);

  // Import a pack folder through the file browser in folder mode.
  await dialog.getByTestId('import-pack').click();
  const browser = page.getByTestId('file-browser');
  await expect(browser).toBeVisible();
  await browser.getByTestId('file-browser-path').fill(packSource);
  await browser.getByTestId('file-browser-path').press('Enter');
  await expect(browser.getByTestId('file-browser-path')).toHaveValue(packSource);
  // Folder mode hides the files: the pack's graphs are not offered for picking.
  await expect(browser.getByTestId('file-entry')).toHaveCount(0);
  await browser.getByTestId('file-browser-confirm').click();
  await expect(browser).toBeHidden();
  const installed = dialog.locator('[data-testid="pack-row"][data-pack-id="e2e-copy@3.0.0"]');
  await expect(installed).toBeVisible();
  await expect(installed.getByTestId('pack-status')).toHaveText('OK');
  await expect(installed.getByTestId('test-pack-badge')).toBeVisible();
  expect(fs.readdirSync(path.join(userData.dir, 'packs'))).toEqual(['e2e-copy@3.0.0']);

  // Importing it again is refused with the registry's message, shown as is.
  await dialog.getByTestId('import-pack').click();
  await browser.getByTestId('file-browser-path').fill(packSource);
  await browser.getByTestId('file-browser-path').press('Enter');
  await expect(browser.getByTestId('file-browser-path')).toHaveValue(packSource);
  await browser.getByTestId('file-browser-confirm').click();
  await expect(page.getByTestId('toast').filter({ hasText: 'Pack e2e-copy@3.0.0 is already installed' })).toBeVisible();

  // Remove asks first.
  await installed.getByTestId('remove-pack').click();
  await expect(installed.getByTestId('remove-confirm')).toBeVisible();
  await installed.getByTestId('remove-pack-confirm').click();
  await expect(installed).toHaveCount(0);
  await expect(rows).toHaveCount(3);
  expect(fs.readdirSync(path.join(userData.dir, 'packs'))).toEqual([]);

  // Engine: CPU threads validated as typed, then saved.
  await dialog.getByTestId('settings-tab-engine').click();
  const threads = dialog.getByTestId('pref-threads');
  await expect(threads).toHaveValue('0');
  const save = dialog.getByTestId('save-engine-prefs');
  await threads.fill('-1');
  await expect(dialog.getByTestId('pref-threads-error')).toHaveText(/0 \(automatic\) or more/);
  await expect(save).toBeDisabled();
  await threads.fill('two');
  await expect(dialog.getByTestId('pref-threads-error')).toHaveText(/whole number/);
  await threads.fill('2');
  await expect(dialog.getByTestId('pref-threads-error')).toHaveCount(0);
  await expect(save).toBeEnabled();
  await save.click();
  await expect(page.getByTestId('toast').filter({ hasText: 'Engine preferences saved' })).toBeVisible();
  await expect(save).toBeDisabled();
  expect((await callApi(host.origin, host.token, 'prefs.getEngine', {})).threads).toBe(2);

  // After a reload the dialog opens with the shortcut and shows the stored value.
  await page.reload();
  await expect(page.getByTestId('editor')).toBeVisible();
  await expect(dialog).toBeHidden();
  await page.keyboard.press('Control+Comma');
  await expect(dialog).toBeVisible();
  await expect(dialog.getByTestId('pref-threads')).toHaveValue('2');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  expect(pageErrors).toEqual([]);
});

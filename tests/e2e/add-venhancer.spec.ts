// Settings › Model packs › Add VEnhancer… against the real web host and the real exporter (tiny model
// configurations, files in the released formats made at test time): the three downloads with where they come from
// and their sizes, Python found, the files found from their folder through the file browser, then the export as a
// background job with progress that installs a pack listed with its family and the device it runs on. The
// inspector's diffusion option without a pack leads to this dialog.
import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir } from '../helpers/media-fixtures';

const HELPER = path.resolve(__dirname, '..', 'helpers', 'venhancer_inputs.py');

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let work: ReturnType<typeof makeTempDir>;
let downloads: string;

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-venhancer-user-');
  work = makeTempDir('upframe-e2e-venhancer-work-');
  const made = path.join(work.dir, 'made');
  const r = spawnSync('/usr/bin/python3', [HELPER, 'inputs', made], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`venhancer_inputs.py failed: ${r.stderr}`);
  downloads = path.join(work.dir, 'downloads');
  fs.mkdirSync(path.join(downloads, 'svd'), { recursive: true });
  fs.copyFileSync(path.join(made, 'checkpoint.pt'), path.join(downloads, 'venhancer_v2.pt'));
  fs.cpSync(path.join(made, 'vae'), path.join(downloads, 'svd', 'vae'), { recursive: true });
  fs.copyFileSync(path.join(made, 'clip.bin'), path.join(downloads, 'open_clip_pytorch_model.bin'));
  host = await startHostProcess({ userDataDir: userData.dir, env: { UPFRAME_TEST_VENHANCER_TINY: path.join(made, 'tiny.json') } });
  await callApi(host.origin, host.token, 'project.create', { path: path.join(work.dir, 'venhancer.upframe') });
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  work?.cleanup();
});

test('Add VEnhancer… lists the downloads, finds them in a folder, exports and installs the pack with progress', async ({ page }) => {
  test.setTimeout(300_000);
  const pageErrors = watchErrors(page);
  await page.goto(host.url);
  await expect(page.getByTestId('editor')).toBeVisible();

  await page.getByTestId('settings-button').click();
  const settings = page.getByTestId('settings-dialog');
  await settings.getByTestId('settings-tab-packs').click();
  await settings.getByTestId('add-venhancer').click();
  const dialog = page.getByTestId('add-venhancer-dialog');
  await expect(dialog).toBeVisible();

  // What to download, from where, and how big.
  const downloadsRows = dialog.getByTestId('venhancer-download');
  await expect(downloadsRows).toHaveCount(3);
  await expect(downloadsRows.nth(0)).toContainText('venhancer_v2.pt');
  await expect(downloadsRows.nth(0)).toContainText('jwhejwhe/VEnhancer');
  await expect(downloadsRows.nth(0)).toContainText('GB');
  await expect(downloadsRows.nth(1)).toContainText('stabilityai/stable-video-diffusion-img2vid');
  await expect(downloadsRows.nth(2)).toContainText('open_clip_pytorch_model.bin');
  await expect(downloadsRows.nth(2)).toContainText('laion/CLIP-ViT-H-14-laion2B-s32B-b79K');
  await expect(dialog.getByTestId('venhancer-python')).toHaveAttribute('data-ok', 'true');
  await expect(dialog.getByTestId('venhancer-start')).toBeDisabled();

  // Find the three in the download folder through the built-in file browser.
  await dialog.getByTestId('venhancer-find').click();
  const browser = page.getByTestId('file-browser');
  await expect(browser).toBeVisible();
  await browser.getByTestId('file-browser-path').fill(downloads);
  await browser.getByTestId('file-browser-path').press('Enter');
  await expect(browser.getByTestId('file-browser-path')).toHaveValue(downloads);
  await browser.getByTestId('file-browser-confirm').click();
  await expect(browser).toBeHidden();
  await expect(dialog.getByTestId('venhancer-located')).toHaveText(`Found all three in ${downloads}.`);
  await expect(dialog.getByTestId('venhancer-input-checkpoint')).toHaveValue(path.join(downloads, 'venhancer_v2.pt'));
  await expect(dialog.getByTestId('venhancer-input-vae')).toHaveValue(path.join(downloads, 'svd', 'vae'));
  await expect(dialog.getByTestId('venhancer-input-clip')).toHaveValue(path.join(downloads, 'open_clip_pytorch_model.bin'));

  // Export and install: progress with a stage and a percentage, a cancel button while it runs, then done.
  await dialog.getByTestId('venhancer-start').click();
  const job = dialog.getByTestId('venhancer-job');
  await expect(job).toBeVisible();
  await expect(dialog.getByTestId('venhancer-cancel')).toBeVisible();
  await expect(dialog.getByTestId('venhancer-stage')).toHaveText(/^(Starting the exporter|Denoiser \(1\/\d\)|Text encoder|VAE|Tokenizer|Manifest|Verifying)/);
  await expect(job).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
  await expect(dialog.getByTestId('venhancer-summary')).toContainText(/^Installed .*@.*: pick it in the inspector/);
  await expect(dialog.getByTestId('venhancer-start')).toHaveText('Export and install again');

  // The pack is listed with its family and the device it will run on (CPU here: no GPU provider starts).
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(settings).toBeVisible();
  const rows = settings.locator('[data-testid="pack-row"][data-test-pack="true"]:not([data-pack-id^="analytic-test"]):not([data-pack-id^="tiny-venhancer-test"])');
  await expect(rows).toHaveCount(1);
  await expect(rows.getByTestId('pack-status')).toHaveText('OK');
  await expect(rows.getByTestId('pack-family')).toHaveText('VEnhancer, tiny test model');
  await expect(rows.getByTestId('pack-device')).toHaveText('CPU');
  await expect(settings.getByTestId('venhancer-job-row')).toHaveAttribute('data-state', 'done');
  // Nothing but installed packs in the packs folder: no staging or temporary folder.
  expect(fs.readdirSync(path.join(userData.dir, 'packs')).filter((n) => n.startsWith('.'))).toEqual([]);
  expect(pageErrors).toEqual([]);
});

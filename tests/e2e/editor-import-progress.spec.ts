// Importing through the built-in file browser shows a progress row (name, count, bar) that goes away when the
// import ends; Cancel and Esc stop a long import and nothing of it is added, in the bin or in the project file.
import { expect, test, type Page } from '@playwright/test';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

/** Enough files that the import runs for several seconds on a busy machine: cancel lands while it runs. */
const MANY = 40;

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let mediaDir: ReturnType<typeof makeTempDir>;
let fewDir: string;
let manyDir: string;

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-user-');
  mediaDir = makeTempDir('upframe-e2e-import-');
  fewDir = path.join(mediaDir.dir, 'few');
  manyDir = path.join(mediaDir.dir, 'many');
  mkdirSync(fewDir);
  mkdirSync(manyDir);
  for (let i = 0; i < 4; i++) {
    makeTestVideo(fewDir, { name: `clip-${i}`, width: 160, height: 120, fps: 24, durationSec: 1, pattern: i % 2 ? 'smptebars' : 'testsrc2' });
  }
  // Copies are distinct files to the importer; generating them would only take longer.
  const source = path.join(fewDir, 'clip-0.mp4');
  for (let i = 0; i < MANY; i++) copyFileSync(source, path.join(manyDir, `many-${String(i).padStart(2, '0')}.mp4`));
  host = await startHostProcess({ userDataDir: userData.dir });
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  mediaDir?.cleanup();
});

/** Opens the built-in browser in `dir`, selects every video file there and confirms. */
async function importFolder(page: Page, dir: string, count: number): Promise<void> {
  await page.getByTestId('import-button').click();
  const browser = page.getByTestId('file-browser');
  await expect(browser).toBeVisible();
  await browser.getByTestId('file-browser-path').fill(dir);
  await browser.getByTestId('file-browser-path').press('Enter');
  const entries = browser.locator('[data-testid="file-entry"][data-name$=".mp4"]');
  await expect(entries).toHaveCount(count);
  for (let i = 0; i < count; i++) await entries.nth(i).click();
  await browser.getByTestId('file-browser-confirm').click();
  await expect(browser).toBeHidden();
}

/** Records every label and bar value the progress rows show, so a brief row is still seen. */
async function recordProgressRows(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: { label: string; now: string | null; max: string | null }[] = [];
    (window as unknown as { progressSeen: typeof seen }).progressSeen = seen;
    const record = () => {
      for (const row of Array.from(document.querySelectorAll('[data-testid="import-progress"]'))) {
        const bar = row.querySelector('[role="progressbar"]');
        seen.push({
          label: row.querySelector('[data-testid="import-progress-label"]')?.textContent ?? '',
          now: bar?.getAttribute('aria-valuenow') ?? null,
          max: bar?.getAttribute('aria-valuemax') ?? null,
        });
      }
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
}

async function progressRowsSeen(page: Page) {
  return page.evaluate(() => (window as unknown as { progressSeen: { label: string; now: string | null; max: string | null }[] }).progressSeen);
}

async function progressEvents(page: Page): Promise<number> {
  return Number(await page.getByTestId('media-bin').getAttribute('data-import-progress-events'));
}

test('an import shows its progress and cancel leaves nothing behind', async ({ page }) => {
  const pageErrors = watchErrors(page);
  await page.goto(host.url);
  await page.getByTestId('new-project-path').fill(path.join(mediaDir.dir, 'progress.upframe'));
  await page.getByTestId('create-project').click();
  await expect(page.getByTestId('timeline')).toBeVisible();

  // A few clips: the row shows while they are probed, and is gone once they are in the bin.
  await recordProgressRows(page);
  await importFolder(page, fewDir, 4);
  await expect(page.getByTestId('bin-item')).toHaveCount(4);
  await expect(page.getByTestId('import-progress')).toHaveCount(0);
  await expect(page.getByTestId('import-errors')).toHaveCount(0);
  expect(await progressEvents(page)).toBeGreaterThanOrEqual(1);
  const seen = await progressRowsSeen(page);
  const importing = seen.filter((s) => /^Importing [1-4] of 4: clip-[0-3]\.mp4( — .+ left)?$/.test(s.label));
  expect(importing.length).toBeGreaterThan(0);
  expect(importing.every((s) => s.max === '4' && Number(s.now) >= 0 && Number(s.now) < 4)).toBe(true);
  const before = await callApi(host.origin, host.token, 'project.state', {});
  expect(before.media).toHaveLength(4);

  // Many files, cancelled with the button once the first file is done.
  const eventsBefore = await progressEvents(page);
  await importFolder(page, manyDir, MANY);
  const row = page.getByTestId('import-progress');
  await expect(row).toBeVisible();
  await expect(row.getByRole('progressbar')).toHaveAttribute('aria-valuemax', String(MANY));
  await expect(row.getByTestId('import-progress-label')).toHaveText(new RegExp(`^Importing \\d+ of ${MANY}: many-\\d\\d\\.mp4`));
  await row.getByTestId('import-cancel').click();
  await expect(row).toHaveCount(0);
  await expect(page.locator('[data-testid="toast"]', { hasText: 'Import cancelled: nothing was imported.' })).toHaveCount(1);
  expect(await progressEvents(page)).toBeGreaterThan(eventsBefore);
  await expect(page.getByTestId('bin-item')).toHaveCount(4);
  const afterCancel = await callApi(host.origin, host.token, 'project.state', {});
  expect(afterCancel.media.map((m) => m.id)).toEqual(before.media.map((m) => m.id));
  expect(afterCancel.revision).toBe(before.revision);

  // The same with Esc while the row is shown.
  await importFolder(page, manyDir, MANY);
  await expect(row).toBeVisible();
  await expect(row.getByTestId('import-progress-label')).toHaveText(new RegExp(`^Importing \\d+ of ${MANY}:`));
  await page.keyboard.press('Escape');
  await expect(row).toHaveCount(0);
  await expect(page.locator('[data-testid="toast"]', { hasText: 'Import cancelled: nothing was imported.' })).toHaveCount(2);
  await expect(page.getByTestId('bin-item')).toHaveCount(4);
  const afterEsc = await callApi(host.origin, host.token, 'project.state', {});
  expect(afterEsc.revision).toBe(before.revision);
  expect(afterEsc.media).toHaveLength(4);

  expect(pageErrors).toEqual([]);
  await expect(page.locator('[data-testid="toast"].toast-error')).toHaveCount(0);
});

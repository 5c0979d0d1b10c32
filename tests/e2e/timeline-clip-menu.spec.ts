// The clip menu on the timeline (right-click), against the real web host: it names the clip, applies a preset as
// one undoable edit, reveals the clip's media in the pool, splits at the playhead and ripple-deletes; a right-click
// off the clips opens nothing.
import { expect, test } from '@playwright/test';
import path from 'node:path';
import { expectPlayhead, pxPerFrame, watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let work: ReturnType<typeof makeTempDir>;

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-menu-user-');
  work = makeTempDir('upframe-e2e-menu-');
  const alpha = makeTestVideo(work.dir, { name: 'alpha', width: 160, height: 120, fps: 24, durationSec: 2 });
  const beta = makeTestVideo(work.dir, { name: 'beta', width: 160, height: 120, fps: 24, durationSec: 2, pattern: 'smptebars' });
  host = await startHostProcess({ userDataDir: userData.dir });
  const created = await callApi(host.origin, host.token, 'project.create', { path: path.join(work.dir, 'menu.upframe') });
  const { imported } = await callApi(host.origin, host.token, 'media.import', { paths: [alpha, beta] });
  const track = created.tracks[0].id;
  await callApi(host.origin, host.token, 'timeline.addClip', { mediaId: imported[0].id, trackId: track, start: 0 });
  await callApi(host.origin, host.token, 'timeline.addClip', { mediaId: imported[1].id, trackId: track, start: 48 });
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  work?.cleanup();
});

test('the clip menu applies a preset, reveals the media, splits and ripple-deletes', async ({ page }) => {
  const pageErrors = watchErrors(page);
  await page.goto(host.url);
  const clips = page.getByTestId('clip');
  await expect(clips).toHaveCount(2);
  const alpha = page.locator('[data-testid="clip"][data-start="0"]');
  const beta = page.locator('[data-testid="clip"][data-start="48"]');

  // Off the clips: no menu.
  const lane = await page.getByTestId('timeline').boundingBox();
  await page.mouse.click(lane!.x + lane!.width - 20, lane!.y + lane!.height - 20, { button: 'right' });
  await expect(page.getByTestId('clip-menu')).toHaveCount(0);

  // On alpha: the menu names it and selects it.
  await alpha.click({ button: 'right', position: { x: 20, y: 20 } });
  const menu = page.getByTestId('clip-menu');
  await expect(menu).toBeVisible();
  await expect(menu).toContainText('alpha.mp4');
  await expect(alpha).toHaveAttribute('data-selected', 'true');
  // The playhead (frame 0) is not inside alpha: Split is offered but disabled.
  await expect(menu.getByTestId('clip-menu-split')).toHaveAttribute('data-disabled', '');

  // Apply preset ▸ Interpolate x2: alpha's target rate becomes twice its own, as one history entry.
  await menu.getByTestId('clip-menu-presets').hover();
  await page.getByTestId('clip-menu-preset').filter({ hasText: 'Interpolate x2' }).click();
  await expect(menu).toHaveCount(0);
  await expect
    .poll(async () => (await callApi(host.origin, host.token, 'project.state', {})).clips.find((c) => c.start === 0)?.settings.targetFps)
    .toBe(48);
  await page.getByTestId('right-tab-history').click();
  await expect(page.getByTestId('history-entry').first()).toHaveText(/^Frame rate source → 48 on alpha\.mp4/);

  // Reveal in media pool: beta's bin item is highlighted.
  await beta.click({ button: 'right', position: { x: 20, y: 20 } });
  await page.getByTestId('clip-menu-reveal').click();
  await expect(page.locator('[data-testid="bin-item"][data-name="beta.mp4"]')).toHaveAttribute('data-revealed', 'true');

  // Split beta at the playhead (frame 60), then ripple-delete alpha: beta's halves close the gap.
  const px = await pxPerFrame(page);
  const ruler = await page.getByTestId('ruler').boundingBox();
  await page.mouse.click(ruler!.x + 60 * px, ruler!.y + ruler!.height / 2);
  await expectPlayhead(page, 60);
  await beta.click({ button: 'right', position: { x: 5, y: 20 } });
  await page.getByTestId('clip-menu-split').click();
  await expect(clips).toHaveCount(3);
  await alpha.click({ button: 'right', position: { x: 20, y: 20 } });
  await expect(page.getByTestId('clip-menu')).toContainText('alpha.mp4');
  await page.getByTestId('clip-menu-ripple').click();
  await expect(clips).toHaveCount(2);
  const starts = await clips.evaluateAll((els) => els.map((el) => Number((el as HTMLElement).dataset.start)).sort((a, b) => a - b));
  expect(starts).toEqual([0, 12]);
  expect(pageErrors).toEqual([]);
  await expect(page.locator('[data-testid="toast"].toast-error')).toHaveCount(0);
});

// Create a project, import two clips through the built-in file browser, place them by dragging from the bin,
// trim one, split the other, undo/redo from the keyboard, reload: the timeline and the stored state match.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import { expectPlayhead, pxPerFrame, watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

type UiClip = { id: number; start: number; duration: number; sourceIn: number; sourceOut: number; trackId: number };

/** The clips as the timeline draws them (its data attributes), sorted by id. */
async function uiClips(page: Page): Promise<UiClip[]> {
  const clips = await page.getByTestId('clip').evaluateAll((els) =>
    els.map((el) => {
      const d = (el as HTMLElement).dataset;
      return {
        id: Number(d.clipId),
        start: Number(d.start),
        duration: Number(d.duration),
        sourceIn: Number(d.sourceIn),
        sourceOut: Number(d.sourceOut),
        trackId: Number(d.trackId),
      };
    }),
  );
  return clips.sort((a, b) => a.id - b.id);
}

/** The clips as 'project.state' returns them, in the same shape. */
async function apiClips(host: HostProcess): Promise<UiClip[]> {
  const state = await callApi(host.origin, host.token, 'project.state', {});
  return state.clips
    .map((c) => ({
      id: c.id,
      start: c.start,
      duration: c.sourceOut - c.sourceIn,
      sourceIn: c.sourceIn,
      sourceOut: c.sourceOut,
      trackId: c.trackId,
    }))
    .sort((a, b) => a.id - b.id);
}

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let projectDir: ReturnType<typeof makeTempDir>;

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-user-');
  projectDir = makeTempDir('upframe-e2e-project-');
  makeTestVideo(projectDir.dir, { name: 'alpha', width: 160, height: 120, fps: 24, durationSec: 2 });
  makeTestVideo(projectDir.dir, { name: 'beta', width: 160, height: 120, fps: 24, durationSec: 2, pattern: 'smptebars' });
  host = await startHostProcess({ userDataDir: userData.dir });
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  projectDir?.cleanup();
});

test('edits made in the editor survive a reload exactly', async ({ page }) => {
  const pageErrors = watchErrors(page);
  await page.goto(host.url);
  await expect(page.getByTestId('project-screen')).toBeVisible();

  // New project through the start screen.
  const projectFile = path.join(projectDir.dir, 'e2e.upframe');
  await page.getByTestId('new-project-path').fill(projectFile);
  await page.getByTestId('create-project').click();
  await expect(page.getByTestId('timeline')).toBeVisible();
  await expect(page.getByTestId('project-name')).toHaveText('e2e');

  // Import both clips through the built-in file browser (the web host has no native dialog).
  await page.getByTestId('import-button').click();
  const browser = page.getByTestId('file-browser');
  await expect(browser).toBeVisible();
  await browser.getByTestId('file-browser-path').fill(projectDir.dir);
  await browser.getByTestId('file-browser-path').press('Enter');
  await browser.locator('[data-testid="file-entry"][data-name="alpha.mp4"]').click();
  await browser.locator('[data-testid="file-entry"][data-name="beta.mp4"]').click();
  await browser.getByTestId('file-browser-confirm').click();
  await expect(browser).toBeHidden();
  const binItems = page.getByTestId('bin-item');
  await expect(binItems).toHaveCount(2);
  await expect(page.getByTestId('import-errors')).toHaveCount(0);

  // Place both clips by dragging from the bin onto the first track.
  const px = await pxPerFrame(page);
  const track = page.getByTestId('track-0');
  await binItems.filter({ hasText: 'alpha' }).dragTo(track, { targetPosition: { x: 20 * px, y: 20 } });
  await expect(page.getByTestId('clip')).toHaveCount(1);
  await binItems.filter({ hasText: 'beta' }).dragTo(track, { targetPosition: { x: 100 * px, y: 20 } });
  await expect(page.getByTestId('clip')).toHaveCount(2);
  const placed = await uiClips(page);
  const [alpha, beta] = placed.sort((a, b) => a.start - b.start);
  expect(alpha.start).toBe(20);
  expect(beta.start).toBe(100);
  expect(alpha.duration).toBe(48);
  expect(beta.duration).toBe(48);

  // Trim alpha's end by 10 frames with its right handle.
  const alphaClip = page.locator(`[data-testid="clip"][data-clip-id="${alpha.id}"]`);
  const handle = await alphaClip.getByTestId('clip-trim-right').boundingBox();
  expect(handle).not.toBeNull();
  await page.mouse.move(handle!.x + handle!.width / 2, handle!.y + handle!.height / 2);
  await page.mouse.down();
  await page.mouse.move(handle!.x + handle!.width / 2 - 5 * px, handle!.y + 10, { steps: 4 });
  await page.mouse.move(handle!.x + handle!.width / 2 - 10 * px, handle!.y + 10, { steps: 4 });
  // While dragging, the timeline says where the edge lands and by how much.
  await expect(page.getByTestId('drag-readout')).toHaveText(/^End \d\d:\d\d:\d\d:\d\d · −10 frames · length 00:00:01:14$/);
  await page.mouse.up();
  await expect(page.getByTestId('drag-readout')).toHaveCount(0);
  await expect(alphaClip).toHaveAttribute('data-duration', '38');
  await expect(alphaClip).toHaveAttribute('data-source-out', '38');

  // A trim can never pull the out point past the media's end.
  const handleAgain = await alphaClip.getByTestId('clip-trim-right').boundingBox();
  await page.mouse.move(handleAgain!.x + handleAgain!.width / 2, handleAgain!.y + 10);
  await page.mouse.down();
  await page.mouse.move(handleAgain!.x + 30 * px, handleAgain!.y + 10, { steps: 6 });
  await page.mouse.up();
  await expect(alphaClip).toHaveAttribute('data-source-out', '48');

  // Add a track and drag alpha onto it, 8 frames later (the move shows at once and is kept by the store).
  await page.getByTestId('add-track').click();
  await expect(page.getByTestId('track-1')).toBeVisible();
  const track1Id = Number(await page.getByTestId('track-1').getAttribute('data-track-id'));
  const body = await alphaClip.boundingBox();
  const grabX = body!.x + body!.width / 2;
  const grabY = body!.y + 20;
  const rowHeight = (await track.boundingBox())!.height;
  await page.mouse.move(grabX, grabY);
  await page.mouse.down();
  await page.mouse.move(grabX + 4 * px, grabY - rowHeight / 2, { steps: 4 });
  await page.mouse.move(grabX + 8 * px, grabY - rowHeight, { steps: 4 });
  await expect(page.getByTestId('drag-readout')).toHaveText(/^Move to \d\d:\d\d:\d\d:\d\d · \+8 frames · up 1 track$/);
  await page.mouse.up();
  await expect(alphaClip).toHaveAttribute('data-start', '28');
  await expect(alphaClip).toHaveAttribute('data-track-id', String(track1Id));
  await expect(page.getByTestId('track-1').getByTestId('clip')).toHaveCount(1);

  // Split beta at the playhead (scrub the ruler to frame 120, select beta, press S).
  const ruler = await page.getByTestId('ruler').boundingBox();
  await page.mouse.click(ruler!.x + 120 * px, ruler!.y + ruler!.height / 2);
  await expectPlayhead(page, 120);
  await page.locator(`[data-testid="clip"][data-clip-id="${beta.id}"]`).click({ position: { x: 5 * px, y: 30 } });
  await page.keyboard.press('s');
  await expect(page.getByTestId('clip')).toHaveCount(3);
  const afterSplit = (await uiClips(page)).filter((c) => c.start >= 100).sort((a, b) => a.start - b.start);
  expect(afterSplit.map((c) => [c.start, c.duration])).toEqual([
    [100, 20],
    [120, 28],
  ]);

  // Undo the split, redo it.
  await page.keyboard.press('Control+z');
  await expect(page.getByTestId('clip')).toHaveCount(2);
  await page.keyboard.press('Control+Shift+z');
  await expect(page.getByTestId('clip')).toHaveCount(3);
  await page.getByTestId('right-tab-history').click();
  await expect(page.getByTestId('history-entry').first()).toHaveAttribute('data-current', 'true');
  await expect(page.getByTestId('history-entry').first()).toHaveAttribute('data-undone', 'false');

  const uiBefore = await uiClips(page);
  const apiBefore = await apiClips(host);
  expect(uiBefore).toEqual(apiBefore);

  await page.reload();
  await expect(page.getByTestId('timeline')).toBeVisible();
  await expect(page.getByTestId('clip')).toHaveCount(3);
  expect(await uiClips(page)).toEqual(uiBefore);
  expect(await apiClips(host)).toEqual(apiBefore);
  await expect(page.getByTestId('bin-item')).toHaveCount(2);

  // The history panel jumps: the entry before the split undoes it; the split entry redoes it.
  const entries = page.getByTestId('history-entry');
  await entries.nth(1).click();
  await expect(page.getByTestId('clip')).toHaveCount(2);
  await expect(entries.first()).toHaveAttribute('data-undone', 'true');
  await expect(entries.nth(1)).toHaveAttribute('data-current', 'true');
  await entries.first().click();
  await expect(page.getByTestId('clip')).toHaveCount(3);
  await expect(entries.first()).toHaveAttribute('data-current', 'true');
  expect(await apiClips(host)).toEqual(apiBefore);
  // The history says what each edit changed, on which clip.
  await expect(entries.filter({ hasText: /^Split beta\.mp4/ })).toHaveCount(1);
  await expect(entries.filter({ hasText: /^Trim end of alpha\.mp4 −10 frames/ })).toHaveCount(1);

  // Track headers: hiding V1 takes its clip out of the viewer; muting V1 silences it; each is one undoable edit.
  await page.getByTestId('project-name').click();
  const ruler2 = await page.getByTestId('ruler').boundingBox();
  await page.mouse.click(ruler2!.x + 110 * px, ruler2!.y + ruler2!.height / 2);
  await expectPlayhead(page, 110);
  await expect(page.getByTestId('viewer-video')).toHaveCount(1);
  const v1 = page.getByTestId('track-header').filter({ hasText: 'V1' });
  await v1.getByTestId('track-visibility').click();
  await expect(v1.getByTestId('track-visibility')).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByTestId('viewer-video')).toHaveCount(0);
  await expect(entries.first()).toHaveText(/^Hide V1/);
  await page.keyboard.press('Control+z');
  await expect(v1.getByTestId('track-visibility')).toHaveAttribute('aria-pressed', 'false');
  await expect(page.getByTestId('viewer-video')).toHaveCount(1);
  await v1.getByTestId('track-mute').click();
  await expect(page.getByTestId('viewer-video')).toHaveAttribute('data-muted', 'true');
  await expect(entries.first()).toHaveText(/^Mute the audio of V1/);
  expect((await callApi(host.origin, host.token, 'project.state', {})).tracks.find((t) => t.name === 'V1')).toMatchObject({ muted: true, hidden: false });

  // Locking V1: its clips are not dragged; unlocking lets them move again.
  await v1.getByTestId('track-lock').click();
  await expect(v1.getByTestId('track-lock')).toHaveAttribute('aria-pressed', 'true');
  await expect(entries.first()).toHaveText(/^Lock V1/);
  const v1Id = (await callApi(host.origin, host.token, 'project.state', {})).tracks.find((t) => t.name === 'V1')!.id;
  const lockedClip = page.locator(`[data-testid="clip"][data-track-id="${v1Id}"]`).first();
  const lockedStart = await lockedClip.getAttribute('data-start');
  const box = (await lockedClip.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2, { steps: 5 });
  await page.mouse.up();
  await expect(lockedClip).toHaveAttribute('data-start', lockedStart!);
  await expect(page.locator('[data-testid="toast"].toast-error')).toHaveCount(0); // not even attempted
  await expect(entries.first()).toHaveText(/^Lock V1/);
  await v1.getByTestId('track-lock').click();
  await expect(entries.first()).toHaveText(/^Unlock V1/);
  expect(pageErrors).toEqual([]);
  await expect(page.locator('[data-testid="toast"].toast-error')).toHaveCount(0);
});

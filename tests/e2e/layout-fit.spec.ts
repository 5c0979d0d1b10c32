// Visual check of the main flow at 1280x720 and 1920x1080: every panel and dialog fits the window and its key
// controls sit inside their container (no clipping); the options that cannot work here say so where they are
// chosen (diffusion presets without a pack, hardware encoders without the hardware, the provider that really
// starts). Screenshots of each step are kept in test-results/<test>/ .
import { expect, test, type Locator, type Page } from '@playwright/test';
import path from 'node:path';
import { watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let projectDir: ReturnType<typeof makeTempDir>;

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-user-');
  projectDir = makeTempDir('upframe-e2e-project-');
  const video = makeTestVideo(projectDir.dir, { name: 'layout', width: 160, height: 120, fps: 24, durationSec: 2 });
  host = await startHostProcess({ userDataDir: userData.dir });
  await callApi(host.origin, host.token, 'project.create', { path: path.join(projectDir.dir, 'layout.upframe'), name: 'layout' });
  const imported = await callApi(host.origin, host.token, 'media.import', { paths: [video] });
  expect(imported.errors).toEqual([]);
  await callApi(host.origin, host.token, 'timeline.addClip', { mediaId: imported.imported[0].id, trackId: imported.state.tracks[0].id, start: 0 });
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  projectDir?.cleanup();
});

type Box = { x: number; y: number; width: number; height: number };

async function box(locator: Locator): Promise<Box> {
  await expect(locator).toBeVisible();
  const b = await locator.boundingBox();
  expect(b, 'element has a box').not.toBeNull();
  return b!;
}

/** The element lies inside the container (1 px of rounding allowed). */
async function expectInside(element: Locator, container: Locator | { width: number; height: number }, what: string) {
  const e = await box(element);
  const c = 'width' in container && !('boundingBox' in container) ? { x: 0, y: 0, ...container } : await box(container as Locator);
  const inside = e.x >= c.x - 1 && e.y >= c.y - 1 && e.x + e.width <= c.x + c.width + 1 && e.y + e.height <= c.y + c.height + 1;
  expect(inside, `${what}: ${JSON.stringify(e)} inside ${JSON.stringify(c)}`).toBe(true);
}

/** Content taller than its box must scroll there rather than be cut off. */
async function expectScrollsOrFits(locator: Locator, what: string) {
  const ok = await locator.evaluate((el) => {
    if (el.scrollHeight <= el.clientHeight + 1) return true;
    const overflow = getComputedStyle(el).overflowY;
    return overflow === 'auto' || overflow === 'scroll';
  });
  expect(ok, `${what} fits or scrolls`).toBe(true);
}

async function shot(page: Page, name: string) {
  await page.screenshot({ path: test.info().outputPath(`${name}.png`) });
}

for (const viewport of [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
]) {
  test(`the main flow fits at ${viewport.width}x${viewport.height}`, async ({ page }) => {
    const errors = watchErrors(page);
    await page.setViewportSize(viewport);
    await page.goto(host.url);
    const tag = `${viewport.width}x${viewport.height}`;

    // The edit page: every panel inside the window, the viewer the largest of the top row.
    const panels = ['toolbar', 'media-bin', 'right-panel', 'timeline'];
    await expect(page.getByTestId('clip')).toHaveCount(1);
    for (const id of panels) await expectInside(page.getByTestId(id).first(), viewport, id);
    for (const id of ['undo-button', 'play-button', 'preview-button', 'export-button', 'settings-button', 'shortcuts-button', 'close-project']) {
      await expectInside(page.getByTestId(id), page.getByTestId('toolbar'), id);
    }
    const viewer = await box(page.locator('.viewer-area').first());
    const bin = await box(page.getByTestId('media-bin').first());
    const side = await box(page.getByTestId('right-panel'));
    expect(viewer.width).toBeGreaterThan(bin.width);
    expect(viewer.width).toBeGreaterThan(side.width);
    // The clip's filmstrip fills in (small thumbnails stand in until each slot's own arrives).
    await expect(page.locator('.filmstrip-thumb').first()).toBeVisible({ timeout: 30_000 });
    await expect(page.locator('.filmstrip-thumb[data-detail="false"]')).toHaveCount(0, { timeout: 30_000 });
    await shot(page, `${tag}-editor`);

    // The play button keeps its place and size when its label changes.
    const before = await box(page.getByTestId('play-button'));
    await page.getByTestId('play-button').click();
    const playing = await box(page.getByTestId('play-button'));
    await page.getByTestId('play-button').click();
    expect(playing).toEqual(before);

    // The inspector of the selected clip: the diffusion presets say they need a pack, with the way to get one.
    await page.getByTestId('clip').click();
    await page.getByTestId('right-tab-inspector').click();
    const inspector = page.getByTestId('inspector-form');
    await expectInside(page.getByTestId('preset-select'), page.getByTestId('right-panel'), 'preset select');
    const aiPreset = page.getByTestId('preset-select').locator('option', { hasText: 'AI clip x4, 24 fps' });
    await expect(aiPreset).toBeDisabled();
    await expect(inspector.getByTestId('preset-unavailable')).toContainText('needs a VEnhancer model pack; none is installed');
    await shot(page, `${tag}-inspector`);
    // Its sections fold (remembered across a reload); the output summary stays in view below them.
    await page.getByTestId('inspector-section-toggle-presets').click();
    await expect(page.getByTestId('inspector-section-presets')).toHaveAttribute('data-open', 'false');
    await expect(page.getByTestId('preset-select')).toHaveCount(0);
    await expectInside(page.getByTestId('settings-output'), page.getByTestId('right-panel'), 'output summary');
    await page.reload();
    await page.getByTestId('clip').click();
    await expect(page.getByTestId('inspector-section-presets')).toHaveAttribute('data-open', 'false');
    await page.getByTestId('inspector-section-toggle-presets').click();
    await expect(page.getByTestId('preset-select')).toBeVisible();

    // The shortcuts dialog fits (its table scrolls inside it).
    await page.getByTestId('shortcuts-button').click();
    const help = page.getByTestId('help-overlay');
    await expectInside(help, viewport, 'shortcuts dialog');
    await expectScrollsOrFits(page.getByTestId('help-scroll'), 'shortcuts table');
    await expect(help).toContainText('Alt + X');
    await shot(page, `${tag}-shortcuts`);
    await page.keyboard.press('Escape');
    await expect(help).toBeHidden();

    // Settings › Engine says what will really run, from a real session start.
    await page.getByTestId('settings-button').click();
    const settings = page.getByTestId('settings-dialog');
    await expectInside(settings, viewport, 'settings dialog');
    await expect(page.getByTestId('provider-effective')).toContainText('Will run on:', { timeout: 60_000 });
    expect(await page.getByTestId('provider-effective').getAttribute('data-runs')).toMatch(/^(cuda|cpu|dml|coreml)$/);
    const tabs = ['engine', 'packs', 'cache'];
    const tabBoxes = [];
    for (const t of tabs) tabBoxes.push(await box(page.getByTestId(`settings-tab-${t}`)));
    await shot(page, `${tag}-settings-engine`);
    await page.getByTestId('settings-tab-packs').click();
    for (const [i, t] of tabs.entries()) expect(await box(page.getByTestId(`settings-tab-${t}`))).toEqual(tabBoxes[i]);
    await expectInside(settings, viewport, 'settings dialog (packs)');
    await shot(page, `${tag}-settings-packs`);
    await page.getByTestId('settings-close').click();

    // The export dialog: inside the window; encoders this machine cannot run are disabled, with the reason.
    await page.getByTestId('export-button').click();
    const exportDialog = page.getByTestId('export-dialog');
    await expectInside(exportDialog, viewport, 'export dialog');
    await expect(page.getByTestId('export-codec')).toBeEnabled({ timeout: 60_000 });
    await expect(page.getByTestId('export-codec')).toHaveValue('h264');
    const vaapi = page.getByTestId('export-codec-h264_vaapi');
    if ((await vaapi.count()) > 0 && (await vaapi.isDisabled())) {
      await expect(page.getByTestId('export-codec-unavailable')).toBeVisible();
      await page.getByTestId('export-codec-unavailable').locator('summary').click();
      await expect(page.getByTestId('export-codec-unavailable')).toContainText('VA-API');
    }
    await expectScrollsOrFits(exportDialog, 'export dialog');
    await shot(page, `${tag}-export`);
    await page.getByTestId('export-close').click();

    // The render queue opens under the timeline and fits.
    await page.getByTestId('queue-toggle').click();
    await expectInside(page.getByTestId('render-queue'), viewport, 'render queue');
    await expect(page.getByTestId('render-queue-summary')).toHaveText('empty');
    await shot(page, `${tag}-queue`);
    await page.getByTestId('queue-toggle').click();

    expect(errors).toEqual([]);
  });
}

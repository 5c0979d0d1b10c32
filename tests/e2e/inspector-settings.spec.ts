// The clip inspector against the real web host: settings typed or chosen in the inspector are stored per clip
// (read back through the API) and undone with Ctrl+Z; an out-of-range value shows an inline message and sends
// nothing; a change to two clips merges into each clip's own settings; a built-in preset applies (its rate
// multiplier becomes each clip's own target rate); a saved preset survives a reload; the output summary shows the
// size and frames the settings produce; the render-status bar shows one "none" range per clip on a fresh project.
import { expect, test, type Page } from '@playwright/test';
import path from 'node:path';
import type { MethodInput, MethodName, MethodOutput } from '../../main/common/api';
import type { Clip } from '../../main/common/model';
import { watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let work: ReturnType<typeof makeTempDir>;
let alphaId: number;
let betaId: number;

function api<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  return callApi(host.origin, host.token, method, input);
}

async function storedClip(id: number): Promise<Clip> {
  const state = await api('project.state', {});
  const clip = state.clips.find((c) => c.id === id);
  if (!clip) throw new Error(`clip ${id} is not in the project`);
  return clip;
}

async function historyTotal(): Promise<number> {
  return (await api('history.list', { limit: 200 })).total;
}

const clipEl = (page: Page, id: number) => page.locator(`[data-testid="clip"][data-clip-id="${id}"]`);

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-inspector-user-');
  work = makeTempDir('upframe-e2e-inspector-work-');
  const alpha = makeTestVideo(work.dir, { name: 'alpha', width: 160, height: 120, fps: 24, durationSec: 2 });
  const beta = makeTestVideo(work.dir, { name: 'beta', width: 160, height: 120, fps: 24, durationSec: 2, pattern: 'smptebars' });
  host = await startHostProcess({ userDataDir: userData.dir });
  // Set-up through the API: this spec is about the inspector, not about building the timeline.
  await api('project.create', { path: path.join(work.dir, 'inspector.upframe'), name: 'inspector', fps: { num: 24, den: 1 } });
  const imported = await api('media.import', { paths: [alpha, beta] });
  expect(imported.errors).toEqual([]);
  const trackId = imported.state.tracks[0].id;
  const [a, b] = imported.imported;
  await api('timeline.addClip', { mediaId: a.id, trackId, start: 0, sourceIn: 0, sourceOut: 48 });
  const state = await api('timeline.addClip', { mediaId: b.id, trackId, start: 60, sourceIn: 0, sourceOut: 36 });
  alphaId = state.clips.find((c) => c.mediaId === a.id)!.id;
  betaId = state.clips.find((c) => c.mediaId === b.id)!.id;
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  work?.cleanup();
});

test('inspector edits are stored per clip, undoable, validated, applied to several clips, and presets persist', async ({ page }) => {
  const pageErrors = watchErrors(page);
  await page.goto(host.url);
  await expect(page.getByTestId('editor')).toBeVisible();

  // A fresh project: one range per clip on the status bar, nothing enhanced yet.
  const ranges = page.getByTestId('render-status-range');
  await expect(ranges).toHaveCount(2);
  for (const [id, start, end] of [
    [alphaId, 0, 48],
    [betaId, 60, 96],
  ]) {
    const range = page.locator(`[data-testid="render-status-range"][data-clip-id="${id}"]`);
    await expect(range).toHaveAttribute('data-state', 'none');
    await expect(range).toHaveAttribute('data-start', String(start));
    await expect(range).toHaveAttribute('data-end', String(end));
  }

  // Nothing selected: the inspector asks for a clip.
  const inspector = page.getByTestId('inspector');
  await expect(inspector).toContainText('Select a clip');

  // One clip: classic engine at scale 1 gives the source size and the trimmed range's frames.
  await clipEl(page, alphaId).click();
  await expect(inspector.getByTestId('settings-engine')).toHaveValue('classic');
  const output = inspector.getByTestId('settings-output');
  await expect(output).toContainText('160×120 · 24 fps · 48 frames');
  await expect(inspector.getByTestId('settings-noise')).toHaveCount(0);

  // Scale 2, committed with Enter: stored, and the summary follows.
  const historyBefore = await historyTotal();
  const scale = inspector.getByTestId('settings-scale');
  await scale.fill('2');
  await expect(inspector.getByTestId('settings-apply')).toBeVisible();
  await scale.press('Enter');
  await expect.poll(async () => (await storedClip(alphaId)).settings.scale).toBe(2);
  await expect(output).toContainText('320×240 · 24 fps · 48 frames');
  await expect(inspector.getByTestId('settings-apply')).toHaveCount(0);
  // Leaving the field after Enter sends nothing more: one change, one history entry.
  await inspector.getByTestId('inspector-title').click();
  expect(await historyTotal()).toBe(historyBefore + 1);
  expect((await api('history.list', { limit: 1 })).entries[0].label).toBe('Scale 1 → 2 on alpha.mp4');

  // Ctrl+Z reverts it, in the store and in the field.
  await page.keyboard.press('Control+z');
  await expect.poll(async () => (await storedClip(alphaId)).settings.scale).toBe(1);
  await expect(scale).toHaveValue('1');

  // Engine: diffusion shows its own fields and the test packs, labelled as test packs.
  await inspector.getByTestId('settings-engine').selectOption('diffusion');
  await expect.poll(async () => (await storedClip(alphaId)).settings.engine).toBe('diffusion');
  await expect(inspector.getByTestId('settings-noise')).toBeVisible();
  // The pack list arrives with its own query: wait for it rather than read the options once.
  await expect(inspector.getByTestId('settings-pack').locator('option', { hasText: /test pack/i })).toHaveCount(2);
  await expect(inspector.getByTestId('settings-pack').locator('option', { hasText: /ESRGAN/ })).toHaveCount(0);
  await expect(inspector.getByTestId('settings-denoise')).toHaveCount(0);

  // Out of range: an inline message, and nothing sent.
  const historyBeforeBad = await historyTotal();
  await scale.fill('12');
  await scale.press('Enter');
  const error = inspector.getByTestId('settings-error');
  await expect(error).toBeVisible();
  await expect(error).toContainText(/Scale must be from 1 to 8/);
  await expect(scale).toHaveAttribute('aria-invalid', 'true');
  await inspector.getByTestId('settings-noise').fill('400');
  await inspector.getByTestId('settings-noise').press('Enter');
  await expect(inspector.locator('[data-testid="settings-error"][data-field="noise"]')).toContainText(/0 to 300/);
  expect((await storedClip(alphaId)).settings.scale).toBe(1);
  expect((await storedClip(alphaId)).settings.noise).toBe(250);
  expect(await historyTotal()).toBe(historyBeforeBad);
  // Escape drops the typed text and its message.
  await scale.press('Escape');
  await inspector.getByTestId('settings-noise').press('Escape');
  await expect(error).toHaveCount(0);
  await expect(scale).toHaveValue('1');

  // Target fps shows the inserted frames and the resulting rate.
  const targetFps = inspector.getByTestId('settings-target-fps');
  await targetFps.fill('48');
  await expect(inspector.getByTestId('settings-fps-note')).toHaveText('k = 1 inserted → 48 fps');
  await targetFps.fill('30');
  await expect(inspector.getByTestId('settings-fps-note')).toHaveText('k = 0 inserted → 24 fps; exports convert to exactly 30 fps');
  await targetFps.press('Escape');

  // Two clips: engines differ (Mixed); scale 3 goes to both, each keeping its own engine.
  await clipEl(page, betaId).click({ modifiers: ['Shift'] });
  await expect(inspector).toHaveAttribute('data-clip-count', '2');
  await expect(inspector.getByTestId('settings-engine')).toHaveValue('__mixed');
  await inspector.getByTestId('settings-scale').fill('3');
  await inspector.getByTestId('settings-scale').press('Enter');
  await expect.poll(async () => [(await storedClip(alphaId)).settings.scale, (await storedClip(betaId)).settings.scale]).toEqual([3, 3]);
  expect((await storedClip(alphaId)).settings.engine).toBe('diffusion');
  expect((await storedClip(betaId)).settings.engine).toBe('classic');
  await expect(inspector.getByTestId('settings-scale')).toHaveValue('3');

  // A built-in preset: "Interpolate x2" sets classic and each clip's own rate times 2.
  await inspector.getByTestId('preset-select').selectOption({ label: 'Interpolate x2' });
  await expect
    .poll(async () => {
      const [a, b] = [await storedClip(alphaId), await storedClip(betaId)];
      return [a.settings.engine, a.settings.targetFps, a.settings.scale, b.settings.engine, b.settings.targetFps];
    })
    .toEqual(['classic', 48, 1, 'classic', 48]);
  // 48 source frames with one inserted between each pair: 95 output frames.
  await expect(output).toContainText('160×120 · 48 fps · 95 frames');

  // Save the first clip's settings as a preset (the name is required).
  await inspector.getByTestId('preset-save').click();
  const dialog = page.getByTestId('preset-dialog');
  await expect(dialog).toBeVisible();
  await dialog.getByTestId('preset-save-confirm').click();
  await expect(dialog.getByTestId('preset-name-error')).toHaveText('Name the preset.');
  await dialog.getByTestId('preset-name').fill('Smooth e2e');
  await dialog.getByTestId('preset-save-confirm').click();
  await expect(dialog).toBeHidden();
  const saved = (await api('presets.list', {})).find((p) => p.name === 'Smooth e2e');
  expect(saved?.builtin).toBe(false);
  expect(saved?.settings.targetFps).toBe(48);

  // The status bar still has one range per clip; nothing was enhanced.
  await expect(ranges).toHaveCount(2);
  await expect(page.locator('[data-testid="render-status-range"][data-state="none"]')).toHaveCount(2);

  // After a reload: the stored settings show, and the saved preset is offered and applies.
  await api('clip.setSettings', { clipIds: [betaId], settings: { ...(await storedClip(betaId)).settings, targetFps: null, scale: 2 } });
  await page.reload();
  await expect(page.getByTestId('editor')).toBeVisible();
  await clipEl(page, betaId).click();
  await expect(inspector.getByTestId('settings-scale')).toHaveValue('2');
  await expect(inspector.getByTestId('settings-output')).toContainText('320×240 · 24 fps · 36 frames');
  await expect(inspector.getByTestId('preset-select').locator('option', { hasText: 'Smooth e2e' })).toHaveCount(1);
  await inspector.getByTestId('preset-select').selectOption({ label: 'Smooth e2e' });
  await expect.poll(async () => (await storedClip(betaId)).settings).toEqual(saved!.settings);

  expect(pageErrors).toEqual([]);
});

test('a drag on the status bar selects the preview segment inside one clip; Escape clears it', async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('editor')).toBeVisible();
  const bar = page.getByTestId('render-status-bar');
  await expect(page.getByTestId('render-status-range')).toHaveCount(2);
  const px = Number(await page.getByTestId('timeline').getAttribute('data-px-per-frame'));
  const box = (await bar.boundingBox())!;
  const y = box.y + box.height / 2;
  // From frame 10 to past the first clip's end: clamped to [10, 48) of that clip.
  await page.mouse.move(box.x + 10.5 * px, y);
  await page.mouse.down();
  await page.mouse.move(box.x + 30.5 * px, y, { steps: 4 });
  await page.mouse.move(box.x + 55.5 * px, y, { steps: 4 });
  await page.mouse.up();
  const segment = page.getByTestId('preview-segment');
  await expect(segment).toHaveAttribute('data-clip-id', String(alphaId));
  await expect(segment).toHaveAttribute('data-start', '10');
  await expect(segment).toHaveAttribute('data-end', '48');
  await page.keyboard.press('Escape');
  await expect(segment).toHaveCount(0);

  // Alt+drag on the second clip selects a segment inside it; a click elsewhere clears it.
  const clip = (await clipEl(page, betaId).boundingBox())!;
  await page.keyboard.down('Alt');
  await page.mouse.move(clip.x + 4.5 * px, clip.y + 10);
  await page.mouse.down();
  await page.mouse.move(clip.x + 20.5 * px, clip.y + 10, { steps: 4 });
  await page.mouse.up();
  await page.keyboard.up('Alt');
  await expect(segment).toHaveAttribute('data-clip-id', String(betaId));
  await expect(segment).toHaveAttribute('data-start', '64');
  await expect(segment).toHaveAttribute('data-end', '81');
  await page.getByTestId('ruler').click({ position: { x: 5, y: 5 } });
  await expect(segment).toHaveCount(0);
});

test('the Cache tab shows the cache, validates and sets its limit, and clears it after a confirmation', async ({ page }) => {
  await page.goto(host.url);
  await expect(page.getByTestId('editor')).toBeVisible();
  await page.keyboard.press('Control+Comma');
  const dialog = page.getByTestId('settings-dialog');
  await dialog.getByTestId('settings-tab-cache').click();
  const panel = dialog.getByTestId('cache-panel');
  const info = await api('cache.info', {});
  await expect(panel.getByTestId('cache-entries')).toHaveAttribute('data-entries', String(info.entries));
  await expect(panel.getByTestId('cache-limit-value')).toHaveAttribute('data-bytes', String(info.limitBytes));

  // Below the minimum: an inline message and the button stays off.
  const limit = panel.getByTestId('cache-limit');
  await limit.fill('0.1');
  await expect(panel.getByTestId('cache-limit-error')).toContainText('from 0.25 GB');
  await expect(panel.getByTestId('cache-limit-save')).toBeDisabled();
  await limit.fill('3');
  await expect(panel.getByTestId('cache-limit-error')).toHaveCount(0);
  await panel.getByTestId('cache-limit-save').click();
  await expect.poll(async () => (await api('cache.info', {})).limitBytes).toBe(3 * 1024 ** 3);
  await expect(panel.getByTestId('cache-limit-value')).toHaveText('3.00 GB');

  // Clearing asks first; cancel keeps everything, confirm clears.
  await panel.getByTestId('cache-clear').click();
  await expect(panel.getByTestId('cache-clear-confirm-row')).toContainText('Delete every cached chunk');
  await panel.getByTestId('cache-clear-confirm').click();
  await expect(page.getByTestId('toast').filter({ hasText: 'Cache cleared' })).toBeVisible();
  await expect(panel.getByTestId('cache-clear-confirm-row')).toHaveCount(0);
  await expect(panel.getByTestId('cache-entries')).toHaveAttribute('data-entries', '0');
  expect((await api('cache.info', {})).entries).toBe(0);
});

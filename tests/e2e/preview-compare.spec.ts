// Preview and compare against the real web host and engine, in Chromium: a marked segment is previewed with the
// classic engine and with the analytic test pack; the compare viewer shows both sides at their sizes in every mode,
// steps frames in sync and zooms pixel-exactly; a second preview comes from the cache with no engine work (job
// records); a changed setting turns the render-status bar stale; a cancel leaves the job cancelled and the viewer
// never 'done'; settings and status persist across a reload. Screenshots of each compare mode are kept.
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { MethodInput, MethodName, MethodOutput } from '../../main/common/api';
import type { Job } from '../../main/common/model';
import type { ClipSettings } from '../../main/common/settings';
import { defaultClipSettings } from '../../main/common/settings';
import { watchErrors } from '../helpers/editor-page';
import { callApi, startHostProcess, type HostProcess } from '../helpers/host';
import { makeTempDir, makeTestVideo } from '../helpers/media-fixtures';

const FPS = 24;
const WIDTH = 320;
const HEIGHT = 180;
/** The marked segment, in timeline (= media) frames: 1 s starting at 0.5 s (the diffusion engine is slow on CPU). */
const MARK_IN = 12;
const MARK_OUT = 36;
/** Engine work on a CPU shared with other jobs can be slow. */
const ENGINE_TIMEOUT_MS = 240_000;
const ANALYTIC_PACK_ID = (() => {
  const manifest = JSON.parse(readFileSync(path.resolve(__dirname, '../../native-models/packs/analytic-test/manifest.json'), 'utf8'));
  return `${manifest.name}@${manifest.version}`;
})();

let host: HostProcess;
let userData: ReturnType<typeof makeTempDir>;
let work: ReturnType<typeof makeTempDir>;
let clipId: number;

function api<M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> {
  return callApi(host.origin, host.token, method, input);
}

test.beforeAll(async () => {
  userData = makeTempDir('upframe-e2e-preview-user-');
  work = makeTempDir('upframe-e2e-preview-work-');
  // testsrc2 moves and prints a frame counter, so every frame differs.
  const video = makeTestVideo(work.dir, { name: 'counter', width: WIDTH, height: HEIGHT, fps: FPS, durationSec: 2, audio: false });
  host = await startHostProcess({ userDataDir: userData.dir });
  await api('project.create', { path: path.join(work.dir, 'preview.upframe'), name: 'preview' });
  const imported = await api('media.import', { paths: [video] });
  expect(imported.errors).toEqual([]);
  const state = await api('timeline.addClip', { mediaId: imported.imported[0].id, trackId: imported.state.tracks[0].id, start: 0 });
  clipId = state.clips[0].id;
  await api('project.setMarks', { markIn: MARK_IN, markOut: MARK_OUT });
});

test.afterAll(async () => {
  await host?.stop();
  userData?.cleanup();
  work?.cleanup();
});

async function setClipSettings(patch: Partial<ClipSettings>): Promise<ClipSettings> {
  const settings = { ...defaultClipSettings(), ...patch };
  await api('clip.setSettings', { clipIds: [clipId], settings });
  return settings;
}

/** Preview jobs, newest first. */
async function previewJobs(): Promise<Job[]> {
  return (await api('jobs.list', {})).filter((j) => j.kind === 'preview').sort((a, b) => b.id - a.id);
}

async function clipRangeStates(): Promise<string[]> {
  const { clips } = await api('render.status', {});
  return clips.find((c) => c.clipId === clipId)!.ranges.map((r) => r.state);
}

/** The data-state of each of the clip's ranges on the render-status bar, left to right. */
async function barStates(page: Page): Promise<string[]> {
  const ranges = page.locator(`[data-testid="render-status-range"][data-clip-id="${clipId}"]`);
  return ranges.evaluateAll((els) =>
    els
      .map((el) => ({ start: Number(el.getAttribute('data-start')), state: el.getAttribute('data-state') ?? '' }))
      .sort((a, b) => a.start - b.start)
      .map((r) => r.state),
  );
}

/** Records every text preview-progress shows from now on (it may be on screen only briefly). */
async function recordProgressTexts(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { progressTexts: string[]; progressObserver?: MutationObserver };
    w.progressTexts = [];
    w.progressObserver?.disconnect();
    const read = () => {
      const el = document.querySelector('[data-testid="preview-progress"]');
      if (el?.textContent) w.progressTexts.push(el.textContent);
    };
    w.progressObserver = new MutationObserver(read);
    w.progressObserver.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

async function progressTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { progressTexts: string[] }).progressTexts);
}

type VideoFacts = { width: number; height: number; seeking: boolean; readyState: number; frame: number; currentTime: number };

async function videoFacts(page: Page, testId: 'compare-original' | 'compare-enhanced'): Promise<VideoFacts> {
  return page.getByTestId(testId).evaluate((v: HTMLVideoElement) => ({
    width: v.videoWidth,
    height: v.videoHeight,
    seeking: v.seeking,
    readyState: v.readyState,
    frame: Number(v.dataset.frame ?? -1),
    currentTime: v.currentTime,
  }));
}

/** Both sides settled (not seeking, a frame decoded) on these frame numbers. */
async function expectFrames(page: Page, enhanced: number, original: number): Promise<void> {
  await expect
    .poll(async () => {
      const [e, o] = [await videoFacts(page, 'compare-enhanced'), await videoFacts(page, 'compare-original')];
      return !e.seeking && !o.seeking && e.readyState >= 2 && o.readyState >= 2 ? [e.frame, o.frame] : null;
    }, { message: `compare at enhanced frame ${enhanced}, original frame ${original}` })
    .toEqual([enhanced, original]);
  await expect(page.getByTestId('compare-label-enhanced')).toContainText(`frame ${enhanced}`);
  await expect(page.getByTestId('compare-label-original')).toContainText(`frame ${original}`);
}

async function keepScreenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  const body = await page.getByTestId('compare-viewer').screenshot({ path: file });
  await testInfo.attach(name, { body, contentType: 'image/png' });
}

type Case = { name: string; settings: Partial<ClipSettings>; changed: Partial<ClipSettings>; slow: Partial<ClipSettings> };

const CASES: Case[] = [
  {
    name: 'classic',
    settings: { engine: 'classic', scale: 2 },
    changed: { engine: 'classic', scale: 2, classic: { denoise: 'off', sharpen: 'cas', deflicker: false } },
    // Slow enough (nlmeans at 4x) that the cancel lands while chunks are still being computed.
    slow: { engine: 'classic', scale: 4, classic: { denoise: 'nlmeans', sharpen: 'cas', deflicker: false } },
  },
  {
    name: 'analytic',
    settings: { engine: 'diffusion', packId: ANALYTIC_PACK_ID, noise: 0, scale: 2 },
    changed: { engine: 'diffusion', packId: ANALYTIC_PACK_ID, noise: 0, scale: 3 },
    slow: { engine: 'diffusion', packId: ANALYTIC_PACK_ID, noise: 0, scale: 4 },
  },
];

for (const c of CASES) {
  test(`preview and compare with the ${c.name} engine: sizes, modes, stepping, zoom, cache, stale, cancel, reload`, async ({ page }, testInfo) => {
    test.setTimeout(2 * ENGINE_TIMEOUT_MS + 120_000);
    const pageErrors = watchErrors(page);
    await setClipSettings(c.settings);
    const jobsBefore = (await previewJobs()).length;

    await page.goto(host.url);
    await expect(page.getByTestId('clip')).toHaveCount(1);
    await expect(page.getByTestId('mark-in')).toHaveAttribute('data-frame', String(MARK_IN));
    // Nothing is enhanced for these settings yet: 'none', or 'stale' where the other engine's case enhanced it.
    await expect
      .poll(async () => {
        const states = await barStates(page);
        return states.length > 0 && !states.includes('cached');
      })
      .toBe(true);

    // P previews the marked segment: progress per chunk with a time estimate, then the compare viewer.
    await recordProgressTexts(page);
    await page.keyboard.press('p');
    const viewer = page.getByTestId('compare-viewer');
    await expect(viewer).toBeVisible({ timeout: ENGINE_TIMEOUT_MS });
    await expect(viewer).toHaveAttribute('data-state', 'done', { timeout: ENGINE_TIMEOUT_MS });
    expect((await progressTexts(page)).some((t) => /Chunk \d+ of \d+ · \d+ % · /.test(t))).toBe(true);
    await expect(page.getByTestId('preview-progress')).toHaveCount(0);

    // Both sides, each at its own size: the enhanced one at twice the source's.
    const original = page.getByTestId('compare-original');
    const enhanced = page.getByTestId('compare-enhanced');
    await expect(original).toHaveAttribute('data-width', String(WIDTH));
    await expect(original).toHaveAttribute('data-height', String(HEIGHT));
    await expect(enhanced).toHaveAttribute('data-width', String(WIDTH * 2));
    await expect(enhanced).toHaveAttribute('data-height', String(HEIGHT * 2));
    await expect.poll(async () => [await videoFacts(page, 'compare-enhanced'), await videoFacts(page, 'compare-original')].map((v) => `${v.width}x${v.height}`)).toEqual([
      `${WIDTH * 2}x${HEIGHT * 2}`,
      `${WIDTH}x${HEIGHT}`,
    ]);
    await expect(page.getByTestId('compare-label-enhanced')).toContainText(`${WIDTH * 2}×${HEIGHT * 2} · ${FPS} fps`);
    await expect(page.getByTestId('compare-label-original')).toContainText(`${WIDTH}×${HEIGHT} · ${FPS} fps`);

    // The quality readout follows the done: fidelity and stability figures, each explained by a tooltip.
    const quality = page.getByTestId('compare-quality');
    await expect(quality).toHaveAttribute('data-state', 'ready', { timeout: ENGINE_TIMEOUT_MS });
    await expect(quality).toHaveAttribute('data-from-cache', 'false');
    await expect(page.getByTestId('quality-psnr')).toHaveText(/^PSNR (\d+\.\d\d|∞) dB$/);
    await expect(page.getByTestId('quality-ssim')).toHaveText(/^SSIM [01]\.\d{4}$/);
    await expect(page.getByTestId('quality-flicker')).toHaveText(/^Flicker [+-]?\d+\.\d\d$/);
    await expect(page.getByTestId('quality-seams')).toHaveText(/^Seams (\d+\.\d\d×|none)$/);
    await page.getByTestId('quality-psnr').hover();
    await expect(page.getByRole('tooltip').first()).toContainText('PSNR of luma');
    await page.mouse.move(0, 0);

    // The first preview ran the engine; the segment is now cached on the status bar.
    const [first] = await previewJobs();
    expect((await previewJobs()).length).toBe(jobsBefore + 1);
    expect(first.state).toBe('done');
    expect(first.stats.computed).toBeGreaterThan(0);
    await expect.poll(() => barStates(page)).toContain('cached');

    // Every mode by button and key, a screenshot of each kept.
    for (const [mode, key] of [['wipe', '1'], ['side', '2'], ['ab', '3']] as const) {
      await page.getByTestId(`compare-mode-${mode}`).click();
      await expect(viewer).toHaveAttribute('data-mode', mode);
      await keepScreenshot(page, testInfo, `${c.name}-compare-${mode}`);
      await page.keyboard.press(key === '1' ? '2' : '1');
      await page.keyboard.press(key);
      await expect(viewer).toHaveAttribute('data-mode', mode);
    }
    // A/B: B shows the other side, and the label says which.
    await expect(viewer).toHaveAttribute('data-ab-side', 'enhanced');
    await expect(enhanced).toBeVisible();
    await page.keyboard.press('b');
    await expect(viewer).toHaveAttribute('data-ab-side', 'original');
    await expect(page.getByTestId('compare-label-original')).toContainText('A · Original');
    await expect(enhanced).toBeHidden();
    await page.keyboard.press('b');
    await expect(page.getByTestId('compare-label-enhanced')).toContainText('B · Enhanced');
    await page.keyboard.press('1');

    // Space pauses the loop; Home goes to its first frame; arrows step one frame on both sides in sync.
    await expect(page.getByTestId('compare-play')).toHaveAttribute('data-playing', 'true');
    await page.keyboard.press(' ');
    await expect(page.getByTestId('compare-play')).toHaveAttribute('data-playing', 'false');
    await page.keyboard.press('Home');
    await expectFrames(page, MARK_IN, MARK_IN);
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await expectFrames(page, MARK_IN + 2, MARK_IN + 2);
    await page.keyboard.press('ArrowLeft');
    await expectFrames(page, MARK_IN + 1, MARK_IN + 1);
    // Stepping back past the loop's start wraps to its last frame.
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowLeft');
    await expectFrames(page, MARK_OUT - 1, MARK_OUT - 1);
    // The enhanced video sits mid-frame, so the frame shown is that frame and not a neighbour.
    const facts = await videoFacts(page, 'compare-enhanced');
    const videoFrame = facts.currentTime * FPS - 0.5;
    expect(Math.abs(videoFrame - Math.round(videoFrame))).toBeLessThan(0.01);

    // Zoom: 200 % is two device pixels per enhanced pixel, both sides over the same box, no smoothing.
    await page.getByTestId('compare-zoom').selectOption('2');
    await expect(viewer).toHaveAttribute('data-zoom', '2');
    const dpr = await page.evaluate(() => window.devicePixelRatio);
    const [eBox, oBox] = [await enhanced.boundingBox(), await original.boundingBox()];
    expect(eBox!.width).toBeCloseTo((WIDTH * 2 * 2) / dpr, 0);
    expect(eBox!.height).toBeCloseTo((HEIGHT * 2 * 2) / dpr, 0);
    expect(oBox).toEqual(eBox);
    expect(await enhanced.evaluate((v) => getComputedStyle(v).imageRendering)).toBe('pixelated');
    expect(await original.evaluate((v) => getComputedStyle(v).imageRendering)).toBe('pixelated');
    // A drag pans both sides together.
    const stage = page.locator('.compare-stage');
    const s = (await stage.boundingBox())!;
    // Away from the wipe handle (at the middle), which would move the split instead.
    await page.mouse.move(s.x + s.width / 4, s.y + s.height / 2);
    await page.mouse.down();
    await page.mouse.move(s.x + s.width / 4 + 60, s.y + s.height / 2 + 30, { steps: 4 });
    await page.mouse.up();
    const [ePanned, oPanned] = [await enhanced.boundingBox(), await original.boundingBox()];
    expect(ePanned!.x).toBeGreaterThan(eBox!.x);
    expect(oPanned).toEqual(ePanned);
    await keepScreenshot(page, testInfo, `${c.name}-compare-wipe-200`);
    // Z cycles 200 % → 400 % → fit.
    await page.keyboard.press('z');
    await expect(viewer).toHaveAttribute('data-zoom', '4');
    await page.keyboard.press('z');
    await expect(viewer).toHaveAttribute('data-zoom', 'fit');

    // Esc (nothing running) closes the compare viewer.
    await page.keyboard.press('Escape');
    await expect(viewer).toHaveCount(0);
    await expect(page.getByTestId('viewer')).toBeVisible();

    // The same segment again: from the cache, with no engine work, as the job record says.
    await page.keyboard.press('p');
    await expect(viewer).toHaveAttribute('data-state', 'done');
    await expect(enhanced).toHaveAttribute('data-width', String(WIDTH * 2));
    const [second] = await previewJobs();
    expect(second.id).toBeGreaterThan(first.id);
    expect(second.state).toBe('done');
    expect(second.stats.computed).toBe(0);
    expect(second.stats.chunks).toBeGreaterThan(0);
    expect(second.stats.fromCache).toBe(second.stats.chunks);
    // Its readout comes from the cache with the done, not measured again.
    await expect(page.getByTestId('compare-quality')).toHaveAttribute('data-from-cache', 'true');
    await page.getByTestId('compare-close').click();
    await expect(viewer).toHaveCount(0);

    // A setting that changes pixels: what was cached is now stale. The bar is awaited until it shows the host's
    // status after the write, not merely until it shows 'stale': in the analytic case the bar already has stale
    // ranges before the change (the classic case's 24-frame chunks overlap the 8-frame chunks either side of the
    // segment), so a 'stale' wait passed on the old reply and read 'cached' before the refetch landed.
    await setClipSettings(c.changed);
    const afterChange = await clipRangeStates();
    expect(afterChange).toContain('stale');
    expect(afterChange).not.toContain('cached');
    await expect.poll(() => barStates(page)).toEqual(afterChange);

    // Cancel while chunks are computed: the job ends cancelled, and the viewer never says 'done'.
    await setClipSettings(c.slow);
    await page.keyboard.press('p');
    await expect(page.getByTestId('preview-progress')).toBeVisible();
    await expect(page.getByTestId('preview-cancel')).toBeVisible();
    await page.keyboard.press('Escape');
    await expect.poll(async () => (await previewJobs())[0].state, { timeout: 60_000 }).toBe('cancelled');
    const [cancelled] = await previewJobs();
    expect(cancelled.id).toBeGreaterThan(second.id);
    await expect(page.getByTestId('preview-progress')).toHaveCount(0);
    await expect(page.locator('[data-testid="compare-viewer"][data-state="done"]')).toHaveCount(0);
    // Nothing turns it into 'done' afterwards.
    await page.waitForTimeout(1_500);
    expect((await previewJobs())[0].state).toBe('cancelled');
    await expect(page.locator('[data-testid="compare-viewer"][data-state="done"]')).toHaveCount(0);
    if (await viewer.count()) await expect(viewer).toHaveAttribute('data-state', 'cancelled');

    // After a reload the clip keeps its settings and the bar shows the same status.
    const statusBefore = await clipRangeStates();
    await expect.poll(() => barStates(page)).toEqual(statusBefore);
    await page.reload();
    await expect(page.getByTestId('clip')).toHaveCount(1);
    await expect.poll(() => barStates(page)).toEqual(statusBefore);
    const stored = (await api('project.state', {})).clips[0].settings;
    expect(stored).toMatchObject(c.slow);
    await page.getByTestId('clip').click();
    await expect(page.getByTestId('settings-engine')).toHaveValue(c.slow.engine!);
    await expect(page.getByTestId('settings-scale')).toHaveValue(String(c.slow.scale));

    expect(pageErrors).toEqual([]);
    await expect(page.locator('[data-testid="toast"].toast-error')).toHaveCount(0);
  });
}

// Reads and checks of the editor page that the end-to-end specs share.
import { expect, type Page } from '@playwright/test';

/** The playhead and the frame counter both show `frame`. */
export async function expectPlayhead(page: Page, frame: number): Promise<void> {
  await expect(page.getByTestId('playhead')).toHaveAttribute('data-frame', String(frame));
  await expect(page.getByTestId('frame-number')).toHaveText(`frame ${frame}`);
}

/** The timeline's current zoom, in pixels per frame. */
export async function pxPerFrame(page: Page): Promise<number> {
  return Number(await page.getByTestId('timeline').getAttribute('data-px-per-frame'));
}

/** Collects uncaught page errors, so a spec can assert that none happened. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  return errors;
}

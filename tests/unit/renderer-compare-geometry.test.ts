import { describe, expect, it } from 'vitest';
import { clampPan, pictureBox, pictureScale } from '../../renderer/src/components/compare/compare-geometry';

const HD = { width: 1920, height: 1080 };
const CENTRE = { x: 0, y: 0 };
/** -0 and 0 are the same offset on screen. */
const plain = (p: { x: number; y: number }) => ({ x: p.x + 0, y: p.y + 0 });

describe('pictureScale', () => {
  it('fit scales the picture to the limiting pane dimension, preserving its aspect', () => {
    expect(pictureScale({ width: 960, height: 1000 }, HD, 'fit', 1)).toBeCloseTo(0.5, 12); // width limits
    expect(pictureScale({ width: 4000, height: 540 }, HD, 'fit', 1)).toBeCloseTo(0.5, 12); // height limits
    expect(pictureScale({ width: 3840, height: 2160 }, HD, 'fit', 1)).toBeCloseTo(2, 12); // fit also enlarges
  });

  it('fit does not depend on the device pixel ratio', () => {
    expect(pictureScale({ width: 960, height: 540 }, HD, 'fit', 2)).toBe(pictureScale({ width: 960, height: 540 }, HD, 'fit', 1));
  });

  it('fit in an empty pane is 0', () => {
    expect(pictureScale({ width: 0, height: 500 }, HD, 'fit', 1)).toBe(0);
    expect(pictureScale({ width: 500, height: 0 }, HD, 'fit', 2)).toBe(0);
  });

  it('100 % is one enhanced pixel per device pixel, whatever the device pixel ratio', () => {
    for (const dpr of [1, 1.25, 1.5, 2, 3]) {
      const scale = pictureScale({ width: 800, height: 600 }, HD, '1', dpr);
      expect(scale * dpr).toBeCloseTo(1, 12);
    }
  });

  it('200 % and 400 % are 2 and 4 device pixels per enhanced pixel, independent of the pane', () => {
    for (const dpr of [1, 2]) {
      expect(pictureScale({ width: 10, height: 10 }, HD, '2', dpr) * dpr).toBeCloseTo(2, 12);
      expect(pictureScale({ width: 5000, height: 5000 }, HD, '4', dpr) * dpr).toBeCloseTo(4, 12);
      expect(pictureScale({ width: 0, height: 0 }, HD, '4', dpr) * dpr).toBeCloseTo(4, 12);
    }
  });
});

describe('clampPan', () => {
  const pane = { width: 1000, height: 500 };

  it('no panning at all when the picture fits', () => {
    expect(plain(clampPan(pane, HD, 0.25, { x: 300, y: -200 }))).toEqual({ x: 0, y: 0 });
    // Fits in one direction only: that axis is pinned, the other pans.
    expect(plain(clampPan(pane, HD, 0.5, { x: 300, y: -200 }))).toEqual({ x: 0, y: -20 }); // 960x540
  });

  it('keeps the picture edges from passing the pane edges', () => {
    // 200 % at dpr 1: 3840x2160 in 1000x500 → ±1420, ±830.
    expect(clampPan(pane, HD, 2, { x: 5000, y: -5000 })).toEqual({ x: 1420, y: -830 });
    expect(clampPan(pane, HD, 2, { x: -5000, y: 5000 })).toEqual({ x: -1420, y: 830 });
  });

  it('leaves a pan within range unchanged', () => {
    expect(clampPan(pane, HD, 2, { x: 100, y: -37.5 })).toEqual({ x: 100, y: -37.5 });
    expect(clampPan(pane, HD, 2, { x: 1420, y: -830 })).toEqual({ x: 1420, y: -830 });
  });
});

describe('pictureBox', () => {
  it('fit centres the whole picture in the pane', () => {
    const box = pictureBox({ width: 1000, height: 500 }, HD, 'fit', CENTRE, 1);
    expect(box.height).toBeCloseTo(500, 9);
    expect(box.width).toBeCloseTo(1920 * (500 / 1080), 9);
    expect(box.top).toBe(0);
    expect(Math.abs(box.left - (1000 - box.width) / 2)).toBeLessThanOrEqual(0.5); // snapped to a device pixel
    expect(box.left + box.width).toBeLessThanOrEqual(1000 + 0.5);
  });

  it('fit ignores any pan', () => {
    const pane = { width: 1000, height: 500 };
    expect(pictureBox(pane, HD, 'fit', { x: 400, y: 300 }, 1)).toEqual(pictureBox(pane, HD, 'fit', CENTRE, 1));
  });

  it('100 % at dpr 2: the box spans exactly the enhanced width and height in device pixels', () => {
    const box = pictureBox({ width: 800, height: 400 }, HD, '1', CENTRE, 2);
    expect(box.width * 2).toBe(1920);
    expect(box.height * 2).toBe(1080);
    expect(box).toEqual({ left: (800 - 960) / 2, top: (400 - 540) / 2, width: 960, height: 540 });
  });

  it('200 % and 400 % double and quadruple the 100 % box', () => {
    const pane = { width: 800, height: 400 };
    const b1 = pictureBox(pane, HD, '1', CENTRE, 1);
    const b2 = pictureBox(pane, HD, '2', CENTRE, 1);
    const b4 = pictureBox(pane, HD, '4', CENTRE, 1);
    expect([b1.width, b2.width, b4.width]).toEqual([1920, 3840, 7680]);
    expect([b1.height, b2.height, b4.height]).toEqual([1080, 2160, 4320]);
    // Centred when not panned.
    for (const b of [b1, b2, b4]) {
      expect(b.left + b.width / 2).toBe(400);
      expect(b.top + b.height / 2).toBe(200);
    }
  });

  it('box edges land on whole device pixels at 100 % and above', () => {
    for (const dpr of [1, 1.5, 2, 3]) {
      for (const zoom of ['1', '2', '4'] as const) {
        for (const pan of [{ x: 0.3, y: -0.7 }, { x: 13.37, y: 2.2 }, { x: -101.1, y: 55.55 }]) {
          const box = pictureBox({ width: 801, height: 451 }, HD, zoom, pan, dpr);
          expect(Math.abs(box.left * dpr - Math.round(box.left * dpr))).toBeLessThan(1e-9);
          expect(Math.abs(box.top * dpr - Math.round(box.top * dpr))).toBeLessThan(1e-9);
          expect(Math.abs(box.width * dpr - Math.round(box.width * dpr))).toBeLessThan(1e-9);
        }
      }
    }
  });

  it('a pan past the edge stops with the picture edge on the pane edge', () => {
    const pane = { width: 1000, height: 500 };
    const right = pictureBox(pane, HD, '2', { x: 99999, y: -99999 }, 1);
    expect(right.left).toBe(0); // dragged right: the picture's left edge meets the pane's left edge
    expect(right.top + right.height).toBe(500); // dragged up: its bottom meets the pane's bottom
    const left = pictureBox(pane, HD, '2', { x: -99999, y: 99999 }, 1);
    expect(left.left + left.width).toBe(1000);
    expect(left.top).toBe(0);
  });

  it('the box is the same for both sides: it depends on the enhanced size only, so the original is stretched onto it', () => {
    // Original 960x540, enhanced 1920x1080 (2x upscale): both sides are drawn into this one box, so the original
    // shows at enhancedWidth / originalWidth times the enhanced scale and both stay aligned pixel for pixel.
    const pane = { width: 1280, height: 720 };
    const original = { width: 960, height: 540 };
    for (const zoom of ['fit', '1', '2', '4'] as const) {
      const box = pictureBox(pane, HD, zoom, { x: 50, y: 20 }, 1);
      const enhancedScale = box.width / HD.width;
      const originalScale = box.width / original.width;
      expect(originalScale / enhancedScale).toBeCloseTo(HD.width / original.width, 12);
      expect(box.height / original.height).toBeCloseTo(originalScale, 12);
    }
    // At 100 % one enhanced pixel per device pixel means one original pixel spans 2 device pixels.
    const box = pictureBox(pane, HD, '1', CENTRE, 1);
    expect(box.width / original.width).toBe(2);
  });
});

import { describe, expect, it } from 'vitest';
import { buildClassicFilterGraph, evenFloor } from '../../main/engine/classic/filter-graph';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';

function settings(over: Partial<ClipSettings> = {}): ClipSettings {
  return { ...defaultClipSettings(), ...over };
}
const source = { width: 160, height: 120, fps: { num: 12, den: 1 } };

describe('buildClassicFilterGraph', () => {
  it('changes nothing for default settings', () => {
    const plan = buildClassicFilterGraph(settings(), source);
    expect(plan).toMatchObject({ filters: [], graph: null, width: 160, height: 120, insertedFrames: 0, fps: { num: 12, den: 1 } });
  });

  it('upscales with lanczos to even sizes', () => {
    const plan = buildClassicFilterGraph(settings({ scale: 2 }), source);
    expect(plan.graph).toBe('scale=320:240:flags=lanczos+accurate_rnd+full_chroma_int');
    expect([plan.width, plan.height]).toEqual([320, 240]);
    const odd = buildClassicFilterGraph(settings({ scale: 1.5 }), { ...source, width: 853, height: 481 });
    expect([odd.width, odd.height]).toEqual([1278, 720]);
    // An odd source at scale 1 is still brought to even sides (4:2:0 output).
    const oddOne = buildClassicFilterGraph(settings(), { ...source, width: 853, height: 480 });
    expect(oddOne.graph).toBe('scale=852:480:flags=lanczos+accurate_rnd+full_chroma_int');
  });

  it('interpolates frames with the same k rule as the diffusion engine', () => {
    const plan = buildClassicFilterGraph(settings({ targetFps: 24 }), source);
    expect(plan.insertedFrames).toBe(1);
    expect(plan.fps).toEqual({ num: 24, den: 1 });
    expect(plan.filters).toEqual([
      'tpad=stop_mode=clone:stop=2',
      'minterpolate=fps=24/1:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1',
    ]);
    // 30 -> 60 fps from an NTSC source keeps the exact rational rate.
    const ntsc = buildClassicFilterGraph(settings({ targetFps: 60 }), { ...source, fps: { num: 30000, den: 1001 } });
    expect(ntsc.insertedFrames).toBe(1);
    expect(ntsc.fps).toEqual({ num: 60000, den: 1001 });
    // k is capped at 7 and output fps = input fps (k + 1).
    const many = buildClassicFilterGraph(settings({ targetFps: 240 }), { ...source, fps: { num: 8, den: 1 } });
    expect(many.insertedFrames).toBe(7);
    expect(many.fps).toEqual({ num: 64, den: 1 });
  });

  it('inserts no frames when the target rate is not at least 1.5x the source', () => {
    const plan = buildClassicFilterGraph(settings({ targetFps: 15 }), source);
    expect(plan.insertedFrames).toBe(0);
    expect(plan.graph).toBeNull();
    expect(plan.fps).toEqual({ num: 12, den: 1 });
  });

  it('orders clean-up before interpolation, upscale, then sharpening', () => {
    const plan = buildClassicFilterGraph(
      settings({ scale: 2, targetFps: 24, classic: { denoise: 'hqdn3d', sharpen: 'cas', deflicker: true } }),
      source,
    );
    expect(plan.filters.map((f) => f.split('=')[0])).toEqual(['deflicker', 'hqdn3d', 'tpad', 'minterpolate', 'scale', 'cas']);
    const other = buildClassicFilterGraph(settings({ classic: { denoise: 'nlmeans', sharpen: 'unsharp', deflicker: false } }), source);
    expect(other.filters.map((f) => f.split('=')[0])).toEqual(['nlmeans', 'unsharp']);
  });

  it('rejects a source without size or rate', () => {
    expect(() => buildClassicFilterGraph(settings(), { ...source, width: 0 })).toThrow(/size/);
    expect(() => buildClassicFilterGraph(settings(), { ...source, fps: { num: 0, den: 1 } })).toThrow(/frame rate/);
  });
});

describe('evenFloor', () => {
  it('floors to even, at least 2', () => {
    expect(evenFloor(321)).toBe(320);
    expect(evenFloor(320)).toBe(320);
    expect(evenFloor(1)).toBe(2);
    // Floating-point products like 0.1 * 3 * 1000 must not lose a step.
    expect(evenFloor(160 * 1.7)).toBe(272);
  });
});

// The classic chain's exact-rate and deinterlace rules (pure): which filters, which output rate, which note.
import { describe, expect, it } from 'vitest';
import { defaultClipSettings, type ClipSettings } from '../../main/common/settings';
import { buildClassicFilterGraph, DEINTERLACE_FILTER, formatFps, rateAsRational, shouldDeinterlace } from '../../main/engine/classic/filter-graph';
import { isInterlacedFieldOrder } from '../../main/media/probe';

function settings(over: Partial<ClipSettings> = {}): ClipSettings {
  return { ...defaultClipSettings(), ...over };
}
const pal = { width: 160, height: 120, fps: { num: 25, den: 1 } };
const exact = { exactRate: true };

describe('exact target rates', () => {
  it('reads typed rates as exact rationals, NTSC rates as N*1000/1001', () => {
    expect(rateAsRational(24)).toEqual({ num: 24, den: 1 });
    expect(rateAsRational(23.976)).toEqual({ num: 24000, den: 1001 });
    expect(rateAsRational(29.97)).toEqual({ num: 30000, den: 1001 });
    expect(rateAsRational(59.94)).toEqual({ num: 60000, den: 1001 });
    expect(rateAsRational(12.5)).toEqual({ num: 25, den: 2 });
    expect(formatFps({ num: 30000, den: 1001 })).toBe('29.97');
    expect(formatFps({ num: 24000, den: 1001 })).toBe('23.976');
    expect(() => rateAsRational(0)).toThrow(RangeError);
  });

  it('resamples 25 -> 24 by motion compensation to the exact rate when asked', () => {
    const plan = buildClassicFilterGraph(settings({ targetFps: 24 }), pal, exact);
    expect(plan.fps).toEqual({ num: 24, den: 1 });
    expect(plan.insertedFrames).toBe(0);
    expect(plan.filters).toEqual(['tpad=stop_mode=clone:stop=2', 'minterpolate=fps=24/1:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1']);
    expect(plan.rateNote).toBe('25 fps -> 24 fps: motion-compensated');
  });

  it('does the k inserted frames and the resampling in one pass (8 -> 30)', () => {
    const plan = buildClassicFilterGraph(settings({ targetFps: 30 }), { ...pal, fps: { num: 8, den: 1 } }, exact);
    expect(plan.insertedFrames).toBe(3);
    expect(plan.fps).toEqual({ num: 30, den: 1 });
    expect(plan.filters.filter((f) => f.startsWith('minterpolate'))).toHaveLength(1);
    expect(plan.rateNote).toBe('8 fps -> 30 fps: motion-compensated');
  });

  it('keeps the k + 1 grid without the exact-rate option (chunked rendering)', () => {
    const plan = buildClassicFilterGraph(settings({ targetFps: 24 }), { ...pal, fps: { num: 30000, den: 1001 } });
    expect(plan.fps).toEqual({ num: 30000, den: 1001 });
    expect(plan.graph).toBeNull();
    expect(plan.rateNote).toBeNull();
  });

  it('says when the grid already is the target, and when a variable rate is conformed', () => {
    const twelve = { ...pal, fps: { num: 12, den: 1 } };
    const doubled = buildClassicFilterGraph(settings({ targetFps: 24 }), twelve, exact);
    expect(doubled.rateNote).toBe('12 fps -> 24 fps: 1 motion-compensated frame inserted between source frames');
    const vfr = buildClassicFilterGraph(settings(), { ...pal, fps: { num: 50, den: 3 }, variableFrameRate: true }, exact);
    expect(vfr.graph).toBeNull();
    expect(vfr.rateNote).toBe('variable rate (average 16.667 fps) conformed to constant 16.667 fps, frames placed by their timestamps');
    const vfr24 = buildClassicFilterGraph(settings({ targetFps: 24 }), { ...pal, fps: { num: 50, den: 3 }, variableFrameRate: true }, exact);
    expect(vfr24.fps).toEqual({ num: 24, den: 1 });
    expect(vfr24.rateNote).toBe('variable rate (average 16.667 fps) -> 24 fps: motion-compensated');
  });
});

describe('deinterlacing', () => {
  it('reads ffprobe field orders', () => {
    for (const order of ['tt', 'bb', 'tb', 'bt']) expect(isInterlacedFieldOrder(order)).toBe(true);
    for (const order of ['progressive', 'unknown', undefined]) expect(isInterlacedFieldOrder(order)).toBe(false);
  });

  it('follows the clip option: auto follows the probe, on and off force it', () => {
    expect(shouldDeinterlace('auto', true)).toBe(true);
    expect(shouldDeinterlace('auto', false)).toBe(false);
    expect(shouldDeinterlace('on', false)).toBe(true);
    expect(shouldDeinterlace('off', true)).toBe(false);
  });

  it('puts bwdif before every other filter', () => {
    const plan = buildClassicFilterGraph(
      settings({ scale: 2, targetFps: 24, classic: { denoise: 'hqdn3d', sharpen: 'cas', deflicker: true } }),
      { ...pal, interlaced: true },
      exact,
    );
    expect(plan.deinterlaced).toBe(true);
    expect(plan.filters[0]).toBe(DEINTERLACE_FILTER);
    expect(plan.filters.map((f) => f.split('=')[0])).toEqual(['bwdif', 'deflicker', 'hqdn3d', 'tpad', 'minterpolate', 'scale', 'cas']);
    const off = buildClassicFilterGraph(settings({ classic: { ...defaultClipSettings().classic, deinterlace: 'off' } }), { ...pal, interlaced: true });
    expect(off.deinterlaced).toBe(false);
    expect(off.graph).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { float16ToFloat32, float32ToFloat16, fromFloat16Bits, toFloat16Bits } from '../../main/engine/pack/float16';

describe('float16 conversion', () => {
  it('converts exact values both ways', () => {
    const cases: [number, number][] = [
      [0, 0x0000],
      [1, 0x3c00],
      [-2, 0xc000],
      [0.5, 0x3800],
      [65504, 0x7bff], // largest half
      [2 ** -14, 0x0400], // smallest normal
      [2 ** -24, 0x0001], // smallest subnormal
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [value, bits] of cases) {
      expect(toFloat16Bits(value)).toBe(bits);
      expect(fromFloat16Bits(bits)).toBe(value);
    }
    expect(toFloat16Bits(-0)).toBe(0x8000);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });

  it('rounds to nearest, ties to even', () => {
    // Between 1 (0x3c00) and 1 + 2^-10 (0x3c01) the midpoint 1 + 2^-11 ties to the even 0x3c00.
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00);
    // Between 0x3c01 and 0x3c02 the midpoint ties to the even 0x3c02.
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(toFloat16Bits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01);
    // Subnormal ties: 1.5 * 2^-24 -> 2 * 2^-24 (even), 2.5 * 2^-24 -> 2 * 2^-24 (even), 2^-25 -> 0.
    expect(toFloat16Bits(1.5 * 2 ** -24)).toBe(0x0002);
    expect(toFloat16Bits(2.5 * 2 ** -24)).toBe(0x0002);
    expect(toFloat16Bits(2 ** -25)).toBe(0x0000);
    expect(toFloat16Bits(2 ** -25 * 1.0001)).toBe(0x0001);
    // Overflow: 65520 is the midpoint past the largest half and rounds to infinity; just below stays finite.
    expect(toFloat16Bits(65520)).toBe(0x7c00);
    expect(toFloat16Bits(65519)).toBe(0x7bff);
    expect(toFloat16Bits(1e6)).toBe(0x7c00);
    // A carry out of the subnormal range gives the smallest normal.
    expect(toFloat16Bits(2 ** -14 - 2 ** -26)).toBe(0x0400);
  });

  it('every half value round-trips through float32 exactly', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromFloat16Bits(bits);
      if (Number.isNaN(value)) continue;
      expect(toFloat16Bits(value)).toBe(bits);
    }
  });

  it('picks the nearest half for any float, ties to even (property)', () => {
    fc.assert(
      fc.property(fc.float({ min: -65504, max: 65504, noNaN: true }), (value) => {
        const bits = toFloat16Bits(value);
        const magnitude = bits & 0x7fff;
        const distance = Math.abs(Math.abs(fromFloat16Bits(magnitude)) - Math.abs(value));
        for (const neighbour of [magnitude - 1, magnitude + 1]) {
          if (neighbour < 0 || neighbour > 0x7bff) continue;
          const other = Math.abs(fromFloat16Bits(neighbour) - Math.abs(value));
          if (other < distance) return false;
          if (other === distance && (magnitude & 1) === 1) return false; // a tie must pick the even one
        }
        return value === 0 || Math.sign(fromFloat16Bits(bits)) === Math.sign(value) || magnitude === 0;
      }),
      { numRuns: 2000 },
    );
  });

  it('converts arrays', () => {
    const values = Float32Array.from([0, 1, -1.5, 0.333333, 1000]);
    const back = float16ToFloat32(float32ToFloat16(values));
    for (let i = 0; i < values.length; i++) expect(Math.abs(back[i] - values[i])).toBeLessThanOrEqual(Math.abs(values[i]) * 2 ** -11);
  });
});

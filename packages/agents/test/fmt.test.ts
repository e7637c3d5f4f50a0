import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fmt } from '../src/planets/planet.ts';

/** The definition `fmt` must agree with. */
const reference = (x: number | null | undefined, digits = 4): string =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : Number(x.toPrecision(digits)).toString();

describe('fmt', () => {
  it('writes exactly what Number(x.toPrecision(d)).toString() writes, for any double and 1–8 digits', () => {
    const anyDouble = fc.double({ noNaN: false });
    const scaled = fc
      .tuple(fc.integer({ min: -999_999, max: 999_999 }), fc.integer({ min: 0, max: 12 }))
      .map(([n, e]) => n / 10 ** e);
    const ties = fc
      .tuple(fc.integer({ min: -99_999, max: 99_999 }), fc.integer({ min: 1, max: 8 }))
      .map(([n, e]) => (n + 0.5) / 10 ** e);
    fc.assert(
      fc.property(fc.oneof(anyDouble, scaled, ties), fc.integer({ min: 1, max: 8 }), (x, d) => {
        expect(fmt(x, d)).toBe(reference(x, d));
      }),
      { numRuns: 20_000 },
    );
  });

  it('agrees at the edges: zeros, powers of ten, rounding carries, tiny and huge values', () => {
    const xs = [0, -0, 1, -1, 0.5, 9.995, 999.95, 0.00095, 1.005, 2.675, 1e-6, 9.9999e-7, 1e-7, 123456789];
    for (const x of [...xs, 1e15, 1e21, 1e22, 5e-324, Number.MAX_VALUE, -2.5e-5, 0.1 + 0.2]) {
      for (const d of [1, 2, 3, 4, 6]) expect(fmt(x, d)).toBe(reference(x, d));
    }
    expect(fmt(null)).toBe('n/a');
    expect(fmt(Number.POSITIVE_INFINITY)).toBe('n/a');
    expect(fmt(0.123456)).toBe('0.1235');
    expect(fmt(-1234.5678, 3)).toBe('-1230');
  });
});

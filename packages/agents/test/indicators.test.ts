import { describe, expect, it } from 'vitest';
import { atrMoon, bollingerMoon, type Moon, macdMoon, rsiMoon } from '../src/index.ts';
import { referenceBars, referenceResults } from './helpers/fixtures.ts';

const TOL = 1e-9;
const bars = referenceBars();

function run<R>(moon: Moon<R>): R[] {
  return bars.map((bar) => moon.update({ bar, readings: {}, positionQty: 0 }));
}

function expectSeries(
  name: string,
  got: (number | null)[],
  want: (number | null | string | undefined)[],
): void {
  expect(got.length).toBe(want.length);
  let compared = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    const g = got[i];
    if (w === null || w === undefined) {
      if (g !== null) throw new Error(`${name}[${i}]: expected null, got ${g}`);
      continue;
    }
    if (g === null || g === undefined || Math.abs(g - Number(w)) > TOL) {
      throw new Error(`${name}[${i}]: expected ${w}, got ${g}`);
    }
    compared++;
  }
  expect(compared).toBeGreaterThan(400);
}

describe('moons match the Stock.Indicators reference values on every bar (1e-9)', () => {
  it('has the 502 reference bars', () => {
    expect(bars).toHaveLength(502);
  });

  it('RSI(14): first value on row 14', () => {
    const ref = referenceResults('rsi');
    const out = run(rsiMoon(14));
    expectSeries(
      'rsi',
      out.map((r) => r.rsi),
      ref.map((r) => r.rsi),
    );
    expect(out[13]?.rsi).toBeNull();
    expect(out[14]?.rsi).not.toBeNull();
  });

  it('MACD(12,26,9) from SMA-seeded EMAs: MACD from row 25, signal from row 33', () => {
    const ref = referenceResults('macd');
    const out = run(macdMoon(12, 26, 9));
    for (const key of ['macd', 'signal', 'histogram', 'fastEma', 'slowEma'] as const) {
      expectSeries(
        key,
        out.map((r) => r[key]),
        ref.map((r) => r[key]),
      );
    }
    expect(out[24]?.macd).toBeNull();
    expect(out[25]?.macd).not.toBeNull();
    expect(out[32]?.signal).toBeNull();
    expect(out[33]?.signal).not.toBeNull();
  });

  it('Bollinger(20,2) with population σ, %B, z-score and width', () => {
    const ref = referenceResults('bb');
    const out = run(bollingerMoon(20, 2));
    const pairs = [
      ['sma', 'sma'],
      ['upper', 'upperBand'],
      ['lower', 'lowerBand'],
      ['percentB', 'percentB'],
      ['zScore', 'zScore'],
      ['width', 'width'],
    ] as const;
    for (const [mine, theirs] of pairs) {
      expectSeries(
        mine,
        out.map((r) => r[mine]),
        ref.map((r) => r[theirs]),
      );
    }
  });

  it('ATR(14): no TR on row 0, seeded with the mean of TR rows 1..14', () => {
    const ref = referenceResults('atr');
    const out = run(atrMoon(14));
    for (const key of ['tr', 'atr', 'atrp'] as const) {
      expectSeries(
        key,
        out.map((r) => r[key]),
        ref.map((r) => r[key]),
      );
    }
    expect(out[13]?.atr).toBeNull();
    expect(out[14]?.atr).not.toBeNull();
  });
});

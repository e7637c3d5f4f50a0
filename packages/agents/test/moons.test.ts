import fc from 'fast-check';
import { ATR, EMA, MACD } from 'trading-signals';
import { describe, expect, it } from 'vitest';
import {
  alertsMoon,
  atrMoon,
  createMoonBank,
  drawdownMoon,
  InvalidInputError,
  MaterialChangeDetector,
  type Moon,
  type MoonInput,
  macdMoon,
  positionSizingMoon,
  regimeMoon,
  valueAtRiskMoon,
  volatilityMoon,
} from '../src/index.ts';
import { barsFromCloses, closesArb } from './helpers/bars.ts';
import { referenceBars, referenceResults } from './helpers/fixtures.ts';

const feed = <R>(moon: Moon<R>, inputs: MoonInput[]): R[] => inputs.map((i) => moon.update(i));
const plain = (closes: number[]): MoonInput[] =>
  barsFromCloses(closes).map((bar) => ({ bar, readings: {}, positionQty: 0 }));

function sampleSd(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

describe('reference conventions differ from trading-signals where the README says so', () => {
  const bars = referenceBars();
  it("trading-signals' first-price-seeded MACD is off by > 0.1 somewhere; ours is not", () => {
    const ts = new MACD(new EMA(12), new EMA(26), new EMA(9));
    const ref = referenceResults('macd');
    const ours = macdMoon();
    let theirs = 0;
    let mine = 0;
    bars.forEach((bar, i) => {
      const t = ts.add(bar.close);
      const o = ours.update({ bar, readings: {}, positionQty: 0 });
      const want = ref[i]?.macd;
      if (typeof want === 'number' && t !== null) theirs = Math.max(theirs, Math.abs(t.macd - want));
      if (typeof want === 'number' && o.macd !== null) mine = Math.max(mine, Math.abs(o.macd - want));
    });
    expect(theirs).toBeGreaterThan(0.1);
    expect(mine).toBeLessThan(1e-9);
  });

  it("trading-signals' ATR differs from the reference by > 0.01 somewhere; ours does not", () => {
    const ts = new ATR(14);
    const ours = atrMoon(14);
    const ref = referenceResults('atr');
    let theirs = 0;
    let mine = 0;
    bars.forEach((bar, i) => {
      const t = ts.add(bar);
      const o = ours.update({ bar, readings: {}, positionQty: 0 });
      const want = ref[i]?.atr;
      if (typeof want === 'number' && t !== null) theirs = Math.max(theirs, Math.abs(t - want));
      if (typeof want === 'number' && o.atr !== null) mine = Math.max(mine, Math.abs(o.atr - want));
    });
    expect(theirs).toBeGreaterThan(0.01);
    expect(mine).toBeLessThan(1e-9);
  });
});

describe('streaming moons agree with a direct recomputation over the window', () => {
  it('realised volatility equals the sample σ of the last `window` log returns', () => {
    fc.assert(
      fc.property(closesArb(25, 120), (closes) => {
        const out = feed(volatilityMoon(20, 50, 252), plain(closes));
        const rets = closes.slice(1).map((c, i) => Math.log(c / (closes[i] as number)));
        for (let i = 0; i < closes.length; i++) {
          const got = out[i]?.realised ?? null;
          if (i < 20) expect(got).toBeNull();
          else {
            const want = sampleSd(rets.slice(i - 20, i));
            // compared as variances: near σ = 0 the square root magnifies rounding of the running sums
            expect(Math.abs((got as number) ** 2 - want ** 2)).toBeLessThan(1e-15);
            expect(Math.abs((out[i]?.annualised as number) - (got as number) * Math.sqrt(252))).toBeLessThan(
              1e-12,
            );
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('historical VaR equals the empirical quantile of the window, as a positive loss', () => {
    fc.assert(
      fc.property(closesArb(30, 200), fc.integer({ min: 20, max: 60 }), (closes, window) => {
        const out = feed(valueAtRiskMoon(window, 0.95, 20), plain(closes));
        const rets = closes.slice(1).map((c, i) => c / (closes[i] as number) - 1);
        for (let i = 1; i < closes.length; i++) {
          const win = rets.slice(Math.max(0, i - window), i).sort((a, b) => a - b);
          const got = out[i]?.var ?? null;
          if (win.length < 20) expect(got).toBeNull();
          else {
            const k = Math.max(0, Math.ceil(0.05 * win.length - 1e-9) - 1);
            expect(got).toBe(Math.max(0, -(win[k] as number)));
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('drawdown is the fall from the running peak, and maxDrawdown never decreases', () => {
    fc.assert(
      fc.property(closesArb(2, 100), (closes) => {
        const out = feed(drawdownMoon(), plain(closes));
        let peak = 0;
        let max = 0;
        closes.forEach((c, i) => {
          peak = Math.max(peak, c);
          max = Math.max(max, 1 - c / peak);
          expect(out[i]?.drawdown).toBeCloseTo(1 - c / peak, 12);
          expect(out[i]?.maxDrawdown).toBeCloseTo(max, 12);
        });
      }),
      { numRuns: 50 },
    );
  });
});

describe('regime, sizing and alerts', () => {
  it('a straight rise is an up trend; a zig-zag is a range', () => {
    const up = feed(regimeMoon({ window: 10 }), plain(Array.from({ length: 15 }, (_, i) => 100 + i)));
    expect(up[14]?.trend).toBe('up');
    expect(up[14]?.efficiency).toBeCloseTo(1, 12);
    const zig = feed(regimeMoon({ window: 10 }), plain(Array.from({ length: 15 }, (_, i) => 100 + (i % 2))));
    expect(zig[14]?.trend).toBe('range');
    expect(up[5]?.trend).toBeNull();
  });

  it('classifies volatility against the volatility moon ratio', () => {
    const moon = regimeMoon();
    const bar = barsFromCloses([100])[0]!;
    const at = (ratio: number | null) =>
      moon.update({ bar, readings: { volatility: { ratio } }, positionQty: 0 }).volatility;
    expect(at(0.5)).toBe('low');
    expect(at(1)).toBe('normal');
    expect(at(2)).toBe('high');
    expect(at(null)).toBeNull();
  });

  it('sizing: σ̂ of a series alternating ±1 % is 1 % per bar, annualised with the bars per year', () => {
    const moon = positionSizingMoon({ volSpan: 10, longVolSpan: 50, periodsPerYear: 252 });
    let close = 100;
    let r = moon.empty;
    for (let i = 0; i < 400; i++) {
      close *= i % 2 === 0 ? 1.01 : 1 / 1.01;
      r = moon.update({
        bar: { time: i * 86_400_000, open: close, high: close, low: close, close, volume: 1 },
        readings: {},
        positionQty: 0,
      });
    }
    // simple returns of +1 % and −0.990 %: RMS ≈ 0.995 %
    const rms = Math.sqrt((0.01 ** 2 + (1 / 1.01 - 1) ** 2) / 2);
    expect(r.sigma).toBeCloseTo(rms * Math.sqrt(252), 3);
    expect(r.sigmaLong).toBeCloseTo(rms * Math.sqrt(252), 3);
    // inferred bars per year: daily bars every day of the year
    const inferred = positionSizingMoon({ volSpan: 10 });
    let x = inferred.empty;
    for (let i = 0; i < 40; i++)
      x = inferred.update({
        bar: { time: i * 86_400_000, open: 1, high: 1, low: 1, close: 1, volume: 1 },
        readings: {},
        positionQty: 0,
      });
    expect(x.periodsPerYear).toBeCloseTo(365.25, 9);
  });

  it('raises a critical update when a long position’s stop is crossed, and on a volatility spike', () => {
    const moon = alertsMoon(3);
    const [b0, b1] = barsFromCloses([100, 100]);
    expect(
      moon.update({ bar: b0!, readings: { atr: { tr: 1, atr: 1, atrp: 1 } }, positionQty: 0 }).critical,
    ).toEqual([]);
    const quiet = moon.update({
      bar: b1!,
      readings: { atr: { tr: 1, atr: 1, atrp: 1 } },
      positionQty: 5,
      stopPrice: 90,
    });
    expect(quiet.critical).toEqual([]);
    const crash = { ...b1!, time: b1!.time + 1, low: 85, close: 86, open: 99 };
    const r = moon.update({
      bar: crash,
      readings: { atr: { tr: 14, atr: 2, atrp: 2 } },
      positionQty: 5,
      stopPrice: 90,
    });
    expect(r.stopBreached).toBe(true);
    expect(r.critical).toHaveLength(2);
    expect(r.critical[0]).toMatch(/stop breached/);
    expect(r.critical[1]).toMatch(/volatility spike/);
  });
});

describe('material-change detector', () => {
  it('reports every watched feature before the first anchor, then only moves past thresholds', () => {
    const d = new MaterialChangeDetector({ price: 2, rsi: 10 });
    expect(d.changed({ price: 100, rsi: 50, other: 1 })).toEqual(['price', 'rsi']);
    d.anchor({ price: 100, rsi: 50 });
    expect(d.changed({ price: 101.9, rsi: 59 })).toEqual([]);
    expect(d.changed({ price: 98, rsi: 61 })).toEqual(['price', 'rsi']);
    d.anchor({ price: 98, rsi: 61 });
    expect(d.changed({ price: 98, rsi: 61 })).toEqual([]);
  });

  it('rejects non-positive thresholds', () => {
    expect(() => new MaterialChangeDetector({ price: 0 })).toThrow(RangeError);
  });

  it('in a moon bank: quiet during warm-up, then anchored by the caller', () => {
    const bank = createMoonBank({ config: { materialChange: { warmupBars: 40 } } });
    const bars = referenceBars();
    const snaps = bars.slice(0, 60).map((b) => bank.update(b));
    expect(snaps.slice(0, 40).every((s) => s.changedFeatures.length === 0)).toBe(true);
    expect(snaps[40]?.changedFeatures.length).toBeGreaterThan(5);
    bank.anchor();
    const next = bank.update(bars[60]!);
    expect(next.changedFeatures.length).toBeLessThan(snaps[40]!.changedFeatures.length);
  });
});

describe('moon bank', () => {
  it('rejects a malformed bar and bars out of order with InvalidInputError naming the field', () => {
    const bank = createMoonBank();
    const [a, b] = barsFromCloses([100, 101]);
    expect(() => bank.update({ ...a!, high: Number.NaN })).toThrow(/bar\.high must be a finite number/);
    bank.update(b!);
    const err = (() => {
      try {
        bank.update(a!);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).field).toBe('bar.time');
  });

  it('a throwing extra moon is listed as failed; the other moons carry on', () => {
    const boom: Moon<{ x: number }> = {
      name: 'boom',
      empty: { x: 0 },
      update: () => {
        throw new Error('boom');
      },
    };
    const bank = createMoonBank({ extraMoons: [() => boom] });
    const s = bank.update(referenceBars()[0]!);
    expect(s.failedMoons).toEqual(['boom']);
    expect(s.readings.drawdown.peak).toBe(referenceBars()[0]!.close);
  });
});

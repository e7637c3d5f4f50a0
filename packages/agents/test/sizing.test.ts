import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  drawdownMoon,
  EdgeCalibrator,
  needsRebalance,
  parseSolarSystemConfig,
  type SizingReading,
  scaleToExposure,
  targetWeight,
  trendMoon,
  volTargetOf,
} from '../src/index.ts';
import { barsFromCloses, closesArb } from './helpers/bars.ts';

const risk = parseSolarSystemConfig({}).risk;
const sizing = (sigma: number, sigmaLong: number): SizingReading => ({
  periodsPerYear: 252,
  sigma,
  sigmaLong,
  stopDistance: null,
});

describe('forecast and size are separate: volatility targeting', () => {
  it('weight = clip(forecast × σ_target / σ̂, ±cap) × risk multiplier', () => {
    // an index: long-run 12 % < the 15 % floor, so the target is 15 %; σ̂ 20 %
    expect(
      targetWeight({ symbol: 'SPY', forecast: 0.8, sizing: sizing(0.2, 0.12), risk, riskMultiplier: 1 }),
    ).toBeCloseTo((0.8 * 0.15) / 0.2, 12);
    // the cap (maxPositionFraction) and the multiplier
    expect(
      targetWeight({ symbol: 'SPY', forecast: 1, sizing: sizing(0.05, 0.12), risk, riskMultiplier: 0.5 }),
    ).toBe(0.5 * risk.maxPositionFraction);
    // unknown volatility: no size yet
    expect(
      targetWeight({
        symbol: 'X',
        forecast: 1,
        sizing: { ...sizing(0.2, 0.2), sigma: null },
        risk,
        riskMultiplier: 1,
      }),
    ).toBeNull();
  });

  it("auto vol target comes from the asset's own long-run volatility, not its name", () => {
    expect(volTargetOf('SPY', sizing(0.2, 0.12), risk)).toBe(0.15);
    expect(volTargetOf('ANYCOIN', sizing(0.9, 0.75), risk)).toBe(0.75);
    expect(volTargetOf('BTC', sizing(0.9, 0.75), { ...risk, volTargets: { BTC: 0.4 } })).toBe(0.4);
    expect(volTargetOf('BTC', sizing(0.9, 0.75), { ...risk, volTarget: 0.2 })).toBe(0.2);
  });

  it('Kelly is the textbook μ/σ² of a held position on the calibrated edge, times the fraction', () => {
    const kelly = { ...risk, sizing: 'kelly' as const, kellyFraction: 0.5, maxPositionFraction: 10 };
    // β 0.0004 per bar per unit forecast, forecast 0.5: μ = 0.0002 × 252 = 5.04 %/yr; σ 20 %
    const w = targetWeight({
      symbol: 'X',
      forecast: 0.5,
      sizing: sizing(0.2, 0.2),
      risk: kelly,
      riskMultiplier: 1,
      beta: 0.0004,
    });
    expect(w).toBeCloseTo((0.5 * (0.0004 * 0.5 * 252)) / 0.04, 12);
    // no calibrated edge (or a negative one): no bet
    expect(
      targetWeight({
        symbol: 'X',
        forecast: 0.5,
        sizing: sizing(0.2, 0.2),
        risk: kelly,
        riskMultiplier: 1,
        beta: null,
      }),
    ).toBe(0);
    expect(
      targetWeight({
        symbol: 'X',
        forecast: 0.5,
        sizing: sizing(0.2, 0.2),
        risk: kelly,
        riskMultiplier: 1,
        beta: -1,
      }),
    ).toBe(0);
  });

  it('the edge calibrator recovers the slope of next-bar returns on the forecast', () => {
    const cal = new EdgeCalibrator(10_000, 100);
    let close = 100;
    let f = 0;
    for (let i = 0; i < 3000; i++) {
      // the next bar's return is exactly 0.001 × the forecast plus zero-mean noise of period 2
      const noise = (i % 2 === 0 ? 1 : -1) * 0.002;
      close *= 1 + 0.001 * f + noise * (i > 0 ? 1 : 0);
      f = Math.sin(i / 7);
      cal.observe(close, f);
    }
    expect(cal.beta).toBeCloseTo(0.001, 3);
  });

  it('a held target is traded back to only past the band; flat and flips always trade', () => {
    const band = { ...risk, rebalanceBand: 0.2, minTradeFraction: 0.01 };
    expect(needsRebalance(0.5, 0.45, band)).toBe(false); // 0.05 < 0.2 × 0.5
    expect(needsRebalance(0.5, 0.35, band)).toBe(true);
    expect(needsRebalance(0, 0.02, band)).toBe(true);
    expect(needsRebalance(-0.1, 0.1, band)).toBe(true);
    expect(needsRebalance(0.005, 0, band)).toBe(false); // under minTradeFraction
  });

  it('the portfolio never exceeds the exposure cap: every weight scaled by the same factor', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ minLength: 1, maxLength: 4 }), fc.double({ min: -1, max: 1, noNaN: true })),
        fc.double({ min: 0.1, max: 3, noNaN: true }),
        (targets, cap) => {
          const { scale, targets: out } = scaleToExposure(targets, cap);
          const gross = Object.values(out).reduce((a, w) => a + Math.abs(w), 0);
          expect(gross).toBeLessThanOrEqual(cap + 1e-9);
          for (const [s, w] of Object.entries(targets)) expect(out[s]).toBeCloseTo(w * scale, 12);
        },
      ),
    );
  });
});

describe('the trend and drawdown moons', () => {
  it('the trend forecast is positive in a steady rise, negative in a fall, within [−1, 1]', () => {
    const up = trendMoon([
      [16, 64],
      [32, 128],
      [64, 256],
    ]);
    const down = trendMoon([
      [16, 64],
      [32, 128],
      [64, 256],
    ]);
    let u = up.empty;
    let d = down.empty;
    const noisy = (i: number) => 1 + 0.01 * Math.sin(i);
    for (const [i, b] of barsFromCloses(
      Array.from({ length: 300 }, (_, i) => 100 * 1.002 ** i * noisy(i)),
    ).entries()) {
      u = up.update({ bar: b, readings: {}, positionQty: 0 });
      void i;
    }
    for (const b of barsFromCloses(Array.from({ length: 300 }, (_, i) => 100 * 0.998 ** i * noisy(i))))
      d = down.update({ bar: b, readings: {}, positionQty: 0 });
    expect(u.forecast).toBeGreaterThan(0.3);
    expect(d.forecast).toBeLessThan(-0.3);
    expect(u.speeds.every((x) => x !== null)).toBe(true);
  });

  it('drawdown is measured from the rolling peak (brute force over the window agrees)', () => {
    fc.assert(
      fc.property(closesArb(2, 300), fc.integer({ min: 1, max: 60 }), (closes, window) => {
        const moon = drawdownMoon(window);
        barsFromCloses(closes).forEach((bar, i) => {
          const r = moon.update({ bar, readings: {}, positionQty: 0 });
          const peak = Math.max(...closes.slice(Math.max(0, i - window + 1), i + 1));
          expect(r.peak).toBe(peak);
          expect(r.drawdown).toBeCloseTo(1 - closes[i]! / peak, 12);
        });
      }),
    );
  });
});

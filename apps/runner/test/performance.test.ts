import type { Fill } from '@orrery/broker';
import { describe, expect, it } from 'vitest';
import { computePerformance, drawdowns, inferPeriodsPerYear } from '../src/metrics/performance.ts';
import { roundTrips } from '../src/metrics/round-trips.ts';
import { modeMixOverTime, summariseUsage } from '../src/metrics/usage.ts';

const DAY = 86_400_000;
const fill = (
  time: number,
  side: 'buy' | 'sell',
  qty: number,
  price: number,
  fee: number,
  realizedPnl = 0,
): Fill => ({
  id: `f${time}`,
  symbol: 'X',
  side,
  time,
  qty,
  price,
  fee,
  slippage: 0,
  realizedPnl,
});

describe('performance metrics', () => {
  it('computes return, CAGR, drawdown and buy-and-hold from a known curve', () => {
    // Two years of daily points growing 100 → 121 (10 %/year), with one 20 % dip.
    const curve = Array.from({ length: 731 }, (_, i) => ({
      time: i * DAY,
      equity: 100 * 1.1 ** (i / 365.25),
    }));
    curve[300] = { time: 300 * DAY, equity: curve[299]!.equity * 0.8 };
    const p = computePerformance({ startEquity: 100, curve, closes: [50, 60, 75], fills: [] });
    expect(p.totalReturn).toBeCloseTo(1.1 ** (730 / 365.25) - 1, 10);
    expect(p.cagr).toBeCloseTo(0.1, 3);
    expect(p.maxDrawdown).toBeCloseTo(0.2, 10);
    expect(p.buyAndHoldReturn).toBeCloseTo(0.5, 12);
    expect(p.periodsPerYear).toBeCloseTo(365.25, 6);
    expect(p.sharpe).toBeGreaterThan(0);
    expect(p.sortino).toBeGreaterThan(0);
  });

  it('annualises Sharpe and Sortino with the sample and downside deviations', () => {
    const eq = [100, 110, 99, 108.9, 98.01];
    const curve = eq.map((equity, i) => ({ time: i * DAY, equity }));
    const p = computePerformance({ startEquity: 100, curve, closes: [], fills: [] });
    const r = [0, 0.1, -0.1, 0.1, -0.1];
    const mean = r.reduce((a, b) => a + b) / r.length;
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / (r.length - 1));
    const dd = Math.sqrt(r.reduce((a, x) => a + Math.min(0, x) ** 2, 0) / r.length);
    const ppy = inferPeriodsPerYear(curve.map((c) => c.time));
    expect(p.sharpe).toBeCloseTo((mean / sd) * Math.sqrt(ppy), 9);
    expect(p.sortino).toBeCloseTo((mean / dd) * Math.sqrt(ppy), 9);
    expect(computePerformance({ startEquity: 100, curve: [], closes: [], fills: [] })).toMatchObject({
      totalReturn: 0,
      cagr: null,
      sharpe: null,
      winRate: null,
    });
  });

  it('infers bars per year from the data (trading days, calendar days, hours)', () => {
    const weekdays: number[] = [];
    for (let d = 0; weekdays.length < 1000; d++)
      if (new Date(d * DAY).getUTCDay() % 6 !== 0) weekdays.push(d * DAY);
    expect(inferPeriodsPerYear(weekdays)).toBeCloseTo(261, -1);
    expect(inferPeriodsPerYear(Array.from({ length: 9000 }, (_, i) => i * 3_600_000))).toBeCloseTo(8766, 0);
  });

  it('drawdown is measured from the running peak', () => {
    expect(drawdowns([100, 120, 90, 130, 65])).toEqual([0, 0, 0.25, 0, 0.5]);
  });
});

describe('round trips', () => {
  it('counts trips net of fees on both sides, splitting a flip fill between two trips', () => {
    const fills = [
      fill(1, 'buy', 10, 100, 1),
      fill(2, 'buy', 10, 110, 1), // adds: avg 105
      fill(3, 'sell', 20, 120, 2, 20 * 15), // closes: +300 − 4 fees
      fill(4, 'buy', 5, 100, 0.5),
      fill(5, 'sell', 10, 90, 1, 5 * -10), // closes the long at −50, opens a short of 5 (half the fee each)
      fill(6, 'buy', 5, 80, 0.5, 5 * 10), // covers: +50
    ];
    const trips = roundTrips(fills);
    expect(trips.map((t) => [t.side, t.openedAt, t.closedAt])).toEqual([
      ['long', 1, 3],
      ['long', 4, 5],
      ['short', 5, 6],
    ]);
    expect(trips[0]!.pnl).toBeCloseTo(296, 10);
    expect(trips[1]!.pnl).toBeCloseTo(-50 - 0.5 - 0.5, 10);
    expect(trips[2]!.pnl).toBeCloseTo(50 - 0.5 - 0.5, 10);
    const p = computePerformance({
      startEquity: 1000,
      curve: [{ time: 6, equity: 1200 }],
      closes: [],
      fills,
    });
    expect(p.trades).toBe(3);
    expect(p.winRate).toBeCloseTo(2 / 3, 12);
    expect(p.feesPaid).toBeCloseTo(6, 12);
  });
});

describe('LLM usage', () => {
  const cyc = (time: number, mode: string, calls = 0, fallback?: string) => ({
    time,
    mode,
    calls,
    tokensIn: calls * 100,
    tokensOut: calls * 10,
    costUsd: calls * 0.001,
    ...(fallback ? { fallback } : {}),
  });

  it('sums calls, tokens and cost and gives the mode mix in percent', () => {
    const cycles = [
      ...Array.from({ length: 17 }, (_, i) => cyc(i, 'MONITOR_ONLY')),
      cyc(17, 'LIGHT_REASONING', 4),
      cyc(18, 'LIGHT_REASONING', 0, 'consensus'),
      cyc(19, 'FULL_AGENT', 6),
    ];
    const u = summariseUsage(cycles);
    expect(u.modePct).toEqual({ MONITOR_ONLY: 85, LIGHT_REASONING: 10, FULL_AGENT: 5 });
    expect(u).toMatchObject({
      cycles: 20,
      llmCalls: 10,
      tokensIn: 1000,
      tokensOut: 100,
      fallbacks: 1,
      cyclesWithoutCall: 18,
    });
    expect(u.costUsd).toBeCloseTo(0.01, 12);
    const mix = modeMixOverTime(cycles, 4);
    expect(mix.map((m) => m.time)).toEqual([0, 5, 10, 15]);
    expect(mix[3]!.pct).toEqual({ MONITOR_ONLY: 40, LIGHT_REASONING: 40, FULL_AGENT: 20 });
  });
});

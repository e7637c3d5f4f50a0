import type { Fill, Order } from '@orrery/broker';
import { PaperBroker } from '@orrery/broker';
import type { Bar } from '@orrery/feeds';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buyAndHold } from '../src/metrics/benchmark.ts';
import { exitReason } from '../src/metrics/exit-reason.ts';
import { monthlyReturns, yearTable } from '../src/metrics/monthly.ts';
import { computeScoreboard } from '../src/metrics/scoreboard.ts';
import { countCallsAvoided, spendOverTime } from '../src/metrics/usage.ts';
import { tradesCsv } from '../src/report/trades-csv.ts';

const DAY = 86_400_000;
const T0 = Date.UTC(2021, 0, 1);

function barsOf(prices: readonly number[], start = T0): Bar[] {
  return prices.map((p, i) => ({
    time: start + i * DAY,
    open: p,
    high: p * 1.01,
    low: p * 0.99,
    close: p,
    volume: 1000,
  }));
}

/** Trades `targets` (fraction of equity per bar, per symbol) through the real paper broker. */
function trade(
  series: readonly { symbol: string; bars: readonly Bar[] }[],
  targets: (symbol: string, i: number) => number,
  allowShort: boolean,
) {
  const broker = new PaperBroker({
    initialCash: 10_000,
    feeBps: 10,
    slippageBps: 5,
    slippageRangeFraction: 0,
    allowShort,
    maxLeverage: 2,
    lotSize: 0,
  });
  const fills: Fill[] = [];
  const orders: Order[] = [];
  const curve: { time: number; equity: number }[] = [];
  const shown: { gross: number; equity: number; open: boolean }[] = [];
  const n = series[0]!.bars.length;
  for (let i = 0; i < n; i++) {
    for (const s of series) fills.push(...broker.onBar(s.symbol, s.bars[i]!));
    const equity = broker.equity();
    const gross = series.reduce((a, s) => a + Math.abs(broker.qty(s.symbol)) * s.bars[i]!.close, 0);
    shown.push({ gross, equity, open: series.some((s) => broker.qty(s.symbol) !== 0) });
    for (const s of series) {
      const bar = s.bars[i]!;
      const delta = (targets(s.symbol, i) * equity) / bar.close - broker.qty(s.symbol);
      if (Math.abs(delta) * bar.close > 1)
        broker.place({
          id: `${s.symbol}/${i}`,
          symbol: s.symbol,
          side: delta > 0 ? 'buy' : 'sell',
          type: 'market',
          qty: Math.abs(delta),
          placedAt: bar.time,
          reason: `consensus: target ${targets(s.symbol, i)}`,
        });
    }
    orders.push(...broker.drainChangedOrders());
    curve.push({ time: series[0]!.bars[i]!.time, equity });
  }
  return { fills, orders, curve, shown, equity: broker.equity() };
}

describe('the scoreboard, from what a run recorded', () => {
  it('exposure, trades and per-symbol contributions agree with the broker for any run (property)', () => {
    const prices = fc.array(fc.double({ min: 50, max: 150, noNaN: true }), { minLength: 5, maxLength: 40 });
    fc.assert(
      fc.property(
        prices,
        prices,
        fc.array(fc.constantFrom(-0.6, -0.2, 0, 0, 0.3, 0.5, 0.9), { minLength: 40, maxLength: 40 }),
        fc.boolean(),
        (pa, pb, targets, allowShort) => {
          const n = Math.min(pa.length, pb.length);
          const series = [
            { symbol: 'A', bars: barsOf(pa.slice(0, n)) },
            { symbol: 'B', bars: barsOf(pb.slice(0, n)) },
          ];
          const target = (symbol: string, i: number) =>
            (symbol === 'A' ? targets[i]! : targets[39 - i]!) *
            (allowShort ? 1 : Math.sign(targets[i]!) >= 0 ? 1 : 0);
          const run = trade(series, target, allowShort);
          const s = computeScoreboard({
            initialCash: 10_000,
            curve: run.curve,
            fills: run.fills,
            orders: run.orders,
            cycles: [],
            series,
            llmReachable: false,
            cacheHits: 0,
          });
          // An account at or below zero has no exposure to speak of: such bars count as 0.
          const exposure =
            run.shown.reduce((a, x) => a + (x.equity > 0 ? x.gross / x.equity : 0), 0) / run.shown.length;
          expect(s.exposure.exposure, 'exposure').toBeCloseTo(exposure, 9);
          expect(s.exposure.timeInMarket, 'time in market').toBeCloseTo(
            run.shown.filter((x) => x.open).length / n,
            12,
          );
          // Every trade (open ones marked at the last close) adds up to the account's P&L, and so do the symbols.
          const pnl = run.equity - 10_000;
          expect(s.trades.reduce((a, t) => a + t.pnl, 0)).toBeCloseTo(pnl, 4);
          expect(s.symbols.reduce((a, r) => a + r.contribution, 0)).toBeCloseTo(s.performance.totalReturn, 9);
          expect(s.symbols.reduce((a, r) => a + r.trades, 0)).toBe(s.performance.trades);
          for (const t of s.trades) {
            expect(t.exitTime).toBeGreaterThanOrEqual(t.entryTime);
            if (t.status === 'closed') expect(t.exitSource).toBe('consensus');
          }
          const csv = tradesCsv(s.trades).trim().split('\n');
          expect(csv).toHaveLength(s.trades.length + 1);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('profit factor and expectancy are the closed trades’ gains over losses and mean P&L', () => {
    // Buy at 100, sell at 110; buy at 110, sell at 99; buy at 99, still held at 120.
    const bars = barsOf([100, 100, 110, 110, 110, 99, 99, 99, 120]);
    const plan = [1, 1, 0, 0.5, 0.5, 0, 0.8, 0.8, 0.8];
    const run = trade([{ symbol: 'X', bars }], (_, i) => plan[i]!, false);
    const s = computeScoreboard({
      initialCash: 10_000,
      curve: run.curve,
      fills: run.fills,
      orders: run.orders,
      cycles: [],
      series: [{ symbol: 'X', bars }],
      llmReachable: false,
      cacheHits: 0,
    });
    const closed = s.trades.filter((t) => t.status === 'closed');
    expect(closed).toHaveLength(2);
    expect(s.trades.at(-1)).toMatchObject({ status: 'open', exitSource: 'open' });
    expect(s.trades.at(-1)!.exitPrice).toBeCloseTo(120, 3); // small rebalancing sells at 99 weigh in
    const [win, loss] = closed;
    expect(win!.pnl).toBeGreaterThan(0);
    expect(loss!.pnl).toBeLessThan(0);
    expect(s.tradeStats.profitFactor).toBeCloseTo(win!.pnl / -loss!.pnl, 12);
    expect(s.tradeStats.expectancy).toBeCloseTo((win!.pnl + loss!.pnl) / 2, 12);
    expect(win!.entryPrice).toBeCloseTo(100 * 1.0005, 9); // slippage 5 bps
    expect(win!.returnFraction).toBeCloseTo(win!.pnl / (win!.qty * win!.entryPrice), 12);
    expect(win!.bars).toBe(2); // filled at bar 1's open, sold at bar 3's
    expect(win!.days).toBe(2);
  });

  it('equal-weight buy-and-hold keeps a symbol’s part in cash until its first bar', () => {
    const a = barsOf([100, 110, 121, 133.1]);
    const b = barsOf([50, 25], T0 + 2 * DAY);
    const bh = buyAndHold(
      a.map((x) => x.time),
      [
        { symbol: 'A', bars: a },
        { symbol: 'B', bars: b },
      ],
      1000,
    );
    expect(bh.kind).toBe('equal-weight');
    expect(bh.equity.map((p) => p.equity)).toEqual([1000, 550 + 500, 605 + 500, 665.5 + 250]);
    expect(bh.figures.totalReturn).toBeCloseTo(-0.0845, 12);
    expect(bh.figures.maxDrawdown).toBeCloseTo(1 - 915.5 / 1105, 12);
  });

  it('an exit names the order that closed it: a stop, an operator, or the cycle’s source and clamps', () => {
    const order = (id: string, o: Partial<Order>): Order => ({
      id,
      symbol: 'X',
      side: 'sell',
      type: 'market',
      qty: 1,
      placedAt: 5,
      tif: 'next-bar',
      reason: 'risk: stop breached',
      status: 'filled',
      filledQty: 1,
      note: undefined,
      closedAt: 6,
      limitPrice: undefined,
      stopPrice: undefined,
      ...o,
    });
    const orders = new Map(
      [
        order('stop', { type: 'stop', stopPrice: 95, reason: 'stop for consensus: x' }),
        order('op', { reason: 'operator: flatten by ana: going home' }),
        order('risk', {}),
        order('plain', { reason: 'a rationale without a source' }),
      ].map((o) => [o.id, o]),
    );
    const cycle = {
      mode: 'MONITOR_ONLY',
      decision: { source: 'monitor' },
      clamps: ['stop breached: close the position'],
    };
    const at = (symbol: string, time: number) => (symbol === 'X' && time === 5 ? cycle : undefined);
    expect(exitReason('stop', orders, at)).toEqual({
      source: 'stop',
      text: 'stop order at 95.0000 (placed 1970-01-01) hit',
    });
    expect(exitReason('op', orders, at)).toEqual({
      source: 'operator',
      text: 'operator · flatten by ana: going home',
    });
    expect(exitReason('risk', orders, at)).toEqual({
      source: 'risk',
      text: 'risk rule · clamped: stop breached: close the position · MONITOR_ONLY',
    });
    expect(exitReason('plain', orders, at).source).toBe('monitor');
    expect(exitReason('gone', orders, at).source).toBe('unknown');
  });

  it('counts calls avoided only with an LLM reachable', () => {
    const c = (mode: string, calls: number, skipped = false) => ({
      time: 0,
      mode,
      calls,
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
      planets: [
        { llm: { outcome: 'answered' } },
        ...(skipped ? [{ llm: { outcome: 'skipped', detail: 'nothing to ask' } }] : []),
      ],
    });
    const cycles = [
      c('MONITOR_ONLY', 0),
      c('MONITOR_ONLY', 0),
      c('LIGHT_REASONING', 3),
      c('LIGHT_REASONING', 2, true),
      c('LIGHT_REASONING', 0), // refused: not avoided, could not call
      c('FULL_AGENT', 6),
    ];
    expect(countCallsAvoided(cycles, { llmReachable: true, cacheHits: 4 })).toEqual({
      total: 7,
      monitorCycles: 2,
      partialCycles: 1,
      cacheHits: 4,
      llmReachable: true,
    });
    expect(countCallsAvoided(cycles, { llmReachable: false, cacheHits: 4 }).total).toBe(0);
  });

  it('monthly returns compound to the total; spend over time keeps its final totals when thinned', () => {
    const curve = Array.from({ length: 400 }, (_, i) => ({
      time: T0 + i * DAY,
      equity: 1000 * (1 + 0.3 * Math.sin(i / 30)) + i,
    }));
    const months = monthlyReturns(1000, curve);
    expect(months[0]).toMatchObject({ year: 2021, month: 1 });
    expect(months).toHaveLength(14);
    const total = months.reduce((a, m) => a * (1 + m.return), 1) - 1;
    expect(total).toBeCloseTo(curve.at(-1)!.equity / 1000 - 1, 12);
    const years = yearTable(months);
    expect(years.map((y) => y.year)).toEqual([2021, 2022]);
    expect(years[1]!.months.slice(2)).toEqual(Array(10).fill(null));
    expect((1 + years[0]!.total) * (1 + years[1]!.total) - 1).toBeCloseTo(total, 12);

    const cycles = curve.map((p, i) => ({
      time: p.time,
      mode: 'LIGHT_REASONING',
      calls: i % 3,
      tokensIn: 10,
      tokensOut: 1,
      costUsd: 0.001 * (i % 3),
    }));
    const spend = spendOverTime(cycles, 50);
    expect(spend).toHaveLength(50);
    expect(spend.at(-1)).toMatchObject({ time: curve.at(-1)!.time, tokens: 400 * 11 });
    expect(spend.at(-1)!.calls).toBe(cycles.reduce((a, c) => a + c.calls, 0));
    for (let i = 1; i < spend.length; i++)
      expect(spend[i]!.calls).toBeGreaterThanOrEqual(spend[i - 1]!.calls);
  });
});

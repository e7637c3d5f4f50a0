import type { Fill, Order } from '@orrery/broker';
import { type Benchmark, buyAndHold } from './benchmark.ts';
import type { ExitCycle } from './exit-reason.ts';
import { type ExposureFigures, exposureFigures, holdingsPath, type SymbolCloses } from './holdings.ts';
import { type MonthReturn, monthlyReturns } from './monthly.ts';
import { computePerformance, type Performance } from './performance.ts';
import { type SymbolRow, symbolRows } from './symbols.ts';
import { type Trade, type TradeStats, tradeList, tradeStats } from './trades.ts';
import {
  type CallsAvoided,
  type CycleUsage,
  countCallsAvoided,
  type SpendPoint,
  spendOverTime,
  summariseUsage,
  type UsageSummary,
} from './usage.ts';

/** A stored cycle as the scoreboard reads it: usage and what the exit reasons need. */
export type ScoreCycle = CycleUsage & ExitCycle & { readonly symbol: string };

/** Everything a trader reads about a run, computed from what the ledger recorded. */
export interface Scoreboard {
  readonly performance: Performance;
  readonly usage: UsageSummary;
  readonly callsAvoided: CallsAvoided;
  /** Average exposure and time in market, in total and per symbol. */
  readonly exposure: ExposureFigures;
  /** Buy-and-hold of the symbol, or equal-weight of all of them, on the run's bars. */
  readonly benchmark: Benchmark;
  readonly symbols: readonly SymbolRow[];
  readonly trades: readonly Trade[];
  readonly tradeStats: TradeStats;
  readonly monthly: readonly MonthReturn[];
  readonly spend: readonly SpendPoint[];
}

/**
 * Computes the scoreboard of a run from its ledger records: the equity curve, fills, orders, cycle
 * records, and the bars of every symbol over the run's range (cut at the curve's last point here).
 */
export function computeScoreboard(o: {
  readonly initialCash: number;
  readonly curve: readonly { time: number; equity: number }[];
  readonly fills: readonly Fill[];
  readonly orders: readonly Order[];
  readonly cycles: readonly ScoreCycle[];
  readonly series: readonly SymbolCloses[];
  readonly llmReachable: boolean;
  readonly cacheHits: number;
}): Scoreboard {
  const lastTime = o.curve.at(-1)?.time ?? Number.NEGATIVE_INFINITY;
  const series = o.series.map((s) => ({ symbol: s.symbol, bars: s.bars.filter((b) => b.time <= lastTime) }));
  const times = o.curve.map((p) => p.time);
  const benchmark = buyAndHold(times, series, o.initialCash);
  const performance = computePerformance({
    startEquity: o.initialCash,
    curve: o.curve,
    closes: benchmark.equity.map((p) => p.equity),
    fills: o.fills,
  });
  const exposure = exposureFigures(holdingsPath(o.curve, o.fills, series));
  const byBar = new Map(o.cycles.map((c) => [`${c.symbol}@${c.time}`, c]));
  const trades = tradeList({
    fills: o.fills,
    orders: o.orders,
    cycleAt: (symbol, time) => byBar.get(`${symbol}@${time}`),
    series,
    endTime: lastTime,
  });
  return {
    performance,
    usage: summariseUsage(o.cycles),
    callsAvoided: countCallsAvoided(o.cycles, { llmReachable: o.llmReachable, cacheHits: o.cacheHits }),
    exposure,
    benchmark,
    symbols: symbolRows({ series, fills: o.fills, trades, exposure, initialCash: o.initialCash }),
    trades,
    tradeStats: tradeStats(trades),
    monthly: monthlyReturns(o.initialCash, o.curve),
    spend: spendOverTime(o.cycles),
  };
}

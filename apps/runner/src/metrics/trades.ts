import type { Fill, Order } from '@orrery/broker';
import { type ExitCycle, exitReason } from './exit-reason.ts';
import type { SymbolCloses } from './holdings.ts';
import { splitTrips } from './round-trips.ts';

const DAY_MS = 86_400_000;

/** One line of the trade list: a round trip, or the position still open at the end (marked to market). */
export interface Trade {
  readonly symbol: string;
  readonly side: 'long' | 'short';
  /** `open`: still held at the end; its exit is the last close and its P&L includes the unrealised part. */
  readonly status: 'closed' | 'open';
  readonly entryTime: number;
  /** Quantity-weighted price of the fills that opened or added to the position. */
  readonly entryPrice: number;
  readonly exitTime: number;
  /** Quantity-weighted price of the exits (for an open trade: with the rest marked at the last close). */
  readonly exitPrice: number;
  /** Base units opened. */
  readonly qty: number;
  /** Net of every fee of the trip (quote currency). */
  readonly pnl: number;
  /** `pnl` over what the opening quantity cost (a fraction: 0.05 = 5 %). */
  readonly returnFraction: number;
  /** Bars of the symbol from the entry fill's bar to the exit's. */
  readonly bars: number;
  readonly days: number;
  /** Who closed it (see `ExitReason.source`) and why, in words. */
  readonly exitSource: string;
  readonly exitReason: string;
}

/** What the trades add up to, over closed trips only. */
export interface TradeStats {
  readonly closed: number;
  /** Gross profit of the winners / gross loss of the losers; `Infinity` with winners and no loser, null without trips. */
  readonly profitFactor: number | null;
  /** Mean P&L per closed trip (quote currency), and mean return per trip (fraction); null without trips. */
  readonly expectancy: number | null;
  readonly expectancyFraction: number | null;
  readonly winRate: number | null;
  readonly averageWin: number | null;
  readonly averageLoss: number | null;
  readonly averageBars: number | null;
}

/**
 * The trade list: every round trip of `fills` with its exit reason (from the order that closed it and the
 * cycle of the bar that placed that order), then each position still open, marked at the last close.
 */
export function tradeList(o: {
  readonly fills: readonly Fill[];
  readonly orders: readonly Order[];
  readonly cycleAt: (symbol: string, time: number) => ExitCycle | undefined;
  readonly series: readonly SymbolCloses[];
  /** Time of the run's last point (the exit time of open trades). */
  readonly endTime: number;
}): Trade[] {
  const orders = new Map(o.orders.map((x) => [x.id, x]));
  const index = new Map(o.series.map((s) => [s.symbol, s.bars]));
  const barsBetween = (symbol: string, from: number, to: number) => {
    const b = index.get(symbol);
    return b === undefined ? 0 : upTo(b, to) - upTo(b, from);
  };
  const { closed, open } = splitTrips(o.fills);
  const out: Trade[] = closed.map((t) => {
    const why = exitReason(t.exitFillId, orders, o.cycleAt);
    return {
      symbol: t.symbol,
      side: t.side,
      status: 'closed',
      entryTime: t.openedAt,
      entryPrice: t.entryPrice,
      exitTime: t.closedAt,
      exitPrice: t.exitPrice,
      qty: t.qty,
      pnl: t.pnl,
      returnFraction: t.entryNotional > 0 ? t.pnl / t.entryNotional : 0,
      bars: barsBetween(t.symbol, t.openedAt, t.closedAt),
      days: (t.closedAt - t.openedAt) / DAY_MS,
      exitSource: why.source,
      exitReason: why.text,
    };
  });
  for (const t of open) {
    const bars = index.get(t.symbol) ?? [];
    const last = bars[upTo(bars, o.endTime) - 1];
    const mark = last?.close ?? t.entryPrice;
    const pnl = t.cashFlow + t.held * mark;
    const exitQty = t.exitQty + Math.abs(t.held);
    out.push({
      symbol: t.symbol,
      side: t.side,
      status: 'open',
      entryTime: t.openedAt,
      entryPrice: t.entryPrice,
      exitTime: o.endTime,
      exitPrice: (t.exitNotional + Math.abs(t.held) * mark) / exitQty,
      qty: t.qty,
      pnl,
      returnFraction: t.entryNotional > 0 ? pnl / t.entryNotional : 0,
      bars: barsBetween(t.symbol, t.openedAt, o.endTime),
      days: (o.endTime - t.openedAt) / DAY_MS,
      exitSource: 'open',
      exitReason: 'still open at the end (marked at the last close)',
    });
  }
  return out;
}

/** Profit factor, expectancy, win rate and averages of the closed trades. */
export function tradeStats(trades: readonly Trade[]): TradeStats {
  const closed = trades.filter((t) => t.status === 'closed');
  const n = closed.length;
  const wins = closed.filter((t) => t.pnl > 0);
  const losses = closed.filter((t) => t.pnl < 0);
  const gain = wins.reduce((a, t) => a + t.pnl, 0);
  const loss = -losses.reduce((a, t) => a + t.pnl, 0);
  const mean = (xs: readonly number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  return {
    closed: n,
    profitFactor: n === 0 ? null : loss > 0 ? gain / loss : gain > 0 ? Number.POSITIVE_INFINITY : null,
    expectancy: mean(closed.map((t) => t.pnl)),
    expectancyFraction: mean(closed.map((t) => t.returnFraction)),
    winRate: n > 0 ? wins.length / n : null,
    averageWin: mean(wins.map((t) => t.pnl)),
    averageLoss: mean(losses.map((t) => t.pnl)),
    averageBars: mean(closed.map((t) => t.bars)),
  };
}

/** How many of `bars` (sorted by time) are at or before `time`. */
function upTo(bars: readonly { time: number }[], time: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bars[mid]!.time <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

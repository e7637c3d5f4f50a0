import type { Fill } from '@orrery/broker';
import { symbolBuyAndHold } from './benchmark.ts';
import type { ExposureFigures, SymbolCloses } from './holdings.ts';
import type { Trade } from './trades.ts';

/** One symbol's part in a run. Fractions (0.05 = 5 %). */
export interface SymbolRow {
  readonly symbol: string;
  /** The symbol's P&L (realised, fees, and the position left marked at its last close) / initial cash. */
  readonly contribution: number;
  readonly pnl: number;
  readonly exposure: number;
  readonly timeInMarket: number;
  /** Closed round trips, and the fraction of them with a positive net result. */
  readonly trades: number;
  readonly winRate: number | null;
  /** Buy at the symbol's first close of the run, hold to its last. */
  readonly buyAndHoldReturn: number;
}

/**
 * Per-symbol rows: the contributions add up to the run's total return (the account has no other cash
 * flow than fills, and equity is cash plus positions at their last close).
 */
export function symbolRows(o: {
  readonly series: readonly SymbolCloses[];
  readonly fills: readonly Fill[];
  readonly trades: readonly Trade[];
  readonly exposure: ExposureFigures;
  readonly initialCash: number;
}): SymbolRow[] {
  const symbols = [...new Set([...o.series.map((s) => s.symbol), ...o.fills.map((f) => f.symbol)])];
  return symbols.map((symbol) => {
    const bars = o.series.find((s) => s.symbol === symbol)?.bars ?? [];
    let flow = 0;
    let qty = 0;
    let lastPrice = 0;
    for (const f of o.fills) {
      if (f.symbol !== symbol) continue;
      const sign = f.side === 'buy' ? 1 : -1;
      flow += -sign * f.qty * f.price - f.fee;
      qty += sign * f.qty;
      lastPrice = f.price;
    }
    const pnl = flow + qty * (bars.at(-1)?.close ?? lastPrice);
    const closed = o.trades.filter((t) => t.symbol === symbol && t.status === 'closed');
    const e = o.exposure.bySymbol[symbol];
    return {
      symbol,
      contribution: o.initialCash > 0 ? pnl / o.initialCash : 0,
      pnl,
      exposure: e?.exposure ?? 0,
      timeInMarket: e?.timeInMarket ?? 0,
      trades: closed.length,
      winRate: closed.length > 0 ? closed.filter((t) => t.pnl > 0).length / closed.length : null,
      buyAndHoldReturn: symbolBuyAndHold(bars),
    };
  });
}

import type { SymbolCloses } from './holdings.ts';
import { type RiskFigures, riskFigures } from './performance.ts';

/** Buy-and-hold of the run's symbols: its equity on the run's times and its figures. */
export interface Benchmark {
  /** `single` for a one-symbol run; `equal-weight` splits the cash equally across the symbols. */
  readonly kind: 'single' | 'equal-weight';
  readonly symbols: readonly string[];
  /** Equity on the run's curve times, from the same starting cash. */
  readonly equity: readonly { time: number; equity: number }[];
  readonly figures: RiskFigures;
}

/**
 * Buy-and-hold on the curve's times: the cash split equally across `series` (all of it for one symbol),
 * each part bought at its symbol's first close and held, marked at the last close at or before each time
 * (a part whose symbol has not traded yet stays cash). Measured with {@link riskFigures}, like the run.
 */
export function buyAndHold(
  times: readonly number[],
  series: readonly SymbolCloses[],
  initialCash: number,
): Benchmark {
  const used = series.filter((s) => s.bars.length > 0);
  const sleeve = used.length > 0 ? initialCash / used.length : initialCash;
  const ix = used.map(() => 0);
  const marks: (number | undefined)[] = used.map(() => undefined);
  const equity = times.map((time) => {
    let e = used.length === 0 ? initialCash : 0;
    used.forEach((s, k) => {
      let i = ix[k]!;
      for (; i < s.bars.length && s.bars[i]!.time <= time; i++) marks[k] = s.bars[i]!.close;
      ix[k] = i;
      const m = marks[k];
      e += m === undefined ? sleeve : (sleeve * m) / s.bars[0]!.close;
    });
    return { time, equity: e };
  });
  return {
    kind: series.length > 1 ? 'equal-weight' : 'single',
    symbols: series.map((s) => s.symbol),
    equity,
    figures: riskFigures(initialCash, equity),
  };
}

/** A symbol's buy-and-hold return over its bars: last close / first close − 1 (0 without bars). */
export function symbolBuyAndHold(bars: SymbolCloses['bars']): number {
  const first = bars[0]?.close;
  const last = bars.at(-1)?.close;
  return first && last ? last / first - 1 : 0;
}

import type { Ledger } from '../broker/ledger-db.ts';
import type { Bar } from '../feeds/bar.ts';
import { computePerformance, drawdowns, type Performance } from '../metrics/performance.ts';
import { type CycleUsage, modeMixOverTime, summariseUsage, type UsageSummary } from '../metrics/usage.ts';
import type { ReportInput } from '../report/html-report.ts';

/** A finished (or stopped) run's figures, read back from the ledger. */
export interface RunOutcome {
  readonly performance: Performance;
  readonly usage: UsageSummary;
  /** Cycles that needed no LLM call plus answers served from the gateway's cache. */
  readonly callsAvoided: number;
  /** The report's data (without title, notes and source lines). */
  readonly series: Pick<ReportInput, 'equity' | 'buyAndHold' | 'drawdown' | 'prices' | 'fills' | 'modeMix'>;
}

/**
 * Reads a run back from its ledger and computes its performance against buy-and-hold of `bars` (the
 * main symbol's bars over the run's range) and its LLM usage.
 *
 * @param cacheHits answers the gateway served from its cache during the run (0 without a gateway).
 */
export function readRunOutcome(
  ledger: Ledger,
  runId: string,
  bars: readonly Bar[],
  initialCash: number,
  cacheHits: number,
): RunOutcome {
  const curve = ledger.equityCurve(runId);
  const fills = ledger.fills(runId);
  const cycles = ledger.cycles(runId).map((c) => c.record as CycleUsage);
  const lastTime = curve.at(-1)?.time ?? Number.NEGATIVE_INFINITY;
  const traded = bars.filter((b) => b.time <= lastTime);
  const performance = computePerformance({
    startEquity: initialCash,
    curve,
    closes: traded.map((b) => b.close),
    fills,
  });
  const usage = summariseUsage(cycles);

  // Buy-and-hold on the equity curve's times, carrying the last close over steps without a bar.
  const closeAt = new Map(traded.map((b) => [b.time, b.close]));
  const firstClose = traded[0]?.close ?? 1;
  let close = firstClose;
  const buyAndHold = curve.map((p) => {
    close = closeAt.get(p.time) ?? close;
    return (initialCash * close) / firstClose;
  });
  return {
    performance,
    usage,
    callsAvoided: usage.cyclesWithoutCall + cacheHits,
    series: {
      equity: curve,
      buyAndHold,
      drawdown: drawdowns(curve.map((p) => p.equity)),
      prices: traded.map((b) => ({ time: b.time, close: b.close })),
      fills,
      modeMix: modeMixOverTime(cycles),
    },
  };
}

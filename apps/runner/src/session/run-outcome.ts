import type { Ledger } from '@orrery/broker';
import type { SymbolCloses } from '../metrics/holdings.ts';
import type { Performance } from '../metrics/performance.ts';
import { drawdowns } from '../metrics/performance.ts';
import { routeSummary } from '../metrics/routing.ts';
import { computeScoreboard, type Scoreboard, type ScoreCycle } from '../metrics/scoreboard.ts';
import { modeMixOverTime, type UsageSummary } from '../metrics/usage.ts';
import type { ReportInput } from '../report/html-report.ts';
import { type CycleDigest, digestCycles } from './cycle-digest.ts';

/** A finished (or stopped) run's figures, read back from the ledger. */
export interface RunOutcome {
  readonly performance: Performance;
  readonly usage: UsageSummary;
  /** `scoreboard.callsAvoided.total`: calls an LLM could have answered and was not needed for. */
  readonly callsAvoided: number;
  /** Exposure, benchmark, per-symbol rows, trades, monthly returns, LLM spend over time. */
  readonly scoreboard: Scoreboard;
  /** The report's data (without title, notes and source lines). */
  readonly series: Pick<ReportInput, 'equity' | 'drawdown' | 'prices' | 'fills' | 'modeMix' | 'routing'>;
}

/**
 * Reads a run back from its ledger and computes its scoreboard against buy-and-hold of `series` (every
 * symbol's bars over the run's range; equal-weight when there are several) and its LLM usage.
 */
export function readRunOutcome(
  ledger: Ledger,
  runId: string,
  o: {
    readonly series: readonly SymbolCloses[];
    readonly initialCash: number;
    /** Answers the gateway served from its cache during the run (0 without a gateway). */
    readonly cacheHits: number;
    /** Whether an LLM could be called (a provider with a key or answering on this machine). */
    readonly llmReachable: boolean;
    /** The run's cycles, already read (default: read from the ledger here). */
    readonly cycles?: readonly CycleDigest[] | undefined;
  },
): RunOutcome {
  const curve = ledger.equityCurve(runId);
  const fills = ledger.fills(runId);
  const cycles: readonly ScoreCycle[] = o.cycles ?? digestCycles(ledger.eachCycle(runId));
  const scoreboard = computeScoreboard({
    initialCash: o.initialCash,
    curve,
    fills,
    orders: ledger.orders(runId),
    cycles,
    series: o.series,
    llmReachable: o.llmReachable,
    cacheHits: o.cacheHits,
  });
  const lastTime = curve.at(-1)?.time ?? Number.NEGATIVE_INFINITY;
  const main = o.series[0]?.bars.filter((b) => b.time <= lastTime) ?? [];
  return {
    performance: scoreboard.performance,
    usage: scoreboard.usage,
    callsAvoided: scoreboard.callsAvoided.total,
    scoreboard,
    series: {
      equity: curve,
      drawdown: drawdowns(curve.map((p) => p.equity)),
      prices: main.map((b) => ({ time: b.time, close: b.close })),
      fills: o.series.length > 1 ? fills.filter((f) => f.symbol === o.series[0]!.symbol) : fills,
      modeMix: modeMixOverTime(cycles),
      routing: routeSummary(cycles as readonly CycleDigest[]),
    },
  };
}

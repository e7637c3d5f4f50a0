import type { LlmRoi } from '../accountability/llm-roi.ts';
import type { Scoreboard } from '../metrics/scoreboard.ts';
import { MODE_ORDER } from '../metrics/usage.ts';
import type { CacheFigures } from '../session/cache-figures.ts';
import { type RunTiming, timingJson } from '../session/run-timer.ts';

const pct = (v: number | null) => (v === null ? null : v * 100);
const finite = (v: number | null) => (v === null || !Number.isFinite(v) ? null : v);

/**
 * The scoreboard as one JSON-ready object (`orrery paper --json`). Percentages are numbers (12.3 means
 * 12.3 %), drawdowns are positive, money is in the account's currency except `costUsd`; a figure that
 * cannot be said (too few bars, no trade) is null. `profitFactor` is null also when no trade lost
 * (`losingTrades` is then 0).
 */
export function scoreboardJson(o: {
  readonly runId: string;
  readonly scoreboard: Scoreboard;
  readonly roi?: LlmRoi | undefined;
  readonly report: string;
  readonly stopped: boolean;
  readonly notes: readonly string[];
  /** The answer caches' figures (absent: not measured by this command). */
  readonly cache?: CacheFigures | undefined;
  /** Where the run's time went (absent: not measured by this command). */
  readonly timing?: RunTiming | undefined;
}) {
  const s = o.scoreboard;
  const p = s.performance;
  const bh = s.benchmark.figures;
  const u = s.usage;
  const t = s.tradeStats;
  const a = s.callsAvoided;
  const closed = s.trades.filter((x) => x.status === 'closed');
  const curve = s.benchmark.equity;
  return {
    runId: o.runId,
    bars: curve.length,
    from: curve.length > 0 ? new Date(curve[0]!.time).toISOString() : null,
    to: curve.length > 0 ? new Date(curve.at(-1)!.time).toISOString() : null,
    stopped: o.stopped,
    startEquity: p.startEquity,
    endEquity: p.endEquity,
    returnPct: pct(p.totalReturn),
    cagrPct: pct(p.cagr),
    sharpe: p.sharpe,
    sortino: p.sortino,
    maxDrawdownPct: pct(p.maxDrawdown),
    exposurePct: pct(s.exposure.exposure),
    timeInMarketPct: pct(s.exposure.timeInMarket),
    trades: p.trades,
    fills: p.fills,
    winRatePct: pct(p.winRate),
    winningTrades: closed.filter((x) => x.pnl > 0).length,
    losingTrades: closed.filter((x) => x.pnl < 0).length,
    profitFactor: finite(t.profitFactor),
    expectancy: t.expectancy,
    expectancyPct: pct(t.expectancyFraction),
    averageBarsHeld: t.averageBars,
    feesPaid: p.feesPaid,
    periodsPerYear: p.periodsPerYear,
    buyAndHold: {
      kind: s.benchmark.kind,
      symbols: s.benchmark.symbols,
      returnPct: pct(bh.totalReturn),
      cagrPct: pct(bh.cagr),
      sharpe: bh.sharpe,
      sortino: bh.sortino,
      maxDrawdownPct: pct(bh.maxDrawdown),
    },
    symbols: s.symbols.map((r) => ({
      symbol: r.symbol,
      contributionPct: pct(r.contribution),
      pnl: r.pnl,
      exposurePct: pct(r.exposure),
      timeInMarketPct: pct(r.timeInMarket),
      trades: r.trades,
      winRatePct: pct(r.winRate),
      buyAndHoldPct: pct(r.buyAndHoldReturn),
    })),
    monthly: s.monthly.map((m) => ({
      month: `${m.year}-${String(m.month).padStart(2, '0')}`,
      returnPct: pct(m.return),
    })),
    modeMix: Object.fromEntries(MODE_ORDER.map((m) => [m, u.modePct[m] ?? 0])) as Record<
      (typeof MODE_ORDER)[number],
      number
    >,
    modeCounts: Object.fromEntries(MODE_ORDER.map((m) => [m, u.modeCounts[m] ?? 0])),
    /** Who could decide: with no LLM reachable, the planets decided every cycle deterministically. */
    decidedBy: a.llmReachable ? 'agents (LLM reachable)' : 'planets (deterministic, no LLM reachable)',
    llm: {
      reachable: a.llmReachable,
      calls: u.llmCalls,
      tokensIn: u.tokensIn,
      tokensOut: u.tokensOut,
      costUsd: u.costUsd,
      callsAvoided: a.total,
      avoided: { monitorCycles: a.monitorCycles, partialCycles: a.partialCycles, cacheHits: a.cacheHits },
      fallbacks: u.fallbacks,
      ...(o.roi === undefined
        ? {}
        : {
            roi: {
              llmPnl: o.roi.llmPnl,
              actualPnl: o.roi.actualPnl,
              counterfactualPnl: o.roi.counterfactualPnl,
              pnlPerLlmDollar: o.roi.pnlPerLlmDollar,
              llmInfluenced: o.roi.llmInfluenced,
              diverged: o.roi.diverged,
            },
          }),
    },
    ...(o.cache === undefined
      ? {}
      : {
          cache: {
            lookups: o.cache.lookups,
            hits: o.cache.hits,
            misses: o.cache.misses,
            hitRate: o.cache.hitRate,
            invalidations: o.cache.invalidations,
            callsSaved: o.cache.callsSaved,
            usdSaved: o.cache.usdSaved,
            byAgent: Object.fromEntries(
              Object.entries(o.cache.byAgent).map(([agent, s]) => [
                agent,
                { hits: s.hits, misses: { ...s.misses }, callsSaved: s.callsSaved, usdSaved: s.usdSaved },
              ]),
            ),
          },
        }),
    ...(o.timing === undefined ? {} : { timing: timingJson(o.timing) }),
    notes: o.notes,
    report: o.report,
  };
}

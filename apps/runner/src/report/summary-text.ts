import { type LlmRoi, roiRows } from '../accountability/llm-roi.ts';
import type { Scoreboard } from '../metrics/scoreboard.ts';
import { MODE_ORDER } from '../metrics/usage.ts';

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(2)} %`);
const num = (v: number | null, d = 2) => (v === null ? 'n/a' : v.toFixed(d));

/** The sentence the mode mix carries when no LLM could be called. */
export const NO_LLM_MIX = 'no LLM reachable: the planets decided every cycle deterministically';

/** The profit factor in words: `∞` with winners and no loser. */
export function profitFactorText(v: number | null): string {
  if (v === null) return 'n/a';
  return Number.isFinite(v) ? v.toFixed(2) : '∞ (no losing trade)';
}

/**
 * The run's figures as label/value pairs, shared by the terminal summary and the HTML report; with the
 * LLM ROI against the no-LLM consensus when `roi` is given.
 */
export function summaryRows(s: Scoreboard, roi?: LlmRoi | undefined): [string, string][] {
  const p = s.performance;
  const u = s.usage;
  const b = s.benchmark;
  const bh = b.figures;
  const t = s.tradeStats;
  const a = s.callsAvoided;
  const mix = `${MODE_ORDER.map((m) => `${m} ${(u.modePct[m] ?? 0).toFixed(1)} %`).join(' · ')} (${u.cycles} cycles)`;
  return [
    ['Total return', pct(p.totalReturn)],
    ['CAGR', `${pct(p.cagr)} (buy & hold ${pct(bh.cagr)})`],
    ['Sharpe', `${num(p.sharpe)} (buy & hold ${num(bh.sharpe)})`],
    ['Sortino', `${num(p.sortino)} (buy & hold ${num(bh.sortino)})`],
    ['Max drawdown', `${pct(p.maxDrawdown)} (buy & hold ${pct(bh.maxDrawdown)})`],
    ['Exposure (average)', `${pct(s.exposure.exposure)} of equity`],
    ['Time in market', pct(s.exposure.timeInMarket)],
    ['Trades (round trips)', `${p.trades} (${p.fills} fills)`],
    ['Win rate', pct(p.winRate)],
    ['Profit factor', profitFactorText(t.profitFactor)],
    [
      'Expectancy',
      t.expectancy === null ? 'n/a' : `${t.expectancy.toFixed(2)} per trade (${pct(t.expectancyFraction)})`,
    ],
    ['Fees paid', p.feesPaid.toFixed(2)],
    [
      'Buy & hold',
      b.kind === 'single'
        ? pct(bh.totalReturn)
        : `${pct(bh.totalReturn)} (equal weight of ${b.symbols.length})`,
    ],
    ['Final equity', `${p.endEquity.toFixed(2)} (from ${p.startEquity.toFixed(2)})`],
    ['Mode mix', a.llmReachable ? mix : `${mix}; ${NO_LLM_MIX}`],
    ['LLM calls', String(u.llmCalls)],
    ['Tokens (in / out)', `${u.tokensIn} / ${u.tokensOut}`],
    ['Cost', `$${u.costUsd.toFixed(4)}`],
    [
      'Calls avoided',
      a.llmReachable
        ? `${a.total} (${a.monitorCycles} monitor-only cycles, ${a.partialCycles} with a planet that had nothing to ask, ${a.cacheHits} cache hits)`
        : '0 (no LLM reachable)',
    ],
    ...(roi === undefined ? [] : roiRows(roi)),
  ];
}

/** Per-symbol rows as table cells (header first), shared by the terminal and the HTML report. */
export function symbolTable(s: Scoreboard): string[][] {
  return [
    ['symbol', 'contribution', 'exposure', 'in market', 'trades', 'win rate', 'buy & hold'],
    ...s.symbols.map((r) => [
      r.symbol,
      pct(r.contribution),
      pct(r.exposure),
      pct(r.timeInMarket),
      String(r.trades),
      pct(r.winRate),
      pct(r.buyAndHoldReturn),
    ]),
  ];
}

/** The summary as aligned terminal lines; a per-symbol table follows for a run on several symbols. */
export function formatSummary(s: Scoreboard, roi?: LlmRoi | undefined): string {
  const rows = summaryRows(s, roi);
  const w = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`);
  if (s.symbols.length > 1) {
    const table = symbolTable(s);
    const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
    lines.push(
      '',
      ...table.map((r) =>
        r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '),
      ),
    );
  }
  return lines.join('\n');
}

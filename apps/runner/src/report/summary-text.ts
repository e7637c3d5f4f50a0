import { type LlmRoi, roiRows } from '../accountability/llm-roi.ts';
import type { Performance } from '../metrics/performance.ts';
import type { UsageSummary } from '../metrics/usage.ts';
import { MODE_ORDER } from '../metrics/usage.ts';

const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(2)} %`);
const num = (v: number | null, d = 2) => (v === null ? 'n/a' : v.toFixed(d));

/**
 * The run's figures as label/value pairs, shared by the terminal summary and the HTML report; with the
 * LLM ROI against the no-LLM consensus when `roi` is given.
 */
export function summaryRows(
  p: Performance,
  u: UsageSummary,
  callsAvoided: number,
  roi?: LlmRoi | undefined,
): [string, string][] {
  return [
    ['Total return', pct(p.totalReturn)],
    ['CAGR', pct(p.cagr)],
    ['Sharpe', num(p.sharpe)],
    ['Sortino', num(p.sortino)],
    ['Max drawdown', pct(p.maxDrawdown)],
    ['Trades (round trips)', `${p.trades} (${p.fills} fills)`],
    ['Win rate', pct(p.winRate)],
    ['Fees paid', p.feesPaid.toFixed(2)],
    ['Buy & hold', pct(p.buyAndHoldReturn)],
    ['Final equity', `${p.endEquity.toFixed(2)} (from ${p.startEquity.toFixed(2)})`],
    [
      'Mode mix',
      `${MODE_ORDER.map((m) => `${m} ${(u.modePct[m] ?? 0).toFixed(1)} %`).join(' · ')} (${u.cycles} cycles)`,
    ],
    ['LLM calls', String(u.llmCalls)],
    ['Tokens (in / out)', `${u.tokensIn} / ${u.tokensOut}`],
    ['Cost', `$${u.costUsd.toFixed(4)}`],
    ['Calls avoided', String(callsAvoided)],
    ...(roi === undefined ? [] : roiRows(roi)),
  ];
}

/** The summary as aligned terminal lines. */
export function formatSummary(
  p: Performance,
  u: UsageSummary,
  callsAvoided: number,
  roi?: LlmRoi | undefined,
): string {
  const rows = summaryRows(p, u, callsAvoided, roi);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

import type { CliIO } from '../commands/io.ts';
import type { LoadedConfig } from '../config/load.ts';
import type { Performance } from '../metrics/performance.ts';
import { type PaperOptions, type PaperResult, runPaper } from './paper-run.ts';

/** One side of a learning on/off comparison: the figures that learning may move. */
export interface LearningSide {
  readonly runId: string;
  readonly totalReturn: number;
  readonly sharpe: number | null;
  readonly maxDrawdown: number;
  readonly trades: number;
  readonly llmCalls: number;
  readonly costUsd: number;
  /** The LLM's P&L against the no-LLM counterfactual (which learns, or not, alike); null without one. */
  readonly llmPnl: number | null;
}

/** `orrery paper --learning both`: the same data run with learning on and off. */
export interface LearningEffect {
  readonly on: LearningSide;
  readonly off: LearningSide;
  /** on − off, per figure (null when either Sharpe is undefined). */
  readonly difference: {
    readonly totalReturn: number;
    readonly sharpe: number | null;
    readonly maxDrawdown: number;
    readonly trades: number;
    readonly llmCalls: number;
  };
}

/** The configuration with the learning loop off (`learning: false`). */
export function withoutLearning(loaded: LoadedConfig): LoadedConfig {
  return { ...loaded, config: { ...loaded.config, learning: false } };
}

function side(r: PaperResult): LearningSide {
  const p: Performance = r.outcome.performance;
  return {
    runId: r.runId,
    totalReturn: p.totalReturn,
    sharpe: p.sharpe,
    maxDrawdown: p.maxDrawdown,
    trades: p.trades,
    llmCalls: r.outcome.usage.llmCalls,
    costUsd: r.outcome.usage.costUsd,
    llmPnl: r.roi?.roi.llmPnl ?? null,
  };
}

/**
 * Runs the same paper run twice — learning as configured (on) and with `learning: false` (off) — as
 * runs `<id>-learning-on` and `<id>-learning-off`, each with its own report, and prints both and their
 * difference. Memory and learning are per run, so neither run sees the other's outcomes.
 * @throws what `runPaper` throws; a configuration whose learning is already off is a usage error.
 */
export async function runLearningEffect(
  o: PaperOptions & { readonly runId: string },
  io: CliIO,
): Promise<LearningEffect & { results: { on: PaperResult; off: PaperResult } }> {
  const report = (suffix: string) =>
    o.reportPath === undefined ? {} : { reportPath: o.reportPath.replace(/(\.html)?$/, `-${suffix}$1`) };
  const on = await runPaper({ ...o, runId: `${o.runId}-learning-on`, ...report('learning-on') }, io);
  const off = await runPaper(
    {
      ...o,
      loaded: withoutLearning(o.loaded),
      runId: `${o.runId}-learning-off`,
      ...report('learning-off'),
    },
    io,
  );
  const a = side(on);
  const b = side(off);
  const effect: LearningEffect = {
    on: a,
    off: b,
    difference: {
      totalReturn: a.totalReturn - b.totalReturn,
      sharpe: a.sharpe === null || b.sharpe === null ? null : a.sharpe - b.sharpe,
      maxDrawdown: a.maxDrawdown - b.maxDrawdown,
      trades: a.trades - b.trades,
      llmCalls: a.llmCalls - b.llmCalls,
    },
  };
  for (const line of formatLearningEffect(effect)) io.out(line);
  return { ...effect, results: { on, off } };
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const num = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));
const signed = (s: string) => (s.startsWith('-') || s === 'n/a' ? s : `+${s}`);

/** The comparison as aligned text lines (a header, one row per figure). */
export function formatLearningEffect(e: LearningEffect): string[] {
  const rows: [string, string, string, string][] = [
    ['', 'learning on', 'learning off', 'on − off'],
    ['Total return', pct(e.on.totalReturn), pct(e.off.totalReturn), signed(pct(e.difference.totalReturn))],
    ['Sharpe', num(e.on.sharpe, 3), num(e.off.sharpe, 3), signed(num(e.difference.sharpe, 3))],
    ['Max drawdown', pct(e.on.maxDrawdown), pct(e.off.maxDrawdown), signed(pct(e.difference.maxDrawdown))],
    ['Trades', String(e.on.trades), String(e.off.trades), signed(String(e.difference.trades))],
    ['LLM calls', String(e.on.llmCalls), String(e.off.llmCalls), signed(String(e.difference.llmCalls))],
    [
      'LLM P&L vs no LLM',
      num(e.on.llmPnl),
      num(e.off.llmPnl),
      signed(num(e.on.llmPnl === null || e.off.llmPnl === null ? null : e.on.llmPnl - e.off.llmPnl)),
    ],
  ];
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]!.length)));
  return [
    `Learning effect (${e.on.runId} vs ${e.off.runId}):`,
    ...rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[0]!) : c.padStart(w[i]!))).join('  ')),
  ];
}

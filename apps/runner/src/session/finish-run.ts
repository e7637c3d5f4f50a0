import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Ledger } from '@orrery/broker';
import { type FeedReport, formatTime } from '@orrery/feeds';
import type { RunRoi } from '../accountability/run-roi.ts';
import type { CliIO } from '../commands/io.ts';
import type { SymbolCloses } from '../metrics/holdings.ts';
import { writeHtmlReport } from '../report/html-report.ts';
import { scoreboardJson } from '../report/scoreboard-json.ts';
import { formatSummary } from '../report/summary-text.ts';
import { writeTradesCsv } from '../report/trades-csv.ts';
import { type CacheFigures, formatCacheFigures } from './cache-figures.ts';
import { type CycleDigest, digestCycles } from './cycle-digest.ts';
import { type RunOutcome, readRunOutcome } from './run-outcome.ts';
import { formatTiming, RunTimer, type RunTiming } from './run-timer.ts';
import { stoppedChildren } from './supervision-summary.ts';

/** How the finish path prints: the text summary (default) or one JSON object (`--json`). */
export interface FinishOutput {
  /** Print one JSON object on stdout instead of the text summary. */
  readonly json?: boolean | undefined;
  /** Also write the trade list as CSV to this path (relative to the working folder). */
  readonly exportTrades?: string | undefined;
}

/** What {@link finishRun} needs: the run, its data and what the summary says beyond the ledger. */
export interface FinishInput extends FinishOutput {
  readonly ledger: Ledger;
  readonly runId: string;
  readonly kind: 'paper' | 'run';
  /** Every symbol's bars over the run's range, in the order of `symbols`: buy-and-hold and exposure. */
  readonly series: readonly SymbolCloses[];
  readonly symbols: readonly string[];
  readonly dataSource: string;
  readonly feedReport?: FeedReport | undefined;
  readonly notes: readonly string[];
  readonly cacheHits: number;
  /** What the agents' answer caches did (`agents.cache`): a summary line, and `cache` in the JSON. */
  readonly cache?: CacheFigures | undefined;
  /** Whether an LLM could be called during the run (calls avoided count only then). */
  readonly llmReachable: boolean;
  /** The LLM's worth against the no-LLM planet consensus, when computed. */
  readonly roi?: RunRoi | undefined;
  readonly reportPath: string;
  readonly stopped: boolean;
  /** The run's cycles, read once already (default: read here). */
  readonly cycles?: readonly CycleDigest[] | undefined;
  /** The run's timer: reading back and writing the report are charged to `report`; default a new one. */
  readonly timer?: RunTimer | undefined;
  readonly io: CliIO;
}

/**
 * Reads the run back from its ledger, writes the HTML report to `reportPath` (and the trade list CSV when
 * asked) and prints the summary (stdout: text, or one JSON object with `json`), its last line where the
 * run's time went, and, for a stopped run, how to resume it (stderr).
 */
export function finishRun(o: FinishInput): { outcome: RunOutcome; reportPath: string; timing: RunTiming } {
  const timer = o.timer ?? new RunTimer();
  const { outcome, reportPath, stopped } = timer.time('report', () => writeReports(o));
  const timing = timer.snapshot();
  if (o.json) {
    const obj = scoreboardJson({
      runId: o.runId,
      scoreboard: outcome.scoreboard,
      roi: o.roi?.roi,
      report: reportPath,
      stopped: o.stopped,
      notes: o.notes,
      cache: o.cache,
      timing,
    });
    o.io.out(JSON.stringify(obj));
  } else {
    const curve = outcome.series.equity;
    const span =
      curve.length > 0 ? `${formatTime(curve[0]!.time)} .. ${formatTime(curve.at(-1)!.time)}` : 'no bar';
    o.io.out(`Run ${o.runId} · ${o.symbols.join(', ')} · ${span} · ${outcome.usage.cycles} cycles`);
    o.io.out(formatSummary(outcome.scoreboard, o.roi?.roi));
    for (const line of stopped) o.io.out(line);
    if (o.cache !== undefined) for (const line of formatCacheFigures(o.cache)) o.io.out(line);
    o.io.out(formatTiming(timing));
    o.io.out(`Report: ${reportPath}`);
  }
  const lastTime = o.ledger.getRun(o.runId)?.lastTime;
  if (o.stopped && lastTime !== undefined)
    o.io.err(
      `stopped after ${formatTime(lastTime, false)}; continue with: orrery ${o.kind} --resume --run-id ${o.runId}`,
    );
  return { outcome, reportPath, timing };
}

/** Reads the run back and writes its HTML report (and the trades CSV when asked). */
function writeReports(o: FinishInput): { outcome: RunOutcome; reportPath: string; stopped: string[] } {
  const run = o.ledger.getRun(o.runId)!;
  const cycles = o.cycles ?? digestCycles(o.ledger.eachCycle(o.runId));
  const outcome = readRunOutcome(o.ledger, o.runId, {
    cycles,
    series: o.series,
    initialCash: run.settings.initialCash,
    cacheHits: o.cacheHits,
    llmReachable: o.llmReachable,
  });
  const reportPath = resolve(o.io.cwd, o.reportPath.replaceAll('{runId}', o.runId));
  const stopped = stoppedChildren(cycles);
  mkdirSync(dirname(reportPath), { recursive: true });
  writeHtmlReport(reportPath, {
    title: `Orrery ${o.kind === 'paper' ? 'paper run' : 'live paper run'} ${o.runId}`,
    runId: o.runId,
    symbol: o.symbols.join(', '),
    dataSource: o.dataSource,
    generatedAt: Date.now(),
    ...outcome.series,
    scoreboard: outcome.scoreboard,
    ...(o.feedReport ? { feedReport: o.feedReport } : {}),
    notes: [...o.notes, ...stopped],
    ...(o.roi ? { roi: o.roi } : {}),
  });
  if (o.exportTrades !== undefined) {
    const csv = resolve(o.io.cwd, o.exportTrades.replaceAll('{runId}', o.runId));
    mkdirSync(dirname(csv), { recursive: true });
    writeTradesCsv(csv, outcome.scoreboard.trades);
    o.io.err(`Trades: ${csv} (${outcome.scoreboard.trades.length})`);
  }
  return { outcome, reportPath, stopped };
}

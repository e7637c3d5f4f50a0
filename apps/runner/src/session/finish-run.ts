import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { RunRoi } from '../accountability/run-roi.ts';
import type { Ledger } from '../broker/ledger-db.ts';
import type { CliIO } from '../commands/io.ts';
import type { Bar } from '../feeds/bar.ts';
import type { FeedReport } from '../feeds/feed-report.ts';
import { formatTime } from '../feeds/parse-time.ts';
import { writeHtmlReport } from '../report/html-report.ts';
import { formatSummary } from '../report/summary-text.ts';
import { type RunOutcome, readRunOutcome } from './run-outcome.ts';
import { stoppedChildren } from './supervision-summary.ts';

/**
 * Reads the run back from its ledger, writes the HTML report to `reportPath` and prints the summary
 * (stdout) and, for a stopped run, how to resume it (stderr).
 */
export function finishRun(o: {
  readonly ledger: Ledger;
  readonly runId: string;
  readonly kind: 'paper' | 'run';
  /** The main symbol's bars over the run's range, for buy-and-hold. */
  readonly bars: readonly Bar[];
  readonly symbols: readonly string[];
  readonly dataSource: string;
  readonly feedReport?: FeedReport | undefined;
  readonly notes: readonly string[];
  readonly cacheHits: number;
  /** The LLM's worth against the no-LLM planet consensus, when computed. */
  readonly roi?: RunRoi | undefined;
  readonly reportPath: string;
  readonly stopped: boolean;
  readonly io: CliIO;
}): { outcome: RunOutcome; reportPath: string } {
  const run = o.ledger.getRun(o.runId)!;
  const outcome = readRunOutcome(o.ledger, o.runId, o.bars, run.settings.initialCash, o.cacheHits);
  const reportPath = resolve(o.io.cwd, o.reportPath.replaceAll('{runId}', o.runId));
  const stopped = stoppedChildren(o.ledger.cycles(o.runId));
  mkdirSync(dirname(reportPath), { recursive: true });
  writeHtmlReport(reportPath, {
    title: `Orrery ${o.kind === 'paper' ? 'paper run' : 'live paper run'} ${o.runId}`,
    runId: o.runId,
    symbol: o.symbols.join(', '),
    dataSource: o.dataSource,
    generatedAt: Date.now(),
    ...outcome.series,
    performance: outcome.performance,
    usage: outcome.usage,
    callsAvoided: outcome.callsAvoided,
    ...(o.feedReport ? { feedReport: o.feedReport } : {}),
    notes: [...o.notes, ...stopped],
    ...(o.roi ? { roi: o.roi } : {}),
  });
  const curve = outcome.series.equity;
  const span =
    curve.length > 0 ? `${formatTime(curve[0]!.time)} .. ${formatTime(curve.at(-1)!.time)}` : 'no bar';
  o.io.out(`Run ${o.runId} · ${o.symbols.join(', ')} · ${span} · ${outcome.usage.cycles} cycles`);
  o.io.out(formatSummary(outcome.performance, outcome.usage, outcome.callsAvoided, o.roi?.roi));
  for (const line of stopped) o.io.out(line);
  o.io.out(`Report: ${reportPath}`);
  if (o.stopped && run.lastTime !== undefined)
    o.io.err(
      `stopped after ${formatTime(run.lastTime, false)}; continue with: orrery ${o.kind} --resume --run-id ${o.runId}`,
    );
  return { outcome, reportPath };
}

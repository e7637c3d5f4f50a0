import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseSolarSystemConfig, type SolarSystemConfig } from '@orrery/agents';
import { Ledger, type StoredCycle } from '../broker/ledger-db.ts';
import { PaperBroker } from '../broker/paper-broker.ts';
import type { BrokerSettings } from '../broker/types.ts';
import type { CliIO } from '../commands/io.ts';
import { forRun, type LoadedConfig } from '../config/load.ts';
import { LedgerError, RunnerError, RunnerErrorCode } from '../errors.ts';
import { formatFeedReport } from '../feeds/feed-report.ts';
import { formatTime, parseTime } from '../feeds/parse-time.ts';
import { type DataSourceSpec, loadDataSource, type ResolvedSeries } from '../feeds/resolve-source.ts';
import { mergeSeries } from '../loop/steps.ts';
import { runTradingLoop } from '../loop/trading-loop.ts';
import { inferPeriodsPerYear } from '../metrics/performance.ts';
import { writeHtmlReport } from '../report/html-report.ts';
import { formatSummary } from '../report/summary-text.ts';
import { createLogSink } from './log-sink.ts';
import { openSystem } from './open-system.ts';
import { createProgress } from './progress.ts';
import { type RunOutcome, readRunOutcome } from './run-outcome.ts';

/** `orrery paper`'s options, after the command line and the config are combined. */
export interface PaperOptions {
  readonly loaded: LoadedConfig;
  /** Overrides `run.data` (one source). */
  readonly data?: DataSourceSpec | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly runId?: string | undefined;
  readonly resume?: boolean | undefined;
  /** Overrides `run.reportPath`. */
  readonly reportPath?: string | undefined;
  readonly progress: boolean;
}

/** What a paper run did. */
export interface PaperResult {
  readonly runId: string;
  readonly outcome: RunOutcome;
  readonly reportPath: string;
  /** Steps committed by this invocation, and steps replayed to warm up after a resume. */
  readonly committed: number;
  readonly warmed: number;
  /** True when stopped by a signal before the data ran out (resume it with `--resume`). */
  readonly stopped: boolean;
}

/**
 * Runs (or resumes) a paper-trading run of the whole hierarchy over replayed bars, writes the HTML report
 * and prints the summary.
 *
 * @throws FeedError, ConfigError, LedgerError (run exists / missing / started on other data), and the
 *   agents', memory's and gateway's own errors.
 */
export async function runPaper(o: PaperOptions, io: CliIO): Promise<PaperResult> {
  const { config } = o.loaded;
  const sources = o.data ? [o.data] : config.run.data;
  const series = sources.map((s) => loadDataSource(s));
  for (const s of series) io.err(formatFeedReport(s.report));

  const from = parseBound(o.from ?? config.run.from, '--from');
  const to = parseBound(o.to ?? config.run.to, '--to', true);
  const steps = mergeSeries(series, { from, to });
  if (steps.length === 0) throw new RunnerError(RunnerErrorCode.USAGE, 'no bar between --from and --to');

  mkdirSync(dirname(config.run.ledgerPath), { recursive: true });
  const ledger = Ledger.open(config.run.ledgerPath);
  try {
    const meta = runMeta(series, from, to);
    const { runId, settings, resumeAfter } = openRun(ledger, o, config.broker, meta);
    const broker = new PaperBroker(settings, resumeAfter === undefined ? undefined : ledger.loadState(runId));
    const log = createLogSink((line) => io.err(line));
    const agents = agentsConfig(o.loaded, series);
    const loaded = { ...o.loaded, config: forRun(config, runId) };
    const system = await openSystem({ loaded, agents, log });
    const notes: string[] = [];
    if (system.noLlmReason) {
      const note = `${system.noLlmReason}: the sun cannot think; running on planet consensus`;
      io.err(note);
      notes.push(note);
    }
    if (resumeAfter !== undefined) notes.push(`resumed after ${formatTime(resumeAfter, false)}`);

    const progress = createProgress({
      total: steps.length,
      enabled: o.progress && io.isTTY,
      stream: process.stderr,
    });
    const main = series[0]!;
    const closeOf = new Map(series.map((s) => [s.symbol, new Map(s.bars.map((b) => [b.time, b.close]))]));
    const observe = (c: StoredCycle) => {
      const close = closeOf.get(c.symbol)?.get(c.time);
      if (close !== undefined) system.outcomes?.observe(c, close);
    };
    // Episodes recorded before a resume still get their outcomes.
    if (resumeAfter !== undefined) for (const c of ledger.cycles(runId)) observe(c);
    let result: Awaited<ReturnType<typeof runTradingLoop>>;
    try {
      result = await runTradingLoop({
        runId,
        ledger,
        broker,
        strategy: system.strategy,
        steps,
        resumeAfter,
        minTradeFraction: agents.risk.minTradeFraction,
        signal: io.signal,
        onStep: ({ time, warm, records, cycles, equity }) => {
          progress.tick({ time, warm, equity, modes: records.map((r) => r.mode) });
          if (warm || !system.outcomes) return;
          for (const c of cycles) observe(c);
          system.outcomes.flush(time);
        },
      });
    } finally {
      progress.stop();
      await system.close();
    }
    if (!result.aborted) ledger.finishRun(runId, 'completed');
    if (log.repeats > 0) io.err(`(${log.repeats} repeated warnings not shown)`);

    const run = ledger.getRun(runId)!;
    const inRange = main.bars.filter(
      (b) => (from === undefined || b.time >= from) && (to === undefined || b.time <= to),
    );
    const outcome = readRunOutcome(
      ledger,
      runId,
      inRange,
      settings.initialCash,
      system.cacheHits(run.createdAt),
    );
    const reportPath = resolve(io.cwd, o.reportPath ?? config.run.reportPath.replaceAll('{runId}', runId));
    mkdirSync(dirname(reportPath), { recursive: true });
    writeHtmlReport(reportPath, {
      title: `Orrery paper run ${runId}`,
      runId,
      symbol: series.map((s) => s.symbol).join(', '),
      dataSource: series.map((s) => s.description).join('; '),
      generatedAt: Date.now(),
      ...outcome.series,
      performance: outcome.performance,
      usage: outcome.usage,
      callsAvoided: outcome.callsAvoided,
      feedReport: main.report,
      notes,
    });

    const span = `${formatTime(steps[0]!.time)} .. ${formatTime(run.lastTime ?? steps[0]!.time)}`;
    io.out(
      `Run ${runId} · ${series.map((s) => s.symbol).join(', ')} · ${span} · ${outcome.usage.cycles} cycles`,
    );
    io.out(formatSummary(outcome.performance, outcome.usage, outcome.callsAvoided));
    io.out(`Report: ${reportPath}`);
    if (result.aborted)
      io.err(
        `stopped after ${formatTime(run.lastTime ?? 0, false)}; continue with: orrery paper --resume --run-id ${runId}`,
      );
    return {
      runId,
      outcome,
      reportPath,
      committed: result.committed,
      warmed: result.warmed,
      stopped: result.aborted,
    };
  } finally {
    ledger.close();
  }
}

function parseBound(text: string | undefined, flag: string, endOfDay = false): number | undefined {
  if (text === undefined) return undefined;
  const t = parseTime(text);
  if (t === undefined)
    throw new RunnerError(RunnerErrorCode.USAGE, `${flag} '${text}' is not a date like 2015-01-31`);
  // A bare date as the upper bound includes that whole day.
  return endOfDay && /^\d{4}-\d{2}-\d{2}$/.test(text.trim()) ? t + 86_399_999 : t;
}

function runMeta(series: readonly ResolvedSeries[], from: number | undefined, to: number | undefined) {
  return {
    data: series.map((s) => ({
      symbol: s.symbol,
      path: s.path,
      bars: s.bars.length,
      last: s.bars.at(-1)?.time,
    })),
    from: from ?? null,
    to: to ?? null,
  };
}

function openRun(
  ledger: Ledger,
  o: PaperOptions,
  broker: BrokerSettings,
  meta: ReturnType<typeof runMeta>,
): { runId: string; settings: BrokerSettings; resumeAfter: number | undefined } {
  if (o.resume) {
    const run = o.runId ? ledger.getRun(o.runId) : ledger.listRuns().find((r) => r.status === 'running');
    if (!run) throw new LedgerError(o.runId ?? '(latest)', 'no such run to resume in the ledger');
    if (JSON.stringify(run.meta) !== JSON.stringify(meta))
      throw new LedgerError(
        run.id,
        `was started on other data or another range (${JSON.stringify(run.meta)})`,
      );
    return { runId: run.id, settings: run.settings, resumeAfter: run.lastTime };
  }
  const runId =
    o.runId ?? `paper-${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-')}`;
  ledger.createRun(runId, broker, meta, Date.now());
  return { runId, settings: broker, resumeAfter: undefined };
}

/** The agents' config, with the annualisation matched to the data unless the file set it. */
function agentsConfig(loaded: LoadedConfig, series: readonly ResolvedSeries[]): SolarSystemConfig {
  const input = loaded.input as { agents?: { moons?: { periodsPerYear?: unknown } } } | undefined;
  if (input?.agents?.moons?.periodsPerYear !== undefined) return loaded.config.agents;
  const ppy = inferPeriodsPerYear(series[0]!.bars.map((b) => b.time));
  return parseSolarSystemConfig({
    ...loaded.config.agents,
    moons: { ...loaded.config.agents.moons, periodsPerYear: ppy },
  });
}

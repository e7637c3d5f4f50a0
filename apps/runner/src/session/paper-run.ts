import { parseSolarSystemConfig, type SolarSystemConfig } from '@orrery/agents';
import type { BrokerSettings, Ledger } from '@orrery/broker';
import { PaperBroker } from '@orrery/broker';
import type { Clock } from '@orrery/core';
import {
  type DataSourceSpec,
  formatFeedReport,
  loadDataSources,
  parseTime,
  type ResolvedSeries,
} from '@orrery/feeds';
import type { RunComparison } from '../accountability/compare-runs.ts';
import { learningSettingsOf } from '../accountability/learning-session.ts';
import { replayedRun, replayNotes, reportReplay } from '../accountability/replay-run.ts';
import { type RunRoi, readRunRoi } from '../accountability/run-roi.ts';
import type { CliIO } from '../commands/io.ts';
import type { LoadedConfig } from '../config/load.ts';
import { LedgerError, RunnerError, RunnerErrorCode } from '../errors.ts';
import { mergeSeries } from '../loop/steps.ts';
import { openRunLedger } from '../runs/open-ledger.ts';
import { lockRun, type RunLock } from '../runs/run-lock.ts';
import { type CacheFigures, formatCacheFigures } from './cache-figures.ts';
import { digestCycles } from './cycle-digest.ts';
import { driveLoop } from './drive-loop.ts';
import { type FinishOutput, finishRun } from './finish-run.ts';
import { createProgress } from './progress.ts';
import type { RunOutcome } from './run-outcome.ts';
import { RunTimer, type RunTiming } from './run-timer.ts';

/** `orrery paper`'s options, after the command line and the config are combined. */
export interface PaperOptions extends FinishOutput {
  readonly loaded: LoadedConfig;
  /** Overrides `run.data` (one source). */
  readonly data?: DataSourceSpec | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly runId?: string | undefined;
  readonly resume?: boolean | undefined;
  /** Replays this recorded run: LLM answers from its recordings only (no provider call, $0). */
  readonly replay?: string | undefined;
  /** Overrides `run.reportPath`. */
  readonly reportPath?: string | undefined;
  readonly progress: boolean;
  /** The wall clock of supervision's restart windows (default: the system clock); tests inject one. */
  readonly supervisionClock?: Clock | undefined;
  /**
   * Where the run's time goes (loop, counterfactual, learning, report), for the summary's timing line
   * (default: a timer on `performance.now`, started when the run is); tests inject one on a fake clock.
   */
  readonly timer?: RunTimer | undefined;
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
  /** The LLM's worth against the no-LLM planet consensus; absent with `run.counterfactual: false`. */
  readonly roi: RunRoi | undefined;
  /** For `--replay`: how the replay compares with the recorded run. */
  readonly replay?: RunComparison | undefined;
  /** What the agents' answer caches did (this invocation: a resumed run counts from its resume). */
  readonly cache: CacheFigures;
  /** Where this invocation's time went, as its summary printed it. */
  readonly timing: RunTiming;
}

/**
 * Runs (or resumes) a paper-trading run of the whole hierarchy over replayed bars, writes the HTML report
 * and prints the summary.
 *
 * @throws FeedError, ConfigError, LedgerError (run exists / missing / started on other data), and the
 *   agents', memory's and gateway's own errors.
 */
export async function runPaper(o: PaperOptions, io: CliIO): Promise<PaperResult> {
  const timer = o.timer ?? new RunTimer();
  const { config } = o.loaded;
  const series = (
    o.data ? [o.data] : config.run.data.map((s, i) => ({ key: `run.data[${i}]`, ...s }))
  ).flatMap((s) => loadDataSources(s));
  for (const s of series) io.err(formatFeedReport(s.report));

  const from = parseBound(o.from ?? config.run.from, '--from');
  const to = parseBound(o.to ?? config.run.to, '--to', true);
  const steps = mergeSeries(series, { from, to });
  if (steps.length === 0) throw new RunnerError(RunnerErrorCode.USAGE, 'no bar between --from and --to');

  const ledger = openRunLedger(config.run.ledgerPath, config.run.dbBusyTimeoutMs);
  let lock: RunLock | undefined;
  try {
    const meta = runMeta(series, from, to);
    const replayed = o.replay === undefined ? undefined : replayedRun(ledger, o.replay, meta, o.resume);
    const { runId, settings, resumeAfter } = openPaperRun(
      ledger,
      o,
      replayed?.settings ?? config.broker,
      meta,
      o.replay === undefined ? 'paper' : 'replay',
    );
    lock = lockRun(config.run.ledgerPath, runId);
    const agents = agentsConfig(o.loaded);
    const broker = new PaperBroker(settings, resumeAfter === undefined ? undefined : ledger.loadState(runId));
    const progress = createProgress({
      total: steps.length,
      enabled: o.progress && io.isTTY,
      stream: process.stderr,
    });
    let drive: Awaited<ReturnType<typeof driveLoop>>;
    try {
      drive = await timer.time('loop', () =>
        driveLoop({
          loaded: o.loaded,
          agents,
          ledger,
          runId,
          broker,
          steps,
          resumeAfter,
          replayOf: o.replay,
          supervisionClock: o.supervisionClock,
          io,
          timer,
          onStep: ({ time, warm, records, equity }) =>
            progress.tick({ time, warm, equity, modes: records.map((r) => r.mode) }),
        }),
      );
    } finally {
      progress.stop();
    }
    const main = series[0]!;
    const inRange = (b: { time: number }) =>
      (from === undefined || b.time >= from) && (to === undefined || b.time <= to);
    const learning = learningSettingsOf(config.learning);
    const news = drive.news;
    // The run's records, read once for the counterfactual's ROI and the report alike.
    const cycles = timer.time('report', () => digestCycles(ledger.eachCycle(runId)));
    const roi = config.run.counterfactual
      ? await timer.time('counterfactual', () =>
          readRunRoi({ ledger, runId, steps, agents, learning, news, timer, cycles }),
        )
      : undefined;
    const { outcome, reportPath, timing } = finishRun({
      ledger,
      runId,
      kind: 'paper',
      series: series.map((s) => ({ symbol: s.symbol, bars: s.bars.filter(inRange) })),
      symbols: series.map((s) => s.symbol),
      dataSource: series.map((s) => s.description).join('; '),
      feedReport: main.report,
      notes: [
        ...(o.replay === undefined || drive.replay === undefined
          ? drive.notes
          : [...drive.notes, ...replayNotes(o.replay, drive.replay)]),
        ...formatCacheFigures(drive.cache),
      ],
      cacheHits: drive.cacheHits,
      cache: drive.cache,
      llmReachable: drive.llmReachable,
      json: o.json,
      exportTrades: o.exportTrades,
      roi,
      reportPath: o.reportPath ?? config.run.reportPath,
      stopped: drive.aborted,
      cycles,
      timer,
      io,
    });
    const replay =
      o.replay === undefined || drive.aborted
        ? undefined
        : reportReplay(o.json ? { ...io, out: io.err } : io, ledger, o.replay, runId);
    return {
      runId,
      outcome,
      reportPath,
      committed: drive.committed,
      warmed: drive.warmed,
      stopped: drive.aborted,
      roi,
      replay,
      cache: drive.cache,
      timing,
    };
  } finally {
    lock?.release();
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

/**
 * Creates the run, or finds the one to resume and checks it was started on the same data.
 *
 * @throws LedgerError naming the run.
 */
export function openPaperRun(
  ledger: Ledger,
  o: { runId?: string | undefined; resume?: boolean | undefined },
  broker: BrokerSettings,
  meta: Record<string, unknown>,
  prefix = 'paper',
  now: () => number = Date.now,
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
  const createdAt = now();
  const stamp = new Date(createdAt).toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  const runId = o.runId ?? `${prefix}-${stamp}`;
  ledger.createRun(runId, broker, meta, createdAt);
  return { runId, settings: broker, resumeAfter: undefined };
}

/**
 * The agents' config, with `periodsPerYear` (bars per year) set to `ppy` unless the file set it. Without
 * `ppy` (replayed data) the moons infer it from the bars seen so far: a whole file's span would tell a
 * decision something about bars it has not seen.
 */
export function agentsConfig(loaded: LoadedConfig, ppy?: number): SolarSystemConfig {
  const input = loaded.input as { agents?: { moons?: { periodsPerYear?: unknown } } } | undefined;
  if (ppy === undefined || input?.agents?.moons?.periodsPerYear !== undefined) return loaded.config.agents;
  return parseSolarSystemConfig({
    ...loaded.config.agents,
    moons: { ...loaded.config.agents.moons, periodsPerYear: ppy },
  });
}

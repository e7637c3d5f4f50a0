import type { CycleRecord, SolarSystemConfig } from '@orrery/agents';
import type { Ledger, PaperBroker, PortfolioSnapshot, StoredCycle } from '@orrery/broker';
import { ControlStore } from '@orrery/broker';
import type { Clock, ReplayReport } from '@orrery/core';
import { formatNewsReport, formatTime, loadNewsFile, NewsWindow } from '@orrery/feeds';
import { AuditRecorder } from '../audit/llm-recorder.ts';
import { Redactor } from '../audit/redact.ts';
import type { CliIO } from '../commands/io.ts';
import { forRun, type LoadedConfig } from '../config/load.ts';
import type { OrreryConfig } from '../config/schema.ts';
import { createRunControl } from '../control/run-control.ts';
import type { Step } from '../loop/steps.ts';
import { type LoopResult, runTradingLoop, type StepInfo } from '../loop/trading-loop.ts';
import { MemoryHealthWriter } from '../runs/memory-health.ts';
import { type CacheFigures, cacheFigures } from './cache-figures.ts';
import { createLogSink } from './log-sink.ts';
import { openSystem } from './open-system.ts';
import type { RunTimer } from './run-timer.ts';
import { SupervisionClock } from './supervision-clock.ts';

/** What {@link driveLoop} needs: a run opened in the ledger, its broker and its bars. */
export interface DriveOptions {
  readonly loaded: LoadedConfig;
  readonly agents: SolarSystemConfig;
  readonly ledger: Ledger;
  readonly runId: string;
  readonly broker: PaperBroker;
  readonly steps: Iterable<Step> | AsyncIterable<Step>;
  readonly resumeAfter: number | undefined;
  readonly warmUntil?: number | undefined;
  readonly initialView?: PortfolioSnapshot | undefined;
  readonly io: CliIO;
  /** Answer the LLM requests from this run's recordings only (`--replay`). */
  readonly replayOf?: string | undefined;
  /** The wall clock of supervision's restart windows (default: the system clock); tests inject one. */
  readonly supervisionClock?: Clock | undefined;
  /** Charges the learning loop's refreshes to `learning` (the caller charges the loop). */
  readonly timer?: RunTimer | undefined;
  /** Called after every step (progress display). */
  readonly onStep?: (info: StepInfo<CycleRecord>) => void;
}

/** How the loop ended, and what the report needs to say about it. */
export interface DriveResult extends LoopResult {
  /** Lines for the report (no LLM, resumed…). */
  readonly notes: string[];
  /** Gateway cache hits since the run was created. */
  readonly cacheHits: number;
  /** What the agents' answer caches did in this invocation. */
  readonly cache: CacheFigures;
  /** What a replay served from the recordings, and what it found missing. */
  readonly replay?: ReplayReport | undefined;
  /** Whether an LLM could be called (a provider reachable, or a replay's recordings): calls avoided count only then. */
  readonly llmReachable: boolean;
  /** The run's news source (`run.news`), if any: the no-LLM counterfactual reads the same. */
  readonly news?: ((symbol: string, time: number) => readonly string[]) | undefined;
}

/**
 * Opens the whole hierarchy for the run (memory under the run's id), says once when no LLM is
 * reachable, runs the trading loop, writes outcomes back to memory as they come due (market time), and
 * closes everything, also on failure.
 */
export async function driveLoop(o: DriveOptions): Promise<DriveResult> {
  const { io, ledger, runId } = o;
  const log = createLogSink((line) => io.err(line));
  const loaded = { ...o.loaded, config: forRun(o.loaded.config, runId) };
  const system = await openSystem({
    loaded,
    agents: o.agents,
    log,
    runId,
    replayOf: o.replayOf,
    resumeAfter: o.resumeAfter,
    stored: o.resumeAfter === undefined ? [] : ledger.cycles(runId),
    // Every LLM request and answer of the run, for `orrery audit`, secrets redacted before storage.
    audit: new AuditRecorder(ledger.db, runId, Redactor.from(io.env, o.loaded.gateway)),
    // A replay restarts and stops children at the recorded run's supervision times, not its own speed.
    supervision: SupervisionClock.forRun(
      ledger.db,
      runId,
      o.replayOf === undefined
        ? { kind: 'wall', clock: o.supervisionClock }
        : { kind: 'recorded', runId: o.replayOf },
    ),
    timer: o.timer,
    ledgerDb: ledger.db,
  });
  const notes: string[] = [];
  const news = openNews(loaded.config.run.news, io, notes);
  if (system.noLlmReason) {
    const note = `${system.noLlmReason}: the sun cannot think; running on planet consensus`;
    io.err(note);
    notes.push(note);
  }
  if (o.resumeAfter !== undefined) notes.push(`resumed after ${formatTime(o.resumeAfter, false)}`);

  const closes = new Map<string, number>();
  const observe = (c: StoredCycle) => {
    const close = closes.get(`${c.symbol}@${c.time}`);
    if (close !== undefined) system.outcomes?.observe(c, close);
  };
  // Only memory's outcomes read the closes: without memory no bar is kept.
  const remember = (step: Step) => {
    if (system.outcomes === null) return;
    for (const { symbol, bar } of step.bars) closes.set(`${symbol}@${bar.time}`, bar.close);
  };
  // An unscheduled (intrabar) cycle has no bar close of its own: it gets no outcome and holds up none.
  const pending =
    o.resumeAfter === undefined
      ? []
      : ledger.cycles(runId).filter((c) => (c.record as { wokenBy?: unknown }).wokenBy === undefined);
  async function* watched(): AsyncGenerator<Step> {
    for await (const step of o.steps) {
      remember(step);
      yield step;
    }
  }
  try {
    // Memory's health (index down, periods, unindexed) goes into the run ledger for serve's `/metrics`.
    const health = new MemoryHealthWriter(ledger.db, runId, () => system.memoryStats());
    const result = await runTradingLoop({
      runId,
      ledger,
      broker: o.broker,
      strategy: health.committing(system.strategy),
      steps: watched(),
      resumeAfter: o.resumeAfter,
      warmUntil: o.warmUntil,
      initialView: o.initialView,
      minTradeFraction: o.agents.risk.minTradeFraction,
      maxExposure: o.agents.risk.maxExposure,
      maxWakesPerBar: loaded.config.run.intrabar.maxWakesPerBar,
      news,
      signal: io.signal,
      // Operator commands (`orrery control`, the serve API), from any process, at each cycle boundary.
      control: createRunControl(new ControlStore(ledger.db), runId),
      onStep: (info) => {
        o.onStep?.(info);
        if (!info.warm) system.llm.checkpoint(info.time);
        if (info.warm || !system.outcomes) return;
        // Episodes recorded before a resume get their outcomes too, once their bars have been seen again.
        while (pending.length > 0 && closes.has(`${pending[0]!.symbol}@${pending[0]!.time}`))
          observe(pending.shift()!);
        for (const c of info.cycles) observe(c);
        system.outcomes.flush(info.time);
      },
    });
    if (!result.aborted) ledger.finishRun(runId, 'completed');
    if (log.repeats > 0) io.err(`(${log.repeats} repeated warnings not shown)`);
    const busNote = system.busNote();
    io.err(busNote);
    const memoryNotes = await system.memoryNotes();
    for (const note of memoryNotes) io.err(note);
    notes.push(...memoryNotes, busNote);
    health.write(true);
    const replay = system.llm.replay?.replayReport();
    // `news` is handed back so the no-LLM counterfactual reads exactly what the run read.
    const cache = cacheFigures(system.cacheStats());
    return {
      ...result,
      notes,
      cacheHits: system.cacheHits(ledger.getRun(runId)!.createdAt),
      llmReachable: system.noLlmReason === undefined,
      cache,
      replay,
      news,
    };
  } finally {
    await system.close();
  }
}

/**
 * Loads `run.news` (its report on stderr, a note for the run's report) as the loop's news source.
 *
 * @throws FeedError when the file cannot be read or too many of its rows are bad.
 */
function openNews(
  config: OrreryConfig['run']['news'],
  io: CliIO,
  notes: string[],
): ((symbol: string, time: number) => readonly string[]) | undefined {
  if (config === undefined) return undefined;
  const { items, report } = loadNewsFile(config.file);
  io.err(formatNewsReport(report));
  notes.push(
    `news: ${items.length} item(s) from ${config.file}, each cycle reads up to ${config.maxItems} ` +
      `published within ${config.lookbackMs / 3_600_000} h before its bar`,
  );
  const window = new NewsWindow(items, config);
  return (symbol, time) => window.select(symbol, time);
}

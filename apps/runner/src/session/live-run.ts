import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { PaperBroker } from '@orrery/broker';
import { type Clock, FetchCache, systemClock } from '@orrery/core';
import {
  type Bar,
  CCXT_MARKETS_SOURCE,
  CCXT_MARKETS_TTL_MS,
  createCcxtSource,
  formatTime,
  LiveFeed,
  timeframeMs,
} from '@orrery/feeds';
import type { CliIO } from '../commands/io.ts';
import type { LoadedConfig } from '../config/load.ts';
import { RunnerError, RunnerErrorCode } from '../errors.ts';
import type { Step } from '../loop/steps.ts';
import { openRunLedger } from '../runs/open-ledger.ts';
import { lockRun, type RunLock } from '../runs/run-lock.ts';
import { formatCacheFigures } from './cache-figures.ts';
import { driveLoop } from './drive-loop.ts';
import { type FinishOutput, finishRun } from './finish-run.ts';
import { agentsConfig, openPaperRun } from './paper-run.ts';
import type { RunOutcome } from './run-outcome.ts';
import { RunTimer } from './run-timer.ts';

/** `orrery run`'s options, after the command line and the config are combined. */
export interface LiveOptions extends FinishOutput {
  readonly loaded: LoadedConfig;
  readonly exchange?: string | undefined;
  readonly symbol?: string | undefined;
  readonly timeframe?: string | undefined;
  /** Replaces the exchange's public REST base URL (binance: `…/api/v3`), e.g. a proxy. */
  readonly apiUrl?: string | undefined;
  readonly runId?: string | undefined;
  readonly resume?: boolean | undefined;
  readonly reportPath?: string | undefined;
  /** Stop after this many traded (not warm-up) bars. Default: until interrupted. */
  readonly maxBars?: number | undefined;
  /** Where the run's time goes, for the summary's timing line (default: on `performance.now`). */
  readonly timer?: RunTimer | undefined;
  /** Decides which bars have closed and stamps the run and its intrabar polls (default: the system clock). */
  readonly clock?: Clock | undefined;
  /** How the feed waits between polls (default: a real timer); tests advance `clock` here instead. */
  readonly sleep?: ((ms: number, signal: AbortSignal) => Promise<void>) | undefined;
  /** The wall clock of supervision's restart windows (default: `clock`). */
  readonly supervisionClock?: Clock | undefined;
}

/**
 * The trading loop on a live feed: public OHLCV polled through ccxt (no API key), each closed bar through
 * the whole hierarchy, every decision executed by the same {@link PaperBroker} as `orrery paper` — the
 * ccxt exchange object is created without credentials and only its `fetchOHLCV` is reachable, so no
 * order can leave this process. Bars that closed before the run started warm the indicators and are not
 * traded. Interrupt (Ctrl-C) to stop after the bar in progress; `--resume` continues the run.
 */
export async function runLive(o: LiveOptions, io: CliIO): Promise<{ runId: string; outcome: RunOutcome }> {
  const timer = o.timer ?? new RunTimer();
  const { config } = o.loaded;
  const live = {
    ...config.run.live,
    ...(o.exchange ? { exchange: o.exchange } : {}),
    ...(o.symbol ? { symbol: o.symbol } : {}),
    ...(o.timeframe ? { timeframe: o.timeframe } : {}),
  };
  const tf = timeframeMs(live.timeframe);
  const clock = o.clock ?? systemClock;
  const { intrabar } = config.run;
  // The exchange's market list is fetched once a day at most, next to the LLM cache, across restarts.
  mkdirSync(dirname(config.run.gatewayDbPath), { recursive: true });
  const fetchCache = FetchCache.open(config.run.gatewayDbPath, {
    ttls: { [CCXT_MARKETS_SOURCE]: CCXT_MARKETS_TTL_MS },
  });
  const source = await createCcxtSource({
    exchange: live.exchange,
    ...(o.apiUrl ? { apiUrls: { public: o.apiUrl } } : {}),
    cache: fetchCache,
  }).catch(async (err: unknown) => {
    await fetchCache.close();
    throw err;
  });

  const ledger = openRunLedger(config.run.ledgerPath, config.run.dbBusyTimeoutMs);
  let lock: RunLock | undefined;
  try {
    const meta = { live: { exchange: live.exchange, symbol: live.symbol, timeframe: live.timeframe } };
    const { runId, settings, resumeAfter } = openPaperRun(ledger, o, config.broker, meta, 'live', () =>
      clock.now(),
    );
    lock = lockRun(config.run.ledgerPath, runId);
    const run = ledger.getRun(runId)!;
    const broker = new PaperBroker(settings, resumeAfter === undefined ? undefined : ledger.loadState(runId));
    // Bars that closed before the run was created are history: they warm the agents, they are not traded.
    const warmUntil = run.createdAt - tf;
    const feed = new LiveFeed({
      source,
      symbol: live.symbol,
      timeframe: live.timeframe,
      clock,
      ...(o.sleep === undefined ? {} : { sleep: o.sleep }),
      ...(intrabar.enabled ? { formingPollMs: intrabar.pollMs } : {}),
      since: run.createdAt - (live.warmupBars + 1) * tf,
      ...(live.pollMs === undefined ? {} : { pollMs: live.pollMs }),
      retryBaseMs: live.retryBaseMs,
      retryMaxMs: Math.max(live.retryBaseMs, live.retryMaxMs),
      onNetworkError: (err, retry) =>
        io.err(
          `live feed: attempt ${retry.attempt} failed (${err.message.slice(0, 160)}); next try at ` +
            `${formatTime(retry.at, false)} UTC (in ${(retry.waitMs / 1000).toFixed(retry.waitMs < 10_000 ? 1 : 0)} s; Ctrl-C to stop)`,
        ),
    });
    io.err(
      `live ${live.exchange} ${live.symbol} ${live.timeframe}: paper broker only (no API key, no order leaves this process)`,
    );

    const stopFeed = new AbortController();
    io.signal.addEventListener('abort', () => stopFeed.abort(), { once: true });
    const traded: Bar[] = [];
    let arrived = 0;
    async function* steps(): AsyncGenerator<Step> {
      for await (const tick of feed.ticks(stopFeed.signal)) {
        // A poll of the bar still forming: it may wake the agents (see `intrabarStep`), it is no bar.
        if (tick.kind === 'forming') {
          if (tick.bar.time > warmUntil)
            yield { time: tick.asOf, bars: [{ symbol: live.symbol, bar: tick.bar }], intrabar: true };
          continue;
        }
        const { bar } = tick;
        arrived++;
        if (bar.time > warmUntil) traded.push(bar);
        yield { time: bar.time, bars: [{ symbol: live.symbol, bar }] };
        if (o.maxBars !== undefined && traded.filter((b) => b.time > (resumeAfter ?? -1)).length >= o.maxBars)
          return;
      }
    }

    // The loop's time includes waiting for the exchange's next bar.
    const drive = await timer.time('loop', () =>
      driveLoop({
        loaded: o.loaded,
        agents: agentsConfig(o.loaded, (365.25 * 86_400_000) / tf),
        ledger,
        runId,
        broker,
        steps: steps(),
        resumeAfter,
        warmUntil,
        initialView: { equity: settings.initialCash, cash: settings.initialCash, positions: {} },
        io,
        onStep: ({ time, warm, records, equity, intrabar: woken }) => {
          if (warm) return;
          for (const r of records)
            io.err(
              `${formatTime(time, false)} ${r.symbol} · ${woken ? 'woken by moon.critical · ' : ''}${r.mode} · ${r.decision.action} ${r.decision.targetFraction.toFixed(3)} · equity ${equity.toFixed(2)}`,
            );
        },
        supervisionClock: o.supervisionClock ?? o.clock,
        timer,
      }),
    );
    stopFeed.abort();
    if (drive.aborted && arrived === 0) {
      // Nothing came in (offline): no report to write, and the run is not left `running` forever.
      ledger.finishRun(runId, 'stopped');
      throw new RunnerError(
        RunnerErrorCode.RUN_STOPPED,
        `run ${runId} stopped before any bar arrived; nothing traded (marked stopped; remove it with orrery runs rm ${runId})`,
      );
    }
    const { outcome } = finishRun({
      ledger,
      runId,
      kind: 'run',
      series: [{ symbol: live.symbol, bars: traded }],
      symbols: [live.symbol],
      dataSource: `live ${live.exchange} ${live.timeframe}`,
      feedReport: feed.report(),
      notes: [...drive.notes, ...formatCacheFigures(drive.cache)],
      cacheHits: drive.cacheHits,
      cache: drive.cache,
      llmReachable: drive.llmReachable,
      json: o.json,
      exportTrades: o.exportTrades,
      reportPath: o.reportPath ?? config.run.reportPath,
      stopped: drive.aborted,
      timer,
      io,
    });
    return { runId, outcome };
  } finally {
    lock?.release();
    ledger.close();
    await fetchCache.close();
  }
}

import { setTimeout as delay } from 'node:timers/promises';
import type { Clock, FetchCache } from '@orrery/core';
import type { Bar } from './bar.ts';
import { type MarketsExchange, withCachedMarkets } from './ccxt-markets.ts';
import { checkBar, DropReason } from './check-bar.ts';
import { FeedError, FeedErrorCode } from './errors.ts';
import { type FeedReport, FeedReportBuilder } from './feed-report.ts';
import { formatTime } from './parse-time.ts';

/** The one ccxt method the live feed uses. A ccxt `Exchange` satisfies it; nothing else of ccxt is reached. */
export interface OhlcvSource {
  /** ccxt's `fetchOHLCV`: rows of `[time ms, open, high, low, close, volume]`, oldest first. */
  fetchOHLCV(
    symbol: string,
    timeframe?: string,
    since?: number,
    limit?: number,
  ): Promise<(number | undefined)[][]>;
}

/** How to reach an exchange's public market data through ccxt. No API key is ever set. */
export interface CcxtSourceOptions {
  /** ccxt exchange id. Default `binance`. */
  readonly exchange?: string;
  /**
   * Replaces entries of the exchange's `urls.api` (for binance spot, `public`), e.g. to point at a proxy
   * or a loopback test server.
   */
  readonly apiUrls?: Readonly<Record<string, string>>;
  /**
   * Where the exchange's market list (its exchange-info request) is cached between runs, under the
   * source `ccxt.markets` (see `withCachedMarkets`). Without it, each run loads the markets again.
   */
  readonly cache?: FetchCache;
}

/**
 * Creates a ccxt exchange for public OHLCV. It is built without credentials, so no private (order)
 * endpoint can be called; the runner only ever calls `fetchOHLCV` on it.
 *
 * @throws FeedError `ORRERY_FEED_LIVE` when ccxt has no such exchange.
 */
export async function createCcxtSource(opts: CcxtSourceOptions = {}): Promise<OhlcvSource> {
  const ccxt = (await import('ccxt')).default;
  const id = opts.exchange ?? 'binance';
  const Ctor = (ccxt as unknown as Record<string, unknown>)[id];
  if (!ccxt.exchanges.includes(id) || typeof Ctor !== 'function') {
    throw new FeedError(FeedErrorCode.LIVE, `ccxt:${id}`, 'ccxt has no such exchange');
  }
  // Spot markets only: the OHLCV endpoint of a spot symbol needs nothing else.
  const exchange = new (
    Ctor as new (
      cfg: object,
    ) => MarketsExchange & { urls: { api: Record<string, unknown> } }
  )({
    options: { fetchMarkets: { types: ['spot'] } },
  });
  if (opts.apiUrls) exchange.urls.api = { ...exchange.urls.api, ...opts.apiUrls };
  if (opts.cache === undefined) return exchange;
  const where = opts.apiUrls === undefined ? '' : ` ${JSON.stringify(opts.apiUrls)}`;
  return withCachedMarkets(exchange, opts.cache, `${id}${where}`);
}

/** Parses a ccxt timeframe (`1m`, `15m`, `1h`, `4h`, `1d`, `1w`) into milliseconds. */
export function timeframeMs(timeframe: string): number {
  const m = /^(\d+)([smhdw])$/.exec(timeframe);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
  if (!m) throw new FeedError(FeedErrorCode.LIVE, 'timeframe', `'${timeframe}' is not like 1m, 1h or 1d`);
  return Number(m[1]) * unit[m[2] as keyof typeof unit];
}

/** Settings of a {@link LiveFeed}. */
/** When a failed fetch is tried again: the attempt that failed (1, 2, …), the wait, and the time (epoch ms). */
export interface NetworkRetry {
  readonly attempt: number;
  readonly waitMs: number;
  readonly at: number;
}

export interface LiveFeedOptions {
  readonly source: OhlcvSource;
  readonly symbol: string;
  /** ccxt timeframe, e.g. `1m`, `1h`. */
  readonly timeframe: string;
  /** Decides which candles have closed. */
  readonly clock: Clock;
  /** First bar time wanted (epoch ms). Default: `warmupBars` bars before now. */
  readonly since?: number;
  /** Closed bars fetched before now when `since` is not given, to warm the indicators. Default 100. */
  readonly warmupBars?: number;
  /** Wait between polls when no new bar has closed, ms. Default: the timeframe, at most 60 s. */
  readonly pollMs?: number;
  /** Candles asked for per request. Default 500. */
  readonly limit?: number;
  /** How to wait; tests advance a manual clock here. Default: a real timer. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Told once per outage when a poll fails on the network; polling goes on. */
  readonly onNetworkError?: (err: Error, retry: NetworkRetry) => void;
  /** First wait after a network failure, ms; it doubles per failure up to `retryMaxMs`. Default 5 s. */
  readonly retryBaseMs?: number;
  /** Longest wait between attempts while the network is down, ms. Default 60 s. */
  readonly retryMaxMs?: number;
  /**
   * Poll this often (ms) and yield the bar still forming after the last closed one from
   * {@link LiveFeed.ticks} whenever it changed (`run.intrabar`). Absent: forming bars are never read.
   */
  readonly formingPollMs?: number;
}

/** What {@link LiveFeed.ticks} yields: a closed bar, or the bar after it still forming, read at `asOf`. */
export type FeedTick =
  | { readonly kind: 'closed'; readonly bar: Bar }
  | { readonly kind: 'forming'; readonly bar: Bar; readonly asOf: number };

/**
 * Polls an exchange's public OHLCV and yields each bar once, in time order, after it has closed.
 * Every candle is checked like a CSV row; bad ones are counted in {@link LiveFeed.report} and never
 * yielded. Network failures are waited out (bounded backoff); other exchange errors end the feed.
 */
export class LiveFeed {
  readonly #o: LiveFeedOptions;
  readonly #tf: number;
  readonly #report: FeedReportBuilder;
  #last = Number.NEGATIVE_INFINITY;
  #first: number | undefined;
  #count = 0;

  constructor(opts: LiveFeedOptions) {
    this.#o = opts;
    this.#tf = timeframeMs(opts.timeframe);
    this.#report = new FeedReportBuilder(`live ${opts.symbol} ${opts.timeframe}`);
  }

  /** What has been yielded and dropped so far. */
  report(): FeedReport {
    return this.#report.buildCounts(this.#count, this.#first, this.#count > 0 ? this.#last : undefined);
  }

  /**
   * Yields closed bars until `signal` aborts.
   *
   * @throws FeedError `ORRERY_FEED_LIVE` when the exchange refuses the request for a reason other than
   *   the network (unknown symbol, unsupported timeframe).
   */
  async *bars(signal: AbortSignal): AsyncGenerator<Bar> {
    for await (const tick of this.ticks(signal)) if (tick.kind === 'closed') yield tick.bar;
  }

  /**
   * Yields closed bars, and with `formingPollMs` the bar still forming after the last one (only once
   * caught up, only when it changed since it was last yielded, never counted in the report), until
   * `signal` aborts.
   *
   * @throws FeedError as {@link LiveFeed.bars}.
   */
  async *ticks(signal: AbortSignal): AsyncGenerator<FeedTick> {
    const o = this.#o;
    const sleep = o.sleep ?? ((ms, s) => delay(ms, undefined, { signal: s }).catch(() => undefined));
    const pollMs = Math.min(
      o.pollMs ?? Math.min(this.#tf, 60_000),
      o.formingPollMs ?? Number.POSITIVE_INFINITY,
    );
    let since = o.since ?? o.clock.now() - (o.warmupBars ?? 100) * this.#tf;
    let failures = 0;
    let lastForming = '';
    while (!signal.aborted) {
      let rows: (number | undefined)[][];
      try {
        rows = await o.source.fetchOHLCV(o.symbol, o.timeframe, since, o.limit ?? 500);
        failures = 0;
      } catch (err) {
        if (!isNetworkError(err)) {
          throw new FeedError(FeedErrorCode.LIVE, `live ${o.symbol}`, (err as Error).message, {
            cause: err,
          });
        }
        failures++;
        const waitMs = Math.min(o.retryMaxMs ?? 60_000, (o.retryBaseMs ?? 5_000) * 2 ** (failures - 1));
        o.onNetworkError?.(err as Error, { attempt: failures, waitMs, at: o.clock.now() + waitMs });
        await sleep(waitMs, signal);
        continue;
      }
      let yielded = 0;
      for (const row of rows) {
        const bar = this.#accept(row);
        if (!bar) continue;
        yielded++;
        since = bar.time + 1;
        yield { kind: 'closed', bar };
        if (signal.aborted) return;
      }
      const forming = yielded === 0 && o.formingPollMs !== undefined ? this.#forming(rows) : undefined;
      const seen = forming === undefined ? lastForming : JSON.stringify(forming);
      if (forming !== undefined && seen !== lastForming) {
        lastForming = seen;
        yield { kind: 'forming', bar: forming, asOf: o.clock.now() };
        if (signal.aborted) return;
      }
      if (yielded === 0) await sleep(pollMs, signal);
    }
  }

  /** The valid candle right after the last closed bar that is still forming, if the rows have it. */
  #forming(rows: readonly (readonly (number | undefined)[])[]): Bar | undefined {
    const row = rows.at(-1);
    if (row === undefined || this.#last === Number.NEGATIVE_INFINITY) return undefined;
    const [time, open, high, low, close, volume] = row.map((v) => (v === undefined ? Number.NaN : Number(v)));
    if (time !== this.#last + this.#tf || !(time + this.#tf > this.#o.clock.now())) return undefined;
    const bar = { time, open, high, low, close, volume } as Bar;
    return checkBar(bar) === undefined ? bar : undefined;
  }

  #accept(row: readonly (number | undefined)[]): Bar | undefined {
    const [time, open, high, low, close, volume] = row.map((v) => (v === undefined ? Number.NaN : Number(v)));
    const t = time ?? Number.NaN;
    // A candle still forming is neither yielded nor counted: it comes back closed on a later poll.
    if (Number.isFinite(t) && t + this.#tf > this.#o.clock.now()) return undefined;
    this.#report.rowsRead++;
    const label = Number.isFinite(t) ? formatTime(t, false) : String(row[0]);
    if (!Number.isFinite(t)) {
      this.#report.drop(DropReason.BAD_TIME, { line: undefined, time: label, detail: 'no time' });
      return undefined;
    }
    if (t <= this.#last) {
      const same = t === this.#last;
      this.#report.drop(same ? DropReason.DUPLICATE_TIME : DropReason.OUT_OF_ORDER, {
        line: undefined,
        time: label,
        detail: `after a bar at ${formatTime(this.#last, false)} was already taken`,
      });
      return undefined;
    }
    const bar: Bar = {
      time: t,
      open: open ?? Number.NaN,
      high: high ?? Number.NaN,
      low: low ?? Number.NaN,
      close: close ?? Number.NaN,
      volume: volume ?? Number.NaN,
    };
    const problem = checkBar(bar);
    if (problem) {
      this.#report.drop(problem.reason, { line: undefined, time: label, detail: problem.detail });
      return undefined;
    }
    if (bar.volume === 0) this.#report.zeroVolume({ line: undefined, time: label, detail: 'volume 0' });
    this.#last = t;
    this.#first ??= t;
    this.#count++;
    return bar;
  }
}

function isNetworkError(err: unknown): boolean {
  // ccxt's NetworkError family (RequestTimeout, ExchangeNotAvailable, DDoSProtection…) all carry this name chain.
  for (let p = err; p && typeof p === 'object'; p = Object.getPrototypeOf(p)) {
    if ((p as { constructor?: { name?: string } }).constructor?.name === 'NetworkError') return true;
  }
  return false;
}

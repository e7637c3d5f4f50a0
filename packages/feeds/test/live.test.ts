import { ManualClock } from '@orrery/core';
import { type FakeBinance, type Kline, startFakeBinance } from '@orrery/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Bar } from '../src/bar.ts';
import { FeedError, FeedErrorCode } from '../src/errors.ts';
import { createCcxtSource, LiveFeed, timeframeMs } from '../src/live-ccxt.ts';

const T0 = Date.UTC(2024, 0, 1, 0, 0);
const MIN = 60_000;
const k = (i: number, o: number, h: number, l: number, c: number, v = 1): Kline => [
  T0 + i * MIN,
  String(o),
  String(h),
  String(l),
  String(c),
  String(v),
];

describe('live ccxt feed (Binance wire format on loopback)', () => {
  let fb: FakeBinance;
  beforeEach(async () => {
    fb = await startFakeBinance();
  });
  afterEach(async () => {
    await fb.close();
  });

  it('yields each closed bar once, in order, refusing bad candles and waiting for the forming one', async () => {
    fb.klines = [
      k(0, 100, 101, 99, 100.5),
      k(1, 100.5, 99, 101, 100),
      k(2, 100, 102, 100, 101),
      k(3, 101, 103, 100, 102),
    ];
    const clock = new ManualClock(T0 + 3 * MIN + 30_000); // bar 3 is still forming
    const source = await createCcxtSource({ apiUrls: { public: `${fb.url}/api/v3` } });
    const ctl = new AbortController();
    const sleeps: number[] = [];
    const feed = new LiveFeed({
      source,
      symbol: 'BTC/USDT',
      timeframe: '1m',
      clock,
      since: T0,
      pollMs: 20_000,
      sleep: async (ms) => {
        sleeps.push(ms);
        clock.advance(ms);
        // A new candle arrives on the exchange while we wait.
        if (sleeps.length === 1) fb.klines.push(k(4, 102, 104, 101, 103));
      },
    });
    const got: Bar[] = [];
    for await (const bar of feed.bars(ctl.signal)) {
      got.push(bar);
      if (got.length === 4) ctl.abort();
    }
    expect(got.map((b) => (b.time - T0) / MIN)).toEqual([0, 2, 3, 4]);
    expect(got[0]).toEqual({ time: T0, open: 100, high: 101, low: 99, close: 100.5, volume: 1 });
    const report = feed.report();
    expect(report.dropped['high-below-low']).toEqual({
      count: 1,
      examples: [{ line: undefined, time: '2024-01-01 00:01', detail: 'high 99 < low 101' }],
    });
    expect(report.kept).toBe(4);
    // Each poll after the first asks only for what comes after the last bar taken.
    const starts = fb.requests.map((q) => Number(q.get('startTime')) - T0);
    expect([...new Set(starts)]).toEqual([0, 2 * MIN + 1, 3 * MIN + 1]);
    expect(sleeps.every((ms) => ms === 20_000)).toBe(true);
    expect(fb.requests[0]!.get('symbol')).toBe('BTCUSDT');
    expect(fb.requests[0]!.get('interval')).toBe('1m');
  });

  it('waits out a network failure and goes on; an unknown symbol ends the feed with a FeedError', async () => {
    fb.klines = [k(0, 100, 101, 99, 100.5)];
    const clock = new ManualClock(T0 + 5 * MIN);
    const source = await createCcxtSource({ apiUrls: { public: `${fb.url}/api/v3` } });
    fb.failNext = 503;
    const errors: Error[] = [];
    const ctl = new AbortController();
    const feed = new LiveFeed({
      source,
      symbol: 'BTC/USDT',
      timeframe: '1m',
      clock,
      since: T0,
      sleep: async (ms) => clock.advance(ms),
      onNetworkError: (e) => errors.push(e),
    });
    const got: Bar[] = [];
    for await (const bar of feed.bars(ctl.signal)) {
      got.push(bar);
      ctl.abort();
    }
    expect(got).toHaveLength(1);
    expect(errors).toHaveLength(1);

    const bad = new LiveFeed({ source, symbol: 'NOPE/USDT', timeframe: '1m', clock, since: T0 });
    const err = await (async () => {
      try {
        for await (const _ of bad.bars(new AbortController().signal)) break;
      } catch (e) {
        return e as FeedError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(FeedError);
    expect(err!.code).toBe(FeedErrorCode.LIVE);
  });

  it('parses timeframes and refuses unknown exchanges', async () => {
    expect(timeframeMs('15m')).toBe(15 * MIN);
    expect(timeframeMs('4h')).toBe(4 * 3_600_000);
    expect(timeframeMs('1d')).toBe(86_400_000);
    expect(() => timeframeMs('hourly')).toThrow(FeedError);
    await expect(createCcxtSource({ exchange: 'no-such-exchange' })).rejects.toThrow(
      'ccxt has no such exchange',
    );
  });
});

import { ManualClock } from '@orrery/core';
import { describe, expect, it } from 'vitest';
import { type FeedTick, LiveFeed, type OhlcvSource } from '../src/live-ccxt.ts';

const T0 = Date.UTC(2024, 0, 1);
const MIN = 60_000;

describe('LiveFeed.ticks with formingPollMs', () => {
  it('yields the forming bar after the last closed one, once caught up and only when it changed', async () => {
    const clock = new ManualClock(T0 + 2 * MIN + 5_000);
    // Bar 2 forms: flat for the first 20 s, then it falls; bar 3 appears after bar 2 closes.
    const row = (i: number, now: number): number[] => {
      const open = 100 + i;
      const into = now - (T0 + i * MIN);
      const close = into >= MIN || into < 20_000 ? open : open - 5;
      return [T0 + i * MIN, open, open + 1, Math.min(open, close) - 1, close, 1];
    };
    const source: OhlcvSource = {
      fetchOHLCV: async (_s, _tf, since = 0) => {
        const out: number[][] = [];
        for (let i = 0; T0 + i * MIN <= clock.now(); i++)
          if (T0 + i * MIN >= since) out.push(row(i, clock.now()));
        return out;
      },
    };
    const feed = new LiveFeed({
      source,
      symbol: 'X',
      timeframe: '1m',
      clock,
      since: T0,
      formingPollMs: 10_000,
      sleep: async (ms) => clock.advance(ms),
    });
    const stop = new AbortController();
    const ticks: FeedTick[] = [];
    for await (const t of feed.ticks(stop.signal)) {
      ticks.push(t);
      if (t.kind === 'closed' && t.bar.time === T0 + 2 * MIN) stop.abort();
    }
    const seen = ticks.map((t) =>
      t.kind === 'closed'
        ? `closed ${(t.bar.time - T0) / MIN}`
        : `forming ${(t.asOf - T0) / 1000}s close ${t.bar.close}`,
    );
    // Polls at 125 s (catch-up: no forming), 125 s (forming, flat), 135 s (unchanged: not yielded),
    // 145 s (fell), 155 s and 165 s (unchanged), 175 s: bar 2 closed.
    expect(seen).toEqual([
      'closed 0',
      'closed 1',
      'forming 125s close 102',
      'forming 145s close 97',
      'closed 2',
    ]);
    // Forming bars are never counted as bars.
    expect(feed.report()).toMatchObject({ kept: 3, rowsRead: 3, droppedTotal: 0 });
  });
});

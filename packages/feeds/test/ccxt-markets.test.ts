import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FetchCache, ManualClock } from '@orrery/core';
import { tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CCXT_MARKETS_SOURCE, CCXT_MARKETS_TTL_MS } from '../src/ccxt-markets.ts';
import { createCcxtSource } from '../src/live-ccxt.ts';

/** A loopback Binance spot API: exchange info (counted) and hourly klines. */
let server: Server;
let url = '';
let infoRequests = 0;
let klineRequests = 0;
const HOUR = 3_600_000;
const symbolInfo = {
  symbol: 'BTCUSDT',
  status: 'TRADING',
  baseAsset: 'BTC',
  baseAssetPrecision: 8,
  quoteAsset: 'USDT',
  quotePrecision: 8,
  quoteAssetPrecision: 8,
  orderTypes: ['LIMIT', 'MARKET'],
  isSpotTradingAllowed: true,
  isMarginTradingAllowed: false,
  filters: [
    { filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000.00', tickSize: '0.01' },
    { filterType: 'LOT_SIZE', minQty: '0.00001', maxQty: '9000.00', stepSize: '0.00001' },
  ],
  permissions: [],
  permissionSets: [['SPOT']],
};
beforeAll(async () => {
  server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (u.pathname === '/api/v3/exchangeInfo') {
      infoRequests += 1;
      res.end(
        JSON.stringify({
          timezone: 'UTC',
          serverTime: 0,
          rateLimits: [],
          exchangeFilters: [],
          symbols: [symbolInfo],
        }),
      );
      return;
    }
    if (u.pathname === '/api/v3/klines') {
      klineRequests += 1;
      const start = Number(u.searchParams.get('startTime') ?? 0);
      const rows = [0, 1, 2].map((i) => [start + i * HOUR, '100', '101', '99', '100.5', '12']);
      res.end(JSON.stringify(rows));
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

let dir: ReturnType<typeof tempDir>;
let clock: ManualClock;
beforeEach(() => {
  dir = tempDir('orrery-ccxt-markets-');
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  infoRequests = 0;
  klineRequests = 0;
  return () => dir.remove();
});
const openCache = () =>
  FetchCache.open(`${dir.path}/gateway.db`, { ttls: { [CCXT_MARKETS_SOURCE]: CCXT_MARKETS_TTL_MS }, clock });
const since = Date.UTC(2025, 11, 1);

describe('the live ccxt feed takes exchange info from the fetch cache', () => {
  it('loads the markets once for concurrent requests, not at all after a restart, again after a day', async () => {
    const cache = openCache();
    const source = await createCcxtSource({ apiUrls: { public: url }, cache });
    const rows = await Promise.all([1, 2, 3].map(() => source.fetchOHLCV('BTC/USDT', '1h', since, 3)));
    expect(rows[0]).toHaveLength(3);
    expect(rows[0]?.[0]?.[0]).toBe(since);
    expect(infoRequests).toBe(1);
    expect(klineRequests).toBe(3);
    await cache.close();

    // A new process: a new exchange object, the same cache file. ccxt still knows BTC/USDT.
    const again = openCache();
    const restarted = await createCcxtSource({ apiUrls: { public: url }, cache: again });
    expect(await restarted.fetchOHLCV('BTC/USDT', '1h', since, 3)).toHaveLength(3);
    expect(infoRequests).toBe(1);
    expect(again.stats()).toMatchObject({ hits: 1, misses: 0 });
    await expect(restarted.fetchOHLCV('ETH/USDT', '1h', since, 3)).rejects.toThrow(/ETH\/USDT/);

    clock.advance(CCXT_MARKETS_TTL_MS);
    const nextDay = await createCcxtSource({ apiUrls: { public: url }, cache: again });
    await nextDay.fetchOHLCV('BTC/USDT', '1h', since, 3);
    expect(infoRequests).toBe(2);
    await again.close();
  });

  it('without a cache every new exchange loads its markets itself', async () => {
    for (let i = 0; i < 2; i++) {
      const source = await createCcxtSource({ apiUrls: { public: url } });
      await source.fetchOHLCV('BTC/USDT', '1h', since, 3);
    }
    expect(infoRequests).toBe(2);
  });

  it('a failed market load is not cached and is retried by the next request', async () => {
    const cache = openCache();
    const source = await createCcxtSource({ apiUrls: { public: 'http://127.0.0.1:9/api/v3' }, cache });
    await expect(source.fetchOHLCV('BTC/USDT', '1h', since, 3)).rejects.toThrow();
    expect(
      cache.peek(CCXT_MARKETS_SOURCE, `binance ${JSON.stringify({ public: 'http://127.0.0.1:9/api/v3' })}`),
    ).toBeUndefined();
    expect(cache.stats().failures).toBe(1);
    await expect(source.fetchOHLCV('BTC/USDT', '1h', since, 3)).rejects.toThrow();
    expect(cache.stats().failures).toBe(2);
    await cache.close();
  });
});

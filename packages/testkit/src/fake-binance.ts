import { createServer, type Server } from 'node:http';

/** A kline row as Binance's `/api/v3/klines` sends it (strings for decimals). */
export type Kline = [number, string, string, string, string, string];

/**
 * A loopback HTTP server speaking the two Binance spot endpoints ccxt needs for public OHLCV:
 * `GET /api/v3/exchangeInfo` and `GET /api/v3/klines`. `klines` can be replaced between polls.
 */
export interface FakeBinance {
  readonly url: string;
  klines: Kline[];
  /** When set, answers klines from this instead of `klines` (e.g. candles following the wall clock). */
  generate: ((startTime: number, limit: number) => Kline[]) | undefined;
  /** Query strings of every klines request received. */
  readonly requests: URLSearchParams[];
  /** Answer the next klines request with this HTTP status instead. */
  failNext: number | undefined;
  close(): Promise<void>;
}

const exchangeInfo = {
  timezone: 'UTC',
  serverTime: 0,
  rateLimits: [],
  exchangeFilters: [],
  symbols: [
    {
      symbol: 'BTCUSDT',
      status: 'TRADING',
      baseAsset: 'BTC',
      baseAssetPrecision: 8,
      quoteAsset: 'USDT',
      quotePrecision: 8,
      quoteAssetPrecision: 8,
      baseCommissionPrecision: 8,
      quoteCommissionPrecision: 8,
      orderTypes: ['LIMIT', 'MARKET'],
      icebergAllowed: true,
      ocoAllowed: true,
      quoteOrderQtyMarketAllowed: true,
      allowTrailingStop: true,
      cancelReplaceAllowed: true,
      isSpotTradingAllowed: true,
      isMarginTradingAllowed: false,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: '0.01', maxPrice: '1000000.00', tickSize: '0.01' },
        { filterType: 'LOT_SIZE', minQty: '0.00001', maxQty: '9000.00', stepSize: '0.00001' },
      ],
      permissions: [],
      permissionSets: [['SPOT']],
      defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
      allowedSelfTradePreventionModes: ['EXPIRE_MAKER'],
    },
  ],
};

/** Starts a {@link FakeBinance} on 127.0.0.1 with an OS-chosen port. */
export async function startFakeBinance(): Promise<FakeBinance> {
  const state = {
    klines: [] as Kline[],
    generate: undefined as ((startTime: number, limit: number) => Kline[]) | undefined,
    requests: [] as URLSearchParams[],
    failNext: undefined as number | undefined,
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.setHeader('content-type', 'application/json');
    if (url.pathname === '/api/v3/exchangeInfo') {
      res.end(JSON.stringify(exchangeInfo));
      return;
    }
    if (url.pathname === '/api/v3/klines') {
      state.requests.push(url.searchParams);
      if (state.failNext !== undefined) {
        res.statusCode = state.failNext;
        state.failNext = undefined;
        res.end(JSON.stringify({ code: -1003, msg: 'busy' }));
        return;
      }
      const start = Number(url.searchParams.get('startTime') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 500);
      const rows = state.generate
        ? state.generate(start, limit)
        : state.klines.filter((k) => k[0] >= start).slice(0, limit);
      res.end(JSON.stringify(rows));
      return;
    }
    res.statusCode = 404;
    res.end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  return Object.assign(state, {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

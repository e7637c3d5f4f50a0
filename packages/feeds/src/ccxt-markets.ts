import type { FetchCache } from '@orrery/core';
import type { OhlcvSource } from './live-ccxt.ts';

/** The source name of ccxt market metadata in the fetch cache. */
export const CCXT_MARKETS_SOURCE = 'ccxt.markets';
/** How long an exchange's market list is trusted: a day (new listings are rare; a restart within it is free). */
export const CCXT_MARKETS_TTL_MS = 86_400_000;

/** The part of a ccxt exchange that loads and sets its markets. */
export interface MarketsExchange extends OhlcvSource {
  markets?: unknown;
  currencies?: unknown;
  loadMarkets(reload?: boolean): Promise<unknown>;
  setMarkets(markets: unknown, currencies?: unknown): unknown;
}

/**
 * An OHLCV source whose exchange takes its market list (ccxt's `loadMarkets`: the exchange-info request,
 * megabytes on large exchanges) from `cache` under `key` while it lives — across restarts — and fetches
 * it once otherwise, however many requests start at once. A failed load is retried on the next request.
 */
export function withCachedMarkets(exchange: MarketsExchange, cache: FetchCache, key: string): OhlcvSource {
  let ready: Promise<void> | undefined;
  const ensure = (): Promise<void> => {
    ready ??= (async () => {
      let fetched = false;
      const stored = await cache.get(CCXT_MARKETS_SOURCE, key, async () => {
        fetched = true;
        await exchange.loadMarkets();
        return { markets: exchange.markets ?? null, currencies: exchange.currencies ?? null };
      });
      // A fetch has just loaded the exchange itself; a stored list is handed to it.
      if (!fetched) exchange.setMarkets(stored.markets, stored.currencies ?? undefined);
    })().catch((err: unknown) => {
      ready = undefined;
      throw err;
    });
    return ready;
  };
  return {
    async fetchOHLCV(symbol, timeframe, since, limit) {
      await ensure();
      return exchange.fetchOHLCV(symbol, timeframe, since, limit);
    },
  };
}

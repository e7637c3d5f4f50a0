import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tempDir } from '@orrery/testkit';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { FetchCache, ManualClock, openGatewayDb } from '../src/index.ts';

/** A loopback "exchange info" endpoint that counts the requests it answers. */
let server: Server;
let url = '';
let hits = 0;
let release: (() => void) | undefined;
beforeAll(async () => {
  server = createServer((req, res) => {
    hits += 1;
    const answer = () => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ symbols: ['BTCUSDT', 'ETHUSDT'], path: req.url, n: hits }));
    };
    // `/slow` answers only when the test says so, to hold a fetch in flight without sleeping.
    if (req.url === '/slow') release = answer;
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

const fetchJson = (path: string) => async () => (await request(`${url}${path}`)).body.json();

let dir: ReturnType<typeof tempDir>;
let clock: ManualClock;
const open = (ttls: Record<string, number> = { exchange: 60_000 }) =>
  FetchCache.open(`${dir.path}/gateway.db`, { ttls, clock });
beforeEach(() => {
  dir = tempDir('orrery-fetch-cache-');
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  hits = 0;
});
afterEach(() => dir.remove());

describe('FetchCache against a real HTTP endpoint', () => {
  it('fetches once within the TTL, again after it expires (per-source TTL on the injected clock)', async () => {
    const cache = open({ exchange: 60_000, news: 1_000 });
    const a = await cache.get('exchange', 'binance', fetchJson('/info'));
    clock.advance(59_999);
    const b = await cache.get('exchange', 'binance', fetchJson('/info'));
    expect(hits).toBe(1);
    expect(b).toEqual(a);
    clock.advance(1);
    const c = await cache.get('exchange', 'binance', fetchJson('/info'));
    expect(hits).toBe(2);
    expect(c).toMatchObject({ n: 2 });
    // Another source has its own TTL.
    await cache.get('news', 'BTC', fetchJson('/news'));
    clock.advance(1_000);
    await cache.get('news', 'BTC', fetchJson('/news'));
    expect(hits).toBe(4);
    expect(cache.stats()).toEqual({ hits: 1, misses: 4, shared: 0, failures: 0 });
    await cache.close();
  });

  it('single-flight: concurrent identical fetches share one request; other keys do not', async () => {
    const cache = open();
    const calls = Array.from({ length: 10 }, () => cache.get('exchange', 'binance', fetchJson('/slow')));
    const other = cache.get('exchange', 'kraken', fetchJson('/info'));
    await expect.poll(() => release !== undefined).toBe(true);
    release?.();
    release = undefined;
    const results = await Promise.all(calls);
    await other;
    expect(hits).toBe(2);
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    // Every caller gets its own copy.
    expect(results[0]).not.toBe(results[1]);
    expect(cache.stats()).toMatchObject({ misses: 2, shared: 9 });
    await cache.close();
  });

  it('survives a restart: a new process-like instance on the same file answers without fetching', async () => {
    const first = open();
    const before = await first.get('exchange', 'binance', fetchJson('/info'));
    await first.close();
    const second = open();
    const after = await second.get('exchange', 'binance', fetchJson('/info'));
    expect(hits).toBe(1);
    expect(after).toEqual(before);
    expect(second.stats()).toMatchObject({ hits: 1, misses: 0 });
    // ...and it still expires on time.
    clock.advance(60_000);
    await second.get('exchange', 'binance', fetchJson('/info'));
    expect(hits).toBe(2);
    await second.close();
  });

  it('lives in the gateway file next to the LLM cache, without disturbing it', async () => {
    const db = openGatewayDb(`${dir.path}/gateway.db`);
    const cache = new FetchCache(db, { clock });
    await cache.get('exchange', 'binance', fetchJson('/info'));
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['cache', 'ledger', 'fetch_cache']));
    await cache.close();
    expect(db.open).toBe(true); // not owned: the caller closes it
    db.close();
  });
});

describe('FetchCache failures and options', () => {
  it('a failed fetch is not cached and rejects every caller sharing it with its own error', async () => {
    const cache = open();
    let fail!: (e: Error) => void;
    const boom = () => new Promise<never>((_, reject) => (fail = reject));
    const a = cache.get('exchange', 'binance', boom);
    const b = cache.get('exchange', 'binance', boom);
    fail(new Error('exchange down'));
    await expect(a).rejects.toThrow('exchange down');
    await expect(b).rejects.toThrow('exchange down');
    expect(cache.size()).toBe(0);
    expect(await cache.get('exchange', 'binance', async () => ({ ok: true }))).toEqual({ ok: true });
    expect(cache.stats()).toMatchObject({ failures: 1, shared: 1, misses: 2 });
    await cache.close();
  });

  it('refresh fetches despite a live entry; invalidate forgets one key or a whole source', async () => {
    const cache = open();
    await cache.get('exchange', 'a', fetchJson('/a'));
    await cache.get('exchange', 'b', fetchJson('/b'));
    await cache.get('exchange', 'a', fetchJson('/a'), { refresh: true });
    expect(hits).toBe(3);
    expect(cache.invalidate('exchange', 'a')).toBe(1);
    expect(cache.peek('exchange', 'a')).toBeUndefined();
    expect(cache.peek('exchange', 'b')?.expiresAt).toBe(clock.now() + 60_000);
    expect(cache.invalidate('exchange')).toBe(1);
    expect(cache.size()).toBe(0);
    await cache.close();
  });

  it('a stored value that no longer matches the schema is a miss; a fetched one that breaks it is an error', async () => {
    const cache = open();
    await cache.get('exchange', 'binance', async () => ({ symbols: 'old shape' }));
    const Info = z.object({ symbols: z.array(z.string()) });
    const fresh = await cache.get<z.infer<typeof Info>>('exchange', 'binance', fetchJson('/info') as never, {
      schema: Info,
    });
    expect(fresh.symbols).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(hits).toBe(1);
    await expect(
      cache.get('exchange', 'kraken', async () => ({ symbols: 3 }) as never, { schema: Info }),
    ).rejects.toThrow(/kraken.*breaks its schema at symbols/);
    expect(cache.peek('exchange', 'kraken')).toBeUndefined();
    await cache.close();
  });

  it('names bad input: TTLs, empty source or key, values that are not JSON, use after close', async () => {
    expect(() => open({ exchange: 0 })).toThrow(/ttls.exchange must be a positive number/);
    expect(() => FetchCache.open(':memory:', { defaultTtlMs: Number.NaN })).toThrow(/defaultTtlMs/);
    const cache = open();
    await expect(cache.get('', 'k', async () => 1)).rejects.toThrow(RangeError);
    await expect(cache.get('s', '', async () => 1)).rejects.toThrow(/key must be a non-empty string/);
    await expect(cache.get('s', 'k', async () => 1, { ttlMs: -5 })).rejects.toThrow(/ttlMs/);
    await expect(cache.get('s', 'k', async () => undefined)).rejects.toThrow(/not JSON/);
    await expect(cache.get('s', 'k', async () => 10n as never)).rejects.toThrow(TypeError);
    await cache.close();
    await expect(cache.get('s', 'k', async () => 1)).rejects.toThrow(/closed/);
  });

  it('close waits for a fetch in flight and keeps its result', async () => {
    const cache = open();
    let finish!: (v: { done: boolean }) => void;
    const pending = cache.get('exchange', 'slow', () => new Promise((resolve) => (finish = resolve)));
    const closing = cache.close();
    finish({ done: true });
    await closing;
    expect(await pending).toEqual({ done: true });
    const again = open();
    expect(again.peek('exchange', 'slow')?.value).toEqual({ done: true });
    await again.close();
  });
});

describe('FetchCache property: a hit answers exactly what the fetch answered', () => {
  it('any JSON value round-trips through the store and a restart', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const cache = FetchCache.open(':memory:', { clock });
        const fetched = await cache.get('p', 'k', async () => value);
        const stored = await cache.get('p', 'k', async () => 'never fetched');
        expect(stored).toEqual(fetched);
        expect(fetched).toEqual(JSON.parse(JSON.stringify(value)));
        await cache.close();
      }),
      { numRuns: 100 },
    );
  });
});

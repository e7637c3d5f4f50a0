import type { z } from 'zod';
import { type Clock, systemClock } from '../clock.ts';
import { openGatewayDb, type SqliteDb } from '../sqlite.ts';
import { FetchStore } from './store.ts';

/** TTL of a source that has none configured: 5 minutes. */
export const DEFAULT_FETCH_TTL_MS = 5 * 60_000;

/** Options of a {@link FetchCache}. */
export interface FetchCacheOptions {
  /** Time to live per source, ms (e.g. `{ 'ccxt.markets': 86_400_000, news: 300_000 }`). */
  ttls?: Readonly<Record<string, number>> | undefined;
  /** TTL of a source absent from `ttls`, ms (default {@link DEFAULT_FETCH_TTL_MS}). */
  defaultTtlMs?: number | undefined;
  /** Decides what has expired (default: the system clock). */
  clock?: Clock | undefined;
}

/** Options of one {@link FetchCache.get}. */
export interface FetchOptions<T> {
  /** Overrides the source's TTL for the entry this call stores, ms. */
  ttlMs?: number | undefined;
  /**
   * Validates the value, stored or fetched: a stored value that no longer matches (written by an older
   * version) is a miss; a fetched one that does not match is an error and is not stored.
   */
  schema?: z.ZodType<T> | undefined;
  /** Fetch even when a live entry exists (a fetch already in flight is still shared). */
  refresh?: boolean | undefined;
}

/** What a cache has done since it was opened. */
export interface FetchCacheStats {
  /** Answered from a live stored entry. */
  hits: number;
  /** No live entry: a fetch was started. */
  misses: number;
  /** Joined a fetch already in flight for the same source and key. */
  shared: number;
  /** Fetches that failed (nothing stored). */
  failures: number;
}

/** A stored entry, as {@link FetchCache.peek} shows it. */
export interface FetchEntry<T> {
  value: T;
  /** When it was fetched and when it expires (epoch ms, on the cache's clock). */
  fetchedAt: number;
  expiresAt: number;
}

/**
 * A cache for what is expensive to fetch — market metadata, exchange info, news or intelligence lookups —
 * with a TTL per source, stored in SQLite (by default in the gateway's file, next to the LLM cache) so it
 * survives restarts, and single-flight: concurrent calls for the same source and key share one fetch.
 * Values are JSON: every caller gets a fresh parsed copy, the same whether it was a hit or a fetch.
 *
 * @example
 * const cache = FetchCache.open('.orrery/gateway.db', { ttls: { 'ccxt.markets': 86_400_000 } });
 * const markets = await cache.get('ccxt.markets', 'binance', () => exchange.loadMarkets());
 */
export class FetchCache {
  readonly #db: SqliteDb;
  readonly #owned: boolean;
  readonly #store: FetchStore;
  readonly #clock: Clock;
  readonly #ttls: Readonly<Record<string, number>>;
  readonly #defaultTtl: number;
  readonly #inflight = new Map<string, Promise<string>>();
  readonly #stats: FetchCacheStats = { hits: 0, misses: 0, shared: 0, failures: 0 };
  #closed = false;

  /**
   * A cache on an open database (its `fetch_cache` table is created if missing); the caller keeps
   * ownership of `db`.
   * @throws RangeError for a TTL that is not a positive number of milliseconds.
   */
  constructor(db: SqliteDb, options: FetchCacheOptions = {}, owned = false) {
    for (const [source, ttl] of Object.entries(options.ttls ?? {})) checkTtl(ttl, `ttls.${source}`);
    this.#defaultTtl = checkTtl(options.defaultTtlMs ?? DEFAULT_FETCH_TTL_MS, 'defaultTtlMs');
    this.#ttls = { ...(options.ttls ?? {}) };
    this.#clock = options.clock ?? systemClock;
    this.#db = db;
    this.#owned = owned;
    this.#store = new FetchStore(db);
  }

  /**
   * Opens (or creates) the SQLite file at `path` — the gateway's file is the intended one — with the
   * gateway's pragmas (WAL, busy timeout), and closes it on {@link FetchCache.close}.
   * @throws RangeError for a bad TTL; better-sqlite3's error when the file cannot be opened.
   */
  static open(path: string, options: FetchCacheOptions = {}): FetchCache {
    const db = openGatewayDb(path);
    try {
      return new FetchCache(db, options, true);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** The TTL of `source`, ms. */
  ttlOf(source: string): number {
    return this.#ttls[source] ?? this.#defaultTtl;
  }

  /**
   * The value of `source`/`key`: from the store while it lives, otherwise from `fetch` (one fetch per
   * source and key at a time; concurrent callers share it). A failed fetch stores nothing and rejects
   * every caller that shared it with the fetch's own error.
   * @throws RangeError for an empty source or key or a bad `ttlMs`; TypeError when the fetched value is
   *   not JSON-serialisable or breaks `schema`; Error after `close()`.
   */
  async get<T>(
    source: string,
    key: string,
    fetch: () => Promise<T>,
    options: FetchOptions<T> = {},
  ): Promise<T> {
    if (this.#closed) throw new Error('FetchCache is closed');
    if (source === '') throw new RangeError('FetchCache.get: source must be a non-empty string');
    if (key === '') throw new RangeError(`FetchCache.get(${source}): key must be a non-empty string`);
    const ttl = checkTtl(options.ttlMs ?? this.ttlOf(source), 'ttlMs');
    const id = `${source}\u0000${key}`;
    const pending = this.#inflight.get(id);
    if (pending !== undefined) {
      this.#stats.shared += 1;
      return decode(await pending, options.schema) as T;
    }
    if (options.refresh !== true) {
      const row = this.#store.get(source, key);
      if (row !== undefined && row.expiresAt > this.#clock.now()) {
        const stored = decode(row.value, options.schema);
        if (stored !== STALE) {
          this.#stats.hits += 1;
          return stored;
        }
        this.#store.delete(source, key);
      }
    }
    this.#stats.misses += 1;
    const started = this.#fetch(source, key, fetch, ttl, options.schema);
    this.#inflight.set(id, started);
    try {
      return decode(await started, options.schema) as T;
    } finally {
      this.#inflight.delete(id);
    }
  }

  /** The stored entry of `source`/`key`, live or expired, without fetching; undefined when none. */
  peek<T = unknown>(source: string, key: string): FetchEntry<T> | undefined {
    const row = this.#store.get(source, key);
    if (row === undefined) return undefined;
    return { value: JSON.parse(row.value) as T, fetchedAt: row.fetchedAt, expiresAt: row.expiresAt };
  }

  /** Forgets one entry, or every entry of `source` when `key` is omitted. Returns how many were removed. */
  invalidate(source: string, key?: string): number {
    return this.#store.delete(source, key);
  }

  /** Entries stored (expired ones included until swept by the next store). */
  size(): number {
    return this.#store.size();
  }

  /** Hits, misses, shared fetches and failures since the cache was opened. */
  stats(): FetchCacheStats {
    return { ...this.#stats };
  }

  /** Waits for fetches in flight, then closes the database when the cache opened it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([...this.#inflight.values()]);
    if (this.#owned) this.#db.close();
  }

  async #fetch<T>(
    source: string,
    key: string,
    fetch: () => Promise<T>,
    ttl: number,
    schema: z.ZodType<T> | undefined,
  ): Promise<string> {
    let value: T;
    try {
      value = await fetch();
    } catch (err) {
      this.#stats.failures += 1;
      throw err;
    }
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      this.#stats.failures += 1;
      throw new TypeError(
        `FetchCache(${source}/${key}): the fetched value is not JSON (${(err as Error).message}); not stored`,
        { cause: err },
      );
    }
    if (text === undefined) {
      this.#stats.failures += 1;
      throw new TypeError(
        `FetchCache(${source}/${key}): the fetch returned ${typeof value}, not JSON; not stored`,
      );
    }
    if (schema !== undefined) {
      const r = schema.safeParse(JSON.parse(text));
      if (!r.success) {
        this.#stats.failures += 1;
        const first = r.error.issues[0];
        throw new TypeError(
          `FetchCache(${source}/${key}): the fetched value breaks its schema at ${first?.path.join('.') || '(root)'}: ${first?.message}; not stored`,
          { cause: r.error },
        );
      }
    }
    // close() waits for fetches in flight before closing the database, so this write is always safe.
    const now = this.#clock.now();
    this.#store.put(source, key, { value: text, fetchedAt: now, expiresAt: now + ttl }, now);
    return text;
  }
}

const STALE: unique symbol = Symbol('stale');

/** Parses stored JSON through `schema`; {@link STALE} when it no longer matches (fresh values were checked). */
function decode<T>(text: string, schema: z.ZodType<T> | undefined): T | typeof STALE {
  const value = JSON.parse(text) as unknown;
  if (schema === undefined) return value as T;
  const r = schema.safeParse(value);
  return r.success ? r.data : STALE;
}

function checkTtl(ttl: number, name: string): number {
  if (!(Number.isFinite(ttl) && ttl > 0))
    throw new RangeError(`FetchCache: ${name} must be a positive number of milliseconds, got ${ttl}`);
  return ttl;
}

import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from './sqlite.ts';

/** How long a provider+model pair rests after a 429. */
export interface CooldownPolicy {
  /** First cooldown, in milliseconds; the k-th consecutive 429 rests `baseMs × 2^(k-1)`. */
  baseMs: number;
  /** Upper bound of a computed cooldown, in milliseconds (a longer `Retry-After` still wins). */
  maxMs: number;
}

/** The state of one pair. */
export interface CooldownState {
  provider: string;
  model: string;
  /** Epoch ms until which no call is made. */
  until: number;
  /** Consecutive 429s since the last success. */
  strikes: number;
}

/**
 * Cooldowns per provider+model, persisted in SQLite so a restart does not forget them.
 *
 * The k-th consecutive 429 (k = 1, 2, …) cools the pair for `min(baseMs × 2^(k-1), maxMs)`, or for the
 * provider's `Retry-After` when that is longer (it is a floor, and may exceed `maxMs`). A success resets k.
 */
export class Cooldowns {
  readonly #policy: CooldownPolicy;
  readonly #get: Statement<[string, string], { until_ms: number; strikes: number }>;
  readonly #put: Statement<[string, string, number, number]>;
  readonly #reset: Statement<[string, string]>;
  readonly #active: Statement<
    [number],
    { provider: string; model: string; until_ms: number; strikes: number }
  >;

  constructor(db: SqliteDb, policy: CooldownPolicy) {
    this.#policy = policy;
    this.#get = db.prepare('SELECT until_ms, strikes FROM cooldowns WHERE provider = ? AND model = ?');
    this.#put = db.prepare(
      `INSERT INTO cooldowns (provider, model, until_ms, strikes) VALUES (?, ?, ?, ?)
       ON CONFLICT (provider, model) DO UPDATE SET until_ms = excluded.until_ms, strikes = excluded.strikes`,
    );
    this.#reset = db.prepare(
      'UPDATE cooldowns SET strikes = 0 WHERE provider = ? AND model = ? AND strikes > 0',
    );
    this.#active = db.prepare(
      'SELECT provider, model, until_ms, strikes FROM cooldowns WHERE until_ms > ? ORDER BY until_ms',
    );
  }

  /** The end of the pair's cooldown (epoch ms), or `undefined` when it is not cooling at `now`. */
  until(provider: string, model: string, now: number): number | undefined {
    const row = this.#get.get(provider, model);
    return row !== undefined && row.until_ms > now ? row.until_ms : undefined;
  }

  /** Records a 429 at `now` and returns the new cooldown's end (epoch ms) and the strike count. */
  rateLimited(
    provider: string,
    model: string,
    now: number,
    retryAfterMs: number | undefined,
  ): { until: number; strikes: number } {
    const strikes = (this.#get.get(provider, model)?.strikes ?? 0) + 1;
    const backoff = Math.min(this.#policy.baseMs * 2 ** (strikes - 1), this.#policy.maxMs);
    const until = now + Math.max(backoff, retryAfterMs ?? 0);
    this.#put.run(provider, model, until, strikes);
    return { until, strikes };
  }

  /** Records a success: the next 429 starts again from `baseMs`. */
  succeeded(provider: string, model: string): void {
    this.#reset.run(provider, model);
  }

  /** Every pair cooling at `now`, soonest first. */
  active(now: number): CooldownState[] {
    return this.#active.all(now).map((r) => ({
      provider: r.provider,
      model: r.model,
      until: r.until_ms,
      strikes: r.strikes,
    }));
  }
}

import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from './sqlite.ts';

/** How long a provider+model pair rests after a 429 (or Anthropic's 529 `overloaded_error`). */
export interface CooldownPolicy {
  /** First cooldown, in milliseconds; the k-th strike rests `baseMs × 2^(k-1)`. */
  baseMs: number;
  /** Upper bound of any cooldown, in milliseconds — a longer `Retry-After` is cut to it. */
  maxMs: number;
}

/** When a pair's circuit breaker opens after 5xx answers, 529s, unreachable servers and timeouts. */
export interface BreakerPolicy {
  /** Failures (5xx, unreachable) within `windowMs` that open the breaker. */
  failures: number;
  /** Timeouts within `windowMs` that open the breaker (default 1: a hanging model is not called again soon). */
  timeouts: number;
  /** The window failures are counted in, in milliseconds. */
  windowMs: number;
  /** First open period, in milliseconds; the k-th consecutive opening rests `openMs × 2^(k-1)`. */
  openMs: number;
  /** Upper bound of an open period, in milliseconds. */
  maxOpenMs: number;
}

/** Why a pair is not called. */
export type BlockReason = 'rate_limited' | 'overloaded' | 'breaker_open' | 'breaker_probe' | 'disabled';

/** The state of one pair (or, with model `*`, a whole provider). */
export interface CooldownState {
  provider: string;
  /** The model, or `*` for a provider disabled as a whole (quota or billing exhausted). */
  model: string;
  /** Epoch ms until which no call is made (`Infinity` for a disabled provider). */
  until: number;
  /** Consecutive 429/529 strikes since the last success. */
  strikes: number;
  /** What blocks it. */
  reason: BlockReason;
  /** The provider's message for a disabled provider. */
  note?: string | undefined;
}

interface Row {
  provider: string;
  model: string;
  until_ms: number;
  strikes: number;
  struck_ms: number;
  reason: string;
  fails: number;
  window_ms: number;
  opens: number;
  probe_ms: number;
  note: string | null;
}

/** `until_ms` of a disabled provider (a year-9999 sentinel; reported as `Infinity`). */
const DISABLED_UNTIL = 253_402_300_799_000;

/**
 * Cooldowns, circuit breakers and disabled providers per provider+model, persisted in SQLite so a restart
 * does not forget them.
 *
 * - A 429 (or 529) is a strike: the k-th consecutive one cools the pair for
 *   `min(max(baseMs × 2^(k-1), Retry-After), maxMs)` — `maxMs` caps a provider's `Retry-After` too.
 *   429s of requests that were in flight together (started before the last strike was recorded) are one
 *   strike. A success resets the strikes.
 * - A breaker counts 5xx/unreachable failures and timeouts in a window; at `failures` (or `timeouts`) it
 *   opens for `openMs × 2^(k-1)` (at most `maxOpenMs`). When that ends one request may probe
 *   (half-open): success closes it, failure reopens it with the next, doubled, period.
 * - A provider whose 429 says its quota or billing is exhausted is disabled (model `*`) until
 *   {@link clear} is called by an operator.
 */
export class Cooldowns {
  readonly #policy: CooldownPolicy;
  readonly #breaker: BreakerPolicy;
  readonly #getPair: Statement<[string, string], Row>;
  readonly #put: Statement<unknown[]>;
  readonly #reset: Statement<[string, string]>;
  readonly #claimProbe: Statement<[number, string, string, number]>;
  readonly #clearPair: Statement<[string, string]>;
  readonly #clearProvider: Statement<[string]>;
  readonly #all: Statement<[], Row>;
  readonly #dataVersion: Statement<[], number>;
  /**
   * Every row, as of `#version` (`PRAGMA data_version`, which changes when another connection commits):
   * {@link blocked} answers from it — one pragma instead of two queries per call. This class's own
   * writes drop it.
   */
  #rows: Map<string, Row> | undefined;
  #version = -1;

  constructor(db: SqliteDb, policy: CooldownPolicy, breaker: BreakerPolicy) {
    this.#policy = policy;
    this.#breaker = breaker;
    this.#getPair = db.prepare('SELECT * FROM cooldowns WHERE provider = ? AND model = ?');
    this.#put = db.prepare(
      `INSERT INTO cooldowns (provider, model, until_ms, strikes, struck_ms, reason, fails, window_ms, opens, probe_ms, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (provider, model) DO UPDATE SET until_ms = excluded.until_ms, strikes = excluded.strikes,
         struck_ms = excluded.struck_ms, reason = excluded.reason, fails = excluded.fails,
         window_ms = excluded.window_ms, opens = excluded.opens, probe_ms = excluded.probe_ms, note = excluded.note`,
    );
    this.#reset = db.prepare(
      `UPDATE cooldowns SET strikes = 0, fails = 0, opens = 0, probe_ms = 0
       WHERE provider = ? AND model = ? AND (strikes > 0 OR fails > 0 OR opens > 0 OR probe_ms > 0)`,
    );
    this.#claimProbe = db.prepare(
      'UPDATE cooldowns SET probe_ms = ? WHERE provider = ? AND model = ? AND probe_ms < ?',
    );
    this.#clearPair = db.prepare('DELETE FROM cooldowns WHERE provider = ? AND model = ?');
    this.#clearProvider = db.prepare('DELETE FROM cooldowns WHERE provider = ?');
    this.#all = db.prepare('SELECT * FROM cooldowns ORDER BY until_ms');
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** The pair's row (model `*`: the provider's), from the snapshot, reloaded when another connection wrote. */
  #row(provider: string, model: string): Row | undefined {
    const version = this.#dataVersion.get() as number;
    let rows = this.#rows;
    if (rows === undefined || version !== this.#version) {
      rows = new Map();
      for (const r of this.#all.all()) rows.set(`${r.provider}\u0000${r.model}`, r);
      this.#rows = rows;
      this.#version = version;
    }
    return rows.get(`${provider}\u0000${model}`);
  }

  /**
   * What blocks the pair at `now`, or `undefined` when it may be called. A breaker whose open period
   * ended lets exactly one caller through (`claim`: that caller becomes the probe); others see
   * `breaker_probe` until the probe ends or `openMs` passes.
   */
  blocked(
    provider: string,
    model: string,
    now: number,
    claim = false,
  ): { until: number; reason: BlockReason; note?: string | undefined } | undefined {
    // The provider's `*` row (disabled as a whole), then the pair's.
    const all = this.#row(provider, '*');
    if (all !== undefined)
      return { until: Number.POSITIVE_INFINITY, reason: 'disabled', note: all.note ?? undefined };
    const row = this.#row(provider, model);
    if (row === undefined) return undefined;
    if (row.until_ms > now) return { until: row.until_ms, reason: row.reason as BlockReason };
    if (row.reason !== 'breaker_open' || row.opens === 0) return undefined;
    // Half-open: one probe at a time.
    if (row.probe_ms >= row.until_ms && now < row.probe_ms + this.#breaker.openMs)
      return { until: row.probe_ms + this.#breaker.openMs, reason: 'breaker_probe' };
    if (claim && this.#claimProbe.run(now, provider, model, now).changes > 0) this.#rows = undefined;
    return undefined;
  }

  /** The end of the pair's block (epoch ms), or `undefined` when it may be called at `now`. */
  until(provider: string, model: string, now: number): number | undefined {
    return this.blocked(provider, model, now)?.until;
  }

  /**
   * Records a 429 (or 529) at `now` for a request that started at `startedAt`, and returns the new
   * cooldown's end (epoch ms) and the strike count.
   */
  rateLimited(
    provider: string,
    model: string,
    now: number,
    retryAfterMs: number | undefined,
    startedAt: number = now,
    reason: 'rate_limited' | 'overloaded' = 'rate_limited',
  ): { until: number; strikes: number } {
    const row = this.#getPair.get(provider, model);
    // A strike recorded after this request started came from a request in flight with it: same burst.
    const sameBurst = row !== undefined && row.strikes > 0 && row.struck_ms >= startedAt;
    const strikes = sameBurst ? row.strikes : (row?.strikes ?? 0) + 1;
    const backoff = this.#policy.baseMs * 2 ** (strikes - 1);
    const wait = Math.min(Math.max(backoff, retryAfterMs ?? 0), this.#policy.maxMs);
    const until = Math.max(now + wait, sameBurst ? row.until_ms : 0);
    this.#rows = undefined;
    this.#put.run(
      provider,
      model,
      until,
      strikes,
      sameBurst ? row.struck_ms : now,
      reason,
      row?.fails ?? 0,
      row?.window_ms ?? 0,
      row?.opens ?? 0,
      row?.probe_ms ?? 0,
      null,
    );
    return { until, strikes };
  }

  /**
   * Records a 5xx / unreachable failure (`kind: 'failure'`) or a timeout at `now`. Returns the breaker's
   * open period's end when this opened (or reopened) it.
   */
  failed(provider: string, model: string, now: number, kind: 'failure' | 'timeout'): number | undefined {
    const b = this.#breaker;
    const row = this.#getPair.get(provider, model);
    const halfOpen =
      row !== undefined && row.reason === 'breaker_open' && row.opens > 0 && row.until_ms <= now;
    let fails = row?.fails ?? 0;
    let windowMs = row?.window_ms ?? 0;
    if (halfOpen || now - windowMs > b.windowMs) {
      fails = 0;
      windowMs = now;
    }
    fails += 1;
    const opens = halfOpen || fails >= (kind === 'timeout' ? b.timeouts : b.failures);
    const count = (row?.opens ?? 0) + (opens ? 1 : 0);
    const until = opens ? now + Math.min(b.openMs * 2 ** (count - 1), b.maxOpenMs) : (row?.until_ms ?? 0);
    this.#rows = undefined;
    this.#put.run(
      provider,
      model,
      until,
      row?.strikes ?? 0,
      row?.struck_ms ?? 0,
      opens ? 'breaker_open' : (row?.reason ?? 'breaker_open'),
      opens ? 0 : fails,
      windowMs,
      count,
      0,
      null,
    );
    return opens ? until : undefined;
  }

  /** Disables every model of `provider` until {@link clear} (quota or billing exhausted). */
  disable(provider: string, note: string): void {
    this.#rows = undefined;
    this.#put.run(provider, '*', DISABLED_UNTIL, 0, 0, 'disabled', 0, 0, 0, 0, note);
  }

  /** Records a success: strikes, failures and breaker openings start again from zero. */
  succeeded(provider: string, model: string): void {
    if (this.#reset.run(provider, model).changes > 0) this.#rows = undefined;
  }

  /**
   * Clears a pair's cooldown and breaker, or with model `*` everything of the provider (its disabled
   * state included). Returns how many rows were removed.
   */
  clear(provider: string, model: string): number {
    this.#rows = undefined;
    return model === '*'
      ? this.#clearProvider.run(provider).changes
      : this.#clearPair.run(provider, model).changes;
  }

  /** Every pair blocked at `now` (cooling, breaker open, provider disabled), soonest first. */
  active(now: number): CooldownState[] {
    const out: CooldownState[] = [];
    for (const r of this.#all.all()) {
      if (r.model === '*') {
        out.push({
          provider: r.provider,
          model: '*',
          until: Number.POSITIVE_INFINITY,
          strikes: 0,
          reason: 'disabled',
          note: r.note ?? undefined,
        });
      } else if (r.until_ms > now) {
        out.push({
          provider: r.provider,
          model: r.model,
          until: r.until_ms,
          strikes: r.strikes,
          reason: r.reason as BlockReason,
        });
      }
    }
    return out;
  }
}

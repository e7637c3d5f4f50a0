import type { Statement } from 'better-sqlite3';
import { LLMBudgetExceededError } from './errors.ts';
import type { SqliteDb } from './sqlite.ts';

/** Limits of the global budget over a rolling hour. */
export interface RollingBudgetLimits {
  /** Provider calls allowed per rolling hour (critical requests included). */
  maxCallsPerHour: number;
  /** Tokens (in + out, estimated before the call, then actual) allowed per rolling hour. */
  maxTokensPerHour: number;
  /** Calls kept for critical requests: non-critical ones stop at `maxCallsPerHour - reserveCalls`. */
  reserveCalls: number;
  /** Tokens kept for critical requests. */
  reserveTokens: number;
}

/** The budget as seen now. */
export interface BudgetStatus {
  callsUsed: number;
  callsLimit: number;
  tokensUsed: number;
  tokensLimit: number;
  reserveCalls: number;
  reserveTokens: number;
  /** The smaller of the calls and tokens fractions left of the full limits, in [0, 1]. */
  remainingFraction: number;
  /** True when non-critical requests are refused (only the reserve is left, or nothing). */
  exhausted: boolean;
}

/** A reservation to settle (with the actual usage) or refund (on failure). */
export interface BudgetReservation {
  readonly minute: number;
  readonly tokens: number;
  /** What the `inTransaction` callback of {@link RollingBudget.reserve} returned (the ledger row's id). */
  readonly ledgerId: number;
}

/** Work the gateway runs inside a reservation's transaction; see {@link RollingBudget.reserve}. */
export interface ReserveHooks {
  before?: (() => void) | undefined;
  inTransaction?: (() => number) | undefined;
}

const MINUTE_MS = 60_000;
/** Minutes a call counts for: it counts for 60 to 61 minutes (one-minute resolution, never less than an hour). */
const WINDOW_MINUTES = 60;

/**
 * The global budget over a rolling hour, in SQLite (one row per minute), so that a restart keeps the
 * window and several processes sharing the file share the budget.
 *
 * A reservation happens synchronously inside one `BEGIN IMMEDIATE` transaction (sum the window, check,
 * add), before the caller awaits anything: N concurrent requests against K remaining calls reserve
 * exactly min(N, K). The window has one-minute resolution and errs on the safe side: a call counts from
 * its minute until that minute is more than 60 minutes old, i.e. for 60 to 61 minutes.
 */
export class RollingBudget {
  readonly limits: RollingBudgetLimits;
  readonly #sum: Statement<[number], { calls: number; tokens: number }>;
  readonly #add: Statement<[number, number, number]>;
  readonly #adjust: Statement<[number, number, number]>;
  readonly #prune: Statement<[number]>;
  readonly #reserve: (
    now: number,
    tokens: number,
    critical: boolean,
    hooks: ReserveHooks | undefined,
  ) => BudgetReservation;
  #lastPrunedMinute = -1;

  constructor(db: SqliteDb, limits: RollingBudgetLimits) {
    this.limits = limits;
    this.#sum = db.prepare(
      'SELECT coalesce(sum(calls), 0) AS calls, coalesce(sum(tokens), 0) AS tokens FROM budget_minutes WHERE minute >= ?',
    );
    this.#add = db.prepare(
      `INSERT INTO budget_minutes (minute, calls, tokens) VALUES (?, ?, ?)
       ON CONFLICT (minute) DO UPDATE SET calls = calls + excluded.calls, tokens = tokens + excluded.tokens`,
    );
    this.#adjust = db.prepare(
      'UPDATE budget_minutes SET calls = max(0, calls + ?), tokens = max(0, tokens + ?) WHERE minute = ?',
    );
    this.#prune = db.prepare('DELETE FROM budget_minutes WHERE minute < ?');
    // A refusal is returned, not thrown, so that the transaction commits what `before` wrote.
    const reserve = db.transaction(
      (now: number, tokens: number, critical: boolean, hooks: ReserveHooks | undefined) => {
        hooks?.before?.();
        return this.reserveInTransaction(now, tokens, critical, hooks?.inTransaction);
      },
    );
    this.#reserve = (now, tokens, critical, hooks) => {
      const r = reserve.immediate(now, tokens, critical, hooks);
      if (r instanceof LLMBudgetExceededError) throw r;
      return r;
    };
  }

  /**
   * {@link reserve} for a caller that has opened the `BEGIN IMMEDIATE` transaction itself (the gateway's
   * group commit, see `WriteBehind.submit`): checks and adds in it, runs `inTransaction` once the call is
   * reserved (its result is the `ledgerId`), and returns the refusal rather than throwing it, so the
   * transaction still commits the other work it holds.
   */
  reserveInTransaction(
    now: number,
    tokens: number,
    critical: boolean,
    inTransaction?: (() => number) | undefined,
  ): BudgetReservation | LLMBudgetExceededError {
    const limits = this.limits;
    const minute = Math.floor(now / MINUTE_MS);
    if (minute !== this.#lastPrunedMinute) {
      this.#lastPrunedMinute = minute;
      this.#prune.run(minute - WINDOW_MINUTES);
    }
    const used = this.#sum.get(minute - WINDOW_MINUTES) ?? { calls: 0, tokens: 0 };
    const callCap = critical ? limits.maxCallsPerHour : limits.maxCallsPerHour - limits.reserveCalls;
    const tokenCap = critical ? limits.maxTokensPerHour : limits.maxTokensPerHour - limits.reserveTokens;
    const scope = critical ? 'including the reserve' : 'excluding the reserve';
    if (used.calls + 1 > callCap) {
      return new LLMBudgetExceededError(
        `hourly call budget spent: ${used.calls} of ${callCap} calls used (${scope}); no call made`,
        { budget: 'calls' },
      );
    }
    if (used.tokens + tokens > tokenCap) {
      return new LLMBudgetExceededError(
        `hourly token budget spent: ${used.tokens} used + ${tokens} estimated > ${tokenCap} (${scope}); no call made`,
        { budget: 'tokens' },
      );
    }
    this.#add.run(minute, 1, tokens);
    return { minute, tokens, ledgerId: inTransaction === undefined ? 0 : inTransaction() };
  }

  /**
   * Reserves one call and `tokens` estimated tokens at `now`, or throws {@link LLMBudgetExceededError}
   * (`budget: 'calls' | 'tokens'`). Only `critical` requests may use the reserve. Synchronous.
   * `hooks.before` runs first inside the reservation's transaction and commits even when the budget
   * refuses (the gateway writes its queued bookkeeping there); `hooks.inTransaction` runs once the call
   * is reserved (the gateway writes the call's ledger row there, so the reservation and the row commit
   * together), its result is the reservation's `ledgerId`.
   */
  reserve(now: number, tokens: number, critical: boolean, hooks?: ReserveHooks): BudgetReservation {
    return this.#reserve(now, tokens, critical, hooks);
  }

  /** Replaces the reservation's estimate with the tokens actually used. */
  settle(reservation: BudgetReservation, actualTokens: number): void {
    const delta = actualTokens - reservation.tokens;
    if (delta !== 0) this.#adjust.run(0, delta, reservation.minute);
  }

  /**
   * Gives the call and its tokens back. The gateway never does: every provider request counts, whatever
   * its outcome. For callers that reserved without calling.
   */
  refund(reservation: BudgetReservation): void {
    this.#adjust.run(-1, -reservation.tokens, reservation.minute);
  }

  /** Usage of the window at `now`. */
  status(now: number): BudgetStatus {
    const used = this.#sum.get(Math.floor(now / MINUTE_MS) - WINDOW_MINUTES) ?? { calls: 0, tokens: 0 };
    const l = this.limits;
    const callsLeft =
      l.maxCallsPerHour > 0 ? Math.max(0, l.maxCallsPerHour - used.calls) / l.maxCallsPerHour : 0;
    const tokensLeft =
      l.maxTokensPerHour > 0 ? Math.max(0, l.maxTokensPerHour - used.tokens) / l.maxTokensPerHour : 0;
    return {
      callsUsed: used.calls,
      callsLimit: l.maxCallsPerHour,
      tokensUsed: used.tokens,
      tokensLimit: l.maxTokensPerHour,
      reserveCalls: l.reserveCalls,
      reserveTokens: l.reserveTokens,
      remainingFraction: Math.min(callsLeft, tokensLeft),
      exhausted:
        used.calls >= l.maxCallsPerHour - l.reserveCalls ||
        used.tokens >= l.maxTokensPerHour - l.reserveTokens,
    };
  }

  /** Whether one more call of `tokens` estimated tokens would be allowed now (nothing is reserved). */
  allows(now: number, tokens: number, critical: boolean): boolean {
    const s = this.status(now);
    const callCap = critical ? s.callsLimit : s.callsLimit - s.reserveCalls;
    const tokenCap = critical ? s.tokensLimit : s.tokensLimit - s.reserveTokens;
    return s.callsUsed + 1 <= callCap && s.tokensUsed + tokens <= tokenCap;
  }
}

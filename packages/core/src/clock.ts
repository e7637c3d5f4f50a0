/**
 * The source of time for everything that expires: cooldowns, rolling budget windows, cache TTLs,
 * supervision windows. Inject a {@link ManualClock} in tests instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

/** The wall clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to; for deterministic tests and replays. */
export class ManualClock implements Clock {
  #now: number;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` milliseconds (negative values are refused). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualClock.advance: ms must be >= 0, got ${ms}`);
    this.#now += ms;
  }

  /** Jumps to an absolute time (never backwards). */
  set(ms: number): void {
    if (ms < this.#now)
      throw new RangeError(`ManualClock.set: time cannot move backwards (${ms} < ${this.#now})`);
    this.#now = ms;
  }
}

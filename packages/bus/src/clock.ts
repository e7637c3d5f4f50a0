/**
 * Time for the bus: `now()` stamps messages, `setTimer` drives request timeouts. Any `{ now() }` clock
 * (e.g. `@orrery/core`'s) covers stamping; inject {@link ManualBusClock} in tests instead of sleeping.
 */
export interface BusClock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** The wall clock and Node's timers. */
export const systemBusClock: BusClock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
};

/** A clock that moves only when told to; timers fire, in due order, inside {@link ManualBusClock.advance}. */
export class ManualBusClock implements BusClock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const id = this.#seq++;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return () => {
      this.#timers.delete(id);
    };
  }

  /** Timers still waiting. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms` and fires every timer that falls due, earliest first.
   * @throws RangeError when `ms` is negative or not a number.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`ManualBusClock.advance: ms must be >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.#timers) {
        if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
      }
      if (next === undefined) break;
      this.#timers.delete(next[0]);
      this.#now = next[1].at;
      next[1].fn();
    }
    this.#now = target;
  }
}

/**
 * A counting limit on work in flight: `tryEnter` takes a slot or says no at once (no queue, so a
 * saturated server answers 429 instead of piling up requests), `leave` gives it back.
 */
export class ConcurrencyGate {
  /** Slots in total (≥ 1). */
  readonly limit: number;
  #inFlight = 0;
  #rejected = 0;

  /** @throws RangeError when `limit` is not an integer ≥ 1. */
  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`concurrency limit must be an integer >= 1`);
    this.limit = limit;
  }

  /** Slots taken now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Times `tryEnter` said no since the start. */
  get rejected(): number {
    return this.#rejected;
  }

  /** Takes a slot and returns its release function (idempotent), or `undefined` when every slot is taken. */
  tryEnter(): (() => void) | undefined {
    if (this.#inFlight >= this.limit) {
      this.#rejected += 1;
      return undefined;
    }
    this.#inFlight += 1;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.#inFlight -= 1;
    };
  }
}

/**
 * Exponential moving average in the reference convention (Stock.Indicators, TA-Lib): the first value,
 * after `period` inputs, is the simple mean of those inputs; then `ema += k (x - ema)` with
 * `k = 2 / (period + 1)`. trading-signals' EMA seeds with the first price instead, which differs for
 * hundreds of bars, so this one is ours. O(1) per update.
 */
export class Ema {
  readonly period: number;
  readonly #k: number;
  #count = 0;
  #sum = 0;
  #value: number | null = null;

  constructor(period: number) {
    if (!Number.isInteger(period) || period < 1) throw new RangeError(`Ema: period must be an integer >= 1`);
    this.period = period;
    this.#k = 2 / (period + 1);
  }

  /** Adds one value; returns the EMA, or null while fewer than `period` values were seen. */
  update(x: number): number | null {
    if (this.#value !== null) {
      this.#value = this.#value + this.#k * (x - this.#value);
      return this.#value;
    }
    this.#count += 1;
    this.#sum += x;
    if (this.#count === this.period) this.#value = this.#sum / this.period;
    return this.#value;
  }

  get value(): number | null {
    return this.#value;
  }
}

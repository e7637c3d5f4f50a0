/** A fixed-capacity FIFO of numbers over a preallocated buffer: O(1) push, oldest value evicted. */
export class Ring {
  readonly capacity: number;
  readonly #buf: Float64Array;
  #start = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('Ring: capacity must be >= 1');
    this.capacity = capacity;
    this.#buf = new Float64Array(capacity);
  }

  get size(): number {
    return this.#size;
  }

  get full(): boolean {
    return this.#size === this.capacity;
  }

  /** Appends `x`; returns the evicted oldest value when the ring was full, else undefined. */
  push(x: number): number | undefined {
    if (this.#size < this.capacity) {
      this.#buf[(this.#start + this.#size) % this.capacity] = x;
      this.#size += 1;
      return undefined;
    }
    const old = this.#buf[this.#start];
    this.#buf[this.#start] = x;
    this.#start = (this.#start + 1) % this.capacity;
    return old;
  }

  /** The i-th value, oldest first (0 ≤ i < size). */
  at(i: number): number {
    return this.#buf[(this.#start + i) % this.capacity] as number;
  }
}

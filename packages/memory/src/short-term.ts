import { MemoryValidationError } from './errors.ts';

/** Default number of recent decisions kept in short-term memory. */
export const DEFAULT_SHORT_TERM_SIZE = 1000;

/**
 * A fixed-size ring of the most recent items (decisions, by default episodes): O(1) push, the oldest
 * item is dropped when full. In-process only; {@link EpisodicMemory} refills its ring from SQLite on open.
 */
export class ShortTermMemory<T> {
  readonly #items: (T | undefined)[];
  #next = 0;
  #size = 0;

  /**
   * @param capacity how many items to keep (a positive integer; default 1000).
   * @throws MemoryValidationError when `capacity` is not a positive integer.
   */
  constructor(capacity: number = DEFAULT_SHORT_TERM_SIZE) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new MemoryValidationError(`shortTermSize must be a positive integer, got ${capacity}`, {
        field: 'shortTermSize',
      });
    }
    this.#items = new Array<T | undefined>(capacity);
  }

  /** How many items the ring holds at most. */
  get capacity(): number {
    return this.#items.length;
  }

  /** How many items it holds now. */
  get size(): number {
    return this.#size;
  }

  /** Adds an item as the newest, dropping the oldest when full. */
  push(item: T): void {
    this.#items[this.#next] = item;
    this.#next = (this.#next + 1) % this.#items.length;
    if (this.#size < this.#items.length) this.#size++;
  }

  /** The newest `n` items (all by default), newest first. */
  recent(n: number = this.#size): T[] {
    const count = Math.max(0, Math.min(Math.floor(n), this.#size));
    const out: T[] = [];
    for (let i = 1; i <= count; i++) {
      const idx = (this.#next - i + this.#items.length) % this.#items.length;
      out.push(this.#items[idx] as T);
    }
    return out;
  }

  /** The newest item, or `undefined` when empty. */
  latest(): T | undefined {
    return this.#size === 0 ? undefined : this.recent(1)[0];
  }

  /** Replaces the first item (newest first) that `match` accepts; returns whether one was found. */
  replace(match: (item: T) => boolean, next: T): boolean {
    for (let i = 1; i <= this.#size; i++) {
      const idx = (this.#next - i + this.#items.length) % this.#items.length;
      if (match(this.#items[idx] as T)) {
        this.#items[idx] = next;
        return true;
      }
    }
    return false;
  }

  /** Forgets everything. */
  clear(): void {
    this.#items.fill(undefined);
    this.#next = 0;
    this.#size = 0;
  }
}

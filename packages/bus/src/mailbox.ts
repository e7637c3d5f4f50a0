import type { MessageType } from './messages/catalogue.ts';
import { type Priority, priorityRank } from './messages/priority.ts';

/**
 * What a full mailbox does with one more message:
 * - `drop-oldest`: evict the oldest queued message of the same kind (a fresh reading supersedes a stale
 *   one); when none of that kind is queued, the newcomer is dropped instead;
 * - `drop-newest`: drop the newcomer;
 * - `reject`: refuse the newcomer and tell its sender (an `error` envelope, or a failed request).
 */
export const OverflowPolicy = {
  DROP_OLDEST: 'drop-oldest',
  DROP_NEWEST: 'drop-newest',
  REJECT: 'reject',
} as const;

/** One of {@link OverflowPolicy}'s values. */
export type OverflowPolicy = (typeof OverflowPolicy)[keyof typeof OverflowPolicy];

/** The declared overflow behaviour of each message type. */
export const DEFAULT_OVERFLOW: Readonly<Record<MessageType, OverflowPolicy>> = {
  'sun.directive': 'reject',
  'planet.report': 'reject',
  'moon.reading': 'drop-oldest',
  'moon.critical': 'reject',
  'broadcast.decree': 'reject',
  'planet.lateral': 'reject',
  request: 'reject',
  reply: 'drop-newest',
  // Never answer an error with an error: that is how storms start.
  error: 'drop-newest',
};

/** What {@link Mailbox.push} did. */
export type PushResult<T> =
  | { readonly outcome: 'queued' }
  | { readonly outcome: 'evicted'; readonly evicted: T }
  | { readonly outcome: 'dropped' }
  | { readonly outcome: 'rejected' };

const QUEUED = { outcome: 'queued' } as const;
const DROPPED = { outcome: 'dropped' } as const;
const REJECTED = { outcome: 'rejected' } as const;

/** A FIFO with a moving head, compacted now and then so shifting stays O(1) amortised. */
class Lane<T> {
  items: T[] = [];
  seqs: number[] = [];
  head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T, seq: number): void {
    this.items.push(item);
    this.seqs.push(seq);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.seqs.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items.splice(0, this.head);
      this.seqs.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  /** Index of the first item of `kind`, or -1. */
  find(kind: string, kindOf: (item: T) => string): number {
    for (let i = this.head; i < this.items.length; i++) {
      if (kindOf(this.items[i] as T) === kind) return i;
    }
    return -1;
  }

  removeAt(index: number): T {
    const [item] = this.items.splice(index, 1);
    this.seqs.splice(index, 1);
    return item as T;
  }
}

/**
 * A bounded priority mailbox: `shift()` returns the most urgent message, FIFO within a priority.
 * Holds at most `capacity` items in total; what happens beyond is the caller's {@link OverflowPolicy}.
 */
export class Mailbox<T> {
  /** Most items held at once. */
  readonly capacity: number;
  readonly #lanes: [Lane<T>, Lane<T>, Lane<T>, Lane<T>] = [new Lane(), new Lane(), new Lane(), new Lane()];
  readonly #kindOf: (item: T) => string;
  #size = 0;
  #seq = 0;

  /**
   * @param capacity most items held at once (an integer ≥ 1).
   * @param kindOf the kind `drop-oldest` matches on (the bus uses the message type).
   * @throws RangeError when `capacity` is not an integer ≥ 1.
   */
  constructor(capacity: number, kindOf: (item: T) => string) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`mailbox capacity must be an integer >= 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.#kindOf = kindOf;
  }

  /** Items waiting. */
  get size(): number {
    return this.#size;
  }

  /** Queues `item`, applying `policy` when the mailbox is full. */
  push(item: T, priority: Priority, policy: OverflowPolicy): PushResult<T> {
    const lane = this.#lanes[priorityRank(priority)];
    if (this.#size < this.capacity) {
      lane.push(item, this.#seq++);
      this.#size++;
      return QUEUED;
    }
    switch (policy) {
      case 'drop-newest':
        return DROPPED;
      case 'reject':
        return REJECTED;
      case 'drop-oldest': {
        const evicted = this.#evictOldest(this.#kindOf(item));
        if (evicted === undefined) return DROPPED;
        lane.push(item, this.#seq++);
        return { outcome: 'evicted', evicted: evicted };
      }
      default: {
        const never: never = policy;
        throw new TypeError(`unknown overflow policy ${String(never)}`);
      }
    }
  }

  /** Removes and returns the most urgent, oldest item; `undefined` when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    for (const lane of this.#lanes) {
      if (lane.length > 0) {
        this.#size--;
        return lane.shift();
      }
    }
    return undefined;
  }

  /** Removes and returns everything still queued, most urgent first. */
  clear(): T[] {
    const out: T[] = [];
    for (let item = this.shift(); item !== undefined; item = this.shift()) out.push(item);
    return out;
  }

  /** Queued items per priority. */
  depths(): Record<Priority, number> {
    const [c, h, n, l] = this.#lanes;
    return { critical: c.length, high: h.length, normal: n.length, low: l.length };
  }

  #evictOldest(kind: string): T | undefined {
    let best: Lane<T> | undefined;
    let bestIndex = -1;
    let bestSeq = Number.POSITIVE_INFINITY;
    for (const lane of this.#lanes) {
      const i = lane.find(kind, this.#kindOf);
      if (i >= 0 && (lane.seqs[i] as number) < bestSeq) {
        best = lane;
        bestIndex = i;
        bestSeq = lane.seqs[i] as number;
      }
    }
    return best === undefined ? undefined : best.removeAt(bestIndex);
  }
}

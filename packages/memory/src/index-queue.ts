import type { IndexFilter } from './chroma-index.ts';
import type { Episode } from './schemas.ts';

/** Indexes a batch of episodes already stored in SQLite; resolves whether or not the index took them. */
export type IndexBatch = (episodes: readonly Episode[]) => Promise<unknown>;

/**
 * Episodes stored in SQLite but not yet handed to the similarity index, indexed off the caller's path:
 * one batch at a time, and everything queued while a batch is in flight goes in the next one. A batch
 * the index refuses stays unindexed in SQLite (the keeper catches it up when the index is back), so the
 * queue holds nothing durable: after a crash, SQLite alone says what is left to index.
 */
export class IndexQueue {
  readonly #index: IndexBatch;
  readonly #onError: (err: unknown) => void;
  /** Queued, not yet handed to the index, oldest first. */
  #queued: Episode[] = [];
  /** The batch the index is working on. */
  #inFlight: readonly Episode[] = [];
  /** Episodes ever queued, and how many of them the index has been asked about (and answered). */
  #enqueued = 0;
  #settled = 0;
  #running: Promise<void> | undefined;
  readonly #waiters: { upTo: number; resolve: () => void }[] = [];

  /**
   * @param index offers a batch to the index (Chroma's own failures are its business).
   * @param onError told of anything else a batch throws (a bug); the batch stays unindexed.
   */
  constructor(index: IndexBatch, onError: (err: unknown) => void) {
    this.#index = index;
    this.#onError = onError;
  }

  /** Episodes queued or in flight. */
  get size(): number {
    return this.#queued.length + this.#inFlight.length;
  }

  /** Queues episodes (already in SQLite) for the index and starts a batch if none is in flight. */
  push(episodes: readonly Episode[]): void {
    if (episodes.length === 0) return;
    for (const e of episodes) this.#queued.push(e);
    this.#enqueued += episodes.length;
    this.#running ??= this.#drain().finally(() => {
      this.#running = undefined;
    });
  }

  /** Whether an episode queued or in flight could match `filter` (symbol, regime, decision, since). */
  holdsMatch(filter: IndexFilter): boolean {
    const match = (e: Episode) =>
      (filter.symbol === undefined || e.symbol === filter.symbol) &&
      (filter.regime === undefined || e.regime === filter.regime) &&
      (filter.decision === undefined || e.decision === filter.decision) &&
      (filter.since === undefined || e.time >= filter.since);
    return this.#inFlight.some(match) || this.#queued.some(match);
  }

  /** Resolves once every episode queued so far has been offered to the index (taken or not). */
  flush(): Promise<void> {
    const upTo = this.#enqueued;
    if (this.#settled >= upTo) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ upTo, resolve }));
  }

  async #drain(): Promise<void> {
    while (this.#queued.length > 0) {
      this.#inFlight = this.#queued;
      this.#queued = [];
      try {
        await this.#index(this.#inFlight);
      } catch (err) {
        this.#onError(err);
      } finally {
        this.#settled += this.#inFlight.length;
        this.#inFlight = [];
        this.#wake();
      }
    }
  }

  #wake(): void {
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const w = this.#waiters[i]!;
      if (w.upTo > this.#settled) continue;
      this.#waiters.splice(i, 1);
      w.resolve();
    }
  }
}

import type { Transaction } from 'better-sqlite3';
import type { SqliteDb } from './sqlite.ts';

/** Flushes between WAL checkpoints (each flush is one transaction). */
const CHECKPOINT_EVERY = 256;

/**
 * Bookkeeping that need not delay the caller — ledger rows, budget settlements, cooldown resets — queued
 * and written in one transaction on the next turn of the event loop (`setImmediate`), so that a call
 * costs one SQLite commit on its critical path (the budget reservation) instead of four. Every read of
 * that state flushes first; `close()` flushes. A process crash loses at most the last turn's rows.
 *
 * With a file database, WAL checkpoints run here (passive, every 256 flushes) rather than inside a
 * caller's commit, so their fsync does not land on a request.
 */
export class WriteBehind {
  readonly #db: SqliteDb;
  readonly #run: Transaction<(jobs: (() => void)[]) => void>;
  #jobs: (() => void)[] = [];
  #scheduled = false;
  #flushes = 0;
  readonly #checkpoints: boolean;

  constructor(db: SqliteDb, options: { checkpoints: boolean }) {
    this.#db = db;
    this.#checkpoints = options.checkpoints;
    this.#run = db.transaction((jobs: (() => void)[]) => {
      for (const job of jobs) job();
    });
  }

  /** Queues a synchronous write. */
  push(job: () => void): void {
    this.#jobs.push(job);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        if (this.#db.open) this.flush();
      });
    }
  }

  /** Writes everything queued, now, in one transaction. */
  flush(): void {
    if (this.#jobs.length === 0) return;
    const jobs = this.#jobs;
    this.#jobs = [];
    this.#run(jobs);
    this.#flushes += 1;
    if (this.#checkpoints && this.#flushes % CHECKPOINT_EVERY === 0)
      this.#db.pragma('wal_checkpoint(PASSIVE)');
  }
}

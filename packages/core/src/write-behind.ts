import type { Transaction } from 'better-sqlite3';
import type { SqliteDb } from './sqlite.ts';

/** Flushes between WAL checkpoints (each flush is one transaction). */
const CHECKPOINT_EVERY = 256;

/** A job whose result its caller awaits: settled once the transaction that ran it has committed. */
interface Submitted {
  result: unknown;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

/**
 * Bookkeeping that need not delay the caller — ledger rows, budget settlements, cooldown resets — queued
 * and written in one transaction on the next turn of the event loop (`setImmediate`), so that a call
 * costs no SQLite commit of its own on its critical path. Every read of that state flushes first;
 * `close()` flushes. A process crash loses at most the last turn's rows.
 *
 * Work a caller must see committed before it goes on (the budget reservation and ledger row of a
 * provider call, see {@link submit}) is queued the same way: every call admitted during one turn of the
 * event loop shares one commit (a group commit), in the order the jobs were queued.
 *
 * With a file database, WAL checkpoints run here (passive, every 256 flushes) rather than inside a
 * caller's commit, so their fsync does not land on a request.
 */
export class WriteBehind {
  readonly #db: SqliteDb;
  readonly #run: Transaction<(jobs: (() => void)[]) => void>;
  #jobs: (() => void)[] = [];
  #submitted: Submitted[] = [];
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
    this.#schedule();
  }

  /**
   * Queues a synchronous job that must be committed before its caller goes on: the promise settles with
   * the job's result (or what it threw) once the transaction that ran it has committed — or rejects
   * with the commit's error. A job that throws aborts the whole transaction: return a refusal instead.
   */
  submit<T>(job: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const s: Submitted = { result: undefined, resolve: resolve as (v: unknown) => void, reject };
      this.#submitted.push(s);
      this.#jobs.push(() => {
        s.result = job();
      });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        if (!this.#db.open) return;
        const plain = this.#jobs.length > this.#submitted.length;
        try {
          this.flush();
        } catch (err) {
          // Handed to every submitter; a lost plain write is a crash, as it always was.
          if (plain) throw err;
        }
      });
    }
  }

  /** Writes everything queued, now, in one transaction (`BEGIN IMMEDIATE`: its reads see the latest state). */
  flush(): void {
    if (this.#jobs.length === 0) return;
    const jobs = this.#jobs;
    const submitted = this.#submitted;
    this.#jobs = [];
    this.#submitted = [];
    try {
      this.#run.immediate(jobs);
    } catch (err) {
      for (const s of submitted) s.reject(err);
      throw err;
    }
    for (const s of submitted) s.resolve(s.result);
    this.#flushes += 1;
    if (this.#checkpoints && this.#flushes % CHECKPOINT_EVERY === 0)
      this.#db.pragma('wal_checkpoint(PASSIVE)');
  }
}

import { type Clock, systemClock } from '@orrery/core';
import type Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS supervision_times (
  run_id TEXT NOT NULL, time INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (run_id, time));
`;

/** Where a run's supervision time comes from at each step. */
export type SupervisionSource =
  /** The wall clock (or an injected one), read once per step and recorded under the run. */
  | { readonly kind: 'wall'; readonly clock?: Clock | undefined }
  /** The readings recorded for another run (`--replay RUN`, the no-LLM counterfactual). */
  | { readonly kind: 'recorded'; readonly runId: string };

/**
 * The clock the agents' supervisor reads (restart windows), kept apart from market time: restarts are
 * counted in wall-clock time, never in bar time (a moon that throws on every daily bar must not get a
 * fresh window per bar). Supervision reads it only when a child fails, so it is read at most once per
 * step (bar time), lazily, and the reading is written to the run ledger at once (before the step
 * commits), so that
 * - a resumed run's warm-up sees each committed step at the time it first ran;
 * - a replay (and the no-LLM counterfactual) follows the recorded run's readings instead of its own
 *   machine's speed, so it restarts and stops the same children at the same steps;
 * - time never runs backwards (a reading below the previous one is raised to it).
 * A step with no recorded reading keeps the previous one (time stands still, deterministically). A run
 * in which nothing fails writes nothing.
 */
export class SupervisionClock {
  /** What `Supervisor` reads: the reading of the current step. */
  readonly clock: Clock = { now: () => this.#now() };
  readonly #runId: string | null;
  readonly #source: SupervisionSource;
  readonly #read: Database.Statement<[string, number], { at: number }> | null;
  readonly #write: Database.Statement<[string, number, number]> | null;
  #step = Number.NaN;
  #warm = false;
  #reading: number | undefined;
  #last = 0;

  private constructor(db: Database.Database | null, runId: string | null, source: SupervisionSource) {
    this.#runId = runId;
    this.#source = source;
    db?.exec(SCHEMA);
    this.#read = db?.prepare('SELECT at FROM supervision_times WHERE run_id = ? AND time = ?') ?? null;
    this.#write =
      db?.prepare('INSERT OR REPLACE INTO supervision_times (run_id, time, at) VALUES (?, ?, ?)') ?? null;
  }

  /**
   * The clock of run `runId` in the ledger `db`, recording what it reads under that run.
   * @param source default: the system wall clock.
   */
  static forRun(
    db: Database.Database,
    runId: string,
    source: SupervisionSource = { kind: 'wall' },
  ): SupervisionClock {
    return new SupervisionClock(db, runId, source);
  }

  /** A clock that only follows `runId`'s recorded readings and records nothing (the counterfactual). */
  static following(db: Database.Database, runId: string): SupervisionClock {
    return new SupervisionClock(db, null, { kind: 'recorded', runId });
  }

  /** A clock on `clock` alone, recording nothing (no ledger). */
  static unrecorded(clock: Clock = systemClock): SupervisionClock {
    return new SupervisionClock(null, null, { kind: 'wall', clock });
  }

  /**
   * Enters the step at bar time `time` (cheap: nothing is read until supervision asks). `warm`: the step
   * may have been committed before a resume, so this run's own recorded reading is used when there is
   * one. Calls for the current step change nothing.
   */
  step(time: number, warm = false): void {
    if (time === this.#step) return;
    this.#step = time;
    this.#warm = warm;
    this.#reading = undefined;
  }

  #now(): number {
    if (this.#reading !== undefined) return this.#reading;
    const time = this.#step;
    const own = this.#warm ? this.#recorded(this.#runId, time) : undefined;
    const reading =
      own ??
      (this.#source.kind === 'recorded'
        ? this.#recorded(this.#source.runId, time)
        : (this.#source.clock ?? systemClock).now());
    const at = Math.max(reading ?? this.#last, this.#last);
    this.#last = at;
    this.#reading = at;
    if (own === undefined && this.#runId !== null && !Number.isNaN(time))
      this.#write?.run(this.#runId, time, at);
    return at;
  }

  #recorded(runId: string | null, time: number): number | undefined {
    if (runId === null || Number.isNaN(time)) return undefined;
    return this.#read?.get(runId, time)?.at;
  }
}

import type Database from 'better-sqlite3';
import { type LearningDbTarget, openLearningDb } from './learning-db.ts';
import type { Tally } from './learning-rules.ts';
import type { OutcomeEvidence } from './learning-settings.ts';

/** One change of a learned parameter, with what it was made from. */
export interface LearningChange {
  id: number;
  /** The learner's scope (the runner uses the run id). */
  scope: string;
  /** When it was made (epoch ms; market time in a paper run). */
  at: number;
  /** `weight:<planet>` or `playbook:<regime>`. */
  parameter: string;
  old: number;
  new: number;
  /** The measurements and rule inputs behind it; `{ revertOf }` for a revert. */
  evidence: Record<string, unknown>;
  /** The change that reverted this one, if any. */
  revertedBy?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS learning_evidence (
  scope TEXT NOT NULL, key TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL, regime TEXT,
  move REAL NOT NULL, position REAL NOT NULL, planets TEXT NOT NULL,
  PRIMARY KEY (scope, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS learning_tallies (
  scope TEXT NOT NULL, subject TEXT NOT NULL, n INTEGER NOT NULL, hits INTEGER NOT NULL,
  PRIMARY KEY (scope, subject)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS learning_params (
  scope TEXT NOT NULL, parameter TEXT NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (scope, parameter)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS learning_changes (
  id INTEGER PRIMARY KEY, scope TEXT NOT NULL, at_ms INTEGER NOT NULL, parameter TEXT NOT NULL,
  old REAL NOT NULL, new REAL NOT NULL, evidence TEXT NOT NULL, reverted_by INTEGER);
CREATE INDEX IF NOT EXISTS learning_changes_scope ON learning_changes (scope, parameter, id);
-- what a refresh reads on every bar: the few reverted changes, not every change of the scope
CREATE INDEX IF NOT EXISTS learning_changes_reverted ON learning_changes (scope, id) WHERE reverted_by IS NOT NULL;
`;

interface ChangeRow {
  id: number;
  scope: string;
  at_ms: number;
  parameter: string;
  old: number;
  new: number;
  evidence: string;
  reverted_by: number | null;
}

const fromRow = (r: ChangeRow): LearningChange => ({
  id: r.id,
  scope: r.scope,
  at: r.at_ms,
  parameter: r.parameter,
  old: r.old,
  new: r.new,
  evidence: JSON.parse(r.evidence) as Record<string, unknown>,
  ...(r.reverted_by === null ? {} : { revertedBy: r.reverted_by }),
});

/** The learning loop's SQLite tables (WAL): outcomes, tallies, current parameters, changes. */
export class LearningStore {
  readonly #db: Database.Database;
  /** Prepared once: the learner queries on every bar. */
  readonly #statements = new Map<string, Database.Statement>();
  readonly #owned: boolean;

  /** Opens the file at `target`, or uses a shared connection (its transactions then nest in the caller's). */
  constructor(target: LearningDbTarget) {
    const { db, owned } = openLearningDb(target, SCHEMA);
    this.#db = db;
    this.#owned = owned;
  }

  #prepare(sql: string): Database.Statement {
    let st = this.#statements.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Runs `fn` in one transaction (a savepoint inside one already open on a shared connection). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }

  /** Stores an outcome; false when its key was already stored (it is then not counted again). */
  addEvidence(scope: string, e: OutcomeEvidence): boolean {
    const info = this.#prepare(
      'INSERT OR IGNORE INTO learning_evidence (scope, key, symbol, time, regime, move, position, planets) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(scope, e.key, e.symbol, e.time, e.regime ?? null, e.move, e.position, JSON.stringify(e.planets));
    return info.changes > 0;
  }

  /** Adds one outcome to a subject's tally. */
  count(scope: string, subject: string, hit: boolean): void {
    this.#prepare(
      `INSERT INTO learning_tallies (scope, subject, n, hits) VALUES (?, ?, 1, ?)
         ON CONFLICT(scope, subject) DO UPDATE SET n = n + 1, hits = hits + excluded.hits`,
    ).run(scope, subject, hit ? 1 : 0);
  }

  /** Every subject's tally in a scope. */
  tallies(scope: string): Map<string, Tally> {
    const rows = this.#prepare(
      'SELECT subject, n, hits FROM learning_tallies WHERE scope = ? ORDER BY subject',
    ).all(scope) as { subject: string; n: number; hits: number }[];
    return new Map(rows.map((r) => [r.subject, { n: r.n, hits: r.hits }]));
  }

  /** Current parameter values of a scope (parameters never changed are absent). */
  params(scope: string): Map<string, number> {
    const rows = this.#prepare('SELECT parameter, value FROM learning_params WHERE scope = ?').all(scope) as {
      parameter: string;
      value: number;
    }[];
    return new Map(rows.map((r) => [r.parameter, r.value]));
  }

  /** Sets a parameter and records the change; returns it. */
  change(
    scope: string,
    at: number,
    parameter: string,
    old: number,
    value: number,
    evidence: Record<string, unknown>,
  ): LearningChange {
    this.#prepare(
      'INSERT INTO learning_params (scope, parameter, value) VALUES (?, ?, ?) ON CONFLICT(scope, parameter) DO UPDATE SET value = excluded.value',
    ).run(scope, parameter, value);
    const info = this.#prepare(
      'INSERT INTO learning_changes (scope, at_ms, parameter, old, new, evidence) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(scope, at, parameter, old, value, JSON.stringify(evidence));
    return this.getChange(Number(info.lastInsertRowid)) as LearningChange;
  }

  /** Marks change `id` as reverted by change `by`. */
  markReverted(id: number, by: number): void {
    this.#prepare('UPDATE learning_changes SET reverted_by = ? WHERE id = ?').run(by, id);
  }

  /** One change, or undefined. */
  getChange(id: number): LearningChange | undefined {
    const r = this.#prepare('SELECT * FROM learning_changes WHERE id = ?').get(id) as ChangeRow | undefined;
    return r === undefined ? undefined : fromRow(r);
  }

  /** The changes of a scope that were reverted later (what keeps a parameter from moving again). */
  revertedChanges(scope: string): LearningChange[] {
    const rows = this.#prepare(
      'SELECT * FROM learning_changes WHERE scope = ? AND reverted_by IS NOT NULL ORDER BY id',
    ).all(scope) as ChangeRow[];
    return rows.map(fromRow);
  }

  /** The changes of a scope, oldest first (optionally of one parameter). */
  changes(scope: string, parameter?: string): LearningChange[] {
    const rows = (
      parameter === undefined
        ? this.#prepare('SELECT * FROM learning_changes WHERE scope = ? ORDER BY id').all(scope)
        : this.#prepare('SELECT * FROM learning_changes WHERE scope = ? AND parameter = ? ORDER BY id').all(
            scope,
            parameter,
          )
    ) as ChangeRow[];
    return rows.map(fromRow);
  }

  /** Forgets everything of a scope (outcomes, tallies, parameters, changes); returns the rows removed. */
  clear(scope: string): number {
    return this.transaction(() => {
      let n = 0;
      for (const table of ['learning_evidence', 'learning_tallies', 'learning_params', 'learning_changes'])
        n += this.#prepare(`DELETE FROM ${table} WHERE scope = ?`).run(scope).changes;
      return n;
    });
  }

  /** Closes the database when this store opened it. Idempotent. */
  close(): void {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}

import Database from 'better-sqlite3';

/**
 * A connection another store opened, with the schema the learning tables live in: `main`, or the name
 * under which the learning file is ATTACHed (the runner attaches it to the run ledger's connection so a
 * bar's learning writes commit in the bar's one transaction).
 */
export interface SharedConnection {
  readonly db: Database.Database;
  readonly schema: string;
}

/** Where a learning store keeps its tables: a file of its own (`:memory:` too), or a shared connection. */
export type LearningDbTarget = string | SharedConnection;

/**
 * Opens `target` and creates the tables of `ddl` (`CREATE … IF NOT EXISTS` statements) in its schema.
 * Statements on the connection name tables without a schema: SQLite finds them in the one schema that
 * has them. `owned` says whether the caller must close the connection.
 */
export function openLearningDb(
  target: LearningDbTarget,
  ddl: string,
): { db: Database.Database; owned: boolean } {
  if (typeof target !== 'string') {
    target.db.exec(
      ddl.replace(/CREATE (TABLE|INDEX) IF NOT EXISTS /g, `CREATE $1 IF NOT EXISTS "${target.schema}".`),
    );
    return { db: target.db, owned: false };
  }
  const db = new Database(target, { timeout: 5_000 });
  if (target !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(ddl);
  return { db, owned: true };
}

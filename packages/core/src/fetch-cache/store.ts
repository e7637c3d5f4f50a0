import type { Statement } from 'better-sqlite3';
import type { SqliteDb } from '../sqlite.ts';

/** One stored fetch result. `value` is the JSON text of what the fetch returned. */
export interface FetchRow {
  value: string;
  fetchedAt: number;
  expiresAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS fetch_cache (
  source TEXT NOT NULL,
  key TEXT NOT NULL,
  fetched_ms INTEGER NOT NULL,
  expires_ms INTEGER NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (source, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS fetch_cache_expiry ON fetch_cache (expires_ms);
`;

/** The `fetch_cache` table: results of expensive fetches by source and key, with their expiry. */
export class FetchStore {
  readonly #get: Statement<[string, string], { value: string; fetched_ms: number; expires_ms: number }>;
  readonly #put: Statement<[string, string, number, number, string]>;
  readonly #delete: Statement<[string, string]>;
  readonly #deleteSource: Statement<[string]>;
  readonly #sweep: Statement<[number]>;
  readonly #count: Statement<[], { n: number }>;

  constructor(db: SqliteDb) {
    db.exec(SCHEMA);
    this.#get = db.prepare(
      'SELECT value, fetched_ms, expires_ms FROM fetch_cache WHERE source = ? AND key = ?',
    );
    this.#put = db.prepare(
      'INSERT OR REPLACE INTO fetch_cache (source, key, fetched_ms, expires_ms, value) VALUES (?, ?, ?, ?, ?)',
    );
    this.#delete = db.prepare('DELETE FROM fetch_cache WHERE source = ? AND key = ?');
    this.#deleteSource = db.prepare('DELETE FROM fetch_cache WHERE source = ?');
    this.#sweep = db.prepare('DELETE FROM fetch_cache WHERE expires_ms <= ?');
    this.#count = db.prepare('SELECT count(*) AS n FROM fetch_cache');
  }

  get(source: string, key: string): FetchRow | undefined {
    const r = this.#get.get(source, key);
    return r === undefined ? undefined : { value: r.value, fetchedAt: r.fetched_ms, expiresAt: r.expires_ms };
  }

  /** Stores a row and sweeps the ones expired at `now`. */
  put(source: string, key: string, row: FetchRow, now: number): void {
    this.#sweep.run(now);
    this.#put.run(source, key, row.fetchedAt, row.expiresAt, row.value);
  }

  delete(source: string, key: string | undefined): number {
    return (key === undefined ? this.#deleteSource.run(source) : this.#delete.run(source, key)).changes;
  }

  size(): number {
    return this.#count.get()?.n ?? 0;
  }
}

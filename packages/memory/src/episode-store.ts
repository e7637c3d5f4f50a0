import Database from 'better-sqlite3';
import { EpisodeExistsError, EpisodeNotFoundError, OutcomeAlreadyWrittenError } from './errors.ts';
import type { OutcomeGroup } from './patterns.ts';
import type { Episode, RealisedOutcome } from './schemas.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS episodes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  time INTEGER NOT NULL,
  symbol TEXT NOT NULL,
  regime TEXT NOT NULL,
  mode TEXT NOT NULL,
  decision TEXT NOT NULL,
  confidence REAL NOT NULL,
  rationale TEXT NOT NULL,
  vector BLOB NOT NULL,
  fields TEXT NOT NULL,
  horizon_ms INTEGER NOT NULL,
  due_at INTEGER NOT NULL,
  outcome_return REAL,
  outcome_alpha REAL,
  outcome_horizon_ms INTEGER,
  realised_at INTEGER,
  indexed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS episodes_pending ON episodes(due_at) WHERE realised_at IS NULL;
CREATE INDEX IF NOT EXISTS episodes_unindexed ON episodes(seq) WHERE indexed = 0;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

interface Row {
  seq: number;
  id: string;
  time: number;
  symbol: string;
  regime: string;
  mode: string;
  decision: string;
  confidence: number;
  rationale: string;
  vector: Buffer;
  fields: string;
  horizon_ms: number;
  due_at: number;
  outcome_return: number | null;
  outcome_alpha: number | null;
  outcome_horizon_ms: number | null;
  realised_at: number | null;
}

/** Counts over the stored episodes. */
export interface StoreCounts {
  episodes: number;
  indexed: number;
  pending: number;
  realised: number;
}

function encodeVector(v: readonly number[]): Buffer {
  const buf = Buffer.allocUnsafe(v.length * 8);
  for (let i = 0; i < v.length; i++) buf.writeDoubleLE(v[i]!, i * 8);
  return buf;
}

function decodeVector(buf: Buffer): number[] {
  const out = new Array<number>(buf.length / 8);
  for (let i = 0; i < out.length; i++) out[i] = buf.readDoubleLE(i * 8);
  return out;
}

function toEpisode(r: Row): Episode {
  return {
    id: r.id,
    time: r.time,
    symbol: r.symbol,
    situation: {
      vector: decodeVector(r.vector),
      fields: JSON.parse(r.fields) as Episode['situation']['fields'],
    },
    regime: r.regime,
    mode: r.mode as Episode['mode'],
    decision: r.decision,
    confidence: r.confidence,
    rationale: r.rationale,
    horizonMs: r.horizon_ms,
    outcome:
      r.realised_at === null
        ? { type: 'pending', dueAt: r.due_at }
        : {
            type: 'realised',
            return: r.outcome_return ?? 0,
            alpha: r.outcome_alpha ?? 0,
            horizonMs: r.outcome_horizon_ms ?? r.horizon_ms,
            realisedAt: r.realised_at,
          },
  };
}

/**
 * The source of truth: every episode and its outcome in one SQLite file (WAL), plus which episodes the
 * similarity index already holds. Synchronous, like better-sqlite3.
 */
export class EpisodeStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement;
  readonly #byId: Database.Statement<[string], Row>;
  /** Statements prepared once per store, by SQL text (the per-step queries cost no compile). */
  readonly #statements = new Map<string, Database.Statement>();

  /** Opens (creating if needed) the database at `path` (`:memory:` for a throwaway one). */
  constructor(path: string) {
    this.#db = new Database(path);
    this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.pragma('busy_timeout = 5000');
    this.#db.exec(SCHEMA);
    this.#insert = this.#db.prepare(
      `INSERT INTO episodes (id, time, symbol, regime, mode, decision, confidence, rationale, vector, fields,
        horizon_ms, due_at) VALUES (@id, @time, @symbol, @regime, @mode, @decision, @confidence, @rationale,
        @vector, @fields, @horizonMs, @dueAt)`,
    );
    this.#byId = this.#db.prepare('SELECT * FROM episodes WHERE id = ?');
  }

  #stmt(sql: string): Database.Statement {
    let stmt = this.#statements.get(sql);
    if (stmt === undefined) {
      stmt = this.#db.prepare(sql);
      this.#statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Reads a value from the store's own key/value table. */
  getMeta(key: string): string | undefined {
    const row = this.#stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return row?.value;
  }

  /** Writes a value to the store's own key/value table. */
  setMeta(key: string, value: string): void {
    this.#stmt(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    ).run(key, value);
  }

  /**
   * Inserts pending episodes in one transaction (all or none).
   * @throws EpisodeExistsError when an id is already stored.
   */
  insert(episodes: readonly Episode[]): void {
    const tx = this.#db.transaction((list: readonly Episode[]) => {
      for (const e of list) {
        try {
          this.#insert.run({
            id: e.id,
            time: e.time,
            symbol: e.symbol,
            regime: e.regime,
            mode: e.mode,
            decision: e.decision,
            confidence: e.confidence,
            rationale: e.rationale,
            vector: encodeVector(e.situation.vector),
            fields: JSON.stringify(e.situation.fields),
            horizonMs: e.horizonMs,
            dueAt: e.time + e.horizonMs,
          });
        } catch (err) {
          if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
            throw new EpisodeExistsError(e.id, { cause: err });
          throw err;
        }
      }
    });
    tx(episodes);
  }

  /** The episode with this id, if any. */
  get(id: string): Episode | undefined {
    const row = this.#byId.get(id);
    return row === undefined ? undefined : toEpisode(row);
  }

  /** The episodes with these ids that exist, by id. */
  getMany(ids: readonly string[]): Map<string, Episode> {
    const out = new Map<string, Episode>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.#stmt(`SELECT * FROM episodes WHERE id IN (${chunk.map(() => '?').join(',')})`).all(
        ...chunk,
      ) as Row[];
      for (const r of rows) out.set(r.id, toEpisode(r));
    }
    return out;
  }

  /** The newest `n` episodes in recording order, newest first. */
  latest(n: number): Episode[] {
    return (this.#stmt('SELECT * FROM episodes ORDER BY seq DESC LIMIT ?').all(n) as Row[]).map(toEpisode);
  }

  /** Episodes without an outcome whose horizon has passed at `asOf` (epoch ms), earliest due first. */
  pendingDue(asOf: number, limit: number): Episode[] {
    return (
      this.#stmt(
        'SELECT * FROM episodes WHERE realised_at IS NULL AND due_at <= ? ORDER BY due_at, seq LIMIT ?',
      ).all(asOf, limit) as Row[]
    ).map(toEpisode);
  }

  /**
   * Writes a realised outcome once.
   * @throws EpisodeNotFoundError for an unknown id; OutcomeAlreadyWrittenError when already written.
   */
  writeOutcome(id: string, outcome: RealisedOutcome): Episode {
    const res = this.#stmt(
      `UPDATE episodes SET outcome_return = ?, outcome_alpha = ?, outcome_horizon_ms = ?, realised_at = ?
         WHERE id = ? AND realised_at IS NULL`,
    ).run(outcome.return, outcome.alpha, outcome.horizonMs, outcome.realisedAt, id);
    if (res.changes === 0) {
      if (this.#byId.get(id) === undefined) throw new EpisodeNotFoundError(id);
      throw new OutcomeAlreadyWrittenError(id);
    }
    return this.get(id)!;
  }

  /** Up to `limit` episodes the index does not hold yet, oldest first. */
  unindexed(limit: number): Episode[] {
    return (
      this.#stmt('SELECT * FROM episodes WHERE indexed = 0 ORDER BY seq LIMIT ?').all(limit) as Row[]
    ).map(toEpisode);
  }

  /** Records that the index holds these episodes. */
  markIndexed(ids: readonly string[]): void {
    const stmt = this.#stmt('UPDATE episodes SET indexed = 1 WHERE id = ?');
    this.#db.transaction((list: readonly string[]) => {
      for (const id of list) stmt.run(id);
    })(ids);
  }

  /** Forgets that anything is indexed (before a rebuild). */
  markAllUnindexed(): void {
    this.#stmt('UPDATE episodes SET indexed = 0 WHERE indexed = 1').run();
  }

  /** How many episodes are stored, indexed, pending and realised. */
  counts(): StoreCounts {
    const r = this.#stmt(
      `SELECT COUNT(*) AS episodes, COALESCE(SUM(indexed), 0) AS indexed,
          COALESCE(SUM(realised_at IS NULL), 0) AS pending, COALESCE(SUM(realised_at IS NOT NULL), 0) AS realised
         FROM episodes`,
    ).get() as StoreCounts;
    return r;
  }

  /**
   * Realised outcomes aggregated by regime and decision (wins are returns > 0), optionally for one symbol
   * and/or from `since` (epoch ms) on.
   */
  outcomeGroups(filter: { symbol?: string | undefined; since?: number | undefined } = {}): OutcomeGroup[] {
    const where = ['realised_at IS NOT NULL'];
    const args: (string | number)[] = [];
    if (filter.symbol !== undefined) {
      where.push('symbol = ?');
      args.push(filter.symbol);
    }
    if (filter.since !== undefined) {
      where.push('time >= ?');
      args.push(filter.since);
    }
    return this.#stmt(
      `SELECT regime, decision, COUNT(*) AS count, SUM(outcome_return > 0) AS wins,
          SUM(outcome_return) AS sumReturn, SUM(outcome_alpha) AS sumAlpha
         FROM episodes WHERE ${where.join(' AND ')} GROUP BY regime, decision ORDER BY regime, decision`,
    ).all(...args) as OutcomeGroup[];
  }

  /** Closes the database. */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

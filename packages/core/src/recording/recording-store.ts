import type { Statement } from 'better-sqlite3';
import Database from 'better-sqlite3';
import type { SqliteDb } from '../sqlite.ts';
import type { RecordedError } from './recorded-error.ts';
import type { NormalisedRequest } from './request-hash.ts';

/** A recorded answer to one request. */
export type RecordedResult =
  | {
      ok: true;
      text: string;
      provider: string;
      model: string;
      tokensIn: number;
      tokensOut: number;
      costUsd: number;
      cached: boolean;
      /** The request's signal had fired when the answer came (it arrived too late to be used). */
      aborted: boolean;
    }
  | {
      ok: false;
      error: RecordedError;
      /** The request's signal had fired when it failed (e.g. a planet's deadline passed). */
      aborted: boolean;
    };

/** One recorded call, in the order it was asked. */
export interface RecordedCall {
  seq: number;
  hash: string;
  /** Epoch ms (the recording gateway's clock) when it was asked. */
  at: number;
  task: string;
  agent: string | undefined;
  result: RecordedResult;
}

/** A recorded run, as listed. */
export interface RecordedRun {
  runId: string;
  createdAt: number;
  /** False when no LLM was reachable for the run: it ran without a gateway, and so must its replay. */
  live: boolean;
  calls: number;
  probes: number;
}

/** Everything recorded for a run, grouped for replay: calls per request hash, probe answers per key. */
export interface RunRecordings {
  run: RecordedRun;
  /** Per request hash, in the order asked. */
  calls: Map<string, RecordedCall[]>;
  /** Per probe key (`canServe…`, `budgetStatus`), the answers in the order asked. */
  probes: Map<string, unknown[]>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS llm_recorded_runs (
  run_id TEXT PRIMARY KEY,
  created_ms INTEGER NOT NULL,
  live INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS llm_recordings (
  run_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  at_ms INTEGER NOT NULL,
  task TEXT,
  agent TEXT,
  result TEXT NOT NULL,
  request TEXT,
  cache_key TEXT,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS llm_checkpoints (
  run_id TEXT NOT NULL,
  time INTEGER NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (run_id, time)
) WITHOUT ROWID;
`;

interface Row {
  seq: number;
  kind: 'call' | 'probe';
  key: string;
  at_ms: number;
  task: string | null;
  agent: string | null;
  result: string;
}

/**
 * Recorded LLM answers in SQLite (WAL), tagged with the run id: every call's answer (or failure) under
 * the hash of its normalised request, and the gateway's answers to `canServe` and `budgetStatus`, in the
 * order they were asked. Meant to live in the gateway's database file, next to its ledger.
 */
export class RecordingStore {
  readonly #db: SqliteDb;
  readonly #insert: Statement<unknown[]>;
  readonly #maxSeq: Statement<[string], { seq: number | null }>;
  readonly #rows: Statement<[string], Row>;
  readonly #owned: boolean;

  private constructor(db: SqliteDb, owned: boolean) {
    this.#db = db;
    this.#owned = owned;
    db.exec(SCHEMA);
    addCacheKeyColumn(db);
    this.#insert = db.prepare(
      'INSERT INTO llm_recordings (run_id, seq, kind, key, at_ms, task, agent, result, request, cache_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.#maxSeq = db.prepare('SELECT max(seq) AS seq FROM llm_recordings WHERE run_id = ?');
    this.#rows = db.prepare(
      'SELECT seq, kind, key, at_ms, task, agent, result FROM llm_recordings WHERE run_id = ? ORDER BY seq',
    );
  }

  /** Opens (creating if needed) the store in the SQLite file at `path` (`:memory:` for a throwaway one). */
  static open(path: string): RecordingStore {
    const db = new Database(path, { timeout: 5_000 });
    if (path !== ':memory:') db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return new RecordingStore(db, true);
  }

  /** Uses an already open database (its tables are created if needed; `close` leaves it open). */
  static on(db: SqliteDb): RecordingStore {
    return new RecordingStore(db, false);
  }

  /**
   * Registers a run (idempotent: a resumed run keeps its creation time). `live` says whether a gateway
   * served it.
   */
  beginRun(runId: string, live: boolean, now: number): void {
    this.#db
      .prepare(
        'INSERT INTO llm_recorded_runs (run_id, created_ms, live) VALUES (?, ?, ?) ON CONFLICT(run_id) DO UPDATE SET live = max(live, excluded.live)',
      )
      .run(runId, now, live ? 1 : 0);
  }

  /** The run, or undefined when nothing was ever recorded under that id. */
  run(runId: string): RecordedRun | undefined {
    const r = this.#db
      .prepare(
        `SELECT r.run_id, r.created_ms, r.live,
           (SELECT count(*) FROM llm_recordings c WHERE c.run_id = r.run_id AND c.kind = 'call') AS calls,
           (SELECT count(*) FROM llm_recordings p WHERE p.run_id = r.run_id AND p.kind = 'probe') AS probes
         FROM llm_recorded_runs r WHERE r.run_id = ?`,
      )
      .get(runId) as
      | { run_id: string; created_ms: number; live: number; calls: number; probes: number }
      | undefined;
    if (r === undefined) return undefined;
    return { runId: r.run_id, createdAt: r.created_ms, live: r.live === 1, calls: r.calls, probes: r.probes };
  }

  /** The next free sequence number of a run (0 for a new one). */
  nextSeq(runId: string): number {
    const m = this.#maxSeq.get(runId)?.seq;
    return m === null || m === undefined ? 0 : m + 1;
  }

  /** Stores a call's answer or failure under sequence number `seq` (the order it was asked in). */
  putCall(
    runId: string,
    seq: number,
    call: {
      hash: string;
      at: number;
      task: string;
      agent: string | undefined;
      request: NormalisedRequest;
      result: RecordedResult;
      /** The gateway cache entry this call owns (see {@link removeRun}), if any. */
      cacheKey?: string | undefined;
    },
  ): void {
    this.#insert.run(
      runId,
      seq,
      'call',
      call.hash,
      call.at,
      call.task,
      call.agent ?? null,
      JSON.stringify(call.result),
      JSON.stringify(call.request),
      call.cacheKey ?? null,
    );
  }

  /** Stores the answer of a probe (`canServe`, `budgetStatus`) under sequence number `seq`. */
  putProbe(runId: string, seq: number, key: string, at: number, value: unknown): void {
    this.#insert.run(runId, seq, 'probe', key, at, null, null, JSON.stringify(value), null, null);
  }

  /** Everything recorded for `runId`, grouped for replay; undefined when the run was never recorded. */
  load(runId: string): RunRecordings | undefined {
    const run = this.run(runId);
    if (run === undefined) return undefined;
    const calls = new Map<string, RecordedCall[]>();
    const probes = new Map<string, unknown[]>();
    for (const row of this.#rows.iterate(runId)) {
      const value = JSON.parse(row.result) as unknown;
      if (row.kind === 'probe') {
        const list = probes.get(row.key) ?? [];
        list.push(value);
        probes.set(row.key, list);
        continue;
      }
      const list = calls.get(row.key) ?? [];
      list.push({
        seq: row.seq,
        hash: row.key,
        at: row.at_ms,
        task: row.task ?? '',
        agent: row.agent ?? undefined,
        result: value as RecordedResult,
      });
      calls.set(row.key, list);
    }
    return { run, calls, probes };
  }

  /**
   * Marks everything recorded for `runId` so far as belonging to steps up to `time` (a committed step's
   * time, e.g. a bar's epoch ms), so that {@link rollback} can drop what a crashed step recorded.
   */
  checkpoint(runId: string, time: number): void {
    this.#db
      .prepare('INSERT OR REPLACE INTO llm_checkpoints (run_id, time, seq) VALUES (?, ?, ?)')
      .run(runId, time, this.nextSeq(runId) - 1);
  }

  /**
   * Before resuming `runId` after its step at `lastTime` (undefined: no step was committed, or a new run
   * reusing the id: everything of the run goes), drops the recordings made after that step's checkpoint
   * (a step that never committed will ask again) and the later checkpoints. Without a checkpoint at `lastTime` (a crash right after the step committed),
   * everything recorded belongs to committed steps and is kept.
   * @returns how many recordings were dropped.
   */
  rollback(runId: string, lastTime: number | undefined): number {
    return this.#db.transaction(() => {
      if (lastTime === undefined) {
        this.#db.prepare('DELETE FROM llm_checkpoints WHERE run_id = ?').run(runId);
        this.#db.prepare('DELETE FROM llm_recorded_runs WHERE run_id = ?').run(runId);
        return this.#db.prepare('DELETE FROM llm_recordings WHERE run_id = ?').run(runId).changes;
      }
      const cp = this.#db
        .prepare('SELECT seq FROM llm_checkpoints WHERE run_id = ? AND time = ?')
        .get(runId, lastTime) as { seq: number } | undefined;
      this.#db.prepare('DELETE FROM llm_checkpoints WHERE run_id = ? AND time > ?').run(runId, lastTime);
      if (cp === undefined) return 0;
      return this.#db.prepare('DELETE FROM llm_recordings WHERE run_id = ? AND seq > ?').run(runId, cp.seq)
        .changes;
    })();
  }

  /**
   * Forgets run `runId` (`orrery runs rm`): its recordings and checkpoints, and the gateway cache entries
   * its calls owned (those keyed by the run's own cache key; the `cache` table of the gateway sharing
   * this file). Another run's rows are not touched.
   * @returns how many recordings and cache entries went.
   */
  removeRun(runId: string): { recordings: number; cacheEntries: number } {
    return this.#db.transaction(() => {
      const cache = this.#db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'cache'")
        .get();
      const cacheEntries =
        cache === undefined
          ? 0
          : this.#db
              .prepare(
                `DELETE FROM cache WHERE key IN (SELECT cache_key FROM llm_recordings
                   WHERE run_id = ? AND cache_key IS NOT NULL)`,
              )
              .run(runId).changes;
      this.#db.prepare('DELETE FROM llm_checkpoints WHERE run_id = ?').run(runId);
      this.#db.prepare('DELETE FROM llm_recorded_runs WHERE run_id = ?').run(runId);
      const recordings = this.#db.prepare('DELETE FROM llm_recordings WHERE run_id = ?').run(runId).changes;
      return { recordings, cacheEntries };
    })();
  }

  /** The normalised request recorded under `seq` (for people investigating a replay that diverged). */
  request(runId: string, seq: number): NormalisedRequest | undefined {
    const r = this.#db
      .prepare('SELECT request FROM llm_recordings WHERE run_id = ? AND seq = ?')
      .get(runId, seq) as { request: string | null } | undefined;
    return r?.request ? (JSON.parse(r.request) as NormalisedRequest) : undefined;
  }

  /** Closes the database (unless it was passed to {@link RecordingStore.on}). */
  close(): void {
    if (this.#owned && this.#db.open) this.#db.close();
  }
}

/** Files recorded before cache keys were kept lack the column (added on open; their entries expire). */
function addCacheKeyColumn(db: SqliteDb): void {
  const columns = db.prepare('PRAGMA table_info(llm_recordings)').all() as { name: string }[];
  if (columns.some((c) => c.name === 'cache_key')) return;
  try {
    db.exec('ALTER TABLE llm_recordings ADD COLUMN cache_key TEXT');
  } catch (err) {
    // Another process sharing the file added it first.
    if (!/duplicate column/i.test((err as Error).message)) throw err;
  }
}

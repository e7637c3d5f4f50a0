import Database from 'better-sqlite3';
import type { InferenceHook } from './modes.ts';
import type { Workflow } from './schema.ts';

/** Where a run stands. `running` in the store after a crash means "resume me". */
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

/** Where a step stands. A step never started has no record. */
export type StepStatus = 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** A failure as stored: the typed error's code and message. */
export interface StoredError {
  code: string;
  message: string;
  stepId?: string;
}

/** One step of a run, as recorded. */
export interface StepRecord {
  stepId: string;
  status: StepStatus;
  /** Agent invocations so far (declared retries and recovery re-runs included; 0 for decisions and skips). */
  attempts: number;
  /** Epoch ms (the engine's clock). */
  startedAt: number | undefined;
  endedAt: number | undefined;
  /** The JSON output (succeeded steps only). */
  output: unknown;
  error: StoredError | undefined;
  /**
   * How the output came about: `agent`, `fallback` (declared policy), `cached` / `alternative:<name>` /
   * `retry` (recovery), `mapped` (mapping hook), `decision:<llm|cache|rule>`, `condition`/`upstream`
   * (why it was skipped), `policy` (skipped by `onError`).
   */
  via: string | undefined;
}

/** One start or end of a step, or a run-level event (`stepId: '*'`), in the order they happened. */
export interface StepEvent {
  /** Strictly increasing within a run, across restarts. */
  seq: number;
  stepId: string;
  kind: 'start' | 'end' | 'run_start' | 'run_resume' | 'run_end' | 'revision';
  status: string | undefined;
  at: number;
}

/** One consultation of an inference hook: who answered and what. */
export interface InferenceRecord {
  seq: number;
  stepId: string;
  hook: InferenceHook;
  /** `llm` (a provider call), `cache` (the gateway's cache or a remembered mapping), `fallback` (no LLM). */
  source: 'llm' | 'cache' | 'fallback';
  /** Why the fallback was used (`budget`, `cooling`, `mode`, `intelligence`, an LLM error code…). */
  reason: string | undefined;
  /** The choice made (hook-specific JSON). */
  choice: unknown;
  at: number;
}

/** A run as stored. */
export interface StoredRun {
  runId: string;
  workflow: Workflow;
  revision: number;
  mode: string;
  status: RunStatus;
  error: StoredError | undefined;
  steps: Map<string, StepRecord>;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, revision INTEGER NOT NULL, mode TEXT NOT NULL,
  status TEXT NOT NULL, error TEXT, owner TEXT, created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS steps (
  run_id TEXT NOT NULL, step_id TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
  started_ms INTEGER, ended_ms INTEGER, output TEXT, error TEXT, via TEXT,
  PRIMARY KEY (run_id, step_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  run_id TEXT NOT NULL, seq INTEGER NOT NULL, step_id TEXT NOT NULL, kind TEXT NOT NULL, status TEXT,
  at_ms INTEGER NOT NULL, PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS inferences (
  run_id TEXT NOT NULL, seq INTEGER NOT NULL, step_id TEXT NOT NULL, hook TEXT NOT NULL, source TEXT NOT NULL,
  reason TEXT, choice TEXT, at_ms INTEGER NOT NULL, PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS output_cache (
  agent TEXT NOT NULL, input_hash TEXT NOT NULL, output TEXT NOT NULL, at_ms INTEGER NOT NULL,
  PRIMARY KEY (agent, input_hash)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mappings (
  agent TEXT NOT NULL, signature TEXT NOT NULL, mapping TEXT NOT NULL, at_ms INTEGER NOT NULL,
  PRIMARY KEY (agent, signature)
) WITHOUT ROWID;
`;

interface StepRow {
  step_id: string;
  status: StepStatus;
  attempts: number;
  started_ms: number | null;
  ended_ms: number | null;
  output: string | null;
  error: string | null;
  via: string | null;
}

/**
 * A run's progress in SQLite (better-sqlite3, WAL, `synchronous = NORMAL`: durable across a process
 * crash): the workflow revision, every step's record, the ordered start/end events, every inference, plus
 * the last good output per agent and input (the recovery hook's "cached value") and the field mappings
 * that fixed an agent's output before. Every write is synchronous, so a step recorded as succeeded is on
 * disk before the next step starts.
 */
export class ProgressStore {
  readonly #db: Database.Database;
  readonly #seq = new Map<string, number>();
  readonly #statements = new Map<string, Database.Statement>();

  /** Opens or creates the file (`':memory:'` keeps nothing). */
  constructor(dbPath: string) {
    this.#db = new Database(dbPath, { timeout: 5_000 });
    if (dbPath !== ':memory:') this.#db.pragma('journal_mode = WAL');
    this.#db.pragma('synchronous = NORMAL');
    this.#db.exec(SCHEMA);
  }

  hasRun(runId: string): boolean {
    return this.#stmt('SELECT 1 FROM runs WHERE run_id = ?').get(runId) !== undefined;
  }

  /** Records a new run owned by `owner` (an engine instance). */
  createRun(runId: string, workflow: Workflow, mode: string, owner: string, at: number): void {
    this.#stmt(
      `INSERT INTO runs (run_id, workflow, revision, mode, status, error, owner, created_ms, updated_ms)
         VALUES (?, ?, 0, ?, 'running', NULL, ?, ?, ?)`,
    ).run(runId, JSON.stringify(workflow), mode, owner, at, at);
  }

  /**
   * Makes `owner` the run's only writer (a resumed run): the engine that owned it before — crashed, or
   * hung in this process — sees {@link ownerOf} change and stops writing.
   */
  claimRun(runId: string, owner: string, at: number): void {
    this.#stmt(
      "UPDATE runs SET owner = ?, status = 'running', error = NULL, updated_ms = ? WHERE run_id = ?",
    ).run(owner, at, runId);
  }

  /** The engine instance that may write the run. */
  ownerOf(runId: string): string | undefined {
    const row = this.#stmt('SELECT owner FROM runs WHERE run_id = ?').get(runId) as
      | { owner: string | null }
      | undefined;
    return row?.owner ?? undefined;
  }

  /** The run with its step records, or `undefined`. */
  loadRun(runId: string): StoredRun | undefined {
    const row = this.#stmt('SELECT * FROM runs WHERE run_id = ?').get(runId) as
      | { workflow: string; revision: number; mode: string; status: RunStatus; error: string | null }
      | undefined;
    if (row === undefined) return undefined;
    const steps = new Map<string, StepRecord>();
    const rows = this.#stmt('SELECT * FROM steps WHERE run_id = ?').all(runId) as StepRow[];
    for (const r of rows) {
      steps.set(r.step_id, {
        stepId: r.step_id,
        status: r.status,
        attempts: r.attempts,
        startedAt: r.started_ms ?? undefined,
        endedAt: r.ended_ms ?? undefined,
        output: r.output === null ? undefined : JSON.parse(r.output),
        error: r.error === null ? undefined : (JSON.parse(r.error) as StoredError),
        via: r.via ?? undefined,
      });
    }
    return {
      runId,
      workflow: JSON.parse(row.workflow) as Workflow,
      revision: row.revision,
      mode: row.mode,
      status: row.status,
      error: row.error === null ? undefined : (JSON.parse(row.error) as StoredError),
      steps,
    };
  }

  /** Stores a revised workflow (CREATIVE adaptation); returns the new revision number. */
  reviseWorkflow(runId: string, workflow: Workflow, at: number): number {
    this.#stmt('UPDATE runs SET workflow = ?, revision = revision + 1, updated_ms = ? WHERE run_id = ?').run(
      JSON.stringify(workflow),
      at,
      runId,
    );
    const { revision } = this.#stmt('SELECT revision FROM runs WHERE run_id = ?').get(runId) as {
      revision: number;
    };
    return revision;
  }

  setRunStatus(runId: string, status: RunStatus, error: StoredError | undefined, at: number): void {
    this.#stmt('UPDATE runs SET status = ?, error = ?, updated_ms = ? WHERE run_id = ?').run(
      status,
      error === undefined ? null : JSON.stringify(error),
      at,
      runId,
    );
  }

  /** Writes a step's record (insert or replace). */
  saveStep(runId: string, r: StepRecord): void {
    this.#stmt(
      `INSERT OR REPLACE INTO steps (run_id, step_id, status, attempts, started_ms, ended_ms, output, error, via)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      runId,
      r.stepId,
      r.status,
      r.attempts,
      r.startedAt ?? null,
      r.endedAt ?? null,
      r.output === undefined ? null : JSON.stringify(r.output),
      r.error === undefined ? null : JSON.stringify(r.error),
      r.via ?? null,
    );
  }

  /** Appends an event; returns it with its sequence number. */
  addEvent(runId: string, e: Omit<StepEvent, 'seq'>): StepEvent {
    const seq = this.#nextSeq(runId, 'events');
    this.#stmt(
      'INSERT INTO events (run_id, seq, step_id, kind, status, at_ms) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(runId, seq, e.stepId, e.kind, e.status ?? null, e.at);
    return { seq, ...e };
  }

  /** Every event of the run, in order. */
  events(runId: string): StepEvent[] {
    const rows = this.#stmt('SELECT * FROM events WHERE run_id = ? ORDER BY seq').all(runId) as {
      seq: number;
      step_id: string;
      kind: StepEvent['kind'];
      status: string | null;
      at_ms: number;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      stepId: r.step_id,
      kind: r.kind,
      status: r.status ?? undefined,
      at: r.at_ms,
    }));
  }

  addInference(runId: string, r: Omit<InferenceRecord, 'seq'>): InferenceRecord {
    const seq = this.#nextSeq(runId, 'inferences');
    this.#stmt(
      'INSERT INTO inferences (run_id, seq, step_id, hook, source, reason, choice, at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(runId, seq, r.stepId, r.hook, r.source, r.reason ?? null, JSON.stringify(r.choice ?? null), r.at);
    return { seq, ...r };
  }

  inferences(runId: string): InferenceRecord[] {
    const rows = this.#stmt('SELECT * FROM inferences WHERE run_id = ? ORDER BY seq').all(runId) as {
      seq: number;
      step_id: string;
      hook: InferenceHook;
      source: InferenceRecord['source'];
      reason: string | null;
      choice: string | null;
      at_ms: number;
    }[];
    return rows.map((r) => ({
      seq: r.seq,
      stepId: r.step_id,
      hook: r.hook,
      source: r.source,
      reason: r.reason ?? undefined,
      choice: r.choice === null ? null : JSON.parse(r.choice),
      at: r.at_ms,
    }));
  }

  /** Remembers an agent's good output for an input (the recovery hook's cached value). */
  cacheOutput(agent: string, inputHash: string, output: unknown, at: number): void {
    this.#stmt(
      'INSERT OR REPLACE INTO output_cache (agent, input_hash, output, at_ms) VALUES (?, ?, ?, ?)',
    ).run(agent, inputHash, JSON.stringify(output), at);
  }

  /** The agent's last good output for this input, if younger than `maxAgeMs` at `now`. */
  cachedOutput(
    agent: string,
    inputHash: string,
    now: number,
    maxAgeMs: number,
  ): { output: unknown; at: number } | undefined {
    const row = this.#stmt('SELECT output, at_ms FROM output_cache WHERE agent = ? AND input_hash = ?').get(
      agent,
      inputHash,
    ) as { output: string; at_ms: number } | undefined;
    if (row === undefined || now - row.at_ms > maxAgeMs) return undefined;
    return { output: JSON.parse(row.output), at: row.at_ms };
  }

  saveMapping(agent: string, signature: string, mapping: unknown, at: number): void {
    this.#stmt('INSERT OR REPLACE INTO mappings (agent, signature, mapping, at_ms) VALUES (?, ?, ?, ?)').run(
      agent,
      signature,
      JSON.stringify(mapping),
      at,
    );
  }

  findMapping(agent: string, signature: string): unknown {
    const row = this.#stmt('SELECT mapping FROM mappings WHERE agent = ? AND signature = ?').get(
      agent,
      signature,
    ) as { mapping: string } | undefined;
    return row === undefined ? undefined : JSON.parse(row.mapping);
  }

  /** Runs `fn` (synchronous, no awaits) in one transaction: one commit for several writes. Nests. */
  batch<T>(fn: () => T): T {
    if (this.#db.inTransaction) return fn();
    return this.#db.transaction(fn)();
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  #stmt(sql: string): Database.Statement {
    let st = this.#statements.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  #nextSeq(runId: string, table: 'events' | 'inferences'): number {
    const key = `${table}:${runId}`;
    let seq = this.#seq.get(key);
    if (seq === undefined) {
      const row = this.#stmt(`SELECT MAX(seq) AS m FROM ${table} WHERE run_id = ?`).get(runId) as {
        m: number | null;
      };
      seq = row.m ?? 0;
    }
    seq += 1;
    this.#seq.set(key, seq);
    return seq;
  }
}

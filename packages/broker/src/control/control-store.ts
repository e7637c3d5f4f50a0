import Database from 'better-sqlite3';
import type { z } from 'zod';
import { BrokerErrorCode, ControlError, invalidCommand } from '../errors.ts';
import { toIssues } from '../zod-issues.ts';
import type { Approval, ApprovalStatus, ControlEvent } from './approval.ts';
import { type ControlCommand, type ControlCommandBody, controlCommandSchema } from './command.ts';
import { type ControlState, controlStateSchema, emptyControlState } from './state.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS control_commands (
  id INTEGER PRIMARY KEY, run_id TEXT NOT NULL, issued_ms INTEGER NOT NULL, kind TEXT NOT NULL,
  body TEXT NOT NULL, status TEXT NOT NULL, applied_time INTEGER, note TEXT);
CREATE INDEX IF NOT EXISTS control_commands_run ON control_commands (run_id, status, id);
CREATE TABLE IF NOT EXISTS control_state (run_id TEXT PRIMARY KEY, state TEXT NOT NULL, time INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS control_approvals (
  run_id TEXT NOT NULL, id TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL,
  created_ms INTEGER NOT NULL, decision TEXT NOT NULL, current REAL NOT NULL, size REAL NOT NULL,
  threshold REAL NOT NULL, status TEXT NOT NULL, bars_waited INTEGER NOT NULL, expire_bars INTEGER NOT NULL,
  decided_by TEXT, decided_reason TEXT, resolved_time INTEGER, PRIMARY KEY (run_id, id));
CREATE TABLE IF NOT EXISTS control_events (
  run_id TEXT NOT NULL, time INTEGER NOT NULL, seq INTEGER NOT NULL, symbol TEXT, event TEXT NOT NULL,
  detail TEXT NOT NULL, PRIMARY KEY (run_id, time, seq));
`;

/** What one traded step changes in the control tables (written in the step's transaction). */
export interface ControlStepWrite {
  time: number;
  state: ControlState;
  /** Commands that took effect at this boundary. */
  applied: readonly { id: number; status: 'applied' | 'void'; note: string }[];
  /** Approvals created or changed. */
  approvals: readonly Approval[];
  events: readonly ControlEvent[];
}

interface CommandRow {
  id: number;
  run_id: string;
  issued_ms: number;
  body: string;
  status: ControlCommand['status'];
  applied_time: number | null;
  note: string | null;
}

/**
 * Operator control of runs, in the run ledger's SQLite file (WAL): the commands people issue (from any
 * process: the CLI, the HTTP API), the standing instructions the loop applies, parked approvals and what
 * control did at each step. A running loop reads new commands at each cycle boundary and records them
 * as applied in the same transaction as the step, so a restart neither loses nor repeats one.
 */
export class ControlStore {
  readonly #db: Database.Database;
  /** Prepared once per SQL text: the loop writes and reads control state on every bar. */
  readonly #statements = new Map<string, Database.Statement>();
  readonly #owned: boolean;
  /** The last state written and its JSON: a loop writes the same (immutable) state bar after bar. */
  #written: { readonly state: ControlState; readonly json: string } | undefined;
  /** One transaction wrapper, made once: better-sqlite3 builds one on every `transaction()` call. */
  readonly #tx: Database.Transaction<(fn: () => unknown) => unknown>;

  /** Uses an open database (the run ledger's: `Ledger.db`); creates the control tables if missing. */
  constructor(db: Database.Database, owned = false) {
    this.#db = db;
    this.#owned = owned;
    db.exec(SCHEMA);
    this.#tx = db.transaction((fn: () => unknown) => fn());
  }

  /** Opens the ledger file at `path` on its own connection (another process may be running the loop). */
  static open(path: string): ControlStore {
    const db = new Database(path, { timeout: 5_000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    return new ControlStore(db, true);
  }

  /** Closes the database when this store opened it. */
  close(): void {
    if (this.#owned && this.#db.open) this.#db.close();
  }

  #prepare(sql: string): Database.Statement {
    let st = this.#statements.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Runs `fn` in one immediate transaction on the store's connection (nesting the ledger's own). */
  transaction<T>(fn: () => T): T {
    return this.#tx.immediate(fn) as T;
  }

  /**
   * Records a command for `runId`; the loop applies it at its next boundary.
   * @throws ControlError `ORRERY_CONTROL_INVALID` for a malformed command (naming the field), or
   *   `ORRERY_CONTROL_APPROVAL` when approving or rejecting an approval that is unknown or no longer pending.
   */
  issue(runId: string, input: unknown, issuedAt: number): ControlCommand {
    const parsed = controlCommandSchema.safeParse(input);
    if (!parsed.success) {
      const first = toIssues(parsed.error.issues as z.core.$ZodIssue[])[0];
      throw invalidCommand(
        first?.path ?? '(root)',
        `invalid control command: ${first?.path ?? '(root)'}: ${first?.message ?? 'invalid'}`,
        parsed.error,
      );
    }
    const body = parsed.data;
    if (body.kind === 'approve' || body.kind === 'reject') {
      const a = this.approval(runId, body.approval);
      if (a === undefined)
        throw new ControlError(
          BrokerErrorCode.CONTROL_APPROVAL,
          'approval',
          `run ${runId} has no approval ${body.approval}`,
        );
      if (a.status !== 'pending')
        throw new ControlError(
          BrokerErrorCode.CONTROL_APPROVAL,
          'approval',
          `approval ${body.approval} of run ${runId} is ${a.status}, not pending`,
        );
    }
    const info = this.#prepare(
      "INSERT INTO control_commands (run_id, issued_ms, kind, body, status) VALUES (?, ?, ?, ?, 'pending')",
    ).run(runId, issuedAt, body.kind, JSON.stringify(body));
    return this.command(Number(info.lastInsertRowid))!;
  }

  /** One command by id. */
  command(id: number): ControlCommand | undefined {
    const r = this.#prepare('SELECT * FROM control_commands WHERE id = ?').get(id) as CommandRow | undefined;
    return r === undefined ? undefined : fromCommandRow(r);
  }

  /** The run's commands, oldest first; only those with `status` when given. */
  commands(runId: string, status?: ControlCommand['status']): ControlCommand[] {
    const rows = (
      status === undefined
        ? this.#prepare('SELECT * FROM control_commands WHERE run_id = ? ORDER BY id').all(runId)
        : this.#prepare('SELECT * FROM control_commands WHERE run_id = ? AND status = ? ORDER BY id').all(
            runId,
            status,
          )
    ) as CommandRow[];
    return rows.map(fromCommandRow);
  }

  /** The standing instructions as of the last committed step (none before the first command applied). */
  state(runId: string): ControlState {
    const r = this.#prepare('SELECT state FROM control_state WHERE run_id = ?').get(runId) as
      | { state: string }
      | undefined;
    return r === undefined ? emptyControlState() : controlStateSchema.parse(JSON.parse(r.state));
  }

  /** The run's approvals, oldest first; only those with `status` when given. */
  approvals(runId: string, status?: ApprovalStatus): Approval[] {
    const rows = (
      status === undefined
        ? this.#prepare('SELECT * FROM control_approvals WHERE run_id = ? ORDER BY time, rowid').all(runId)
        : this.#prepare(
            'SELECT * FROM control_approvals WHERE run_id = ? AND status = ? ORDER BY time, rowid',
          ).all(runId, status)
    ) as Record<string, unknown>[];
    return rows.map(fromApprovalRow);
  }

  /** One approval. */
  approval(runId: string, id: string): Approval | undefined {
    const r = this.#prepare('SELECT * FROM control_approvals WHERE run_id = ? AND id = ?').get(runId, id) as
      | Record<string, unknown>
      | undefined;
    return r === undefined ? undefined : fromApprovalRow(r);
  }

  /** The next approval id of the run (`A1`, `A2`…). */
  nextApprovalId(runId: string): string {
    const r = this.#prepare('SELECT count(*) AS n FROM control_approvals WHERE run_id = ?').get(runId) as {
      n: number;
    };
    return `A${r.n + 1}`;
  }

  /** What control did to the run, step by step. */
  events(runId: string): ControlEvent[] {
    const rows = this.#prepare(
      'SELECT time, symbol, event, detail FROM control_events WHERE run_id = ? ORDER BY time, seq',
    ).all(runId) as { time: number; symbol: string | null; event: string; detail: string }[];
    return rows.map((r) => ({
      time: r.time,
      symbol: r.symbol ?? undefined,
      event: r.event,
      detail: JSON.parse(r.detail) as Record<string, unknown>,
    }));
  }

  #stateJson(state: ControlState): string {
    if (this.#written?.state !== state) this.#written = { state, json: JSON.stringify(state) };
    return this.#written.json;
  }

  /** Writes a step's control changes; call inside {@link ControlStore.transaction} with the step commit. */
  writeStep(runId: string, w: ControlStepWrite): void {
    this.#prepare(
      'INSERT INTO control_state (run_id, state, time) VALUES (?, ?, ?) ON CONFLICT(run_id) DO UPDATE SET state = excluded.state, time = excluded.time',
    ).run(runId, this.#stateJson(w.state), w.time);
    const apply = this.#prepare(
      "UPDATE control_commands SET status = ?, applied_time = ?, note = ? WHERE id = ? AND status = 'pending'",
    );
    for (const a of w.applied) apply.run(a.status, w.time, a.note, a.id);
    const upsert = this.#prepare(
      `INSERT INTO control_approvals (run_id, id, symbol, time, created_ms, decision, current, size, threshold,
         status, bars_waited, expire_bars, decided_by, decided_reason, resolved_time)
       VALUES (@runId, @id, @symbol, @time, @createdAt, @decision, @current, @size, @threshold, @status,
         @barsWaited, @expireBars, @decidedBy, @decidedReason, @resolvedTime)
       ON CONFLICT(run_id, id) DO UPDATE SET status = excluded.status, bars_waited = excluded.bars_waited,
         decided_by = excluded.decided_by, decided_reason = excluded.decided_reason,
         resolved_time = excluded.resolved_time`,
    );
    for (const a of w.approvals)
      upsert.run({
        ...a,
        decision: JSON.stringify(a.decision),
        decidedBy: a.decidedBy ?? null,
        decidedReason: a.decidedReason ?? null,
        resolvedTime: a.resolvedTime ?? null,
      });
    const event = this.#prepare(
      'INSERT INTO control_events (run_id, time, seq, symbol, event, detail) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const [seq, e] of w.events.entries())
      event.run(runId, e.time, seq, e.symbol ?? null, e.event, JSON.stringify(e.detail));
  }
}

function fromCommandRow(r: CommandRow): ControlCommand {
  return {
    ...(JSON.parse(r.body) as ControlCommandBody),
    id: r.id,
    runId: r.run_id,
    issuedAt: r.issued_ms,
    status: r.status,
    ...(r.applied_time === null ? {} : { appliedTime: r.applied_time }),
    ...(r.note === null ? {} : { note: r.note }),
  };
}

function fromApprovalRow(r: Record<string, unknown>): Approval {
  return {
    id: r.id as string,
    runId: r.run_id as string,
    symbol: r.symbol as string,
    time: r.time as number,
    createdAt: r.created_ms as number,
    decision: JSON.parse(r.decision as string) as Approval['decision'],
    current: r.current as number,
    size: r.size as number,
    threshold: r.threshold as number,
    status: r.status as ApprovalStatus,
    barsWaited: r.bars_waited as number,
    expireBars: r.expire_bars as number,
    ...(r.decided_by === null ? {} : { decidedBy: r.decided_by as string }),
    ...(r.decided_reason === null ? {} : { decidedReason: r.decided_reason as string }),
    ...(r.resolved_time === null ? {} : { resolvedTime: r.resolved_time as number }),
  };
}

import Database from 'better-sqlite3';
import { decodeCycle, encodeCycle } from './cycle-codec.ts';
import { LedgerError } from './errors.ts';
import type { BrokerState } from './paper-broker.ts';
import type { BrokerSettings, Fill, Order, Position } from './types.ts';

/** A run as the ledger records it. */
export interface RunRow {
  readonly id: string;
  /** `running` until it ends; a run killed mid-way stays `running` and can be resumed. */
  readonly status: 'running' | 'completed' | 'failed' | 'stopped';
  readonly createdAt: number;
  readonly settings: BrokerSettings;
  /** What the run was started with (data sources, options): compared on resume. */
  readonly meta: Record<string, unknown>;
  /** Time of the last committed step (epoch ms), or undefined before the first. */
  readonly lastTime: number | undefined;
  readonly cash: number;
}

/** One point of the equity curve. */
export interface EquityPoint {
  readonly time: number;
  readonly equity: number;
  readonly cash: number;
}

/** One cycle record as stored: a few columns for queries, the record as compact JSON (see `encodeCycle`). */
export interface StoredCycle {
  readonly symbol: string;
  readonly time: number;
  readonly mode: string;
  readonly record: unknown;
  /** The account the cycle was shown (replayed to the strategy when a run resumes). */
  readonly portfolio: unknown;
}

/** Everything one step (one bar time) changed, written in one transaction. */
export interface StepWrite {
  readonly time: number;
  readonly fills: readonly Fill[];
  readonly orders: readonly Order[];
  readonly state: BrokerState;
  readonly equity: number;
  readonly cycles: readonly StoredCycle[];
}

/** A position as its ledger row holds it: symbol, quantity, average price. */
type PositionRow = readonly [symbol: string, qty: number, avgPrice: number];

function samePositions(a: readonly PositionRow[], b: readonly PositionRow[]): boolean {
  return (
    a.length === b.length &&
    a.every((r, i) => r[0] === b[i]![0] && Object.is(r[1], b[i]![1]) && Object.is(r[2], b[i]![2]))
  );
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at INTEGER NOT NULL, settings TEXT NOT NULL,
  meta TEXT NOT NULL, last_time INTEGER, cash REAL NOT NULL, marks TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY, run_id TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL, type TEXT NOT NULL,
  qty REAL NOT NULL, limit_price REAL, stop_price REAL, placed_at INTEGER NOT NULL, tif TEXT NOT NULL,
  reason TEXT NOT NULL, status TEXT NOT NULL, filled_qty REAL NOT NULL, note TEXT, closed_at INTEGER);
CREATE INDEX IF NOT EXISTS orders_run_status ON orders(run_id, status);
CREATE TABLE IF NOT EXISTS fills (
  id TEXT PRIMARY KEY REFERENCES orders(id), run_id TEXT NOT NULL, symbol TEXT NOT NULL, side TEXT NOT NULL,
  time INTEGER NOT NULL, qty REAL NOT NULL, price REAL NOT NULL, fee REAL NOT NULL, slippage REAL NOT NULL,
  realized_pnl REAL NOT NULL);
CREATE INDEX IF NOT EXISTS fills_run_time ON fills(run_id, time);
CREATE TABLE IF NOT EXISTS positions (
  run_id TEXT NOT NULL, symbol TEXT NOT NULL, qty REAL NOT NULL, avg_price REAL NOT NULL,
  PRIMARY KEY (run_id, symbol));
CREATE TABLE IF NOT EXISTS equity (
  run_id TEXT NOT NULL, time INTEGER NOT NULL, equity REAL NOT NULL, cash REAL NOT NULL,
  PRIMARY KEY (run_id, time));
CREATE TABLE IF NOT EXISTS cycles (
  run_id TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL, mode TEXT NOT NULL, record TEXT NOT NULL,
  portfolio TEXT NOT NULL, PRIMARY KEY (run_id, symbol, time));
`;

/**
 * The paper account's SQLite ledger (WAL): runs, orders, fills, positions, the equity curve and cycle
 * records. A step's changes are committed in one transaction together with the run's `last_time`, so a
 * process killed at any point leaves the ledger at the end of a whole step; resuming continues after it.
 * A fill's primary key is its order id, so no fill can be written twice.
 */
export class Ledger {
  readonly #db: Database.Database;
  /** Prepared once: a run commits a step per bar. */
  readonly #statements = new Map<string, Database.Statement>();
  /** A step's transaction, made once (better-sqlite3 builds its wrappers on every `transaction()`). */
  readonly #commitTx: Database.Transaction<(id: string, step: StepWrite, also?: () => void) => void>;
  /** Per run, the positions its ledger rows hold, as last committed: an unchanged book is not rewritten. */
  readonly #written = new Map<string, readonly PositionRow[]>();

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#commitTx = db.transaction((id: string, step: StepWrite, also?: () => void) =>
      this.#writeStep(id, step, also),
    );
  }

  /**
   * Opens (creating if needed) the ledger at `path` (`:memory:` for a throwaway one); a write waits up to
   * `busyTimeoutMs` for a lock another process holds.
   */
  static open(path: string, busyTimeoutMs = 5000): Ledger {
    const db = new Database(path, { timeout: busyTimeoutMs });
    db.pragma('journal_mode = WAL');
    // NORMAL loses nothing on a process crash (kill -9); only an OS crash can drop the last commits.
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
    db.exec(SCHEMA);
    return new Ledger(db);
  }

  /**
   * The SQLite handle, for tables that must commit in the same transaction as a step (operator control:
   * see `ControlStore`). Nest writes in `db.transaction(...)` around {@link Ledger.commitStep}.
   */
  get db(): Database.Database {
    return this.#db;
  }

  #prepare(sql: string): Database.Statement {
    let st = this.#statements.get(sql);
    if (st === undefined) {
      st = this.#db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Closes the database. */
  close(): void {
    this.#db.close();
  }

  /** @throws LedgerError when a run with this id already exists. */
  createRun(id: string, settings: BrokerSettings, meta: Record<string, unknown>, createdAt: number): RunRow {
    if (this.getRun(id))
      throw new LedgerError(id, 'already exists in the ledger; use --resume or another --run-id');
    this.#prepare(
      'INSERT INTO runs (id, status, created_at, settings, meta, cash) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(id, 'running', createdAt, JSON.stringify(settings), JSON.stringify(meta), settings.initialCash);
    return this.getRun(id)!;
  }

  /** The run, or undefined. */
  getRun(id: string): RunRow | undefined {
    const r = this.#prepare('SELECT * FROM runs WHERE id = ?').get(id) as
      | {
          id: string;
          status: RunRow['status'];
          created_at: number;
          settings: string;
          meta: string;
          last_time: number | null;
          cash: number;
        }
      | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      status: r.status,
      createdAt: r.created_at,
      settings: JSON.parse(r.settings) as BrokerSettings,
      meta: JSON.parse(r.meta) as Record<string, unknown>,
      lastTime: r.last_time ?? undefined,
      cash: r.cash,
    };
  }

  /** Every run, newest first. */
  listRuns(): RunRow[] {
    const ids = this.#prepare('SELECT id FROM runs ORDER BY created_at DESC, id').all() as {
      id: string;
    }[];
    return ids.map((r) => this.getRun(r.id)!);
  }

  /**
   * The broker state at the end of the last committed step.
   *
   * @throws LedgerError when the run does not exist.
   */
  loadState(id: string): BrokerState {
    const run = this.#prepare('SELECT cash, marks FROM runs WHERE id = ?').get(id) as
      | { cash: number; marks: string }
      | undefined;
    if (!run) throw new LedgerError(id, 'is not in the ledger');
    const positions: Record<string, Position> = {};
    for (const p of this.#prepare('SELECT symbol, qty, avg_price FROM positions WHERE run_id = ?').all(
      id,
    ) as {
      symbol: string;
      qty: number;
      avg_price: number;
    }[])
      positions[p.symbol] = { qty: p.qty, avgPrice: p.avg_price };
    const openOrders = this.orders(id).filter((o) => o.status === 'open');
    return { cash: run.cash, positions, openOrders, marks: JSON.parse(run.marks) as Record<string, number> };
  }

  /**
   * Commits one step atomically: its fills, new and changed orders, positions, cash, marks, the equity
   * point, the cycle records and `last_time` — and whatever `also` writes on this connection (the
   * learning loop's tables, attached), in the same transaction.
   *
   * @throws LedgerError when the step is not after the last committed one (the loop went back in time).
   */
  commitStep(id: string, step: StepWrite, also?: () => void): void {
    this.#committing(id, () => this.#commitTx.immediate(id, step, also));
  }

  /** Runs a commit; a failed one forgets the positions written for the run (they were rolled back). */
  #committing(id: string, commit: () => void): void {
    try {
      commit();
    } catch (err) {
      this.#written.delete(id);
      throw err;
    }
  }

  #writeStep(id: string, step: StepWrite, also?: () => void): void {
    const run = this.#prepare('SELECT last_time FROM runs WHERE id = ?').get(id) as
      | { last_time: number | null }
      | undefined;
    if (!run) throw new LedgerError(id, 'is not in the ledger');
    if (run.last_time !== null && step.time <= run.last_time)
      throw new LedgerError(id, `step ${step.time} is not after the last committed step ${run.last_time}`);
    this.#writeOrders(id, step);
    this.#writePositions(id, step.state.positions);
    this.#prepare('INSERT INTO equity (run_id, time, equity, cash) VALUES (?, ?, ?, ?)').run(
      id,
      step.time,
      step.equity,
      step.state.cash,
    );
    const insCycle = this.#prepare(
      'INSERT INTO cycles (run_id, symbol, time, mode, record, portfolio) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const c of step.cycles)
      insCycle.run(id, c.symbol, c.time, c.mode, encodeCycle(c.record, c), JSON.stringify(c.portfolio));
    this.#prepare('UPDATE runs SET last_time = ?, cash = ?, marks = ? WHERE id = ?').run(
      step.time,
      step.state.cash,
      JSON.stringify(step.state.marks),
      id,
    );
    also?.();
  }

  /** A step's new and changed orders and its fills (inside the caller's transaction). */
  #writeOrders(id: string, step: Pick<StepWrite, 'orders' | 'fills'>): void {
    const upsertOrder = this.#prepare(
      `INSERT INTO orders (id, run_id, symbol, side, type, qty, limit_price, stop_price, placed_at, tif, reason, status, filled_qty, note, closed_at)
       VALUES (@id, @run, @symbol, @side, @type, @qty, @limitPrice, @stopPrice, @placedAt, @tif, @reason, @status, @filledQty, @note, @closedAt)
       ON CONFLICT(id) DO UPDATE SET status = excluded.status, filled_qty = excluded.filled_qty, note = excluded.note, closed_at = excluded.closed_at`,
    );
    for (const o of step.orders)
      upsertOrder.run({
        ...o,
        run: id,
        limitPrice: o.limitPrice ?? null,
        stopPrice: o.stopPrice ?? null,
        note: o.note ?? null,
        closedAt: o.closedAt ?? null,
      });
    const insFill = this.#prepare(
      'INSERT INTO fills (id, run_id, symbol, side, time, qty, price, fee, slippage, realized_pnl) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const f of step.fills)
      insFill.run(f.id, id, f.symbol, f.side, f.time, f.qty, f.price, f.fee, f.slippage, f.realizedPnl);
  }

  /**
   * Replaces the run's position rows with `positions` (inside the caller's transaction), unless they
   * already hold exactly these: most bars trade nothing, and an untouched table costs the commit nothing.
   */
  #writePositions(id: string, positions: Readonly<Record<string, Position>>): void {
    const rows: PositionRow[] = Object.entries(positions).map(([symbol, p]) => [symbol, p.qty, p.avgPrice]);
    const last = this.#written.get(id);
    if (last !== undefined && samePositions(last, rows)) return;
    this.#written.delete(id);
    this.#prepare('DELETE FROM positions WHERE run_id = ?').run(id);
    const insPos = this.#prepare(
      'INSERT INTO positions (run_id, symbol, qty, avg_price) VALUES (?, ?, ?, ?)',
    );
    for (const [symbol, qty, avgPrice] of rows) insPos.run(id, symbol, qty, avgPrice);
    this.#written.set(id, rows);
  }

  /**
   * Commits what an unscheduled (intrabar) cycle changed, atomically: its fills, new and changed orders,
   * positions, cash, marks and its cycle record (stored at `time`, when the forming bar was read). No
   * equity point and no `last_time`: the bar's own step commits those at its close, and a run killed in
   * between resumes from that step with the intrabar trades already in its account.
   *
   * @throws LedgerError when the run does not exist or `time` is not after its last committed step.
   */
  commitIntrabar(id: string, step: Omit<StepWrite, 'equity'>): void {
    this.#committing(id, () => this.#intrabarTx(id, step).immediate());
  }

  #intrabarTx(id: string, step: Omit<StepWrite, 'equity'>) {
    return this.#db.transaction(() => {
      const run = this.#prepare('SELECT last_time FROM runs WHERE id = ?').get(id) as
        | { last_time: number | null }
        | undefined;
      if (!run) throw new LedgerError(id, 'is not in the ledger');
      if (run.last_time !== null && step.time <= run.last_time)
        throw new LedgerError(
          id,
          `intrabar ${step.time} is not after the last committed step ${run.last_time}`,
        );
      const { orders, fills, state, cycles } = step;
      this.#writeBook(id, { orders, fills, state, cycles });
      this.#prepare('UPDATE runs SET cash = ?, marks = ? WHERE id = ?').run(
        state.cash,
        JSON.stringify(state.marks),
        id,
      );
    });
  }

  /** Orders, fills, positions and cycle records of a step (inside the caller's transaction). */
  #writeBook(id: string, step: Pick<StepWrite, 'orders' | 'fills' | 'state' | 'cycles'>): void {
    this.#writeOrders(id, step);
    this.#writePositions(id, step.state.positions);
    const insCycle = this.#prepare(
      'INSERT INTO cycles (run_id, symbol, time, mode, record, portfolio) VALUES (?, ?, ?, ?, ?, ?)',
    );
    for (const c of step.cycles)
      insCycle.run(id, c.symbol, c.time, c.mode, JSON.stringify(c.record), JSON.stringify(c.portfolio));
  }

  /** Marks the run finished. */
  finishRun(id: string, status: 'completed' | 'failed' | 'stopped'): void {
    this.#prepare('UPDATE runs SET status = ? WHERE id = ?').run(status, id);
  }

  /** Every order of the run, in placement order. */
  orders(id: string): Order[] {
    const rows = this.#prepare('SELECT * FROM orders WHERE run_id = ? ORDER BY placed_at, rowid').all(
      id,
    ) as Record<string, unknown>[];
    return rows.map((r) => ({
      id: r.id as string,
      symbol: r.symbol as string,
      side: r.side as Order['side'],
      type: r.type as Order['type'],
      qty: r.qty as number,
      limitPrice: (r.limit_price as number | null) ?? undefined,
      stopPrice: (r.stop_price as number | null) ?? undefined,
      placedAt: r.placed_at as number,
      tif: r.tif as Order['tif'],
      reason: r.reason as string,
      status: r.status as Order['status'],
      filledQty: r.filled_qty as number,
      note: (r.note as string | null) ?? undefined,
      closedAt: (r.closed_at as number | null) ?? undefined,
    }));
  }

  /** Every fill of the run, in time order. */
  fills(id: string): Fill[] {
    const rows = this.#prepare('SELECT * FROM fills WHERE run_id = ? ORDER BY time, rowid').all(id) as Record<
      string,
      unknown
    >[];
    return rows.map((r) => ({
      id: r.id as string,
      symbol: r.symbol as string,
      side: r.side as Fill['side'],
      time: r.time as number,
      qty: r.qty as number,
      price: r.price as number,
      fee: r.fee as number,
      slippage: r.slippage as number,
      realizedPnl: r.realized_pnl as number,
    }));
  }

  /** The equity curve, in time order. */
  equityCurve(id: string): EquityPoint[] {
    return this.#prepare('SELECT time, equity, cash FROM equity WHERE run_id = ? ORDER BY time').all(
      id,
    ) as EquityPoint[];
  }

  /** Cycle records, in time order. */
  cycles(id: string): StoredCycle[] {
    return [...this.eachCycle(id)];
  }

  /** Cycle records, in time order, each parsed as it is read (none is kept: a run's end reads them once). */
  *eachCycle(id: string): Generator<StoredCycle> {
    const rows = this.#prepare(
      'SELECT symbol, time, mode, record, portfolio FROM cycles WHERE run_id = ? ORDER BY time, rowid',
    ).iterate(id) as IterableIterator<{
      symbol: string;
      time: number;
      mode: string;
      record: string;
      portfolio: string;
    }>;
    for (const r of rows)
      yield {
        symbol: r.symbol,
        time: r.time,
        mode: r.mode,
        record: decodeCycle(r.record, r),
        portfolio: JSON.parse(r.portfolio) as unknown,
      };
  }
}

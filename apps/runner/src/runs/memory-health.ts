import type Database from 'better-sqlite3';

/** The similarity index's state as a run last wrote it (`ok`, `down`, or `off` by config). */
export type MemoryIndexState = 'ok' | 'down' | 'off';

/** A stretch of wall-clock time the index was down (`to` null: still down when written). */
export interface MemoryDegradedPeriod {
  readonly from: number;
  readonly to: number | null;
}

/**
 * A run's episodic-memory health, written into its run ledger (`memory_health`) in the step's
 * transaction whenever it changes, and once more when the run ends (after the index queue is flushed).
 * `orrery serve`'s `/metrics` and `GET /control/runs/:run` read it from `run.ledgerPath`.
 */
export interface MemoryHealth {
  readonly index: MemoryIndexState;
  /** Time the index was down up to `asOfMs`, ms (periods dropped from the list still count). */
  readonly degradedMs: number;
  /** When it was down, oldest first (the newest 50). */
  readonly periods: readonly MemoryDegradedPeriod[];
  /** Restarts of the embedded Chroma after it died. */
  readonly restarts: number;
  readonly episodes: number;
  readonly indexed: number;
  /** When this was written (wall clock, ms). */
  readonly asOfMs: number;
}

/** What {@link memoryHealthOf} reads (a subset of `@orrery/memory`'s `MemoryStats`). */
export interface MemoryStatsLike {
  readonly index: MemoryIndexState;
  readonly degradedMs: number;
  readonly degradedPeriods: readonly { readonly from: number; readonly to: number | undefined }[];
  readonly restarts: number;
  readonly episodes: number;
  readonly indexed: number;
}

/** A run's memory health as `orrery serve` reports it: the stored row, counted up to `now` when live. */
export interface MemoryHealthView extends MemoryHealth {
  /** Episodes kept in SQLite and not (yet) in the similarity index. */
  readonly unindexed: number;
  /** `degradedMs` as of the read: an open period of a `running` run counts up to `now`. */
  readonly degradedMsNow: number;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS memory_health (
  run_id TEXT PRIMARY KEY, health TEXT NOT NULL, updated_ms INTEGER NOT NULL)`;

/** The stored form of memory's counters at `asOfMs`. */
export function memoryHealthOf(s: MemoryStatsLike, asOfMs: number): MemoryHealth {
  return {
    index: s.index,
    degradedMs: s.degradedMs,
    periods: s.degradedPeriods.map((p) => ({ from: p.from, to: p.to ?? null })),
    restarts: s.restarts,
    episodes: s.episodes,
    indexed: s.indexed,
    asOfMs,
  };
}

/** Everything but the clock readings: a run writes its health again only when this changes. */
function changeKey(h: MemoryHealth): string {
  const ends = h.periods.map((p) => `${p.from}-${p.to ?? ''}`).join(',');
  return `${h.index}|${ends}|${h.restarts}|${h.episodes}|${h.indexed}`;
}

/**
 * Writes one run's memory health into its run ledger; call `write()` inside the step's transaction (the
 * loop's `Strategy.commit`). Memory's counters are read at most once per `minIntervalMs` of wall time
 * (they count the episode table), and the row is written only when they changed.
 */
export class MemoryHealthWriter {
  readonly #statement: Database.Statement;
  readonly #runId: string;
  readonly #read: () => MemoryStatsLike | null;
  readonly #now: () => number;
  readonly #minIntervalMs: number;
  #last = '';
  #readAt = Number.NEGATIVE_INFINITY;

  /**
   * @param db the run ledger's connection (creates `memory_health` if missing)
   * @param read memory's counters now (`EpisodicMemory.stats()`), or null without memory
   */
  constructor(
    db: Database.Database,
    runId: string,
    read: () => MemoryStatsLike | null,
    opts: { now?: () => number; minIntervalMs?: number } = {},
  ) {
    db.exec(SCHEMA);
    this.#statement = db.prepare(
      'INSERT INTO memory_health (run_id, health, updated_ms) VALUES (?, ?, ?) ' +
        'ON CONFLICT (run_id) DO UPDATE SET health = excluded.health, updated_ms = excluded.updated_ms',
    );
    this.#runId = runId;
    this.#read = read;
    this.#now = opts.now ?? Date.now;
    this.#minIntervalMs = opts.minIntervalMs ?? 1000;
  }

  /** Writes the health when it changed since the last write (`force`: now, whatever it is). */
  write(force = false): void {
    const now = this.#now();
    if (!force && now - this.#readAt < this.#minIntervalMs) return;
    this.#readAt = now;
    const stats = this.#read();
    if (stats === null) return;
    const health = memoryHealthOf(stats, now);
    const key = changeKey(health);
    if (!force && key === this.#last) return;
    this.#statement.run(this.#runId, JSON.stringify(health), now);
    this.#last = key;
  }

  /** `strategy` whose step commit (the loop's one transaction per step) also calls {@link write}. */
  committing<S extends { commit?(time: number): void }>(strategy: S): S {
    return {
      ...strategy,
      commit: (time: number) => {
        strategy.commit?.(time);
        this.write();
      },
    };
  }
}

/**
 * The memory health of `runId` as stored in the run ledger `db`, counted up to `now` (an open period of a
 * run still `running` grows; otherwise the value as written at the end), or null when the run wrote none
 * (memory off, or a run from before this table).
 */
export function readMemoryHealth(
  db: Database.Database,
  runId: string,
  now: number,
  running: boolean,
): MemoryHealthView | null {
  const table = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_health'")
    .get();
  if (table === undefined) return null;
  const row = db.prepare('SELECT health FROM memory_health WHERE run_id = ?').get(runId) as
    | { health: string }
    | undefined;
  if (row === undefined) return null;
  const h = JSON.parse(row.health) as MemoryHealth;
  const open = h.periods.at(-1)?.to === null;
  const extra = open && running ? Math.max(0, now - h.asOfMs) : 0;
  return { ...h, unindexed: Math.max(0, h.episodes - h.indexed), degradedMsNow: h.degradedMs + extra };
}

/** One line for `orrery control status`: the index state, periods, restarts and unindexed episodes. */
export function formatMemoryHealth(h: MemoryHealthView): string {
  const periods = h.periods.length;
  return (
    `similarity index ${h.index}; down ${periods} time(s), ${Math.round(h.degradedMsNow / 1000)} s in all` +
    `${h.restarts > 0 ? `, Chroma restarted ${h.restarts} time(s)` : ''}; ` +
    `${h.unindexed} of ${h.episodes} episodes not indexed`
  );
}

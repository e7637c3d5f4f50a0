import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { Gauge, type Registry } from 'prom-client';
import { type MemoryHealthView, readMemoryHealth } from '../runs/memory-health.ts';

/** One run's memory health on `/metrics`. */
export interface RunMemoryHealth {
  readonly runId: string;
  readonly health: MemoryHealthView;
}

const STATES = ['ok', 'down', 'off'] as const;

/**
 * The episodic-memory families of `/metrics`, one series per run (label `run`): the index state, the
 * time and number of degraded periods, Chroma restarts and episodes not indexed. Set at each scrape from
 * what the runs wrote into their ledger ({@link memoryHealthReader}).
 */
export class MemoryHealthExporter {
  readonly #up: Gauge<'run'>;
  readonly #state: Gauge<'run' | 'state'>;
  readonly #degraded: Gauge<'run'>;
  readonly #periods: Gauge<'run'>;
  readonly #restarts: Gauge<'run'>;
  readonly #episodes: Gauge<'run'>;
  readonly #unindexed: Gauge<'run'>;

  constructor(registry: Registry) {
    const registers = [registry];
    const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: ['run'], registers });
    this.#up = gauge(
      'orrery_memory_index_up',
      "1 while the run's similarity index (Chroma) answers, else 0.",
    );
    this.#state = new Gauge({
      name: 'orrery_memory_index_state',
      help: "The run's similarity index state (ok, down, or off by config): 1 for the current one.",
      labelNames: ['run', 'state'],
      registers,
    });
    this.#degraded = gauge(
      'orrery_memory_degraded_seconds',
      'Time the similarity index was down during the run, seconds (an open period counts up while the run runs).',
    );
    this.#periods = gauge(
      'orrery_memory_degraded_periods',
      'Times the similarity index went down during the run.',
    );
    this.#restarts = gauge('orrery_memory_chroma_restarts', 'Restarts of the embedded Chroma after it died.');
    this.#episodes = gauge('orrery_memory_episodes', 'Episodes the run kept in SQLite.');
    this.#unindexed = gauge(
      'orrery_memory_unindexed_episodes',
      'Episodes kept in SQLite and not (yet) in the similarity index.',
    );
  }

  /** Replaces every series by `runs`' (a run not listed any more disappears). */
  update(runs: readonly RunMemoryHealth[]): void {
    for (const g of [this.#up, this.#state, this.#degraded, this.#periods, this.#restarts]) g.reset();
    this.#episodes.reset();
    this.#unindexed.reset();
    for (const { runId: run, health: h } of runs) {
      this.#up.set({ run }, h.index === 'ok' ? 1 : 0);
      for (const state of STATES) this.#state.set({ run, state }, h.index === state ? 1 : 0);
      this.#degraded.set({ run }, h.degradedMsNow / 1000);
      this.#periods.set({ run }, h.periods.length);
      this.#restarts.set({ run }, h.restarts);
      this.#episodes.set({ run }, h.episodes);
      this.#unindexed.set({ run }, h.unindexed);
    }
  }
}

/**
 * Reads, from the run ledger at `ledgerPath` (read-only, its own connection: a run may be writing it),
 * the memory health of every run still `running` and of the newest run, each as of `now()`. No file or no
 * such rows: an empty list.
 */
export function memoryHealthReader(
  ledgerPath: string,
  now: () => number = Date.now,
): () => RunMemoryHealth[] {
  return () => {
    if (ledgerPath === ':memory:' || !existsSync(ledgerPath)) return [];
    const db = new Database(ledgerPath, { readonly: true, fileMustExist: true, timeout: 2_000 });
    try {
      const hasRuns = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get();
      if (hasRuns === undefined) return [];
      const rows = db
        .prepare(
          `SELECT id, status FROM runs WHERE status = 'running'
           OR id = (SELECT id FROM runs ORDER BY created_at DESC, id LIMIT 1) ORDER BY created_at, id`,
        )
        .all() as { id: string; status: string }[];
      const t = now();
      const out: RunMemoryHealth[] = [];
      for (const r of rows) {
        const health = readMemoryHealth(db, r.id, t, r.status === 'running');
        if (health !== null) out.push({ runId: r.id, health });
      }
      return out;
    } finally {
      db.close();
    }
  };
}

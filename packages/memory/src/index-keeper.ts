import type { Clock } from '@orrery/core';
import { type ChromaIndex, type IndexFailure, indexFailure } from './chroma-index.ts';
import type { EpisodeStore } from './episode-store.ts';
import { IndexUnavailableError } from './errors.ts';
import { toIndexItem } from './vectors.ts';

/** Where memory reports trouble it survives (Chroma down, index rebuilt). */
export interface MemoryLogger {
  warn(message: string, details?: Record<string, unknown>): void;
  info?(message: string, details?: Record<string, unknown>): void;
}

/** Whether the similarity index is in use: `ok`, `down` (degraded, retried later) or `off` (by config). */
export type IndexStatus = 'ok' | 'down' | 'off';

/** A stretch of time the index was down (`to` undefined: still down). Times from the memory's clock. */
export interface DegradedPeriod {
  readonly from: number;
  readonly to: number | undefined;
}

/** Degraded periods kept (the oldest are dropped past this; their time still counts). */
const MAX_PERIODS = 50;

const COLLECTION_KEY = 'chroma.collectionId';
const BATCH = 2000;

type SyncResult = { ok: true; added: number } | { ok: false; error: unknown };

/**
 * Keeps the Chroma collection in step with SQLite. One sync (connect, check, rebuild, catch up) runs at a
 * time; operations wait for it. When Chroma fails, the index goes `down` (one warning per outage) and is
 * retried after `retryMs`; a collection deleted under us is recreated and refilled at once. Each sync
 * starts a new generation, and work done against an older one is redone, so no episode is marked
 * indexed in a collection that was dropped.
 */
export class IndexKeeper {
  /** Failures, rebuilds, warnings and restarts of the embedded server so far. */
  readonly counters = { indexFailures: 0, rebuilds: 0, warnings: 0, restarts: 0 };
  readonly #periods: { from: number; to: number | undefined }[] = [];
  #droppedDownMs = 0;
  readonly #revive: (() => Promise<boolean>) | undefined;
  readonly #store: EpisodeStore;
  readonly #index: ChromaIndex | undefined;
  readonly #clock: Clock;
  readonly #log: MemoryLogger;
  readonly #retryMs: number;
  readonly #inflight = new Set<Promise<unknown>>();
  #status: IndexStatus;
  #retryAt = 0;
  #warned = false;
  #generation = 0;
  #syncing: Promise<SyncResult> | undefined;
  #ready: Promise<unknown> | undefined;

  constructor(
    store: EpisodeStore,
    index: ChromaIndex | undefined,
    opts: {
      clock: Clock;
      logger: MemoryLogger;
      retryMs: number;
      /** Called before a retry: restart the server if it died; true when it was restarted. */
      revive?: (() => Promise<boolean>) | undefined;
      /** Settles once the server is started (or failed to): nothing is tried against it before. */
      ready?: Promise<unknown> | undefined;
    },
  ) {
    this.#revive = opts.revive;
    this.#ready = opts.ready?.then(
      () => {
        this.#ready = undefined;
      },
      () => {
        this.#ready = undefined;
      },
    );
    this.#store = store;
    this.#index = index;
    this.#clock = opts.clock;
    this.#log = opts.logger;
    this.#retryMs = opts.retryMs;
    this.#status = index === undefined ? 'off' : 'down';
  }

  /** The index's state now. */
  get status(): IndexStatus {
    return this.#status;
  }

  /**
   * Waits out any sync in flight, connects when a retry is due, and returns the generation to work in
   * (read while no sync runs), or `undefined` when the index cannot be used now.
   */
  async ensure(): Promise<number | undefined> {
    if (this.#ready !== undefined) await this.#ready;
    for (let started = 0; ; ) {
      while (this.#syncing !== undefined) await this.#syncing;
      if (this.#status === 'ok') return this.#generation;
      if (this.#status === 'off' || this.#clock.now() < this.#retryAt || started === 2) return undefined;
      started++;
      if (this.#revive !== undefined && (await this.#revive())) this.counters.restarts++;
      await this.#startSync(false, 'connect');
    }
  }

  /**
   * Runs `fn` against the index, then `commit` with its result — both again if a sync replaced the
   * collection meanwhile. Returns `undefined` when the index is unavailable (after recording the failure).
   */
  async run<T>(
    op: string,
    fn: (index: ChromaIndex) => Promise<T>,
    commit?: (r: T) => void,
  ): Promise<T | undefined> {
    const run = this.#attempt(op, fn, commit);
    this.#inflight.add(run);
    try {
      return await run;
    } finally {
      this.#inflight.delete(run);
    }
  }

  async #attempt<T>(op: string, fn: (index: ChromaIndex) => Promise<T>, commit?: (r: T) => void) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const generation = await this.ensure();
      if (generation === undefined) return undefined;
      let result: T;
      try {
        result = await fn(this.#index!);
      } catch (err) {
        if (generation !== this.#generation) continue;
        this.#fail(err, op);
        if (this.#retryAt !== 0) return undefined;
        continue;
      }
      if (generation !== this.#generation) continue;
      commit?.(result);
      return result;
    }
    return undefined;
  }

  /**
   * Drops the collection and refills it from SQLite; returns how many episodes were indexed.
   * @throws IndexUnavailableError when the index is off or Chroma cannot be reached.
   */
  async rebuild(): Promise<number> {
    if (this.#index === undefined) throw new IndexUnavailableError('the similarity index is off by config');
    const res = await this.#startSync(true, 'rebuildIndex');
    if (res.ok) return res.added;
    throw new IndexUnavailableError('could not rebuild the similarity index: chroma is unavailable', {
      cause: res.error,
    });
  }

  /** The periods the index was down (after it had failed at least once), oldest first. */
  degradedPeriods(): DegradedPeriod[] {
    return this.#periods.map((p) => ({ ...p }));
  }

  /** Time spent down, ms (an open period counts up to now). */
  degradedMs(): number {
    const now = this.#clock.now();
    return this.#periods.reduce((t, p) => t + ((p.to ?? now) - p.from), this.#droppedDownMs);
  }

  /** Waits for every sync and operation in flight to settle (before closing the store). */
  async drain(): Promise<void> {
    await Promise.allSettled([this.#syncing, ...this.#inflight]);
  }

  #startSync(force: boolean, op: string): Promise<SyncResult> {
    const previous = this.#syncing;
    const p = (async () => {
      await previous;
      return this.#sync(force, op);
    })().finally(() => {
      if (this.#syncing === p) this.#syncing = undefined;
    });
    this.#syncing = p;
    return p;
  }

  async #sync(force: boolean, op: string): Promise<SyncResult> {
    this.#generation++;
    for (let attempt = 0; ; attempt++) {
      try {
        const added = await this.#catchUp(force);
        if (this.#warned) this.#log.info?.('similarity index is back; recall restored');
        const open = this.#periods.at(-1);
        if (open !== undefined && open.to === undefined) open.to = this.#clock.now();
        this.#status = 'ok';
        this.#warned = false;
        return { ok: true, added };
      } catch (err) {
        // Deleted under us mid-sync: a second pass recreates it.
        if (attempt === 0 && indexFailure(err) === 'collection-gone') continue;
        this.#fail(err, op);
        return { ok: false, error: err };
      }
    }
  }

  /** Connects; rebuilds when the collection is not the one we filled or its count disagrees; indexes the rest. */
  async #catchUp(force: boolean): Promise<number> {
    const index = this.#index!;
    let id = await index.connect();
    const known = this.#store.getMeta(COLLECTION_KEY);
    const held = await index.count();
    const { indexed, episodes } = this.#store.counts();
    if (force || known !== id || held !== indexed) {
      if (held > 0) id = await index.reset();
      if (indexed > 0) this.#store.markAllUnindexed();
      this.#store.setMeta(COLLECTION_KEY, id);
      if (force || episodes > 0 || held > 0) {
        this.counters.rebuilds++;
        this.#log.info?.('rebuilding the similarity index from SQLite', { episodes, held, indexed, force });
      }
    }
    let added = 0;
    for (let batch = this.#store.unindexed(BATCH); batch.length > 0; batch = this.#store.unindexed(BATCH)) {
      await index.upsert(batch.map(toIndexItem));
      this.#store.markIndexed(batch.map((e) => e.id));
      added += batch.length;
    }
    return added;
  }

  /** Records an outage found outside an index operation (the embedded server would not start). */
  outage(err: unknown, op: string): void {
    this.#down('unreachable', err, op);
  }

  #fail(err: unknown, op: string): void {
    const kind = indexFailure(err);
    if (kind === undefined) throw err;
    this.#down(kind, err, op);
  }

  #down(kind: IndexFailure, err: unknown, op: string): void {
    this.counters.indexFailures++;
    const open = this.#periods.at(-1);
    if (open === undefined || open.to !== undefined) {
      this.#periods.push({ from: this.#clock.now(), to: undefined });
      if (this.#periods.length > MAX_PERIODS) {
        const old = this.#periods.shift()!;
        this.#droppedDownMs += (old.to ?? old.from) - old.from;
      }
    }
    this.#status = 'down';
    // A deleted collection is recreated (and refilled) at once; anything else after a pause.
    this.#retryAt = kind === 'collection-gone' ? 0 : this.#clock.now() + this.#retryMs;
    if (!this.#warned) {
      this.#warned = true;
      this.counters.warnings++;
      this.#log.warn(
        `similarity index unavailable (${kind}) during ${op}: recall finds nothing until it is back; writes go on in SQLite`,
        {
          error: err instanceof Error ? err.message : String(err),
          ...(typeof (err as { output?: unknown }).output === 'string'
            ? { output: (err as { output: string }).output }
            : {}),
        },
      );
    }
  }
}

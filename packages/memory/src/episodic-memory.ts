import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Clock, systemClock } from '@orrery/core';
import { ChromaIndex, type IndexItem, indexFailure } from './chroma-index.ts';
import { ChromaServer } from './chroma-server.ts';
import { type MemoryConfig, type MemoryConfigInput, parseMemoryConfig } from './config.ts';
import { EpisodeStore } from './episode-store.ts';
import {
  DimensionMismatchError,
  IndexUnavailableError,
  MemoryClosedError,
  MemoryConfigError,
  MemoryValidationError,
  ZeroVectorError,
} from './errors.ts';
import { type PatternOptions, type PatternSummary, summarisePatterns } from './patterns.ts';
import {
  type Episode,
  type EpisodeInput,
  episodeInputSchema,
  type OutcomeInput,
  outcomeInputSchema,
  parseOrThrow,
  type RecallFilter,
  recallFilterSchema,
  type SituationInput,
  situationSchema,
} from './schemas.ts';
import { ShortTermMemory } from './short-term.ts';

/** Where memory reports trouble it survives (Chroma down, index rebuilt). */
export interface MemoryLogger {
  warn(message: string, details?: Record<string, unknown>): void;
  info?(message: string, details?: Record<string, unknown>): void;
}

/** {@link EpisodicMemory.open}'s options: the YAML config plus the injected clock and logger. */
export type EpisodicMemoryOptions = MemoryConfigInput & { clock?: Clock; logger?: MemoryLogger };

/** A past episode similar to the situation asked about. */
export interface RecallResult {
  episode: Episode;
  /** Cosine similarity of the two situation vectors, -1..1 (1 = same direction). */
  similarity: number;
}

/** Whether the similarity index is in use: `ok`, `down` (degraded, retried later) or `off` (by config). */
export type IndexStatus = 'ok' | 'down' | 'off';

/** Counters for health checks and metrics. */
export interface MemoryStats {
  episodes: number;
  /** Episodes the similarity index holds. */
  indexed: number;
  /** Episodes whose outcome is not written yet. */
  pending: number;
  realised: number;
  index: IndexStatus;
  /** Situation vectors' length, once known. */
  dimension: number | undefined;
  shortTerm: number;
  /** Recalls answered with no matches because the index was unavailable. */
  recallsDegraded: number;
  /** Index operations that failed because Chroma was unreachable or its collection was gone. */
  indexFailures: number;
  /** Full rebuilds of the index from SQLite. */
  rebuilds: number;
  /** Warnings logged (one per outage). */
  warnings: number;
}

const DIMENSION_KEY = 'dimension';
const COLLECTION_KEY = 'chroma.collectionId';
const BATCH = 2000;

type SyncResult = { ok: true; added: number } | { ok: false; error: unknown };

const consoleLogger: MemoryLogger = {
  warn: (message, details) => console.warn(`[orrery/memory] ${message}`, details ?? ''),
};

function unit(vector: readonly number[], field = 'situation.vector'): number[] {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm === 0) throw new ZeroVectorError(field);
  return vector.map((x) => x / norm);
}

function toItem(e: Episode): IndexItem {
  return {
    id: e.id,
    vector: unit(e.situation.vector),
    metadata: { symbol: e.symbol, regime: e.regime, decision: e.decision, time: e.time },
  };
}

/**
 * Episodic memory: every decision with its situation and, later, its outcome, kept in SQLite (the
 * truth) and indexed in a Chroma cosine collection for recall of similar situations. If Chroma is
 * unreachable, recall finds nothing (one warning per outage, counted in {@link MemoryStats}); writes go on
 * into SQLite and are indexed once Chroma answers again. A missing or stale index is rebuilt from SQLite.
 */
export class EpisodicMemory {
  /** The most recent episodes, newest first (refilled from SQLite on open). */
  readonly shortTerm: ShortTermMemory<Episode>;
  readonly #store: EpisodeStore;
  readonly #index: ChromaIndex | undefined;
  readonly #url: string | undefined;
  readonly #server: ChromaServer | undefined;
  readonly #config: MemoryConfig;
  readonly #clock: Clock;
  readonly #log: MemoryLogger;
  #dimension: number | undefined;
  #status: IndexStatus;
  #retryAt = 0;
  #warned = false;
  #closed = false;
  #syncing: Promise<SyncResult> | undefined;
  #generation = 0;
  readonly #inflight = new Set<Promise<unknown>>();
  readonly #counters = { recallsDegraded: 0, indexFailures: 0, rebuilds: 0, warnings: 0 };

  private constructor(
    config: MemoryConfig,
    store: EpisodeStore,
    index: { index: ChromaIndex; url: string } | undefined,
    server: ChromaServer | undefined,
    clock: Clock,
    logger: MemoryLogger,
  ) {
    this.#config = config;
    this.#url = index?.url;
    this.#store = store;
    this.#index = index?.index;
    this.#server = server;
    this.#clock = clock;
    this.#log = logger;
    this.#status = index === undefined ? 'off' : 'down';
    const stored = store.getMeta(DIMENSION_KEY);
    this.#dimension = config.dimension ?? (stored === undefined ? undefined : Number(stored));
    if (stored !== undefined && config.dimension !== undefined && Number(stored) !== config.dimension) {
      throw new MemoryConfigError([`dimension: ${config.dimension} differs from the stored ${stored}`]);
    }
    this.shortTerm = new ShortTermMemory<Episode>(config.shortTermSize);
    for (const e of store.latest(config.shortTermSize).reverse()) this.shortTerm.push(e);
  }

  /**
   * Opens (creating if needed) the memory: the SQLite file, the embedded Chroma server when configured,
   * and the index, which is checked against SQLite and rebuilt when missing or stale. Chroma being
   * unreachable does not fail the open (memory starts degraded).
   * @throws MemoryConfigError for an invalid config; ChromaStartError when the embedded server fails.
   */
  static async open(options: EpisodicMemoryOptions): Promise<EpisodicMemory> {
    const { clock = systemClock, logger = consoleLogger, ...raw } = options;
    const config = parseMemoryConfig(raw);
    if (config.dbPath !== ':memory:') mkdirSync(dirname(config.dbPath), { recursive: true });
    const store = new EpisodeStore(config.dbPath);
    let server: ChromaServer | undefined;
    try {
      let url: string | undefined;
      if (config.chroma.mode === 'embedded') {
        const c = config.chroma;
        server = await ChromaServer.start({
          dataDir: c.dataDir,
          port: c.port,
          startTimeoutMs: c.startTimeoutMs,
        });
        url = server.url;
      } else if (config.chroma.mode === 'external') {
        url = config.chroma.url;
      }
      const index =
        url === undefined
          ? undefined
          : {
              index: new ChromaIndex(url, config.collection, {
                timeoutMs: config.indexTimeoutMs,
                hnsw: config.hnsw,
              }),
              url,
            };
      const memory = new EpisodicMemory(config, store, index, server, clock, logger);
      await memory.#ensureIndex();
      return memory;
    } catch (err) {
      store.close();
      await server?.stop();
      throw err;
    }
  }

  /** The Chroma server's URL (embedded or external), or `undefined` when the index is off. */
  get indexUrl(): string | undefined {
    return this.#url;
  }

  #assertOpen(op: string): void {
    if (this.#closed) throw new MemoryClosedError(op);
  }

  #checkDimension(length: number, field = 'situation.vector'): void {
    if (this.#dimension !== undefined && length !== this.#dimension) {
      throw new DimensionMismatchError(this.#dimension, length, field);
    }
  }

  /**
   * Waits out any sync in flight, reconnects when a retry is due, and returns the index generation to
   * work in (captured while no sync runs), or `undefined` when the index cannot be used now.
   */
  async #ensureIndex(): Promise<number | undefined> {
    for (let started = 0; ; ) {
      while (this.#syncing !== undefined) await this.#syncing;
      if (this.#status === 'ok') return this.#generation;
      if (this.#status === 'off' || this.#clock.now() < this.#retryAt || started === 2) return undefined;
      started++;
      await this.#startSync(false, 'connect');
    }
  }

  /** Runs one sync at a time; callers arriving meanwhile share its result. */
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
    // Operations already talking to the old collection will notice and redo their work.
    this.#generation++;
    for (let attempt = 0; ; attempt++) {
      try {
        const added = await this.#syncIndex(force);
        if (this.#warned) this.#log.info?.('similarity index is back; recall restored');
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

  /** Connects, rebuilds when the collection is new or its count disagrees with SQLite, indexes the rest. */
  async #syncIndex(force = false): Promise<number> {
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
        this.#counters.rebuilds++;
        this.#log.info?.('rebuilding the similarity index from SQLite', { episodes, held, indexed, force });
      }
    }
    let added = 0;
    for (let batch = this.#store.unindexed(BATCH); batch.length > 0; batch = this.#store.unindexed(BATCH)) {
      await index.upsert(batch.map(toItem));
      this.#store.markIndexed(batch.map((e) => e.id));
      added += batch.length;
    }
    return added;
  }

  #fail(err: unknown, op: string): void {
    const kind = indexFailure(err);
    if (kind === undefined) throw err;
    this.#counters.indexFailures++;
    this.#status = 'down';
    // A deleted collection is recreated (and refilled) at once; an unreachable server after a pause.
    this.#retryAt = kind === 'collection-gone' ? 0 : this.#clock.now() + this.#config.indexRetryMs;
    if (!this.#warned) {
      this.#warned = true;
      this.#counters.warnings++;
      this.#log.warn(
        `similarity index unavailable (${kind}) during ${op}: recall finds nothing until it is back; writes go on in SQLite`,
        { error: err instanceof Error ? err.message : String(err) },
      );
    }
  }

  /** Runs `fn` against the index (tracked, so close() waits for it); `undefined` when unavailable. */
  async #withIndex<T>(
    op: string,
    fn: (index: ChromaIndex) => Promise<T>,
    commit?: (result: T) => void,
  ): Promise<T | undefined> {
    const run = this.#tryIndex(op, fn, commit);
    this.#inflight.add(run);
    try {
      return await run;
    } finally {
      this.#inflight.delete(run);
    }
  }

  /**
   * Runs `fn`, then `commit` with its result, unless a sync replaced the collection meanwhile: then both
   * run again against the new one (after the sync), so nothing is marked indexed in a dropped collection.
   */
  async #tryIndex<T>(
    op: string,
    fn: (index: ChromaIndex) => Promise<T>,
    commit?: (result: T) => void,
  ): Promise<T | undefined> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const generation = await this.#ensureIndex();
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

  #prepare(input: EpisodeInput, root: string): Episode {
    const e = parseOrThrow(episodeInputSchema, input, root);
    const field = root === '' ? 'situation.vector' : `${root}.situation.vector`;
    this.#checkDimension(e.situation.vector.length, field);
    unit(e.situation.vector, field);
    const { id, ...rest } = e;
    return { ...rest, id: id ?? randomUUID(), outcome: { type: 'pending', dueAt: e.time + e.horizonMs } };
  }

  /**
   * Records decisions (all or none) in SQLite and indexes them when the index is up.
   * @throws MemoryValidationError (NonFiniteFeatureError, DimensionMismatchError, ZeroVectorError…) naming
   *   the bad field as `[i].field`; EpisodeExistsError for a duplicate id; MemoryClosedError.
   */
  async recordMany(inputs: readonly EpisodeInput[]): Promise<Episode[]> {
    this.#assertOpen('recordMany');
    const episodes = inputs.map((input, i) => this.#prepare(input, inputs.length > 1 ? `[${i}]` : ''));
    const first = episodes[0];
    if (first === undefined) return [];
    if (this.#dimension === undefined) {
      this.#checkDimensionsAgree(episodes);
      this.#dimension = first.situation.vector.length;
      this.#store.setMeta(DIMENSION_KEY, String(this.#dimension));
    }
    this.#store.insert(episodes);
    for (const e of episodes) this.shortTerm.push(e);
    await this.#withIndex(
      'record',
      (index) => index.upsert(episodes.map(toItem)),
      () => this.#store.markIndexed(episodes.map((e) => e.id)),
    );
    return episodes;
  }

  #checkDimensionsAgree(episodes: readonly Episode[]): void {
    const d = episodes[0]!.situation.vector.length;
    episodes.forEach((e, i) => {
      const n = e.situation.vector.length;
      if (n !== d) throw new DimensionMismatchError(d, n, `[${i}].situation.vector`);
    });
  }

  /**
   * Records one decision; its outcome is pending until {@link writeOutcome}.
   * @throws as {@link recordMany}.
   */
  async record(input: EpisodeInput): Promise<Episode> {
    const [episode] = await this.recordMany([input]);
    return episode!;
  }

  /**
   * The `k` (1..1000) past episodes most similar to `situation` (cosine), optionally filtered, with their
   * outcomes, most similar first. Returns `[]` when the index is unavailable (and counts it).
   * @throws MemoryValidationError for a bad situation, `k` or filter; DimensionMismatchError.
   */
  async recall(situation: SituationInput, k = 5, filter: RecallFilter = {}): Promise<RecallResult[]> {
    this.#assertOpen('recall');
    const s = parseOrThrow(situationSchema, situation, 'situation');
    if (!Number.isInteger(k) || k < 1 || k > 1000) {
      throw new MemoryValidationError(`k must be an integer in 1..1000, got ${k}`, { field: 'k' });
    }
    const f = parseOrThrow(recallFilterSchema, filter, 'filter');
    this.#checkDimension(s.vector.length);
    const query = unit(s.vector);
    const hits = await this.#withIndex('recall', (index) => index.query(query, k, f));
    if (hits === undefined) {
      this.#counters.recallsDegraded++;
      return [];
    }
    const episodes = this.#store.getMany(hits.map((h) => h.id));
    const out: RecallResult[] = [];
    for (const h of hits) {
      const episode = episodes.get(h.id);
      if (episode !== undefined) out.push({ episode, similarity: 1 - h.distance });
    }
    return out;
  }

  /** Episodes whose outcome is still pending although due at `asOf` (epoch ms; default now), earliest first. */
  pendingOutcomes(asOf: number = this.#clock.now(), limit = 1000): Episode[] {
    this.#assertOpen('pendingOutcomes');
    return this.#store.pendingDue(asOf, limit);
  }

  /**
   * Writes what came of a decision (once); survives restarts.
   * @throws MemoryValidationError naming `outcome.<field>`; EpisodeNotFoundError; OutcomeAlreadyWrittenError.
   */
  writeOutcome(id: string, outcome: OutcomeInput): Episode {
    this.#assertOpen('writeOutcome');
    const o = parseOrThrow(outcomeInputSchema, outcome, 'outcome');
    const episode = this.#store.writeOutcome(id, { ...o, type: 'realised', realisedAt: this.#clock.now() });
    this.shortTerm.replace((e) => e.id === id, episode);
    return episode;
  }

  /** What realised outcomes teach, by regime and decision, optionally for one symbol or from `since` on. */
  patterns(options: PatternOptions & { symbol?: string; since?: number } = {}): PatternSummary {
    this.#assertOpen('patterns');
    const { symbol, since, ...rest } = options;
    return summarisePatterns(this.#store.outcomeGroups({ symbol, since }), rest);
  }

  /**
   * Drops the Chroma collection and refills it from SQLite; returns how many episodes were indexed.
   * @throws IndexUnavailableError when the index is off or Chroma cannot be reached.
   */
  async rebuildIndex(): Promise<number> {
    this.#assertOpen('rebuildIndex');
    if (this.#index === undefined) throw new IndexUnavailableError('the similarity index is off by config');
    const res = await this.#startSync(true, 'rebuildIndex');
    if (res.ok) return res.added;
    throw new IndexUnavailableError('could not rebuild the similarity index: chroma is unreachable', {
      cause: res.error,
    });
  }

  /** Counters and sizes, for health checks and metrics. */
  stats(): MemoryStats {
    this.#assertOpen('stats');
    return {
      ...this.#store.counts(),
      index: this.#status,
      dimension: this.#dimension,
      shortTerm: this.shortTerm.size,
      ...this.#counters,
    };
  }

  /** Closes SQLite and stops the embedded Chroma server if this memory started it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.allSettled([this.#syncing, ...this.#inflight]);
    this.#store.close();
    await this.#server?.stop();
  }
}

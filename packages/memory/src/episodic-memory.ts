import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Clock, systemClock } from '@orrery/core';
import { ChromaIndex } from './chroma-index.ts';
import { ChromaServer } from './chroma-server.ts';
import { type MemoryConfig, type MemoryConfigInput, parseMemoryConfig } from './config.ts';
import { EpisodeStore } from './episode-store.ts';
import {
  DimensionMismatchError,
  MemoryClosedError,
  MemoryConfigError,
  MemoryValidationError,
} from './errors.ts';
import { type DegradedPeriod, IndexKeeper, type IndexStatus, type MemoryLogger } from './index-keeper.ts';
import { IndexQueue } from './index-queue.ts';
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
import { toIndexItem, unit } from './vectors.ts';

/** {@link EpisodicMemory.open}'s options: the YAML config plus the injected clock and logger. */
export type EpisodicMemoryOptions = MemoryConfigInput & { clock?: Clock; logger?: MemoryLogger };

/** A past episode similar to the situation asked about. */
export interface RecallResult {
  episode: Episode;
  /** Cosine similarity of the two situation vectors, -1..1 (1 = same direction). */
  similarity: number;
}

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
  /** Index operations that failed (Chroma unreachable or erroring, or its collection gone). */
  indexFailures: number;
  /** Full rebuilds of the index from SQLite. */
  rebuilds: number;
  /** Warnings logged (one per outage). */
  warnings: number;
  /** Restarts of the embedded Chroma server after it died (at most `chroma.maxRestarts`). */
  restarts: number;
  /** Time the index was down since open, ms (memory's clock). */
  degradedMs: number;
  /** When the index was down (`to` undefined: still down), oldest first. */
  degradedPeriods: DegradedPeriod[];
}

const DIMENSION_KEY = 'dimension';

const consoleLogger: MemoryLogger = {
  warn: (message, details) => console.warn(`[orrery/memory] ${message}`, details ?? ''),
};

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
  readonly #keeper: IndexKeeper;
  readonly #queue: IndexQueue;
  readonly #url: (() => string | undefined) | undefined;
  #server: ChromaServer | undefined;
  /** The embedded server's start in the background; settles once it is up or failed. */
  readonly #starting: Promise<void> | undefined;
  /** The index's first connect and catch-up in the background (embedded), or undefined. */
  #warmup: Promise<void> | undefined;
  readonly #clock: Clock;
  #dimension: number | undefined;
  #closed = false;
  #recallsDegraded = 0;
  #restarts = 0;

  private constructor(
    config: MemoryConfig,
    store: EpisodeStore,
    index: { index: ChromaIndex; url: () => string | undefined } | undefined,
    starting: Promise<ChromaServer> | undefined,
    clock: Clock,
    logger: MemoryLogger,
  ) {
    this.#store = store;
    this.#url = index?.url;
    this.#clock = clock;
    this.#starting = starting?.then(
      (server) => {
        this.#server = server;
      },
      (err: unknown) => this.#keeper.outage(err, 'the embedded chroma start'),
    );
    const chroma = config.chroma;
    this.#keeper = new IndexKeeper(store, index?.index, {
      clock,
      logger,
      retryMs: config.indexRetryMs,
      revive: chroma.mode === 'embedded' ? () => this.#revive(chroma, logger) : undefined,
      ready: this.#starting,
    });
    this.#queue = new IndexQueue(
      (episodes) =>
        this.#keeper.run(
          'record',
          (index) => index.upsert(episodes.map(toIndexItem)),
          () => this.#store.markIndexed(episodes.map((e) => e.id)),
        ),
      (err) =>
        logger.warn('indexing a batch of episodes failed; they stay unindexed in SQLite', {
          error: err instanceof Error ? err.message : String(err),
        }),
    );
    const stored = store.getMeta(DIMENSION_KEY);
    this.#dimension = config.dimension ?? (stored === undefined ? undefined : Number(stored));
    if (stored !== undefined && config.dimension !== undefined && Number(stored) !== config.dimension) {
      throw new MemoryConfigError([`dimension: ${config.dimension} differs from the stored ${stored}`]);
    }
    if (stored === undefined && config.dimension !== undefined) {
      store.setMeta(DIMENSION_KEY, String(config.dimension));
    }
    this.shortTerm = new ShortTermMemory<Episode>(config.shortTermSize);
    for (const e of store.latest(config.shortTermSize).reverse()) this.shortTerm.push(e);
  }

  /**
   * The embedded server died (or never started): starts it again on its port (if it had one) and data
   * folder, a bounded number of times; the keeper then reconnects and catches the index up from SQLite.
   */
  async #revive(chroma: Extract<MemoryConfig['chroma'], { mode: 'embedded' }>, logger: MemoryLogger) {
    const dead = this.#server;
    if (dead?.running === true || this.#closed || this.#restarts >= chroma.maxRestarts) return false;
    this.#restarts++;
    const restarts = this.#restarts;
    try {
      this.#server = await ChromaServer.start({
        dataDir: chroma.dataDir,
        port: dead?.port ?? chroma.port,
        startTimeoutMs: chroma.startTimeoutMs,
      });
      logger.info?.(`chroma restarted (${restarts} of at most ${chroma.maxRestarts})`);
      return true;
    } catch (err) {
      logger.warn(`chroma could not be restarted (${restarts} of ${chroma.maxRestarts})`, {
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  }

  /**
   * Opens (creating if needed) the memory: the SQLite file, the embedded Chroma server when configured,
   * and the index, which is checked against SQLite and rebuilt when missing or stale. Chroma being
   * unreachable does not fail the open (memory starts degraded). An embedded server is started in the
   * background (open resolves once SQLite is open; recalls and indexing wait for it); one that fails to
   * start is logged and treated as an outage (started again at the retry, up to `chroma.maxRestarts`).
   * @throws MemoryConfigError for an invalid config.
   */
  static async open(options: EpisodicMemoryOptions): Promise<EpisodicMemory> {
    const { clock = systemClock, logger = consoleLogger, ...raw } = options;
    const config = parseMemoryConfig(raw);
    if (config.dbPath !== ':memory:') mkdirSync(dirname(config.dbPath), { recursive: true });
    const store = new EpisodeStore(config.dbPath);
    const c = config.chroma;
    // The embedded server starts in the background: the first operations that need it wait for it.
    const starting =
      c.mode === 'embedded'
        ? ChromaServer.start({ dataDir: c.dataDir, port: c.port, startTimeoutMs: c.startTimeoutMs })
        : undefined;
    try {
      let memory: EpisodicMemory;
      const at = (url: () => string | undefined) => ({
        index: new ChromaIndex(url, config.collection, {
          timeoutMs: config.indexTimeoutMs,
          hnsw: config.hnsw,
        }),
        url,
      });
      if (c.mode === 'embedded') {
        memory = new EpisodicMemory(
          config,
          store,
          at(() => memory.#server?.url),
          starting,
          clock,
          logger,
        );
        memory.#warmup = memory.#keeper.ensure().then(
          () => undefined,
          (err: unknown) => logger.warn('the similarity index could not be opened', { error: String(err) }),
        );
      } else {
        const url = c.mode === 'external' ? c.url : undefined;
        memory = new EpisodicMemory(
          config,
          store,
          url === undefined ? undefined : at(() => url),
          undefined,
          clock,
          logger,
        );
        await memory.#keeper.ensure();
      }
      return memory;
    } catch (err) {
      store.close();
      await starting?.then(
        (s) => s.stop(),
        () => undefined,
      );
      throw err;
    }
  }

  /** The Chroma server's URL (embedded once started, or external), or `undefined` when the index is off. */
  get indexUrl(): string | undefined {
    return this.#url?.();
  }

  #assertOpen(op: string): void {
    if (this.#closed) throw new MemoryClosedError(op);
  }

  #checkDimension(length: number, field = 'situation.vector'): void {
    if (this.#dimension !== undefined && length !== this.#dimension) {
      throw new DimensionMismatchError(this.#dimension, length, field);
    }
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
   * Records decisions (all or none) in SQLite, then queues them for the similarity index: resolves once
   * SQLite holds them (durable), without waiting for Chroma. Episodes queued while a batch is being
   * indexed go in the next batch; {@link recall} still sees every episode recorded before it (it waits
   * for queued ones it could match), and {@link flush} waits for the queue.
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
    if (this.#keeper.status !== 'off') {
      this.#queue.push(episodes);
      // One turn of the event loop, so Chroma's answers are read even when the caller never waits on
      // I/O (a backtest's steps): the queue moves on while the caller does not wait for it.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
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
   * Resolves once every episode recorded so far has been offered to the similarity index (indexed, or
   * left unindexed in SQLite because the index is unavailable; the keeper catches those up later).
   */
  async flush(): Promise<void> {
    await this.#warmup;
    await this.#queue.flush();
  }

  /**
   * The `k` (1..1000) past episodes most similar to `situation` (cosine), optionally filtered, with their
   * outcomes, most similar first. Sees every episode recorded before the call: when one still queued for
   * the index could match the filter, it first waits for the queue. Returns `[]` when the index is
   * unavailable (and counts it).
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
    if (this.#queue.holdsMatch(f)) await this.#queue.flush();
    const hits = await this.#keeper.run('recall', (index) => index.query(query, k, f));
    if (hits === undefined) {
      this.#recallsDegraded++;
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
    return this.#keeper.rebuild();
  }

  /** The embedded Chroma server's process id (the launcher), or `undefined` when not embedded. */
  get chromaPid(): number | undefined {
    return this.#server?.pid;
  }

  /** Counters and sizes, for health checks and metrics. */
  stats(): MemoryStats {
    this.#assertOpen('stats');
    return {
      ...this.#store.counts(),
      index: this.#keeper.status,
      dimension: this.#dimension,
      shortTerm: this.shortTerm.size,
      recallsDegraded: this.#recallsDegraded,
      ...this.#keeper.counters,
      degradedMs: this.#keeper.degradedMs(),
      degradedPeriods: this.#keeper.degradedPeriods(),
    };
  }

  /** Offers what is still queued to the index, closes SQLite and stops the embedded Chroma server if this memory started it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#warmup;
    await this.#queue.flush();
    await this.#keeper.drain();
    this.#store.close();
    await this.#starting;
    await this.#server?.stop();
  }
}

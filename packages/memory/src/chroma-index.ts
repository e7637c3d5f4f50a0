import { performance } from 'node:perf_hooks';
import {
  ChromaClient,
  ChromaClientError,
  ChromaConnectionError,
  ChromaForbiddenError,
  ChromaNotFoundError,
  ChromaQuotaExceededError,
  ChromaRateLimitError,
  ChromaServerError,
  ChromaUnauthorizedError,
  ChromaUniqueError,
  type Collection,
  type Metadata,
  type Where,
} from 'chromadb';
import { IndexUnavailableError } from './errors.ts';

/** One episode as the index holds it: its id, unit-length vector and filterable metadata. */
export interface IndexItem {
  id: string;
  vector: number[];
  metadata: { symbol: string; regime: string; decision: string; time: number };
}

/** A nearest neighbour: cosine distance 0..2 (0 = same direction). */
export interface IndexHit {
  id: string;
  distance: number;
}

/** Equality on symbol/regime/decision, and `time >= since`. */
export interface IndexFilter {
  symbol?: string | undefined;
  regime?: string | undefined;
  decision?: string | undefined;
  since?: number | undefined;
}

/**
 * HNSW graph settings: `efConstruction` and `maxNeighbors` (graph quality, fixed at creation), `efSearch`
 * (candidates per query). Chroma's defaults (100/16/100) return only about 6 of the exact 10 nearest on
 * 100k clustered situations; these return about 9 at a similar query cost and half the insert rate.
 */
export interface HnswSettings {
  efConstruction: number;
  efSearch: number;
  maxNeighbors: number;
}

/** How late a request's timer may fire before the wait counts as this thread's, not the server's. */
const STARVED_MS = 1000;

/** The settings used when none are given. */
export const DEFAULT_HNSW: HnswSettings = { efConstruction: 200, efSearch: 200, maxNeighbors: 32 };

/**
 * Why an index operation failed: the server is unreachable (or too slow), our collection was deleted
 * under us, or the server refused the request (an error status: auth, quota, internal error…).
 */
export type IndexFailure = 'unreachable' | 'collection-gone' | 'rejected';

const REJECTIONS = [
  ChromaServerError,
  ChromaClientError,
  ChromaUnauthorizedError,
  ChromaForbiddenError,
  ChromaRateLimitError,
  ChromaQuotaExceededError,
  ChromaUniqueError,
];

/** Classifies a failure of an index operation, or `undefined` when it is not Chroma's (a bug to surface). */
export function indexFailure(err: unknown): IndexFailure | undefined {
  if (err instanceof ChromaNotFoundError) return 'collection-gone';
  // A collection being deleted can answer 500 "Missing metadata segment" instead of 404.
  if (err instanceof ChromaServerError && /missing metadata segment/i.test(err.message))
    return 'collection-gone';
  if (err instanceof ChromaConnectionError || err instanceof IndexUnavailableError) return 'unreachable';
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) return 'unreachable';
  if (REJECTIONS.some((cls) => err instanceof cls)) return 'rejected';
  return undefined;
}

function toWhere(f: IndexFilter): Where | undefined {
  const parts: Where[] = [];
  if (f.symbol !== undefined) parts.push({ symbol: f.symbol });
  if (f.regime !== undefined) parts.push({ regime: f.regime });
  if (f.decision !== undefined) parts.push({ decision: f.decision });
  if (f.since !== undefined) parts.push({ time: { $gte: f.since } });
  if (parts.length === 0) return undefined;
  return parts.length === 1 ? parts[0] : { $and: parts };
}

/**
 * `p`, or `timeout()` thrown once `ms` pass without an answer. A timer that fires late means this thread
 * was busy (a backtest's steps run without yielding): the answer may be waiting unread, so the wait
 * starts again, measured from then. `now` is the monotonic clock the lateness is read from.
 */
export async function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  timeout: () => Error,
  now: () => number = () => performance.now(),
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    const arm = () => {
      const due = now() + ms;
      timer = setTimeout(() => {
        if (now() - due > STARVED_MS) arm();
        else reject(timeout());
      }, ms);
    };
    arm();
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The similarity index: one cosine Chroma collection holding our own vectors (no embedding function).
 * Every call is bounded by `timeoutMs`; a hung server counts as unreachable.
 */
export class ChromaIndex {
  readonly #url: () => string | undefined;
  #client: { url: string; client: ChromaClient } | undefined;
  readonly #name: string;
  readonly #timeoutMs: number;
  readonly #hnsw: HnswSettings;
  #collection: Collection | undefined;
  #maxBatch = 1000;

  /**
   * @param url the server's base URL, or where to read it (undefined: the server is not up yet).
   * @param name the collection (3–512 chars of `[a-zA-Z0-9._-]`).
   * @param options `timeoutMs` bounds each request; `hnsw` tunes the graph (construction settings apply
   *   when the collection is created, `efSearch` also to an existing one).
   */
  constructor(
    url: string | (() => string | undefined),
    name: string,
    options: { timeoutMs?: number; hnsw?: HnswSettings } = {},
  ) {
    this.#url = typeof url === 'string' ? () => url : url;
    this.#name = name;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#hnsw = options.hnsw ?? DEFAULT_HNSW;
  }

  /** The client for the server's current URL (it changes when an embedded server starts elsewhere). */
  get #api(): ChromaClient {
    const url = this.#url();
    if (url === undefined) throw new IndexUnavailableError('chroma is not started');
    if (this.#client?.url !== url) {
      const u = new URL(url);
      const ssl = u.protocol === 'https:';
      const port = Number(u.port || (ssl ? 443 : 80));
      this.#client = { url, client: new ChromaClient({ host: u.hostname, port, ssl }) };
      this.#collection = undefined;
    }
    return this.#client.client;
  }

  #bounded<T>(what: string, p: Promise<T>): Promise<T> {
    return withTimeout(
      p,
      this.#timeoutMs,
      () => new IndexUnavailableError(`chroma ${what} took over ${this.#timeoutMs} ms`),
    );
  }

  /**
   * Opens the collection, creating it when missing (safe on an existing one); returns its id. A
   * collection of ours that does not measure cosine distance is recreated (so its id changes).
   */
  async connect(): Promise<string> {
    const col = await this.#bounded(
      'getOrCreateCollection',
      this.#api.getOrCreateCollection({
        name: this.#name,
        configuration: {
          hnsw: {
            space: 'cosine',
            ef_construction: this.#hnsw.efConstruction,
            ef_search: this.#hnsw.efSearch,
            max_neighbors: this.#hnsw.maxNeighbors,
          },
        },
        // Our own vectors: no embedding function, so none is loaded or required.
        embeddingFunction: null,
      }),
    );
    const max = await this.#bounded('preflight', this.#api.getMaxBatchSize());
    if (max > 0) this.#maxBatch = max;
    const hnsw = col.configuration.hnsw;
    if (hnsw?.space !== undefined && hnsw.space !== null && hnsw.space !== 'cosine') return this.reset();
    if (hnsw?.ef_search !== undefined && hnsw.ef_search !== this.#hnsw.efSearch) {
      await this.#bounded(
        'modify',
        col.modify({ configuration: { hnsw: { ef_search: this.#hnsw.efSearch } } }),
      );
    }
    this.#collection = col;
    return col.id;
  }

  #col(): Collection {
    if (this.#collection === undefined) throw new IndexUnavailableError('chroma index is not connected');
    return this.#collection;
  }

  /** How many items the collection holds. */
  async count(): Promise<number> {
    return this.#bounded('count', this.#col().count());
  }

  /** Adds or replaces items, in batches the server accepts. */
  async upsert(items: readonly IndexItem[]): Promise<void> {
    for (let i = 0; i < items.length; i += this.#maxBatch) {
      const batch = items.slice(i, i + this.#maxBatch);
      await this.#bounded(
        'upsert',
        this.#col().upsert({
          ids: batch.map((x) => x.id),
          embeddings: batch.map((x) => x.vector),
          metadatas: batch.map((x) => x.metadata as Metadata),
        }),
      );
    }
  }

  /** The `k` nearest items to `vector` that match `filter`, nearest first. */
  async query(vector: number[], k: number, filter: IndexFilter = {}): Promise<IndexHit[]> {
    const where = toWhere(filter);
    const res = await this.#bounded(
      'query',
      this.#col().query({
        queryEmbeddings: [vector],
        nResults: k,
        include: ['distances'],
        ...(where === undefined ? {} : { where }),
      }),
    );
    const ids = res.ids[0] ?? [];
    const distances = res.distances[0] ?? [];
    return ids.map((id, i) => ({ id, distance: distances[i] ?? Number.NaN }));
  }

  /** Deletes the collection (if present) and creates it afresh; returns the new id. */
  async reset(): Promise<string> {
    try {
      await this.#bounded('deleteCollection', this.#api.deleteCollection({ name: this.#name }));
    } catch (err) {
      if (!(err instanceof ChromaNotFoundError)) throw err;
    }
    this.#collection = undefined;
    return this.connect();
  }
}

import {
  ChromaClient,
  ChromaConnectionError,
  ChromaNotFoundError,
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

/** Why an index operation failed: the server is unreachable, or our collection was deleted under us. */
export type IndexFailure = 'unreachable' | 'collection-gone';

/** Classifies a failure of an index operation, or `undefined` when it is a bug to surface. */
export function indexFailure(err: unknown): IndexFailure | undefined {
  if (err instanceof ChromaNotFoundError) return 'collection-gone';
  if (err instanceof ChromaConnectionError || err instanceof IndexUnavailableError) return 'unreachable';
  if (err instanceof TypeError && /fetch failed/i.test(err.message)) return 'unreachable';
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
 * The similarity index: one cosine Chroma collection holding our own vectors (no embedding function).
 * Every call is bounded by `timeoutMs`; a hung server counts as unreachable.
 */
export class ChromaIndex {
  readonly #client: ChromaClient;
  readonly #name: string;
  readonly #timeoutMs: number;
  #collection: Collection | undefined;
  #maxBatch = 1000;

  /** @param url the server's base URL; @param name the collection (3–512 chars of `[a-zA-Z0-9._-]`). */
  constructor(url: string, name: string, timeoutMs = 10_000) {
    const u = new URL(url);
    const ssl = u.protocol === 'https:';
    this.#client = new ChromaClient({ host: u.hostname, port: Number(u.port || (ssl ? 443 : 80)), ssl });
    this.#name = name;
    this.#timeoutMs = timeoutMs;
  }

  async #bounded<T>(what: string, p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new IndexUnavailableError(`chroma ${what} took over ${this.#timeoutMs} ms`)),
        this.#timeoutMs,
      );
    });
    try {
      return await Promise.race([p, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Opens the collection, creating it when missing (safe to call on an existing one); returns its id. */
  async connect(): Promise<string> {
    const col = await this.#bounded(
      'getOrCreateCollection',
      this.#client.getOrCreateCollection({
        name: this.#name,
        configuration: { hnsw: { space: 'cosine' } },
        embeddingFunction: null,
      }),
    );
    const max = await this.#bounded('preflight', this.#client.getMaxBatchSize());
    if (max > 0) this.#maxBatch = max;
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
      await this.#bounded('deleteCollection', this.#client.deleteCollection({ name: this.#name }));
    } catch (err) {
      if (!(err instanceof ChromaNotFoundError)) throw err;
    }
    this.#collection = undefined;
    return this.connect();
  }
}

import { createHash } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import { z } from 'zod';
import type { ChatMessage, LLMRequest, MaterialFeatures, ModelTarget } from './request.ts';
import type { SqliteDb } from './sqlite.ts';

/** A cached answer. */
export interface CachedAnswer {
  provider: string;
  model: string;
  text: string;
  tokensIn: number;
  tokensOut: number;
  createdAt: number;
}

/** Why a lookup missed. */
export type CacheMiss = 'absent' | 'expired' | 'material_change';

interface Row {
  created_ms: number;
  expires_ms: number;
  provider: string;
  model: string;
  text: string;
  tokens_in: number;
  tokens_out: number;
  features: string | null;
  thresholds: string | null;
}

const schemaIds = new WeakMap<object, string>();
let anonymousSchemas = 0;

/**
 * Identifies an answer schema by its JSON Schema (`z.toJSONSchema`), so two equal schemas share cache
 * entries across restarts. A schema that cannot be rendered falls back to an identity valid for this process.
 */
export function schemaIdentity(schema: z.ZodType | undefined): string | null {
  if (schema === undefined) return null;
  let id = schemaIds.get(schema);
  if (id === undefined) {
    try {
      id = JSON.stringify(z.toJSONSchema(schema, { unrepresentable: 'any' }));
    } catch {
      anonymousSchemas += 1;
      id = `process-local-schema-${process.pid}-${anonymousSchemas}`;
    }
    schemaIds.set(schema, id);
  }
  return id;
}

/**
 * The cache key: SHA-256 of the task, the normalised messages (role, content with line endings unified
 * and leading/trailing whitespace trimmed per line), the answer schema's identity and the pinned target.
 */
export function cacheKey(
  task: string,
  messages: readonly ChatMessage[],
  schema: z.ZodType | undefined,
  target: ModelTarget | undefined,
): string {
  const normal = messages.map((m) => [
    m.role,
    m.content
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((l) => l.trim())
      .join('\n')
      .trim(),
  ]);
  const body = JSON.stringify([
    task,
    normal,
    schemaIdentity(schema),
    target ? [target.provider, target.model] : null,
  ]);
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The key the gateway caches `req`'s answer under, or undefined when `req` asks for no caching: its own
 * `cache.key` when it names one (e.g. an agent's answer cache, scoped to a run), else its messages.
 */
export function requestCacheKey(req: LLMRequest<unknown>): string | undefined {
  if (req.cache === undefined) return undefined;
  const messages =
    req.cache.key === undefined ? req.messages : [{ role: 'user' as const, content: `key:${req.cache.key}` }];
  return cacheKey(req.task, messages, req.schema, req.target);
}

/**
 * Answers cached in SQLite with a TTL **and** invalidation on material change: an entry keeps the numeric
 * features it was computed from and a threshold per feature; a lookup whose current value of a
 * thresholded feature moved by more than its threshold (or lacks it) is a miss and evicts the entry.
 */
export class ResponseCache {
  readonly #get: Statement<[string], Row>;
  readonly #put: Statement<unknown[]>;
  readonly #delete: Statement<[string]>;
  readonly #expire: Statement<[number]>;
  readonly #count: Statement<[], { n: number }>;

  constructor(db: SqliteDb) {
    this.#get = db.prepare(
      'SELECT created_ms, expires_ms, provider, model, text, tokens_in, tokens_out, features, thresholds FROM cache WHERE key = ?',
    );
    this.#put = db.prepare(
      `INSERT OR REPLACE INTO cache (key, task, created_ms, expires_ms, provider, model, text, tokens_in, tokens_out, features, thresholds)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#delete = db.prepare('DELETE FROM cache WHERE key = ?');
    this.#expire = db.prepare('DELETE FROM cache WHERE expires_ms <= ?');
    this.#count = db.prepare('SELECT count(*) AS n FROM cache');
  }

  /** The entry for `key` at `now`, or why there is none (stale entries are evicted). */
  get(
    key: string,
    now: number,
    current: Readonly<Record<string, number>> | undefined,
  ): { hit: CachedAnswer } | { miss: CacheMiss } {
    const row = this.#get.get(key);
    if (row === undefined) return { miss: 'absent' };
    if (row.expires_ms <= now) {
      this.#delete.run(key);
      return { miss: 'expired' };
    }
    if (current !== undefined && row.thresholds !== null && row.features !== null) {
      if (movedPast(JSON.parse(row.features), JSON.parse(row.thresholds), current)) {
        this.#delete.run(key);
        return { miss: 'material_change' };
      }
    }
    return {
      hit: {
        provider: row.provider,
        model: row.model,
        text: row.text,
        tokensIn: row.tokens_in,
        tokensOut: row.tokens_out,
        createdAt: row.created_ms,
      },
    };
  }

  /** Stores an answer for `ttlMs` (and drops entries already expired). */
  put(
    key: string,
    task: string,
    now: number,
    ttlMs: number,
    answer: Omit<CachedAnswer, 'createdAt'>,
    material: MaterialFeatures | undefined,
  ): void {
    this.#expire.run(now);
    this.#put.run(
      key,
      task,
      now,
      now + ttlMs,
      answer.provider,
      answer.model,
      answer.text,
      answer.tokensIn,
      answer.tokensOut,
      material === undefined ? null : JSON.stringify(material.features),
      material === undefined ? null : JSON.stringify(material.thresholds),
    );
  }

  /** Evicts one entry. */
  delete(key: string): void {
    this.#delete.run(key);
  }

  /** Entries stored (expired ones included until swept). */
  size(): number {
    return this.#count.get()?.n ?? 0;
  }
}

/**
 * True when any thresholded feature moved by more than its threshold, or is missing from `current`
 * (an entry whose inputs cannot be checked is not trusted).
 */
export function movedPast(
  features: Readonly<Record<string, number>>,
  thresholds: Readonly<Record<string, number>>,
  current: Readonly<Record<string, number>>,
): boolean {
  for (const [name, threshold] of Object.entries(thresholds)) {
    const then = features[name];
    const now = current[name];
    if (then === undefined || now === undefined || !Number.isFinite(now)) return true;
    if (Math.abs(now - then) > threshold) return true;
  }
  return false;
}

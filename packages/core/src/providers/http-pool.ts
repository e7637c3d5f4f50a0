import { Pool } from 'undici';
import { LLMError, LLMProviderError, LLMTimeoutError } from '../errors.ts';
import type { ProviderAnswer } from './provider.ts';
import { redact } from './redact.ts';
import { retryAfterFromHeaders } from './retry-after.ts';
import { type SseEvent, SseParser } from './sse.ts';

/** Tuning of the pooled keep-alive connections (per origin). */
export interface HttpPoolOptions {
  /** Maximum sockets per origin (default 64). */
  connections?: number;
  /** How long an idle socket is kept open, in milliseconds (default 30,000). */
  keepAliveTimeoutMs?: number;
}

/** A parsed JSON response, or the status and text of a failed one. */
export interface JsonResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body parsed as JSON; `undefined` when it was not JSON. */
  json: unknown;
  /** The raw body (kept only for failures, to quote in errors); `''` for a streamed answer. */
  text: string;
  /** True when the answer was a `text/event-stream` given event by event to `PostJson.onEvent`. */
  streamed?: boolean | undefined;
}

/**
 * One undici `Pool` (keep-alive, no retries: undici's `request` never retries by itself) per origin,
 * shared by every provider that talks to it. Close it with the gateway.
 */
export class HttpPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: HttpPoolOptions;

  constructor(options: HttpPoolOptions = {}) {
    this.#options = options;
  }

  /** The pool for a URL's origin (created on first use). */
  pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connections: this.#options.connections ?? 64,
        keepAliveTimeout: this.#options.keepAliveTimeoutMs ?? 30_000,
        pipelining: 1,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Closes every pool (in-flight requests finish first). */
  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.close()));
  }
}

/** Where a POST goes and what it carries. */
export interface PostJson {
  url: URL;
  headers: Record<string, string>;
  body: unknown;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** For error messages. */
  provider: string;
  model: string;
  /** Secrets to scrub from any error text. */
  secrets: readonly (string | undefined)[];
  /**
   * Reads a 2xx `text/event-stream` answer as it arrives, giving each event to this function (the call's
   * time limit still bounds the whole stream). It may throw an `LLMError` to end the call with it.
   */
  onEvent?: ((event: SseEvent) => void) | undefined;
}

/**
 * POSTs JSON and reads a JSON answer. Network failures become `LLMProviderError`, timeouts and aborts
 * `LLMTimeoutError`; HTTP error statuses are returned (the caller decides: 429 is not an exception).
 */
export async function postJson(pools: HttpPools, req: PostJson): Promise<JsonResponse> {
  const pool = pools.pool(req.url.origin);
  const target = { provider: req.provider, model: req.model };
  // undici's headers/body timeouts tick at ~1 s resolution and restart per chunk; a native timer gives a
  // precise bound on the whole call. The caller's signal is forwarded to the same controller.
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, req.timeoutMs);
  const forward = () => controller.abort();
  if (req.signal?.aborted === true) controller.abort();
  else req.signal?.addEventListener('abort', forward, { once: true });
  try {
    const res = await pool.request({
      method: 'POST',
      path: req.url.pathname + req.url.search,
      headers: { 'content-type': 'application/json', accept: 'application/json', ...req.headers },
      body: JSON.stringify(req.body),
      headersTimeout: req.timeoutMs,
      bodyTimeout: req.timeoutMs,
      signal: controller.signal,
    });
    const type = String(res.headers['content-type'] ?? '');
    if (req.onEvent !== undefined && res.statusCode < 300 && type.includes('text/event-stream')) {
      await readEvents(res.body, req.onEvent);
      return { status: res.statusCode, headers: res.headers, json: undefined, text: '', streamed: true };
    }
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: res.headers, json, text };
  } catch (err) {
    if (err instanceof LLMError && !timedOut) throw err;
    const code = (err as { code?: unknown }).code;
    if (
      timedOut ||
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      throw new LLMTimeoutError(
        `${req.provider}/${req.model} did not answer within ${req.timeoutMs} ms; no retry`,
        { ...target, timeoutMs: req.timeoutMs, cause: scrub(err, req.secrets) },
      );
    }
    if (controller.signal.aborted) {
      throw new LLMTimeoutError(`${req.provider}/${req.model} call aborted by the caller; no retry`, {
        ...target,
        timeoutMs: req.timeoutMs,
        cause: scrub(err, req.secrets),
      });
    }
    const why = redact(err instanceof Error ? err.message : String(err), req.secrets);
    throw new LLMProviderError(`${req.provider}/${req.model} unreachable at ${req.url.origin}: ${why}`, {
      ...target,
      cause: scrub(err, req.secrets),
    });
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', forward);
  }
}

/** Feeds a body's chunks through an {@link SseParser}, each completed event to `onEvent`. */
async function readEvents(
  body: AsyncIterable<Uint8Array>,
  onEvent: (event: SseEvent) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  const parser = new SseParser();
  for await (const chunk of body) {
    for (const e of parser.feed(decoder.decode(chunk, { stream: true }))) onEvent(e);
  }
  for (const e of [...parser.feed(decoder.decode()), ...parser.end()]) onEvent(e);
}

function scrub(err: unknown, secrets: readonly (string | undefined)[]): unknown {
  if (err instanceof Error) {
    const safe = new Error(redact(err.message, secrets));
    safe.name = err.name;
    const code = (err as { code?: unknown }).code;
    if (code !== undefined) Object.assign(safe, { code });
    return safe;
  }
  return redact(String(err), secrets);
}

/** The `error.type`, `error.code` and `error.message` of a provider's error body (OpenAI, Anthropic, Ollama). */
export function errorFields(json: unknown): { type?: string; code?: string; message?: string } {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  if (typeof json !== 'object' || json === null) return {};
  const e = (json as { error?: unknown }).error;
  if (typeof e === 'string') return { message: e };
  if (typeof e !== 'object' || e === null) return {};
  const o = e as { type?: unknown; code?: unknown; message?: unknown };
  const out: { type?: string; code?: string; message?: string } = {};
  const type = str(o.type);
  const code = typeof o.code === 'number' ? String(o.code) : str(o.code);
  const message = str(o.message);
  if (type !== undefined) out.type = type;
  if (code !== undefined) out.code = code;
  if (message !== undefined) out.message = message;
  return out;
}

/** Provider error codes that mean the account's quota or billing is exhausted (not a rate limit). */
const QUOTA_CODES = new Set(['insufficient_quota', 'billing_hard_limit_reached', 'billing_not_active']);

/**
 * The error for a failed HTTP status (not 429): names the provider, model and status, and the provider's
 * `error.type` / `error.code` / `error.message` when its body has them (else the start of the body), with
 * secrets removed.
 */
export function statusError(
  res: JsonResponse,
  provider: string,
  model: string,
  secrets: readonly (string | undefined)[],
): LLMProviderError {
  const f = errorFields(res.json);
  const kind = [f.type, f.code].filter((x) => x !== undefined).join('/');
  const what =
    f.message !== undefined
      ? `${kind === '' ? '' : `${kind}: `}${redact(f.message.slice(0, 300), secrets)}`
      : redact(res.text.slice(0, 300), secrets);
  return new LLMProviderError(`${provider}/${model} answered HTTP ${res.status}: ${what}; no retry`, {
    provider,
    model,
    status: res.status,
    providerType: f.type,
    providerCode: f.code,
  });
}

/**
 * How every provider reads a status before its body: 429 → a `rate_limited` answer (its
 * `retry-after-ms` / `Retry-After` parsed, `quota` set when the body says the quota or billing is
 * exhausted); 529 (or any status whose body says `overloaded_error`) → `rate_limited` too (a cooldown);
 * any other non-2xx → {@link statusError}; 2xx → `undefined`, read the body.
 *
 * @throws LLMProviderError for a non-2xx status other than 429/529.
 */
export function rateLimitedOrFailed(
  res: JsonResponse,
  provider: string,
  model: string,
  secrets: readonly (string | undefined)[],
  nowMs: number,
): ProviderAnswer | undefined {
  if (res.status >= 200 && res.status < 300) return undefined;
  const f = res.status === 429 || res.status >= 500 ? errorFields(res.json) : {};
  const overloaded = res.status === 529 || f.type === 'overloaded_error';
  if (res.status === 429 || overloaded) {
    const quota = [f.code, f.type].find((x) => x !== undefined && QUOTA_CODES.has(x));
    return {
      type: 'rate_limited',
      status: overloaded ? 529 : 429,
      retryAfterMs: retryAfterFromHeaders(res.headers, nowMs),
      ...(quota === undefined ? {} : { quota }),
      ...(f.message === undefined ? {} : { message: redact(f.message.slice(0, 300), secrets) }),
    };
  }
  throw statusError(res, provider, model, secrets);
}

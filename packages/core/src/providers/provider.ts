import type { ChatMessage } from '../request.ts';

/** An answer schema as sent on the wire (OpenAI structured outputs). */
export interface WireSchema {
  /** `^[a-zA-Z0-9_-]{1,64}$`. */
  name: string;
  /** JSON Schema of the answer. */
  schema: Record<string, unknown>;
  /** Ask the provider to follow it exactly (only when the schema allows strict mode). */
  strict: boolean;
}

/** What the gateway asks of a provider: one chat completion, no retries. */
export interface ProviderCall {
  model: string;
  /** The messages exactly as sent (the gateway adds any JSON hint itself, so its estimate counts it). */
  messages: readonly ChatMessage[];
  /** Upper bound on answer tokens. */
  maxTokens: number;
  temperature?: number | undefined;
  /** Ask for a JSON answer (structured outputs with `schema`, else JSON mode). */
  json: boolean;
  /** The answer schema, when the request has one that JSON Schema can express. */
  schema?: WireSchema | undefined;
  /** Bounds the whole call (connection, headers and body), in milliseconds. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /**
   * Stream the answer: the provider asks for server-sent events and passes each piece of text on as it
   * arrives; the answer it returns is the same as without streaming (whole text, usage). A provider that
   * cannot stream ignores it.
   */
  onText?: ((text: string) => void) | undefined;
}

/**
 * A provider's answer. A 429 (and Anthropic's 529 `overloaded_error`) is not thrown but returned
 * (`rate_limited`) so that the gateway, which owns the cooldown state, can turn it into an
 * `LLMRateLimitedError` carrying the cooldown's end — or, when `quota` is set (OpenAI
 * `insufficient_quota`), disable the provider. Every other failure is thrown as an `LLMProviderError` or
 * `LLMTimeoutError`.
 */
export type ProviderAnswer =
  | {
      type: 'ok';
      text: string;
      /** Prompt tokens, cached ones included. */
      tokensIn: number;
      tokensOut: number;
      /** Prompt tokens read from the provider's prompt cache (part of `tokensIn`). */
      cachedTokensIn?: number | undefined;
      /** Prompt tokens written to the prompt cache (Anthropic; part of `tokensIn`). */
      cacheWriteTokensIn?: number | undefined;
      /** The answer stopped at its token cap. */
      truncated?: boolean | undefined;
    }
  | {
      type: 'rate_limited';
      retryAfterMs: number | undefined;
      status: 429 | 529;
      /** The provider's code when its quota or billing is exhausted (e.g. `insufficient_quota`). */
      quota?: string | undefined;
      /** The provider's error message (secrets removed). */
      message?: string | undefined;
    };

/** One LLM endpoint (an OpenAI-compatible server or Anthropic's Messages API). */
export interface ChatProvider {
  /** The configured name (`openai`, `anthropic`, `ollama`…), used in routing and the ledger. */
  readonly name: string;
  /** A local model: costs nothing, never trusted with judgment tasks. */
  readonly local: boolean;
  /** True when a JSON request gets a one-line JSON hint in its messages (OpenAI's JSON mode needs one). */
  readonly jsonHint: boolean;
  /** Sends one request. Throws `LLMProviderError` / `LLMTimeoutError`; never retries. */
  complete(call: ProviderCall): Promise<ProviderAnswer>;
}

/** The system message a JSON request gets when no message mentions JSON. */
export const JSON_HINT = 'Answer with a single JSON object.';

/** `messages` with the {@link JSON_HINT} first when none of them mentions JSON. */
export function withJsonHint(messages: readonly ChatMessage[]): readonly ChatMessage[] {
  if (messages.some((m) => /json/i.test(m.content))) return messages;
  return [{ role: 'system', content: JSON_HINT }, ...messages];
}

/** Whether `model` matches one of `patterns` (exact names, or prefixes ending in `*`). */
export function matchesModel(model: string, patterns: readonly string[]): boolean {
  for (const p of patterns) {
    if (p.endsWith('*') ? model.startsWith(p.slice(0, -1)) : model === p) return true;
  }
  return false;
}

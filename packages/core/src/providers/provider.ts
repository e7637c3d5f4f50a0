import type { ChatMessage } from '../request.ts';

/** What the gateway asks of a provider: one chat completion, no retries. */
export interface ProviderCall {
  model: string;
  messages: readonly ChatMessage[];
  /** Upper bound on answer tokens. */
  maxTokens: number;
  temperature?: number | undefined;
  /** Ask for a JSON object (OpenAI `response_format: {type: 'json_object'}`). */
  json: boolean;
  /** Bounds the whole call (connection, headers and body), in milliseconds. */
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/**
 * A provider's answer. A 429 is not thrown but returned (`rate_limited`) so that the gateway, which owns
 * the cooldown state, can turn it into an `LLMRateLimitedError` carrying the cooldown's end.
 * Every other failure is thrown as an `LLMProviderError` or `LLMTimeoutError`.
 */
export type ProviderAnswer =
  | { type: 'ok'; text: string; tokensIn: number; tokensOut: number }
  | { type: 'rate_limited'; retryAfterMs: number | undefined; status: 429 };

/** One LLM endpoint (an OpenAI-compatible server or Anthropic's Messages API). */
export interface ChatProvider {
  /** The configured name (`openai`, `anthropic`, `ollama`…), used in routing and the ledger. */
  readonly name: string;
  /** A local model: costs nothing, never trusted with judgment tasks. */
  readonly local: boolean;
  /** Sends one request. Throws `LLMProviderError` / `LLMTimeoutError`; never retries. */
  complete(call: ProviderCall): Promise<ProviderAnswer>;
}

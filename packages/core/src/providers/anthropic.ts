import { LLMProviderError } from '../errors.ts';
import { type HttpPools, type JsonResponse, postJson, rateLimitedOrFailed } from './http-pool.ts';
import { type ChatProvider, matchesModel, type ProviderAnswer, type ProviderCall } from './provider.ts';
import { anthropicStreamFold } from './stream-fold.ts';
import { tokenCount as count } from './usage.ts';

/** The Messages API version header Orrery speaks. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** How to reach Anthropic's Messages API (or a compatible server). */
export interface AnthropicOptions {
  /** The configured provider name (usually `anthropic`). */
  name: string;
  /** Base URL without the `/v1` path, e.g. `https://api.anthropic.com`. */
  baseUrl: string;
  /** Sent as `x-api-key`. Never logged. */
  apiKey?: string | undefined;
  /** Models sent without `temperature`. */
  noTemperature?: readonly string[] | undefined;
  /** Highest temperature sent (default 1: the Messages API accepts 0–1). */
  maxTemperature?: number | undefined;
  /** The shared connection pools. */
  pools: HttpPools;
  /** The current time for `Retry-After` dates (epoch ms). */
  now: () => number;
}

/**
 * Anthropic Messages (`POST {baseUrl}/v1/messages`, headers `x-api-key` and
 * `anthropic-version: 2023-06-01`). System messages are joined into the top-level `system` field.
 * There is no JSON mode; the request's schema is enforced on the answer by the gateway. Temperatures
 * above 1 are lowered to 1 (the API's range). Usage is read from `usage.input_tokens` /
 * `usage.output_tokens` plus `cache_read_input_tokens` and `cache_creation_input_tokens` (Anthropic
 * reports those apart from `input_tokens`; Orrery counts them as prompt tokens); `stop_reason:
 * "max_tokens"` marks a truncated answer; a 529 `overloaded_error` starts a cooldown. With `onText` the
 * request streams (`stream: true`) and the events are folded into the same answer (an `error` event
 * mid-stream is a provider error).
 */
export class AnthropicProvider implements ChatProvider {
  readonly name: string;
  readonly local = false;
  readonly jsonHint = false;
  readonly #url: URL;
  readonly #noTemperature: readonly string[];
  readonly #maxTemperature: number;
  readonly #apiKey: string | undefined;
  readonly #pools: HttpPools;
  readonly #now: () => number;

  constructor(options: AnthropicOptions) {
    this.name = options.name;
    this.#url = new URL(`${options.baseUrl.replace(/\/+$/, '')}/v1/messages`);
    this.#apiKey = options.apiKey;
    this.#pools = options.pools;
    this.#now = options.now;
    this.#noTemperature = options.noTemperature ?? [];
    this.#maxTemperature = Math.min(options.maxTemperature ?? 1, 1);
  }

  async complete(call: ProviderCall): Promise<ProviderAnswer> {
    const secrets = [this.#apiKey];
    const system = call.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    const messages = call.messages
      .filter((m) => m.role !== 'system')
      .map((m) => ({ role: m.role, content: m.content }));
    const temperature =
      call.temperature === undefined || matchesModel(call.model, this.#noTemperature)
        ? undefined
        : Math.min(call.temperature, this.#maxTemperature);
    const fold = call.onText && anthropicStreamFold(call.onText, { provider: this.name, model: call.model });
    const res = await postJson(this.#pools, {
      url: this.#url,
      headers: {
        'anthropic-version': ANTHROPIC_VERSION,
        ...(this.#apiKey === undefined ? {} : { 'x-api-key': this.#apiKey }),
        ...(fold ? { accept: 'text/event-stream' } : {}),
      },
      body: {
        model: call.model,
        max_tokens: call.maxTokens,
        ...(system === '' ? {} : { system }),
        messages,
        ...(temperature === undefined ? {} : { temperature }),
        ...(fold ? { stream: true } : {}),
      },
      onEvent: fold?.onEvent,
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      provider: this.name,
      model: call.model,
      secrets,
    });
    return (
      rateLimitedOrFailed(res, this.name, call.model, secrets, this.#now()) ??
      this.#read(res.streamed === true ? { ...res, json: fold?.result() } : res, call.model)
    );
  }

  #read(res: JsonResponse, model: string): ProviderAnswer {
    const body = res.json as
      | {
          content?: { type?: unknown; text?: unknown }[];
          stop_reason?: unknown;
          usage?: {
            input_tokens?: unknown;
            output_tokens?: unknown;
            cache_read_input_tokens?: unknown;
            cache_creation_input_tokens?: unknown;
          };
        }
      | undefined;
    if (!Array.isArray(body?.content)) {
      throw new LLMProviderError(
        `${this.name}/${model} answered HTTP ${res.status} without content; no retry`,
        {
          provider: this.name,
          model,
          status: res.status,
        },
      );
    }
    const text = body.content
      .filter((block) => block.type === 'text' && typeof block.text === 'string')
      .map((block) => block.text as string)
      .join('');
    const read = count(body.usage?.cache_read_input_tokens);
    const write = count(body.usage?.cache_creation_input_tokens);
    return {
      type: 'ok',
      text,
      tokensIn: count(body.usage?.input_tokens) + read + write,
      tokensOut: count(body.usage?.output_tokens),
      ...(read > 0 ? { cachedTokensIn: read } : {}),
      ...(write > 0 ? { cacheWriteTokensIn: write } : {}),
      ...(body.stop_reason === 'max_tokens' ? { truncated: true } : {}),
    };
  }
}

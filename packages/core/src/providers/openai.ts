import { LLMProviderError } from '../errors.ts';
import { type HttpPools, type JsonResponse, postJson, rateLimitedOrFailed } from './http-pool.ts';
import { type ChatProvider, matchesModel, type ProviderAnswer, type ProviderCall } from './provider.ts';
import { openaiStreamFold } from './stream-fold.ts';
import { tokenCount as count } from './usage.ts';

/** OpenAI models that reject `temperature` (reasoning models), unless a provider sets `noTemperature`. */
export const DEFAULT_NO_TEMPERATURE_MODELS = ['o1*', 'o3*', 'o4*', 'gpt-5*'] as const;

/** How to reach an OpenAI-compatible server. */
export interface OpenAICompatibleOptions {
  /** The configured provider name (`openai`, `ollama`, `vllm`…). */
  name: string;
  /** Base URL including the API prefix, e.g. `https://api.openai.com/v1`, `http://localhost:11434/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. Never logged. */
  apiKey?: string | undefined;
  /** A local model (cost 0, no judgment tasks). */
  local?: boolean;
  /** `json_schema` (default: structured outputs) or `json_object` (plain JSON mode). */
  jsonMode?: 'json_schema' | 'json_object' | undefined;
  /** The answer-cap field (default `max_completion_tokens`; `max_tokens` when `local`). */
  maxTokensField?: 'max_completion_tokens' | 'max_tokens' | undefined;
  /** Models sent without `temperature` (default {@link DEFAULT_NO_TEMPERATURE_MODELS}). */
  noTemperature?: readonly string[] | undefined;
  /** Highest temperature sent (default 2). */
  maxTemperature?: number | undefined;
  /** The shared connection pools. */
  pools: HttpPools;
  /** The current time for `Retry-After` dates (epoch ms). */
  now: () => number;
}

/**
 * Chat completions over the OpenAI wire format (`POST {baseUrl}/chat/completions`): OpenAI, Ollama's
 * `/v1`, vLLM, llama.cpp server, OpenRouter, Groq. A request with an answer schema is sent with
 * `response_format: {type: 'json_schema', json_schema: {name, schema, strict}}` (structured outputs;
 * `jsonMode: 'json_object'` sends plain JSON mode instead), and the gateway adds a one-line JSON hint
 * when no message mentions JSON (OpenAI's JSON mode refuses requests without one). The answer cap goes
 * in `max_completion_tokens` (`max_tokens` for local servers or with `maxTokensField`); reasoning models
 * get no `temperature`. Usage is read from `usage.prompt_tokens` / `usage.completion_tokens` and
 * `usage.prompt_tokens_details.cached_tokens`; `finish_reason: "length"` marks a truncated answer.
 * With `onText` the request streams (`stream: true`, `stream_options.include_usage`) and the chunks are
 * folded into the same answer.
 */
export class OpenAICompatibleProvider implements ChatProvider {
  readonly name: string;
  readonly local: boolean;
  readonly jsonHint = true;
  readonly #url: URL;
  readonly #apiKey: string | undefined;
  readonly #pools: HttpPools;
  readonly #now: () => number;
  readonly #jsonMode: 'json_schema' | 'json_object';
  readonly #maxTokensField: 'max_completion_tokens' | 'max_tokens';
  readonly #noTemperature: readonly string[];
  readonly #maxTemperature: number;

  constructor(options: OpenAICompatibleOptions) {
    this.name = options.name;
    this.local = options.local ?? false;
    this.#url = new URL(`${options.baseUrl.replace(/\/+$/, '')}/chat/completions`);
    this.#apiKey = options.apiKey;
    this.#pools = options.pools;
    this.#now = options.now;
    this.#jsonMode = options.jsonMode ?? 'json_schema';
    this.#maxTokensField = options.maxTokensField ?? (this.local ? 'max_tokens' : 'max_completion_tokens');
    this.#noTemperature = options.noTemperature ?? DEFAULT_NO_TEMPERATURE_MODELS;
    this.#maxTemperature = options.maxTemperature ?? 2;
  }

  async complete(call: ProviderCall): Promise<ProviderAnswer> {
    const secrets = [this.#apiKey];
    const temperature =
      call.temperature === undefined || matchesModel(call.model, this.#noTemperature)
        ? undefined
        : Math.min(call.temperature, this.#maxTemperature);
    const responseFormat = !call.json
      ? undefined
      : this.#jsonMode === 'json_schema' && call.schema !== undefined
        ? { type: 'json_schema', json_schema: call.schema }
        : { type: 'json_object' };
    const fold = call.onText && openaiStreamFold(call.onText, { provider: this.name, model: call.model });
    const res = await postJson(this.#pools, {
      url: this.#url,
      headers: {
        ...(this.#apiKey === undefined ? {} : { authorization: `Bearer ${this.#apiKey}` }),
        ...(fold ? { accept: 'text/event-stream' } : {}),
      },
      body: {
        model: call.model,
        messages: call.messages,
        [this.#maxTokensField]: call.maxTokens,
        ...(temperature === undefined ? {} : { temperature }),
        ...(responseFormat === undefined ? {} : { response_format: responseFormat }),
        stream: fold !== undefined,
        ...(fold ? { stream_options: { include_usage: true } } : {}),
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
          choices?: { message?: { content?: unknown; refusal?: unknown }; finish_reason?: unknown }[];
          usage?: {
            prompt_tokens?: unknown;
            completion_tokens?: unknown;
            prompt_tokens_details?: { cached_tokens?: unknown } | null;
          };
        }
      | undefined;
    const choice = body?.choices?.[0];
    const content = choice?.message?.content;
    const refusal = choice?.message?.refusal;
    if (typeof content !== 'string' && typeof refusal !== 'string') {
      throw new LLMProviderError(
        `${this.name}/${model} answered HTTP ${res.status} without choices[0].message.content; no retry`,
        { provider: this.name, model, status: res.status },
      );
    }
    const cached = count(body?.usage?.prompt_tokens_details?.cached_tokens);
    return {
      type: 'ok',
      text: typeof content === 'string' ? content : (refusal as string),
      tokensIn: count(body?.usage?.prompt_tokens),
      tokensOut: count(body?.usage?.completion_tokens),
      ...(cached > 0 ? { cachedTokensIn: cached } : {}),
      ...(choice?.finish_reason === 'length' ? { truncated: true } : {}),
    };
  }
}

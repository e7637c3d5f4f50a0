import { LLMProviderError } from '../errors.ts';
import type { ChatMessage } from '../request.ts';
import { type HttpPools, type JsonResponse, postJson, rateLimitedOrFailed } from './http-pool.ts';
import type { ChatProvider, ProviderAnswer, ProviderCall } from './provider.ts';
import { tokenCount as count } from './usage.ts';

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
  /** The shared connection pools. */
  pools: HttpPools;
  /** The current time for `Retry-After` dates (epoch ms). */
  now: () => number;
}

/**
 * Chat completions over the OpenAI wire format (`POST {baseUrl}/chat/completions`): OpenAI, Ollama's
 * `/v1`, vLLM, llama.cpp server, OpenRouter, Groq. With `json`, it sends
 * `response_format: {type: 'json_object'}`, and — because OpenAI refuses JSON mode when no message
 * mentions JSON — adds a one-line system message asking for a JSON object if none does.
 * Usage is read from `usage.prompt_tokens` / `usage.completion_tokens`.
 */
export class OpenAICompatibleProvider implements ChatProvider {
  readonly name: string;
  readonly local: boolean;
  readonly #url: URL;
  readonly #apiKey: string | undefined;
  readonly #pools: HttpPools;
  readonly #now: () => number;

  constructor(options: OpenAICompatibleOptions) {
    this.name = options.name;
    this.local = options.local ?? false;
    this.#url = new URL(`${options.baseUrl.replace(/\/+$/, '')}/chat/completions`);
    this.#apiKey = options.apiKey;
    this.#pools = options.pools;
    this.#now = options.now;
  }

  async complete(call: ProviderCall): Promise<ProviderAnswer> {
    const secrets = [this.#apiKey];
    const res = await postJson(this.#pools, {
      url: this.#url,
      headers: this.#apiKey === undefined ? {} : { authorization: `Bearer ${this.#apiKey}` },
      body: {
        model: call.model,
        messages: call.json ? withJsonHint(call.messages) : call.messages,
        max_tokens: call.maxTokens,
        ...(call.temperature === undefined ? {} : { temperature: call.temperature }),
        ...(call.json ? { response_format: { type: 'json_object' } } : {}),
        stream: false,
      },
      timeoutMs: call.timeoutMs,
      signal: call.signal,
      provider: this.name,
      model: call.model,
      secrets,
    });
    return (
      rateLimitedOrFailed(res, this.name, call.model, secrets, this.#now()) ?? this.#read(res, call.model)
    );
  }

  #read(res: JsonResponse, model: string): ProviderAnswer {
    const body = res.json as
      | {
          choices?: { message?: { content?: unknown } }[];
          usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
        }
      | undefined;
    const content = body?.choices?.[0]?.message?.content;
    if (typeof content !== 'string') {
      throw new LLMProviderError(
        `${this.name}/${model} answered HTTP ${res.status} without choices[0].message.content; no retry`,
        { provider: this.name, model, status: res.status },
      );
    }
    return {
      type: 'ok',
      text: content,
      tokensIn: count(body?.usage?.prompt_tokens),
      tokensOut: count(body?.usage?.completion_tokens),
    };
  }
}

function withJsonHint(messages: readonly ChatMessage[]): readonly ChatMessage[] {
  if (messages.some((m) => /json/i.test(m.content))) return messages;
  return [{ role: 'system', content: 'Answer with a single JSON object.' }, ...messages];
}

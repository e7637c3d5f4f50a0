import type { ProviderConfig } from '../config/schema.ts';
import { LLMConfigError, LLMProviderError, LLMTimeoutError } from '../errors.ts';
import { AnthropicProvider } from './anthropic.ts';
import type { HttpPools } from './http-pool.ts';
import { OpenAICompatibleProvider } from './openai.ts';
import type { ChatProvider, ProviderAnswer, ProviderCall } from './provider.ts';

/** What a provider factory is given for one `providers` entry of the configuration. */
export interface ProviderContext {
  /** The entry's name (`openai`, `ollama`, `my-bedrock`…): routing and the ledger use it. */
  readonly name: string;
  /** The entry as configured (its `kind`, `baseUrl`, `apiKey`, `timeoutMs`…). */
  readonly config: ProviderConfig;
  /** A local model (the entry's `local`, or the trivial-task provider): cost 0, never judgment. */
  readonly local: boolean;
  /** The gateway's keep-alive connection pools (undici), shared by every provider. */
  readonly pools: HttpPools;
  /** The gateway's clock, in epoch ms. */
  readonly now: () => number;
}

/** Builds the {@link ChatProvider} of one configured entry of its `kind`. */
export type ProviderFactory = (ctx: ProviderContext) => ChatProvider;

/**
 * The built-in provider kinds, by the `kind` a `providers` entry names. A new built-in provider is its
 * own file plus one entry here; a caller adds kinds with `createGateway(config, { providers })`.
 */
export const BUILTIN_PROVIDER_KINDS = {
  /** OpenAI Chat Completions: OpenAI, Ollama `/v1`, vLLM, llama.cpp, OpenRouter. */
  openai: ({ name, config: p, local, pools, now }) =>
    new OpenAICompatibleProvider({
      name,
      baseUrl: p.baseUrl,
      apiKey: p.apiKey,
      local,
      jsonMode: p.jsonMode,
      maxTokensField: p.maxTokensField,
      noTemperature: p.noTemperature,
      maxTemperature: p.maxTemperature,
      pools,
      now,
    }),
  /** Anthropic Messages. */
  anthropic: ({ name, config: p, pools, now }) =>
    new AnthropicProvider({
      name,
      baseUrl: p.baseUrl,
      apiKey: p.apiKey,
      noTemperature: p.noTemperature,
      maxTemperature: p.maxTemperature,
      pools,
      now,
    }),
} as const satisfies Record<string, ProviderFactory>;

/** The names of {@link BUILTIN_PROVIDER_KINDS}. */
export const BUILTIN_PROVIDER_KIND_NAMES: readonly string[] = Object.keys(BUILTIN_PROVIDER_KINDS);

/**
 * Builds one provider per `providers` entry with the factory of its `kind`: the caller's `extra` kinds
 * first (they may replace a built-in), then the built-ins. A caller's provider is held to the contract
 * the built-ins keep themselves: its call ends by `timeoutMs` (else `LLMTimeoutError`, its signal
 * aborted) and its answer has the documented shape (else `LLMProviderError`), so no implementation can
 * stall a bound or feed the accounting garbage.
 *
 * @throws LLMConfigError naming `providers.<name>.kind` for a kind no factory serves.
 */
export function buildProviders(
  providers: Readonly<Record<string, ProviderConfig>>,
  localNames: (name: string, config: ProviderConfig) => boolean,
  extra: Readonly<Record<string, ProviderFactory>>,
  pools: HttpPools,
  now: () => number,
): Map<string, ChatProvider> {
  const out = new Map<string, ChatProvider>();
  for (const [name, config] of Object.entries(providers)) {
    const own = Object.hasOwn(extra, config.kind) ? extra[config.kind] : undefined;
    const builtin = Object.hasOwn(BUILTIN_PROVIDER_KINDS, config.kind)
      ? BUILTIN_PROVIDER_KINDS[config.kind as keyof typeof BUILTIN_PROVIDER_KINDS]
      : undefined;
    const factory = own ?? builtin;
    if (factory === undefined) throw unknownKind(name, config.kind, Object.keys(extra));
    const provider = factory({ name, config, local: localNames(name, config), pools, now });
    out.set(name, own === undefined ? provider : heldToContract(provider, name));
  }
  return out;
}

/** The error for a `kind` no factory serves, listing those that do. */
export function unknownKind(name: string, kind: string, extra: readonly string[]): LLMConfigError {
  const known = [...new Set([...BUILTIN_PROVIDER_KIND_NAMES, ...extra])].join(', ');
  return new LLMConfigError(
    `providers.${name}.kind: unknown provider kind ${JSON.stringify(kind)} (known: ${known}); register another with createGateway(config, { providers: { ${JSON.stringify(kind)}: factory } })`,
    { path: `providers.${name}.kind` },
  );
}

/** A caller's provider whose calls end by their deadline and whose answers are checked. */
function heldToContract(inner: ChatProvider, name: string): ChatProvider {
  return {
    name: inner.name,
    local: inner.local,
    jsonHint: inner.jsonHint,
    async complete(call: ProviderCall): Promise<ProviderAnswer> {
      const target = { provider: name, model: call.model };
      const deadline = new AbortController();
      const signal =
        call.signal === undefined ? deadline.signal : AbortSignal.any([call.signal, deadline.signal]);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const err = new LLMTimeoutError(`${name}/${call.model}: no answer within ${call.timeoutMs} ms`, {
            ...target,
            timeoutMs: call.timeoutMs,
          });
          deadline.abort(err);
          reject(err);
        }, call.timeoutMs);
      });
      try {
        const answer = await Promise.race([inner.complete({ ...call, signal }), expired]);
        return checkedAnswer(answer, target);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** `answer` when it has the shape of a {@link ProviderAnswer}; an `LLMProviderError` saying what is wrong otherwise. */
function checkedAnswer(answer: unknown, target: { provider: string; model: string }): ProviderAnswer {
  const bad = (what: string) =>
    new LLMProviderError(`${target.provider}/${target.model}: the provider's answer ${what}`, target);
  if (typeof answer !== 'object' || answer === null) throw bad('is not an object');
  const a = answer as Record<string, unknown>;
  const count = (k: string, optional: boolean) => {
    const v = a[k];
    if (optional && v === undefined) return;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
      throw bad(`has ${k} ${JSON.stringify(v)}, not a whole number ≥ 0`);
  };
  if (a.type === 'ok') {
    if (typeof a.text !== 'string') throw bad('has no text');
    count('tokensIn', false);
    count('tokensOut', false);
    count('cachedTokensIn', true);
    count('cacheWriteTokensIn', true);
    return answer as ProviderAnswer;
  }
  if (a.type === 'rate_limited') {
    if (a.status !== 429 && a.status !== 529)
      throw bad(`is rate_limited with status ${JSON.stringify(a.status)}`);
    const after = a.retryAfterMs;
    if (after !== undefined && !(typeof after === 'number' && Number.isFinite(after) && after >= 0))
      throw bad(`has retryAfterMs ${JSON.stringify(after)}, not a number ≥ 0`);
    return answer as ProviderAnswer;
  }
  throw bad(`has type ${JSON.stringify(a.type)} (expected ok or rate_limited)`);
}

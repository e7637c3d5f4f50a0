import type { GatewayConfig } from '../config/schema.ts';
import { AnthropicProvider } from './anthropic.ts';
import type { HttpPools } from './http-pool.ts';
import { OpenAICompatibleProvider } from './openai.ts';
import type { ChatProvider } from './provider.ts';

/** Builds one provider per `config.providers` entry, all sharing `pools`. */
export function providersFromConfig(
  config: GatewayConfig,
  pools: HttpPools,
  now: () => number,
): Map<string, ChatProvider> {
  const out = new Map<string, ChatProvider>();
  for (const [name, p] of Object.entries(config.providers)) {
    const local = p.local || name === config.routing.trivialTaskProvider;
    out.set(
      name,
      p.kind === 'anthropic'
        ? new AnthropicProvider({
            name,
            baseUrl: p.baseUrl,
            apiKey: p.apiKey,
            noTemperature: p.noTemperature,
            maxTemperature: p.maxTemperature,
            pools,
            now,
          })
        : new OpenAICompatibleProvider({
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
    );
  }
  return out;
}

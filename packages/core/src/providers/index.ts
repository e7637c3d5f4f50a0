export { ANTHROPIC_VERSION, type AnthropicOptions, AnthropicProvider } from './anthropic.ts';
export { type HttpPoolOptions, HttpPools } from './http-pool.ts';
export { type OpenAICompatibleOptions, OpenAICompatibleProvider } from './openai.ts';
export type { ChatProvider, ProviderAnswer, ProviderCall } from './provider.ts';
export { parseRetryAfter } from './retry-after.ts';

export { ANTHROPIC_VERSION, type AnthropicOptions, AnthropicProvider } from './anthropic.ts';
export { type HttpPoolOptions, HttpPools } from './http-pool.ts';
export { type OpenAICompatibleOptions, OpenAICompatibleProvider } from './openai.ts';
export {
  type ChatProvider,
  JSON_HINT,
  type ProviderAnswer,
  type ProviderCall,
  type WireSchema,
  withJsonHint,
} from './provider.ts';
export {
  BUILTIN_PROVIDER_KINDS,
  type ProviderContext,
  type ProviderFactory,
} from './registry.ts';
export { parseRetryAfter, retryAfterFromHeaders } from './retry-after.ts';
export { wireSchemaOf } from './wire-schema.ts';

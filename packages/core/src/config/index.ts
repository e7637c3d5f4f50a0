export {
  DEFAULT_JUDGMENT_TASKS,
  DEFAULT_LOCAL_BASE_URL,
  DEFAULT_PRICES,
  DEFAULT_PROVIDERS,
  DEFAULT_TRIVIAL_TASKS,
} from './defaults.ts';
export { GATEWAY_ENV_KEYS, isParsedGatewayConfig, parseGatewayConfig } from './parse.ts';
export {
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigSchema,
  type ProviderConfig,
  priceSchema,
  providerConfigSchema,
  type RoutingRule,
  routingRuleSchema,
  targetSchema,
} from './schema.ts';

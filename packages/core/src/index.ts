export {
  BudgetTracker,
  type BudgetTrackerOptions,
  type BudgetUsage,
  type ChainReservation,
} from './budget-tracker.ts';
export {
  type CachedAnswer,
  type CacheMiss,
  cacheKey,
  movedPast,
  ResponseCache,
  schemaIdentity,
} from './cache.ts';
export {
  composeCaller,
  composeMiddleware,
  type LlmCaller,
  type LlmEndpoint,
  type LlmHandler,
  type LlmMiddleware,
  type LlmMiddlewareObject,
  type LlmNext,
  type LlmProbe,
  type LlmProbeAnswer,
} from './caller.ts';
export { type Clock, ManualClock, systemClock } from './clock.ts';
export {
  DEFAULT_JUDGMENT_TASKS,
  DEFAULT_LOCAL_BASE_URL,
  DEFAULT_PRICES,
  DEFAULT_PROVIDERS,
  DEFAULT_TRIVIAL_TASKS,
  GATEWAY_ENV_KEYS,
  type GatewayConfig,
  type GatewayConfigInput,
  gatewayConfigSchema,
  isParsedGatewayConfig,
  type ProviderConfig,
  parseGatewayConfig,
  priceSchema,
  providerConfigSchema,
  type RoutingRule,
  routingRuleSchema,
  targetSchema,
} from './config/index.ts';
export {
  type BlockReason,
  type BreakerPolicy,
  type CooldownPolicy,
  type CooldownState,
  Cooldowns,
} from './cooldowns.ts';
export {
  DEFAULT_TASK_TYPES,
  type DelegateOptions,
  type DelegationAttempt,
  type DelegationConfig,
  type DelegationConfigInput,
  type DelegationResult,
  delegate,
  delegateWithFallback,
  delegationConfigSchema,
  type FallbackOptions,
  fallbackChain,
  type HelperOptions,
  parseDelegationConfig,
  quick,
  review,
  summarise,
  type TaskSettings,
  taskSettingsSchema,
  translate,
  type UsageReport,
  type UsageRow,
  usageReport,
  writeCode,
} from './delegation/index.ts';
export {
  LLMBudgetExceededError,
  LLMCacheMissError,
  LLMCallLimitError,
  type LLMCallUsage,
  LLMConfigError,
  LLMError,
  LLMErrorCode,
  LLMPolicyError,
  LLMProviderError,
  LLMQuotaExhaustedError,
  LLMRateLimitedError,
  LLMRequestError,
  LLMResponseFormatError,
  LLMTimeoutError,
  LLMTruncatedError,
  ProviderCoolingDownError,
} from './errors.ts';
export { CHARS_PER_TOKEN, estimateTokens } from './estimate.ts';
export { failureResponse } from './failure-response.ts';
export {
  DEFAULT_FETCH_TTL_MS,
  FetchCache,
  type FetchCacheOptions,
  type FetchCacheStats,
  type FetchEntry,
  type FetchOptions,
} from './fetch-cache/index.ts';
export type { CachePutAnswer, Gateway, GatewayAdmin, GatewayMetrics } from './gateway.ts';
export { parseJsonAnswer, stripJsonFences } from './json-answer.ts';
export {
  Ledger,
  type LedgerEntry,
  type LedgerOutcome,
  type LedgerSummary,
  type ReferenceModel,
  type RefusalReason,
} from './ledger.ts';
export { createGateway, type GatewayOptions, LLMGateway } from './llm-gateway.ts';
export { type CounterSnapshot, LATENCY_BUCKETS_MS, type LatencySnapshot } from './metrics.ts';
export {
  type MetricsMiddleware,
  type MetricsMiddlewareOptions,
  metricsMiddleware,
} from './metrics-middleware.ts';
export { EXECUTION_MODES, ExecutionMode } from './mode.ts';
export { createOfflineGateway, EXHAUSTED_BUDGET, type OfflineGatewayOptions } from './offline-gateway.ts';
export {
  ANTHROPIC_VERSION,
  type AnthropicOptions,
  AnthropicProvider,
  BUILTIN_PROVIDER_KINDS,
  type ChatProvider,
  type HttpPoolOptions,
  HttpPools,
  type OpenAICompatibleOptions,
  OpenAICompatibleProvider,
  type ProviderAnswer,
  type ProviderCall,
  type ProviderContext,
  type ProviderFactory,
  parseRetryAfter,
  retryAfterFromHeaders,
  type WireSchema,
  wireSchemaOf,
  withJsonHint,
} from './providers/index.ts';
export {
  BUDGET_STATUS_KEY,
  canServeKey,
  createReplayGateway,
  LLMRecordingMissingError,
  type NormalisedRequest,
  normaliseRequest,
  type RecordedCall,
  type RecordedError,
  type RecordedResult,
  type RecordedRun,
  type RecordingOptions,
  RecordingStore,
  type ReplayGateway,
  type ReplayMiddleware,
  type ReplayOptions,
  type ReplayReport,
  type RunRecordings,
  recordError,
  recordingGateway,
  recordingMiddleware,
  replayMiddleware,
  requestHash,
  reviveError,
} from './recording/index.ts';
export type { ChatMessage, LLMRequest, LLMResponse, MaterialFeatures, ModelTarget } from './request.ts';
export {
  type BudgetReservation,
  type BudgetStatus,
  RollingBudget,
  type RollingBudgetLimits,
} from './rolling-budget.ts';
export {
  type Price,
  type RouteCandidate,
  type RoutePlan,
  RoutingPolicy,
  type TaskTrust,
} from './routing-policy.ts';
export { gatewaySecrets, type Redact, redactDeep, secretRedactor } from './secret-redactor.ts';
export {
  DEFAULT_MODE_THRESHOLDS,
  type ModeDecision,
  type ModeSignals,
  type ModeThresholds,
  selectMode,
} from './select-mode.ts';
export { GATEWAY_SCHEMA_VERSION, openGatewayDb, type SqliteDb } from './sqlite.ts';
export { gatewayWarnings } from './warnings.ts';

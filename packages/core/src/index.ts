export { type Clock, ManualClock, systemClock } from './clock.ts';
export {
  LLMBudgetExceededError,
  LLMCallLimitError,
  LLMConfigError,
  LLMError,
  LLMErrorCode,
  LLMPolicyError,
  LLMProviderError,
  LLMRateLimitedError,
  LLMResponseFormatError,
  LLMTimeoutError,
  ProviderCoolingDownError,
} from './errors.ts';
export { EXECUTION_MODES, ExecutionMode } from './mode.ts';
export type { ChatMessage, LLMRequest, LLMResponse, MaterialFeatures, ModelTarget } from './request.ts';
export {
  DEFAULT_MODE_THRESHOLDS,
  type ModeDecision,
  type ModeSignals,
  type ModeThresholds,
  selectMode,
} from './select-mode.ts';

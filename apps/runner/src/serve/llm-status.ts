import {
  LLMBudgetExceededError,
  type LLMError,
  LLMErrorCode,
  LLMRateLimitedError,
  LLMRequestError,
  LLMResponseFormatError,
  ProviderCoolingDownError,
} from '@orrery/core';

/** How long a client should wait after a refusal by the global budget, in seconds (its resolution is a minute). */
export const BUDGET_RETRY_AFTER_S = 60;

/** The HTTP answer for a gateway failure: status, `Retry-After` seconds when waiting helps, and details. */
export interface LlmFailureStatus {
  status: number;
  retryAfterS: number | undefined;
  /** Fields added to the response's `error` beside `code` and `message`. */
  details: Record<string, unknown>;
}

/**
 * Maps a gateway `LLMError` to its HTTP status (the body stays an `LLMResponse` with `success: false`):
 *
 * | code | status | Retry-After |
 * |---|---|---|
 * | `ORRERY_LLM_RATE_LIMITED` (the provider said 429; the pair now cools) | 429 | until the cooldown ends |
 * | `ORRERY_LLM_COOLING_DOWN` (no call made: cooling, breaker open) | 429 | until the cooldown ends |
 * | `ORRERY_LLM_COOLING_DOWN`, provider disabled (quota exhausted) | 503 | — (an operator clears it) |
 * | `ORRERY_LLM_QUOTA_EXHAUSTED` (the provider said so; it is now disabled) | 503 | — |
 * | `ORRERY_LLM_TRUNCATED` (the answer hit its token cap) | 422 | — |
 * | `ORRERY_LLM_BUDGET_EXCEEDED`, global hour (`calls`/`tokens`) | 429 | 60 s |
 * | `ORRERY_LLM_BUDGET_EXCEEDED`, chain (`chain`/`cost`) | 402 | — (the chain's cap is final) |
 * | `ORRERY_LLM_RESPONSE_FORMAT` (answer not JSON / not matching `answerSchema`) | 422 | — |
 * | `ORRERY_LLM_POLICY` (no allowed candidate for the task) | 403 | — |
 * | `ORRERY_LLM_INVALID_REQUEST` | 400 | — |
 * | `ORRERY_LLM_CALL_LIMIT` | 429 | — |
 * | `ORRERY_LLM_TIMEOUT` | 504 | — |
 * | `ORRERY_LLM_PROVIDER` (5xx, connection refused, odd body) | 502 | — |
 * | `ORRERY_LLM_CONFIG` | 500 | — |
 *
 * @param now the gateway clock's now (epoch ms), for cooldown waits.
 */
export function llmFailureStatus(err: LLMError, now: number): LlmFailureStatus {
  const until = (t: number) => Math.max(1, Math.ceil((t - now) / 1000));
  switch (err.code) {
    case LLMErrorCode.RATE_LIMITED: {
      const e = err as LLMRateLimitedError;
      const cooldownUntil = e instanceof LLMRateLimitedError ? e.cooldownUntil : now;
      return { status: 429, retryAfterS: until(cooldownUntil), details: { cooldownUntil } };
    }
    case LLMErrorCode.COOLING_DOWN: {
      const t = err instanceof ProviderCoolingDownError ? err.until : now;
      const reason = err instanceof ProviderCoolingDownError ? err.reason : 'rate_limited';
      // A disabled provider (quota exhausted) waits for an operator: no Retry-After.
      return Number.isFinite(t)
        ? { status: 429, retryAfterS: until(t), details: { cooldownUntil: t, reason } }
        : { status: 503, retryAfterS: undefined, details: { cooldownUntil: null, reason } };
    }
    case LLMErrorCode.QUOTA_EXHAUSTED:
      return { status: 503, retryAfterS: undefined, details: {} };
    case LLMErrorCode.TRUNCATED:
      return { status: 422, retryAfterS: undefined, details: {} };
    case LLMErrorCode.IN_FLIGHT:
      return { status: 500, retryAfterS: undefined, details: {} };
    case LLMErrorCode.BUDGET_EXCEEDED: {
      const budget = err instanceof LLMBudgetExceededError ? err.budget : 'calls';
      return budget === 'chain' || budget === 'cost'
        ? { status: 402, retryAfterS: undefined, details: { budget } }
        : { status: 429, retryAfterS: BUDGET_RETRY_AFTER_S, details: { budget } };
    }
    case LLMErrorCode.RESPONSE_FORMAT: {
      const issues =
        err instanceof LLMResponseFormatError
          ? err.issues.slice(0, 20).map((i) => ({ path: i.path.map(String).join('.'), message: i.message }))
          : [];
      return { status: 422, retryAfterS: undefined, details: { issues } };
    }
    case LLMErrorCode.POLICY:
      return { status: 403, retryAfterS: undefined, details: {} };
    case LLMErrorCode.INVALID_REQUEST:
      return {
        status: 400,
        retryAfterS: undefined,
        details: err instanceof LLMRequestError ? { path: err.field } : {},
      };
    case LLMErrorCode.CALL_LIMIT:
      return { status: 429, retryAfterS: undefined, details: {} };
    case LLMErrorCode.TIMEOUT:
      return { status: 504, retryAfterS: undefined, details: {} };
    case LLMErrorCode.PROVIDER:
      return { status: 502, retryAfterS: undefined, details: {} };
    case LLMErrorCode.CONFIG:
      return { status: 500, retryAfterS: undefined, details: {} };
    case LLMErrorCode.RECORDING_MISSING:
      return { status: 503, retryAfterS: undefined, details: {} };
    case LLMErrorCode.CACHE_MISS:
      return { status: 404, retryAfterS: undefined, details: {} };
    default: {
      const never: never = err.code;
      return { status: 500, retryAfterS: undefined, details: { unknown: String(never) } };
    }
  }
}

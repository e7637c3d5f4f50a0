import { type ErrorJSON, OrreryError } from '@orrery/errors';

/**
 * Every failure of the gateway is an {@link LLMError} with a stable `code` that callers can switch on.
 * The provider's own failure travels as `cause`.
 */
export const LLMErrorCode = {
  RATE_LIMITED: 'ORRERY_LLM_RATE_LIMITED',
  COOLING_DOWN: 'ORRERY_LLM_COOLING_DOWN',
  BUDGET_EXCEEDED: 'ORRERY_LLM_BUDGET_EXCEEDED',
  TIMEOUT: 'ORRERY_LLM_TIMEOUT',
  RESPONSE_FORMAT: 'ORRERY_LLM_RESPONSE_FORMAT',
  POLICY: 'ORRERY_LLM_POLICY',
  PROVIDER: 'ORRERY_LLM_PROVIDER',
  CONFIG: 'ORRERY_LLM_CONFIG',
  CALL_LIMIT: 'ORRERY_LLM_CALL_LIMIT',
  INVALID_REQUEST: 'ORRERY_LLM_INVALID_REQUEST',
  RECORDING_MISSING: 'ORRERY_LLM_RECORDING_MISSING',
  /** The answer hit its token cap (`finish_reason: "length"`, `stop_reason: "max_tokens"`). */
  TRUNCATED: 'ORRERY_LLM_TRUNCATED',
  /** The provider said its quota or billing is exhausted; it is disabled until an operator clears it. */
  QUOTA_EXHAUSTED: 'ORRERY_LLM_QUOTA_EXHAUSTED',
  /** A ledger row of a call that never finished (the process died during it). */
  IN_FLIGHT: 'ORRERY_LLM_IN_FLIGHT',
  /** A cache-only lookup (`cache.only`) found no usable entry; no call was made: make the call. */
  CACHE_MISS: 'ORRERY_LLM_CACHE_MISS',
} as const;

/** Tokens and USD a failed provider call still used (the provider's usage, or the reservation). */
export interface LLMCallUsage {
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** One of {@link LLMErrorCode}'s values. */
export type LLMErrorCode = (typeof LLMErrorCode)[keyof typeof LLMErrorCode];

/** Base of every gateway error. `instanceof` works across duplicate copies of the package. */
export class LLMError extends OrreryError<LLMErrorCode> {
  static override readonly brand: string = 'orrery.core.LLMError';
  /** Provider name, when the failure concerns one. */
  readonly provider: string | undefined;
  /** Model name, when the failure concerns one. */
  readonly model: string | undefined;
  /**
   * Set by the gateway when a provider call was made: what it used (a failed or badly formatted answer
   * is paid for too). `undefined` when no call was made.
   */
  usage: LLMCallUsage | undefined;

  constructor(
    code: LLMErrorCode,
    message: string,
    options: ErrorOptions & { provider?: string | undefined; model?: string | undefined } = {},
  ) {
    super(code, message, options);
    this.provider = options.provider;
    this.model = options.model;
    this.usage = undefined;
  }

  /** A plain, secret-free description for ledgers, logs and `LLMResponse.error` (causes are scrubbed). */
  override toJSON(): ErrorJSON<LLMErrorCode> & { provider?: string; model?: string } {
    return {
      ...super.toJSON(),
      ...(this.provider === undefined ? {} : { provider: this.provider }),
      ...(this.model === undefined ? {} : { model: this.model }),
    };
  }
}

type Target = { provider?: string | undefined; model?: string | undefined };

/** The provider answered 429. The pair is now cooling down; nothing was retried. */
export class LLMRateLimitedError extends LLMError {
  /** The provider's `Retry-After`, in milliseconds, when it sent one. */
  readonly retryAfterMs: number | undefined;
  /** When the pair may be called again (epoch ms). */
  readonly cooldownUntil: number;

  constructor(
    message: string,
    opts: Target & ErrorOptions & { retryAfterMs?: number | undefined; cooldownUntil: number },
  ) {
    super(LLMErrorCode.RATE_LIMITED, message, opts);
    this.name = 'LLMRateLimitedError';
    this.retryAfterMs = opts.retryAfterMs;
    this.cooldownUntil = opts.cooldownUntil;
  }
}

/**
 * The provider+model pair is not called now — cooling after a 429/529, its circuit breaker open, or its
 * provider disabled (quota exhausted) — and no call was made.
 */
export class ProviderCoolingDownError extends LLMError {
  /** When the pair may be called again (epoch ms; `Infinity` until an operator clears it). */
  readonly until: number;
  /** What blocks it (default `rate_limited`). */
  readonly reason: 'rate_limited' | 'overloaded' | 'breaker_open' | 'breaker_probe' | 'disabled';

  constructor(
    message: string,
    opts: Target &
      ErrorOptions & {
        until: number;
        reason?: 'rate_limited' | 'overloaded' | 'breaker_open' | 'breaker_probe' | 'disabled';
      },
  ) {
    super(LLMErrorCode.COOLING_DOWN, message, opts);
    this.name = 'ProviderCoolingDownError';
    this.until = opts.until;
    this.reason = opts.reason ?? 'rate_limited';
  }
}

/** The answer stopped at its token cap (`finish_reason: "length"` / `stop_reason: "max_tokens"`). */
export class LLMTruncatedError extends LLMError {
  /** The cut answer (truncated to 2,000 characters). */
  readonly raw: string;
  /** The answer cap that was hit. */
  readonly maxTokens: number;

  constructor(message: string, opts: Target & ErrorOptions & { raw: string; maxTokens: number }) {
    super(LLMErrorCode.TRUNCATED, message, opts);
    this.name = 'LLMTruncatedError';
    this.raw = opts.raw.slice(0, 2000);
    this.maxTokens = opts.maxTokens;
  }
}

/** The provider's quota or billing is exhausted (OpenAI `insufficient_quota`); it is now disabled. */
export class LLMQuotaExhaustedError extends LLMError {
  /** The provider's error code or type (e.g. `insufficient_quota`). */
  readonly providerCode: string;

  constructor(message: string, opts: Target & ErrorOptions & { providerCode: string }) {
    super(LLMErrorCode.QUOTA_EXHAUSTED, message, opts);
    this.name = 'LLMQuotaExhaustedError';
    this.providerCode = opts.providerCode;
  }
}

/** A budget (the global rolling hour, or a delegation chain's cap) would be exceeded; no call was made. */
export class LLMBudgetExceededError extends LLMError {
  /** Which budget refused: `calls`, `tokens`, `cost` or `chain`. */
  readonly budget: 'calls' | 'tokens' | 'cost' | 'chain';

  constructor(
    message: string,
    opts: Target & ErrorOptions & { budget: 'calls' | 'tokens' | 'cost' | 'chain' },
  ) {
    super(LLMErrorCode.BUDGET_EXCEEDED, message, opts);
    this.name = 'LLMBudgetExceededError';
    this.budget = opts.budget;
  }
}

/** The provider did not answer within the time limit (or the caller aborted). */
export class LLMTimeoutError extends LLMError {
  readonly timeoutMs: number;

  constructor(message: string, opts: Target & ErrorOptions & { timeoutMs: number }) {
    super(LLMErrorCode.TIMEOUT, message, opts);
    this.name = 'LLMTimeoutError';
    this.timeoutMs = opts.timeoutMs;
  }
}

/** The answer was not valid JSON, or did not match the request's answer schema. */
export class LLMResponseFormatError extends LLMError {
  /** The raw text the model returned (truncated to 2,000 characters). */
  readonly raw: string;
  /** Where the answer broke the schema, e.g. `["action"]`, when known. */
  readonly issues: readonly { path: readonly PropertyKey[]; message: string }[];

  constructor(
    message: string,
    opts: Target &
      ErrorOptions & { raw: string; issues?: readonly { path: readonly PropertyKey[]; message: string }[] },
  ) {
    super(LLMErrorCode.RESPONSE_FORMAT, message, opts);
    this.name = 'LLMResponseFormatError';
    this.raw = opts.raw.slice(0, 2000);
    this.issues = opts.issues ?? [];
  }
}

/** The routing policy refused the request (e.g. a judgment task asked of the local model). */
export class LLMPolicyError extends LLMError {
  constructor(message: string, opts: Target & ErrorOptions = {}) {
    super(LLMErrorCode.POLICY, message, opts);
    this.name = 'LLMPolicyError';
  }
}

/** The provider failed (5xx, connection refused, an unexpected body). */
export class LLMProviderError extends LLMError {
  /** The HTTP status, when there was one. */
  readonly status: number | undefined;
  /** The provider's error type from its error body (`error.type`, e.g. `invalid_request_error`). */
  readonly providerType: string | undefined;
  /** The provider's error code from its error body (`error.code`, e.g. `model_not_found`). */
  readonly providerCode: string | undefined;

  constructor(
    message: string,
    opts: Target &
      ErrorOptions & {
        status?: number | undefined;
        providerType?: string | undefined;
        providerCode?: string | undefined;
      } = {},
  ) {
    super(LLMErrorCode.PROVIDER, message, opts);
    this.name = 'LLMProviderError';
    this.status = opts.status;
    this.providerType = opts.providerType;
    this.providerCode = opts.providerCode;
  }
}

/** The configuration is invalid. `path` names the offending key. */
export class LLMConfigError extends LLMError {
  readonly path: string;

  constructor(message: string, opts: ErrorOptions & { path: string }) {
    super(LLMErrorCode.CONFIG, message, opts);
    this.name = 'LLMConfigError';
    this.path = opts.path;
  }
}

/** An agent asked for more LLM calls than its per-cycle allowance (a planet: one). */
export class LLMCallLimitError extends LLMError {
  readonly agent: string;
  readonly limit: number;

  constructor(message: string, opts: ErrorOptions & { agent: string; limit: number }) {
    super(LLMErrorCode.CALL_LIMIT, message, opts);
    this.name = 'LLMCallLimitError';
    this.agent = opts.agent;
    this.limit = opts.limit;
  }
}

/** The request itself is unusable (no messages, an unknown pinned provider, a bad field); no call was made. */
export class LLMRequestError extends LLMError {
  /** The offending request field, e.g. `messages` or `target.provider`. */
  readonly field: string;

  constructor(message: string, opts: Target & ErrorOptions & { field: string }) {
    super(LLMErrorCode.INVALID_REQUEST, message, opts);
    this.name = 'LLMRequestError';
    this.field = opts.field;
  }
}

/**
 * A cache-only lookup (`LLMRequest.cache.only`) found no usable entry (absent, expired, moved past a
 * threshold, or no longer matching its schema). No provider call was made and no budget used: ask for
 * the answer with a call (a batch window puts the part into its batched call).
 */
export class LLMCacheMissError extends LLMError {
  constructor(message: string, opts: ErrorOptions = {}) {
    super(LLMErrorCode.CACHE_MISS, message, opts);
    this.name = 'LLMCacheMissError';
  }
}

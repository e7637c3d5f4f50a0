import {
  LLMBudgetExceededError,
  LLMCacheMissError,
  LLMCallLimitError,
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
} from '../errors.ts';

/**
 * A failure as recorded: enough to throw an equal error again on replay (same class, `name`, `code`,
 * message and the fields callers read, e.g. `until`, `budget`, `status`).
 */
export interface RecordedError {
  name: string;
  message: string;
  /** The `LLMError` code; absent for anything else that was thrown. */
  code?: string | undefined;
  provider?: string | undefined;
  model?: string | undefined;
  /** Subclass fields (`until`, `budget`, `timeoutMs`, `status`, `raw`, `retryAfterMs`, …). */
  fields?: Record<string, unknown> | undefined;
}

const FIELDS = [
  'until',
  'budget',
  'timeoutMs',
  'status',
  'raw',
  'retryAfterMs',
  'cooldownUntil',
  'field',
  'path',
  'agent',
  'limit',
  'reason',
  'usage',
  'maxTokens',
  'providerCode',
] as const;

/** The recordable description of a thrown value. */
export function recordError(err: unknown): RecordedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const out: RecordedError = { name: err.name, message: err.message };
  if (err instanceof LLMError) {
    out.code = err.code;
    if (err.provider !== undefined) out.provider = err.provider;
    if (err.model !== undefined) out.model = err.model;
    const fields: Record<string, unknown> = {};
    for (const f of FIELDS) {
      const v = (err as unknown as Record<string, unknown>)[f];
      if (v !== undefined) fields[f] = v;
    }
    if (Object.keys(fields).length > 0) out.fields = fields;
  }
  return out;
}

const num = (v: unknown, fallback = 0) => (typeof v === 'number' ? v : fallback);
const str = (v: unknown, fallback = '') => (typeof v === 'string' ? v : fallback);

/** Rebuilds the error a recording describes: the same `LLMError` subclass when it was one. */
export function reviveError(r: RecordedError): Error {
  const f = r.fields ?? {};
  const target = { provider: r.provider, model: r.model };
  let err: Error;
  switch (r.code) {
    case LLMErrorCode.RATE_LIMITED:
      err = new LLMRateLimitedError(r.message, {
        ...target,
        retryAfterMs: typeof f.retryAfterMs === 'number' ? f.retryAfterMs : undefined,
        cooldownUntil: num(f.cooldownUntil),
      });
      break;
    case LLMErrorCode.COOLING_DOWN:
      err = new ProviderCoolingDownError(r.message, {
        ...target,
        until: num(f.until),
        ...(typeof f.reason === 'string'
          ? {
              reason: f.reason as NonNullable<
                ConstructorParameters<typeof ProviderCoolingDownError>[1]['reason']
              >,
            }
          : {}),
      });
      break;
    case LLMErrorCode.BUDGET_EXCEEDED: {
      const b = f.budget;
      const budget = b === 'tokens' || b === 'cost' || b === 'chain' ? b : 'calls';
      err = new LLMBudgetExceededError(r.message, { ...target, budget });
      break;
    }
    case LLMErrorCode.TIMEOUT:
      err = new LLMTimeoutError(r.message, { ...target, timeoutMs: num(f.timeoutMs) });
      break;
    case LLMErrorCode.RESPONSE_FORMAT:
      err = new LLMResponseFormatError(r.message, { ...target, raw: str(f.raw) });
      break;
    case LLMErrorCode.POLICY:
      err = new LLMPolicyError(r.message, target);
      break;
    case LLMErrorCode.PROVIDER:
      err = new LLMProviderError(r.message, {
        ...target,
        status: typeof f.status === 'number' ? f.status : undefined,
      });
      break;
    case LLMErrorCode.CONFIG:
      err = new LLMConfigError(r.message, { path: str(f.path) });
      break;
    case LLMErrorCode.CALL_LIMIT:
      err = new LLMCallLimitError(r.message, { agent: str(f.agent), limit: num(f.limit) });
      break;
    case LLMErrorCode.INVALID_REQUEST:
      err = new LLMRequestError(r.message, { ...target, field: str(f.field) });
      break;
    case LLMErrorCode.TRUNCATED:
      err = new LLMTruncatedError(r.message, { ...target, raw: str(f.raw), maxTokens: num(f.maxTokens) });
      break;
    case LLMErrorCode.QUOTA_EXHAUSTED:
      err = new LLMQuotaExhaustedError(r.message, { ...target, providerCode: str(f.providerCode) });
      break;
    case LLMErrorCode.CACHE_MISS:
      err = new LLMCacheMissError(r.message);
      break;
    default:
      err =
        r.code !== undefined && isCode(r.code)
          ? new LLMError(r.code, r.message, target)
          : new Error(r.message);
  }
  err.name = r.name;
  const u = f.usage as { tokensIn?: unknown; tokensOut?: unknown; costUsd?: unknown } | undefined;
  if (err instanceof LLMError && typeof u === 'object' && u !== null)
    err.usage = { tokensIn: num(u.tokensIn), tokensOut: num(u.tokensOut), costUsd: num(u.costUsd) };
  return err;
}

function isCode(code: string): code is LLMErrorCode {
  return (Object.values(LLMErrorCode) as string[]).includes(code);
}

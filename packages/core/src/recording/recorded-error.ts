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

type Target = { provider: string | undefined; model: string | undefined };
type CoolingReason = NonNullable<ConstructorParameters<typeof ProviderCoolingDownError>[1]['reason']>;

/** How each `LLMError` subclass is rebuilt from its message, its recorded fields and its provider+model. */
const REVIVE: Partial<Record<LLMErrorCode, (m: string, f: Record<string, unknown>, t: Target) => Error>> = {
  [LLMErrorCode.RATE_LIMITED]: (m, f, t) =>
    new LLMRateLimitedError(m, {
      ...t,
      retryAfterMs: typeof f.retryAfterMs === 'number' ? f.retryAfterMs : undefined,
      cooldownUntil: num(f.cooldownUntil),
    }),
  [LLMErrorCode.COOLING_DOWN]: (m, f, t) =>
    new ProviderCoolingDownError(m, {
      ...t,
      until: num(f.until),
      ...(typeof f.reason === 'string' ? { reason: f.reason as CoolingReason } : {}),
    }),
  [LLMErrorCode.BUDGET_EXCEEDED]: (m, f, t) => {
    const b = f.budget;
    return new LLMBudgetExceededError(m, {
      ...t,
      budget: b === 'tokens' || b === 'cost' || b === 'chain' ? b : 'calls',
    });
  },
  [LLMErrorCode.TIMEOUT]: (m, f, t) => new LLMTimeoutError(m, { ...t, timeoutMs: num(f.timeoutMs) }),
  [LLMErrorCode.RESPONSE_FORMAT]: (m, f, t) => new LLMResponseFormatError(m, { ...t, raw: str(f.raw) }),
  [LLMErrorCode.POLICY]: (m, _f, t) => new LLMPolicyError(m, t),
  [LLMErrorCode.PROVIDER]: (m, f, t) =>
    new LLMProviderError(m, { ...t, status: typeof f.status === 'number' ? f.status : undefined }),
  [LLMErrorCode.CONFIG]: (m, f) => new LLMConfigError(m, { path: str(f.path) }),
  [LLMErrorCode.CALL_LIMIT]: (m, f) => new LLMCallLimitError(m, { agent: str(f.agent), limit: num(f.limit) }),
  [LLMErrorCode.INVALID_REQUEST]: (m, f, t) => new LLMRequestError(m, { ...t, field: str(f.field) }),
  [LLMErrorCode.TRUNCATED]: (m, f, t) =>
    new LLMTruncatedError(m, { ...t, raw: str(f.raw), maxTokens: num(f.maxTokens) }),
  [LLMErrorCode.QUOTA_EXHAUSTED]: (m, f, t) =>
    new LLMQuotaExhaustedError(m, { ...t, providerCode: str(f.providerCode) }),
  [LLMErrorCode.CACHE_MISS]: (m) => new LLMCacheMissError(m),
};

/** Rebuilds the error a recording describes: the same `LLMError` subclass when it was one. */
export function reviveError(r: RecordedError): Error {
  const f = r.fields ?? {};
  const target = { provider: r.provider, model: r.model };
  const code = r.code !== undefined && isCode(r.code) ? r.code : undefined;
  const revive = code === undefined ? undefined : REVIVE[code];
  const err =
    revive !== undefined
      ? revive(r.message, f, target)
      : code !== undefined
        ? new LLMError(code, r.message, target)
        : new Error(r.message);
  err.name = r.name;
  const u = f.usage as { tokensIn?: unknown; tokensOut?: unknown; costUsd?: unknown } | undefined;
  if (err instanceof LLMError && typeof u === 'object' && u !== null)
    err.usage = { tokensIn: num(u.tokensIn), tokensOut: num(u.tokensOut), costUsd: num(u.costUsd) };
  return err;
}

function isCode(code: string): code is LLMErrorCode {
  return (Object.values(LLMErrorCode) as string[]).includes(code);
}

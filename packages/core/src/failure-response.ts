import type { LLMError } from './errors.ts';
import type { LLMResponse } from './request.ts';

/** The `tryExecute` form of a typed failure: `success: false`, its code and message, what it used. */
export function failureResponse<T>(err: LLMError, latencyMs: number): LLMResponse<T> {
  return {
    text: '',
    provider: err.provider ?? '',
    model: err.model ?? '',
    latencyMs,
    tokensIn: err.usage?.tokensIn ?? 0,
    tokensOut: err.usage?.tokensOut ?? 0,
    costUsd: err.usage?.costUsd ?? 0,
    cached: false,
    success: false,
    error: { code: err.code, message: err.message },
  };
}

import { LLMBudgetExceededError, LLMError, LLMErrorCode } from '@orrery/core';
import type { FastifyReply } from 'fastify';
import { llmFailureStatus } from '../llm-status.ts';

/**
 * A failure of an OpenAI- or Anthropic-compatible route, before it is written in the wire's shape. Every
 * one carries `x-should-retry: false` (the header the official SDKs obey before their own retry rules):
 * Orrery never retries a call, and a client's retry of a refusal would only be refused again — an SDK with
 * its default retries makes one request, not three.
 */
export interface WireFailure {
  status: number;
  /** Orrery's stable code (`ORRERY_LLM_*`, `ORRERY_HTTP_*`). */
  code: string;
  message: string;
  /** What the OpenAI wire calls the failure (`error.type`, `error.code`). */
  openai: { type: string; code: string };
  /** What the Anthropic wire calls it (`error.type`). */
  anthropic: string;
  /** Seconds until waiting may help (written as `Retry-After`). */
  retryAfterS?: number | undefined;
  /** The offending request field, for a 400. */
  param?: string | undefined;
}

const BY_STATUS: Record<number, { openai: { type: string; code: string }; anthropic: string }> = {
  400: {
    openai: { type: 'invalid_request_error', code: 'invalid_request' },
    anthropic: 'invalid_request_error',
  },
  401: {
    openai: { type: 'invalid_request_error', code: 'invalid_api_key' },
    anthropic: 'authentication_error',
  },
  402: { openai: { type: 'insufficient_quota', code: 'insufficient_quota' }, anthropic: 'rate_limit_error' },
  403: { openai: { type: 'permission_error', code: 'model_not_allowed' }, anthropic: 'permission_error' },
  404: { openai: { type: 'invalid_request_error', code: 'model_not_found' }, anthropic: 'not_found_error' },
  413: {
    openai: { type: 'invalid_request_error', code: 'request_too_large' },
    anthropic: 'request_too_large',
  },
  415: {
    openai: { type: 'invalid_request_error', code: 'invalid_request' },
    anthropic: 'invalid_request_error',
  },
  422: { openai: { type: 'invalid_response_error', code: 'response_format' }, anthropic: 'api_error' },
  429: { openai: { type: 'rate_limit_error', code: 'rate_limit_exceeded' }, anthropic: 'rate_limit_error' },
  500: { openai: { type: 'server_error', code: 'internal_error' }, anthropic: 'api_error' },
  502: { openai: { type: 'server_error', code: 'upstream_error' }, anthropic: 'api_error' },
  503: { openai: { type: 'server_error', code: 'unavailable' }, anthropic: 'overloaded_error' },
  504: { openai: { type: 'server_error', code: 'upstream_timeout' }, anthropic: 'api_error' },
};

/** A failure of the request itself (bad body, unknown model, missing key). */
export function requestFailure(status: number, code: string, message: string, param?: string): WireFailure {
  const names = BY_STATUS[status] ?? BY_STATUS[500];
  return {
    status,
    code,
    message,
    openai: names?.openai ?? { type: 'server_error', code: 'internal_error' },
    anthropic: names?.anthropic ?? 'api_error',
    param,
  };
}

/**
 * A gateway failure in wire terms: the status and `Retry-After` of `llmFailureStatus`, except that an
 * exhausted budget chain (a virtual key's cap) is a 429 `insufficient_quota` (what OpenAI answers for a
 * spent quota) rather than 402, so both SDKs raise their rate-limit error.
 */
export function gatewayFailure(err: LLMError, now: number): WireFailure {
  const s = llmFailureStatus(err, now);
  const capped =
    err.code === LLMErrorCode.BUDGET_EXCEEDED &&
    err instanceof LLMBudgetExceededError &&
    (err.budget === 'chain' || err.budget === 'cost');
  const status = capped ? 429 : s.status;
  const f = requestFailure(
    status,
    err.code,
    err.message,
    typeof s.details.path === 'string' ? s.details.path : undefined,
  );
  if (capped) f.openai = { type: 'insufficient_quota', code: 'insufficient_quota' };
  else if (err.code === LLMErrorCode.COOLING_DOWN || err.code === LLMErrorCode.RATE_LIMITED)
    f.openai = { type: 'rate_limit_error', code: 'rate_limit_exceeded' };
  else if (err.code === LLMErrorCode.BUDGET_EXCEEDED)
    f.openai = { type: 'rate_limit_error', code: 'budget_exceeded' };
  f.retryAfterS = s.retryAfterS;
  return f;
}

/** `err` as a {@link WireFailure} when it is an `LLMError`; rethrows anything else. */
export function asWireFailure(err: unknown, now: number): WireFailure {
  if (err instanceof LLMError) return gatewayFailure(err, now);
  throw err;
}

/** Sets the status and the refusal headers of `f` on `reply` (the body is the caller's). */
export function failureHeaders(reply: FastifyReply, f: WireFailure): FastifyReply {
  reply.code(f.status).header('x-should-retry', 'false');
  if (f.retryAfterS !== undefined) reply.header('retry-after', String(f.retryAfterS));
  return reply;
}

/** The OpenAI error body: `{ error: { message, type, param, code, orrery_code } }`. */
export function openaiErrorBody(f: WireFailure): Record<string, unknown> {
  return {
    error: {
      message: f.message,
      type: f.openai.type,
      param: f.param ?? null,
      code: f.openai.code,
      orrery_code: f.code,
    },
  };
}

/** The Anthropic error body: `{ type: 'error', error: { type, message, orrery_code } }`. */
export function anthropicErrorBody(f: WireFailure): Record<string, unknown> {
  return { type: 'error', error: { type: f.anthropic, message: f.message, orrery_code: f.code } };
}

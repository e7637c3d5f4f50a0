import type { LlmMiddlewareObject } from './caller.ts';
import { LLMError } from './errors.ts';
import { type CounterSnapshot, GatewayCounters } from './metrics.ts';
import type { LLMRequest, LLMResponse } from './request.ts';

/** Options of {@link metricsMiddleware}. */
export interface MetricsMiddlewareOptions {
  /**
   * Count every typed failure as a refusal for this reason instead of a failed call (a replay's
   * failures are recorded ones or missing recordings: no call failed).
   */
  refusedAs?: string | undefined;
}

/** Counters kept by {@link metricsMiddleware}, and the middleware that keeps them. */
export interface MetricsMiddleware {
  /** Put it on a gateway (`gateway.use(m.middleware)`) or a caller (`composeCaller`). */
  readonly middleware: LlmMiddlewareObject;
  /** The counters now, in the shape of `Gateway.metrics()` (without cooldowns, budget and cache size). */
  snapshot(): CounterSnapshot;
}

/**
 * Counts the requests that pass through it: each request; an answer served from a cache (or a replay)
 * as a cache hit; any other answer as a call, with its tokens, cost and latency; a typed failure by its
 * code (or as a refusal, see {@link MetricsMiddlewareOptions.refusedAs}). For a caller that is not a
 * gateway, or for a part of the traffic (one agent's, one route's).
 */
export function metricsMiddleware(options: MetricsMiddlewareOptions = {}): MetricsMiddleware {
  const counters = new GatewayCounters();
  const refusedAs = options.refusedAs;
  const execute = async <T>(
    req: LLMRequest<T>,
    next: <U>(r: LLMRequest<U>) => Promise<LLMResponse<U>>,
  ): Promise<LLMResponse<T>> => {
    counters.requests += 1;
    let res: LLMResponse<T>;
    try {
      res = await next(req);
    } catch (err) {
      if (err instanceof LLMError) {
        if (refusedAs === undefined) counters.failed(err.code);
        else counters.refused(refusedAs);
      }
      throw err;
    }
    if (res.cached) {
      counters.cacheHits += 1;
      return res;
    }
    counters.callsOk += 1;
    counters.tokensIn += res.tokensIn;
    counters.tokensOut += res.tokensOut;
    counters.costUsd += res.costUsd;
    counters.observeLatency(res.latencyMs);
    return res;
  };
  return { middleware: { name: 'metrics', execute }, snapshot: () => counters.snapshot() };
}

import type { Gateway, GatewayAdmin, LlmCaller } from '@orrery/core';

/**
 * The part of core's `Gateway` the agents use: the call (`LlmCaller`), and the two questions they ask
 * before thinking (`canServe`, `budgetStatus`). Any `Gateway` is one (with its middleware applied); a
 * service embedding a planet may pass anything with the same methods. `cachePut` is optional: without
 * it a batch window neither looks up nor stores its parts' cached answers (every part is asked), since
 * only a gateway that can store them understands a cache-only lookup (`cache.only`).
 */
export type LLMCaller = LlmCaller &
  Pick<GatewayAdmin, 'canServe' | 'budgetStatus'> &
  Partial<Pick<Gateway, 'cachePut'>>;

/** LLM spend of one agent or one cycle. */
export interface LlmUsage {
  /** Provider requests made (answers, cache hits excluded, plus 429s, timeouts and bad answers). */
  calls: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** A zeroed {@link LlmUsage}. */
export function emptyUsage(): LlmUsage {
  return { calls: 0, tokensIn: 0, tokensOut: 0, costUsd: 0 };
}

/** Adds `b` into `a` (mutates and returns `a`). */
export function addUsage(a: LlmUsage, b: Readonly<LlmUsage>): LlmUsage {
  a.calls += b.calls;
  a.tokensIn += b.tokensIn;
  a.tokensOut += b.tokensOut;
  a.costUsd += b.costUsd;
  return a;
}

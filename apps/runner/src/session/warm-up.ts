import {
  type CachePutAnswer,
  type Gateway,
  LLMBudgetExceededError,
  type LLMRequest,
  type LLMResponse,
  type LlmMiddlewareObject,
  type LlmNext,
  type LlmProbe,
  type LlmProbeAnswer,
} from '@orrery/core';

/**
 * Middleware for a resumed run's warm-up: it replays the bars the run already traded through the agents
 * to rebuild their streaming state, and that must not spend a single call. While `replaying`, the run's
 * recorded answers reply when there are some (`recorded`: the warm-up takes the decisions the run took),
 * and otherwise nothing can be served and any request is refused before a call; neither reaches the
 * rest of the chain's calls (so nothing is recorded twice). Otherwise everything passes through.
 */
export class WarmUp implements LlmMiddlewareObject {
  readonly name = 'warm-up';
  readonly #recorded: Gateway | null;
  /** True while past bars are being replayed. */
  replaying = false;

  constructor(recorded: Gateway | null = null) {
    this.#recorded = recorded;
  }

  readonly execute = <T>(req: LLMRequest<T>, next: LlmNext): Promise<LLMResponse<T>> => {
    if (!this.replaying) return next(req);
    if (this.#recorded !== null) return this.#recorded.execute(req);
    return Promise.reject(
      new LLMBudgetExceededError('replaying bars already traded: no LLM call is made', { budget: 'calls' }),
    );
  };

  /** While replaying: the recorded answer, or "cannot serve" / the live budget marked exhausted. */
  readonly probe = (p: LlmProbe, next: (p: LlmProbe) => LlmProbeAnswer): LlmProbeAnswer => {
    if (!this.replaying) return next(p);
    const recorded = this.#recorded;
    if (p.kind === 'canServe') return recorded?.canServe(p.task, { critical: p.critical }) ?? false;
    if (recorded !== null) return recorded.budgetStatus();
    const s = next(p) as ReturnType<Gateway['budgetStatus']>;
    return { ...s, remainingFraction: 0, exhausted: true };
  };

  /** Stores nothing while replaying (the lookups replay). */
  readonly cachePut = (
    req: LLMRequest<unknown>,
    answer: CachePutAnswer,
    next: (req: LLMRequest<unknown>, answer: CachePutAnswer) => boolean,
  ): boolean => (this.replaying ? false : next(req, answer));
}

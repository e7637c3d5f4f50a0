import {
  type CachePutAnswer,
  type Gateway,
  LLMBudgetExceededError,
  type LLMRequest,
  type LLMResponse,
} from '@orrery/core';

/** The part of core's `Gateway` the agents call (`@orrery/agents`' `LLMCaller`). */
export type LLMCallerLike = Pick<Gateway, 'execute' | 'canServe' | 'budgetStatus'> &
  Partial<Pick<Gateway, 'cachePut'>>;

/**
 * Forwards to the real gateway, except while `replaying`: then the run's recorded answers reply when
 * there are some (`recorded`: the warm-up takes the decisions the run took), and otherwise nothing can
 * be served and any request is refused before a call. A resumed run replays the bars it already traded
 * through the agents to rebuild their streaming state; that replay must not spend a single call.
 */
export class ReplayAwareCaller implements LLMCallerLike {
  readonly #gateway: Gateway;
  readonly #recorded: LLMCallerLike | null;
  /** True while past bars are being replayed. */
  replaying = false;

  constructor(gateway: Gateway, recorded: LLMCallerLike | null = null) {
    this.#gateway = gateway;
    this.#recorded = recorded;
  }

  execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    if (this.replaying) {
      if (this.#recorded !== null) return this.#recorded.execute(req);
      return Promise.reject(
        new LLMBudgetExceededError('replaying bars already traded: no LLM call is made', { budget: 'calls' }),
      );
    }
    return this.#gateway.execute(req);
  }

  /** Stores a batched part's answer in the gateway's cache; nothing while replaying (lookups replay). */
  cachePut(req: LLMRequest<unknown>, answer: CachePutAnswer): boolean {
    if (this.replaying) return false;
    return this.#gateway.cachePut(req, answer);
  }

  canServe(task: string, options?: { critical?: boolean }): boolean {
    if (this.replaying) return this.#recorded?.canServe(task, options) ?? false;
    return this.#gateway.canServe(task, options);
  }

  budgetStatus(): ReturnType<Gateway['budgetStatus']> {
    if (this.replaying && this.#recorded !== null) return this.#recorded.budgetStatus();
    const s = this.#gateway.budgetStatus();
    return this.replaying ? { ...s, remainingFraction: 0, exhausted: true } : s;
  }
}

import { type Gateway, LLMBudgetExceededError, type LLMRequest, type LLMResponse } from '@orrery/core';

/** The part of core's `Gateway` the agents call (`@orrery/agents`' `LLMCaller`). */
export type LLMCallerLike = Pick<Gateway, 'execute' | 'canServe' | 'budgetStatus'>;

/**
 * Forwards to the real gateway, except while `replaying`: then nothing can be served and any request is
 * refused before a call. A resumed run replays the bars it already traded through the agents to rebuild
 * their streaming state; that replay must not spend a single call.
 */
export class ReplayAwareCaller implements LLMCallerLike {
  readonly #gateway: Gateway;
  /** True while past bars are being replayed. */
  replaying = false;

  constructor(gateway: Gateway) {
    this.#gateway = gateway;
  }

  execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    if (this.replaying) {
      return Promise.reject(
        new LLMBudgetExceededError('replaying bars already traded: no LLM call is made', { budget: 'calls' }),
      );
    }
    return this.#gateway.execute(req);
  }

  canServe(task: string, options?: { critical?: boolean }): boolean {
    return !this.replaying && this.#gateway.canServe(task, options);
  }

  budgetStatus(): ReturnType<Gateway['budgetStatus']> {
    const s = this.#gateway.budgetStatus();
    return this.replaying ? { ...s, remainingFraction: 0, exhausted: true } : s;
  }
}

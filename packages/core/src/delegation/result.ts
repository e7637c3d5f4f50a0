import type { LLMResponse } from '../request.ts';

/** One model tried by a delegation, in order. */
export interface DelegationAttempt {
  provider: string;
  model: string;
  /** A provider call was made (false when the gateway refused first: cooldown, policy, budget). */
  called: boolean;
  /** Milliseconds this attempt took (≈0 for refusals). */
  latencyMs: number;
  /** Why this model did not answer; absent for the one that did. */
  error?: { code: string; message: string } | undefined;
}

/**
 * The answer to a delegation: an {@link LLMResponse} of the model that answered (or of the last one
 * tried, with `success: false` and `error`), plus the task, the throughput and every model tried.
 * `latencyMs` is the whole delegation, fallbacks included.
 */
export interface DelegationResult extends LLMResponse<never> {
  /** The task type it ran as (the ledger's `task`). */
  task: string;
  /** Answer tokens per second of the call that answered (0 when none did, or from the cache). */
  tokensPerSec: number;
  /** Every model tried, in order; the last one answered when `success`. */
  attempts: DelegationAttempt[];
}

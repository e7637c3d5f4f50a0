import { LLMCallLimitError, LLMError, LLMErrorCode, type LLMRequest, type LLMResponse } from '@orrery/core';
import { formatCallRef } from './batching/call-ref.ts';
import { emptyUsage, type LLMCaller, type LlmUsage } from './llm-caller.ts';

/**
 * A per-cycle permit to call the LLM: the runtime hands one to each agent for each cycle (a planet's
 * allows one call, the sun's one per reasoning turn). Calls past the limit throw `LLMCallLimitError`
 * without reaching the gateway, so the limit holds whatever the agent's code does.
 */
export interface CallAllowance {
  /** Who holds it (`planet:risk`, `sun`…); sent to the gateway as the request's `agent`. */
  readonly agent: string;
  readonly limit: number;
  /**
   * True for a batch window's permit (`cycleMany`): its call joins other symbols' in one request. A
   * request carrying `cache.key` is looked up on its own first (a hit never joins the batch) and its
   * part of the batched answer is stored under that key.
   */
  readonly batched?: boolean;
  /** Calls attempted through this allowance (refused ones excluded). */
  readonly used: number;
  /** What the calls cost, failed ones included (their `LLMError.usage`). */
  readonly usage: Readonly<LlmUsage>;
  /**
   * Sends one request through the gateway (the request's `agent` is set to the holder).
   * @throws LLMCallLimitError when the allowance is spent (no request is made); otherwise whatever the
   *   gateway throws.
   */
  execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>>;
  /**
   * Says the holder is done for the cycle (the runtime calls it when the agent's work ends); a batching
   * permit stops waiting for a call that will not come. Optional; a no-op for a plain permit.
   */
  release?(): void;
}

/** Errors after which a provider request was actually made (and may have cost tokens). */
const PROVIDER_REACHED: ReadonlySet<string> = new Set([
  LLMErrorCode.RATE_LIMITED,
  LLMErrorCode.TIMEOUT,
  LLMErrorCode.PROVIDER,
  LLMErrorCode.RESPONSE_FORMAT,
  LLMErrorCode.TRUNCATED,
  LLMErrorCode.QUOTA_EXHAUSTED,
]);

/**
 * Creates a {@link CallAllowance} of `limit` calls for `agent` on `gateway`. With `cycle`, each request
 * carries a `ref` naming the cycle, the agent and the call's number (`formatCallRef`), recorded in the
 * gateway's ledger.
 */
export function createCallAllowance(
  gateway: LLMCaller,
  agent: string,
  limit = 1,
  options: { cycle?: { symbol: string; time: number } | undefined } = {},
): CallAllowance {
  if (!Number.isInteger(limit) || limit < 0)
    throw new RangeError(`call allowance limit must be an integer >= 0`);
  let used = 0;
  const usage = emptyUsage();
  return {
    agent,
    limit,
    get used() {
      return used;
    },
    usage,
    async execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
      if (used >= limit) {
        throw new LLMCallLimitError(
          `${agent} already made ${used} of its ${limit} LLM call(s) this cycle; this call was refused and not sent`,
          { agent, limit },
        );
      }
      used += 1;
      const cycle = options.cycle;
      const ref =
        cycle === undefined
          ? {}
          : { ref: formatCallRef({ time: cycle.time, symbols: [cycle.symbol], agent, seq: used }) };
      try {
        const res = await gateway.execute({ ...req, agent, ...ref });
        if (!res.cached) usage.calls += 1;
        usage.tokensIn += res.tokensIn;
        usage.tokensOut += res.tokensOut;
        usage.costUsd += res.costUsd;
        return res;
      } catch (err) {
        if (err instanceof LLMError && (err.usage !== undefined || PROVIDER_REACHED.has(err.code))) {
          // A failed call is paid too (a badly formatted answer used its tokens): what the gateway says it used.
          usage.calls += 1;
          usage.tokensIn += err.usage?.tokensIn ?? 0;
          usage.tokensOut += err.usage?.tokensOut ?? 0;
          usage.costUsd += err.usage?.costUsd ?? 0;
        }
        throw err;
      }
    },
  };
}

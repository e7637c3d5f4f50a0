import type { BudgetTracker, BudgetTrackerOptions } from './budget-tracker.ts';
import type { LlmCaller, LlmMiddleware } from './caller.ts';
import type { GatewayConfig } from './config/schema.ts';
import type { CooldownState } from './cooldowns.ts';
import type { Ledger } from './ledger.ts';
import type { CounterSnapshot } from './metrics.ts';
import type { LLMRequest, LLMResponse, ModelTarget } from './request.ts';
import type { BudgetStatus } from './rolling-budget.ts';

/** A snapshot for `orrery serve`'s Prometheus endpoint and for dashboards. */
export interface GatewayMetrics extends CounterSnapshot {
  /** Pairs not called now (cooling, breaker open, provider disabled). */
  cooldownsActive: CooldownState[];
  /** The global rolling-hour budget now. */
  budget: BudgetStatus;
  /** Entries in the cache (expired ones included until swept). */
  cacheEntries: number;
}

/** What {@link Gateway.cachePut} stores: one answer and what it cost to produce (its share of a call). */
export interface CachePutAnswer {
  provider: string;
  model: string;
  /** The answer's text (JSON for a request with a schema); redacted before it is stored. */
  text: string;
  tokensIn: number;
  tokensOut: number;
}

/**
 * What operators, dashboards and the agents' mode choice read from a gateway, and the chain budgets it
 * hands out: everything except the call itself. `orrery serve`'s admin routes, `orrery cooldowns` and
 * `/metrics` need only this. `canServe` and `budgetStatus` are answered through the gateway's middleware
 * (as probes, see `LlmProbe`), so a recording or a replay sees them; the rest reads the gateway's state.
 */
export interface GatewayAdmin {
  /** The parsed configuration in use (contains API keys: do not log it). */
  readonly config: GatewayConfig;
  /** Every call, refusal and cache hit. */
  readonly ledger: Ledger;
  /** What the configuration gets silently wrong (unpriced models, a backup left off, an unset key env): log at startup. */
  readonly warnings: readonly string[];

  /** True while the pair is not called (cooling after a 429/529, breaker open, provider disabled). */
  isCoolingDown(provider: string, model: string): boolean;
  /** When the pair's cooldown ends (epoch ms), or `undefined` when it is not cooling. */
  cooldownUntil(provider: string, model: string): number | undefined;
  /**
   * The candidates a request for `task` would try now, in order: the routing rule's resolution (see
   * `RoutingPolicy`) minus pairs cooling down. Empty when nothing can serve it. Never throws.
   */
  candidatesFor(task: string): ModelTarget[];
  /** Every pair not called now (cooling, breaker open, provider disabled), soonest first. */
  cooldowns(): CooldownState[];
  /**
   * Clears a pair's cooldown and circuit breaker (`model: '*'`: everything of the provider, a quota
   * disablement included). Returns how many entries were cleared.
   */
  clearCooldown(provider: string, model: string): number;
  /**
   * Whether a request for `task` could be served now: a candidate is not cooling and the global budget
   * allows one more call (non-critical requests cannot use the reserve). Agents ask before thinking.
   */
  canServe(task: string, options?: { critical?: boolean }): boolean;
  /** The global rolling-hour budget now. */
  budgetStatus(): BudgetStatus;
  /** Counters, latency, cooldowns, budget and cache size, now. */
  metrics(): GatewayMetrics;

  /** Opens a root delegation-chain budget, registered so that {@link chain} finds it (and its children) by id. */
  openChain(options: Omit<BudgetTrackerOptions, 'name'> & { name?: string }): BudgetTracker;
  /** The registered chain tracker (root or descendant) with this id. */
  chain(id: string): BudgetTracker | undefined;
  /** Forgets a root chain (its trackers keep working for whoever holds them). */
  closeChain(id: string): boolean;

  /** Lets calls in flight finish, then closes the connection pools and the database. Idempotent. */
  close(): Promise<void>;
}

/**
 * The one door every LLM call goes through: routing, policy, cache, chain budget, global budget,
 * cooldowns, the provider call (never retried), answer validation, ledger. It is an {@link LlmCaller}
 * (the call) and a {@link GatewayAdmin} (the rest), and takes middleware with {@link Gateway.use}:
 * recording, replay, audit and metrics are middleware around the one call path.
 */
export interface Gateway extends LlmCaller, GatewayAdmin {
  /**
   * Answers a request, or throws a typed `LLMError`: `LLMRequestError` (bad request), `LLMPolicyError`
   * (no allowed candidate, or a judgment task pinned to the local model), `ProviderCoolingDownError`
   * (no call), `LLMBudgetExceededError` (global `calls`/`tokens`, or `chain`; no call),
   * `LLMRateLimitedError` (429; the pair now cools; no retry), `LLMTimeoutError`, `LLMProviderError`,
   * `LLMResponseFormatError` (answer not JSON or not matching `schema`). Every outcome is in the ledger.
   *
   * No retries: a request makes at most one provider call per candidate, and a non-critical request at
   * most one call in total. Routing skips candidates cooling, with an open breaker or a disabled provider
   * before any call; only a critical request moves on to the next candidate after a 429 (its rule
   * allowing fallback, the budget permitting). Every provider request counts against the budgets,
   * whatever its outcome; a failed call's `LLMError.usage` says what it used. `LLMTruncatedError` and
   * `LLMQuotaExhaustedError` are failures too. The request passes through the middleware first.
   */
  execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>>;
  /**
   * Stores `answer` in the cache under `req`'s cache key (`req.cache`: its `key` or its messages, its
   * TTL and material features), as if `req` had been answered by a call: no provider call, no budget, no
   * ledger row (the call that produced the answer has its own; a later hit gets a `cache_hit` row). A
   * batch window stores each part of a batched answer this way. Returns false (nothing stored) when `req`
   * asks for no caching, or when the gateway has no cache to write (a replay serves recorded lookups).
   */
  cachePut(req: LLMRequest<unknown>, answer: CachePutAnswer): boolean;
  /** Like {@link execute}, but an `LLMError` becomes `{ success: false, error: { code, message } }`. */
  tryExecute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>>;
  /**
   * Puts `middleware` around the gateway's call path as it is now (the first of them outermost), and
   * returns the gateway. Middleware added by a later `use` runs before what an earlier one added, as a
   * wrapper would. The chain is composed here, once, not per request.
   * @example
   * gateway.use(auditMiddleware, recordingMiddleware({ store, runId, config: gateway.config }));
   */
  use(...middleware: LlmMiddleware[]): this;
}

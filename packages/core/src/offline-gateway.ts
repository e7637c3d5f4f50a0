import { performance } from 'node:perf_hooks';
import type { BudgetTracker, BudgetTrackerOptions } from './budget-tracker.ts';
import { composeMiddleware, type LlmEndpoint, type LlmMiddleware } from './caller.ts';
import { ChainRegistry } from './chain-registry.ts';
import { type Clock, systemClock } from './clock.ts';
import { parseGatewayConfig } from './config/parse.ts';
import type { GatewayConfig } from './config/schema.ts';
import type { CooldownState } from './cooldowns.ts';
import { LLMError, LLMPolicyError } from './errors.ts';
import { failureResponse } from './failure-response.ts';
import type { CachePutAnswer, Gateway, GatewayMetrics } from './gateway.ts';
import { Ledger } from './ledger.ts';
import { type MetricsMiddleware, metricsMiddleware } from './metrics-middleware.ts';
import type { LLMRequest, LLMResponse, ModelTarget } from './request.ts';
import type { BudgetStatus } from './rolling-budget.ts';
import { openGatewayDb, type SqliteDb } from './sqlite.ts';

/** Options of {@link createOfflineGateway}. */
export interface OfflineGatewayOptions {
  /** Reported as `config` (never used to reach a provider; default: the defaults). */
  config?: GatewayConfig | undefined;
  /** Timestamps of its ledger (default: the system clock). */
  clock?: Clock | undefined;
  /** How its metrics count a typed failure (see `MetricsMiddlewareOptions.refusedAs`). */
  refusedAs?: string | undefined;
  /**
   * The middleware that answers (a replay), innermost: inside the metrics, so its answers are counted.
   * Given the gateway's ledger, to record what it serves.
   */
  answerWith?: ((ledger: Ledger) => readonly LlmMiddleware[]) | undefined;
}

/** A budget that allows nothing: what an offline gateway reports. */
export const EXHAUSTED_BUDGET: Readonly<BudgetStatus> = Object.freeze({
  callsUsed: 0,
  callsLimit: 0,
  tokensUsed: 0,
  tokensLimit: 0,
  reserveCalls: 0,
  reserveTokens: 0,
  remainingFraction: 0,
  exhausted: true,
});

/**
 * A gateway that reaches no provider: no HTTP client, nothing spent, a private in-memory ledger, no
 * cooldowns, no candidates, an exhausted budget; its metrics counted by {@link metricsMiddleware}. Only
 * its middleware can answer (a replay does, `answerWith`); a request reaching its end fails with
 * `LLMPolicyError`.
 */
export function createOfflineGateway(options: OfflineGatewayOptions = {}): Gateway {
  return new OfflineGateway(options);
}

class OfflineGateway implements Gateway {
  readonly config: GatewayConfig;
  readonly ledger: Ledger;
  /** Nothing: an offline gateway's configuration is not the one that runs. */
  readonly warnings: readonly string[] = [];
  readonly #db: SqliteDb;
  readonly #metrics: MetricsMiddleware;
  readonly #chains = new ChainRegistry();
  #closed = false;
  #chain: LlmEndpoint;

  constructor(o: OfflineGatewayOptions) {
    const clock = o.clock ?? systemClock;
    this.config = o.config ?? parseGatewayConfig({}, {});
    this.#db = openGatewayDb(':memory:');
    this.ledger = new Ledger(this.#db, this.config.ledger.referenceModel, () => clock.now());
    this.#metrics = metricsMiddleware({ refusedAs: o.refusedAs });
    const end: LlmEndpoint = {
      execute: (req) =>
        Promise.reject(
          this.#closed
            ? new Error('Gateway is closed')
            : new LLMPolicyError(`task ${req.task}: an offline gateway reaches no provider; no call made`),
        ),
      probe: (p) => (p.kind === 'canServe' ? false : { ...EXHAUSTED_BUDGET }),
      cachePut: () => false,
    };
    this.#chain = composeMiddleware([this.#metrics.middleware, ...(o.answerWith?.(this.ledger) ?? [])], end);
  }

  use(...middleware: LlmMiddleware[]): this {
    this.#chain = composeMiddleware(middleware, this.#chain);
    return this;
  }

  execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    if (this.#closed) return Promise.reject(new Error('Gateway is closed'));
    return this.#chain.execute(req);
  }

  async tryExecute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    const started = performance.now();
    try {
      return await this.execute(req);
    } catch (err) {
      if (!(err instanceof LLMError)) throw err;
      return failureResponse(err, performance.now() - started);
    }
  }

  cachePut(req: LLMRequest<unknown>, answer: CachePutAnswer): boolean {
    return this.#chain.cachePut(req, answer);
  }

  canServe(task: string, options: { critical?: boolean } = {}): boolean {
    return this.#chain.probe({ kind: 'canServe', task, critical: options.critical === true }) === true;
  }

  budgetStatus(): BudgetStatus {
    return this.#chain.probe({ kind: 'budgetStatus' }) as BudgetStatus;
  }

  /** Never cooling: nothing is ever called. */
  isCoolingDown(): boolean {
    return false;
  }

  cooldownUntil(): number | undefined {
    return undefined;
  }

  /** None: nothing is ever called. */
  cooldowns(): CooldownState[] {
    return [];
  }

  clearCooldown(): number {
    return 0;
  }

  /** Empty: no provider can be reached. */
  candidatesFor(): ModelTarget[] {
    return [];
  }

  metrics(): GatewayMetrics {
    return {
      ...this.#metrics.snapshot(),
      cooldownsActive: [],
      budget: { ...EXHAUSTED_BUDGET },
      cacheEntries: 0,
    };
  }

  openChain(options: Omit<BudgetTrackerOptions, 'name'> & { name?: string }): BudgetTracker {
    return this.#chains.open(options);
  }

  chain(id: string): BudgetTracker | undefined {
    return this.#chains.get(id);
  }

  closeChain(id: string): boolean {
    return this.#chains.close(id);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

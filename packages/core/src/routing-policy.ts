import type { GatewayConfig, RoutingRule } from './config/schema.ts';
import { LLMPolicyError, LLMRequestError } from './errors.ts';
import type { ModelTarget } from './request.ts';

/** How much a task's answer is trusted to a model: see {@link RoutingPolicy.classify}. */
export type TaskTrust = 'trivial' | 'judgment' | 'standard';

/** A resolved candidate. */
export interface RouteCandidate extends ModelTarget {
  /** The provider is local (cost 0, never for judgment). */
  local: boolean;
  /** Chosen by the trivial-task rule (local model limits apply: `routing.trivial`). */
  trivial: boolean;
}

/** The static part of a routing decision (before cooldowns are consulted). */
export interface RoutePlan {
  task: string;
  trust: TaskTrust;
  /** Candidates in order, after policy and cost filtering. */
  candidates: RouteCandidate[];
  /** May a request move past the first candidate (cooling at resolution, or a critical request after a 429)? */
  fallback: boolean;
  /** The target was pinned by the request. */
  pinned: boolean;
}

/** USD per 1k tokens. */
export interface Price {
  inputPer1k: number;
  outputPer1k: number;
  /** Prompt tokens read from the provider's cache (default `inputPer1k`). */
  cachedInputPer1k?: number | undefined;
  /** Prompt tokens written to the provider's cache (default `inputPer1k`). */
  cacheWritePer1k?: number | undefined;
}

/**
 * Declarative routing (feature request FR-2: routing lives in the gateway, not in each consumer).
 *
 * Resolution of a task, in order:
 * 1. A pinned `target` is the only candidate (no fallback). A judgment task pinned to a local provider is
 *    refused with `LLMPolicyError`; an unknown provider is an `LLMRequestError`.
 * 2. Trivial tasks (`routing.trivialTasks`, or `trust: 'trivial'`) go first to the local model
 *    (`trivialTaskProvider`/`trivialTaskModel`) when `routing.trivial.enabled`.
 * 3. Then the task's rule (`routing.rules[task]`, else `routing.default`): its `prefer` list in order,
 *    minus local providers for judgment tasks (`routing.judgmentTasks`, or `trust: 'judgment'`), minus
 *    candidates over `maxCostPer1k` (a candidate is over cost when its input or output price per 1k
 *    exceeds it; an unpriced paid model counts as over cost).
 * 4. A backup task (`routing.backups`, e.g. `sun_reasoning_backup` → `sun_reasoning`) drops every
 *    candidate its primary task may use: the same model again would be a retry in disguise.
 * 5. With `fallback: false` only the first remaining candidate is kept.
 * The gateway then skips candidates cooling down (see {@link RoutingPolicy.candidatesFor}).
 */
export class RoutingPolicy {
  readonly #config: GatewayConfig;
  readonly #trivial: Set<string>;
  readonly #judgment: Set<string>;
  readonly #plans = new Map<string, RoutePlan>();

  constructor(config: GatewayConfig) {
    this.#config = config;
    this.#trivial = new Set(config.routing.trivialTasks);
    this.#judgment = new Set(config.routing.judgmentTasks);
  }

  /** `judgment` (never local), `trivial` (local when enabled) or `standard` (as its rule says). */
  classify(task: string): TaskTrust {
    const trust = this.#config.routing.rules[task]?.trust;
    if (trust !== undefined) return trust;
    if (this.#judgment.has(task)) return 'judgment';
    if (this.#trivial.has(task)) return 'trivial';
    return 'standard';
  }

  /** The rule a task uses. */
  ruleFor(task: string): RoutingRule {
    return this.#config.routing.rules[task] ?? this.#config.routing.default;
  }

  /** True for providers marked `local`, and for the trivial-task provider. */
  isLocal(provider: string): boolean {
    return (
      provider === this.#config.routing.trivialTaskProvider ||
      this.#config.providers[provider]?.local === true
    );
  }

  /** The price of a pair: 0 for local providers, the `prices` entry otherwise, `undefined` when unpriced. */
  priceOf(provider: string, model: string): Price | undefined {
    if (this.isLocal(provider)) return { inputPer1k: 0, outputPer1k: 0 };
    return this.#config.prices[`${provider}/${model}`];
  }

  /** The static route for a task (memoised when not pinned). Throws `LLMPolicyError`, `LLMRequestError`. */
  plan(task: string, target?: ModelTarget): RoutePlan {
    const trust = this.classify(task);
    if (target !== undefined) return this.#pinned(task, trust, target);
    const cached = this.#plans.get(task);
    if (cached !== undefined) return cached;

    const r = this.#config.routing;
    const rule = this.ruleFor(task);
    const candidates: RouteCandidate[] = [];
    const add = (c: RouteCandidate) => {
      if (!candidates.some((x) => x.provider === c.provider && x.model === c.model)) candidates.push(c);
    };
    if (trust === 'trivial' && r.trivial.enabled) {
      add({ provider: r.trivialTaskProvider, model: r.trivialTaskModel, local: true, trivial: true });
    }
    for (const t of rule.prefer) {
      const local = this.isLocal(t.provider);
      if (trust === 'judgment' && local) continue;
      if (rule.maxCostPer1k !== undefined && this.#overCost(t.provider, t.model, rule.maxCostPer1k)) continue;
      add({ provider: t.provider, model: t.model, local, trivial: false });
    }
    const primary = r.backups[task];
    if (primary !== undefined && primary !== task && r.backups[primary] === undefined) {
      const taken = this.plan(primary).candidates;
      for (let i = candidates.length - 1; i >= 0; i--) {
        const c = candidates[i] as RouteCandidate;
        if (taken.some((x) => x.provider === c.provider && x.model === c.model)) candidates.splice(i, 1);
      }
    }
    const plan: RoutePlan = {
      task,
      trust,
      candidates: rule.fallback ? candidates : candidates.slice(0, 1),
      fallback: rule.fallback,
      pinned: false,
    };
    this.#plans.set(task, plan);
    return plan;
  }

  #pinned(task: string, trust: TaskTrust, target: ModelTarget): RoutePlan {
    if (!(target.provider in this.#config.providers)) {
      throw new LLMRequestError(
        `task ${task}: unknown provider "${target.provider}" in target; no call made`,
        {
          ...target,
          field: 'target.provider',
        },
      );
    }
    const local = this.isLocal(target.provider);
    if (trust === 'judgment' && local) {
      throw new LLMPolicyError(
        `task ${task} is a judgment task and may not run on the local model ${target.provider}/${target.model}; no call made`,
        target,
      );
    }
    return {
      task,
      trust,
      candidates: [{ provider: target.provider, model: target.model, local, trivial: false }],
      fallback: false,
      pinned: true,
    };
  }

  #overCost(provider: string, model: string, cap: number): boolean {
    const price = this.priceOf(provider, model);
    return price === undefined || price.inputPer1k > cap || price.outputPer1k > cap;
  }
}

import { performance } from 'node:perf_hooks';
import type { BudgetTracker, BudgetTrackerOptions, ChainReservation } from './budget-tracker.ts';
import { ResponseCache, requestCacheKey } from './cache.ts';
import {
  composeMiddleware,
  type LlmEndpoint,
  type LlmMiddleware,
  type LlmProbe,
  type LlmProbeAnswer,
} from './caller.ts';
import { ChainRegistry } from './chain-registry.ts';
import { type Clock, systemClock } from './clock.ts';
import { isParsedGatewayConfig, parseGatewayConfig } from './config/parse.ts';
import type { GatewayConfig, GatewayConfigInput } from './config/schema.ts';
import { type CooldownState, Cooldowns } from './cooldowns.ts';
import {
  LLMBudgetExceededError,
  LLMCacheMissError,
  LLMError,
  LLMPolicyError,
  LLMProviderError,
  LLMQuotaExhaustedError,
  LLMRateLimitedError,
  LLMRequestError,
  LLMTimeoutError,
  LLMTruncatedError,
  ProviderCoolingDownError,
} from './errors.ts';
import { estimateTokens } from './estimate.ts';
import { failureResponse } from './failure-response.ts';
import type { CachePutAnswer, Gateway, GatewayMetrics } from './gateway.ts';
import { parseJsonAnswer } from './json-answer.ts';
import { Ledger, type LedgerEntry, type RefusalReason } from './ledger.ts';
import { GatewayCounters } from './metrics.ts';
import { HttpPools } from './providers/http-pool.ts';
import { type ChatProvider, type ProviderAnswer, withJsonHint } from './providers/provider.ts';
import { buildProviders, type ProviderFactory } from './providers/registry.ts';
import { wireSchemaOf } from './providers/wire-schema.ts';
import type { LLMRequest, LLMResponse, ModelTarget } from './request.ts';
import { type BudgetReservation, type BudgetStatus, RollingBudget } from './rolling-budget.ts';
import { type RouteCandidate, type RoutePlan, RoutingPolicy } from './routing-policy.ts';
import { gatewaySecrets, type Redact, secretRedactor } from './secret-redactor.ts';
import { openGatewayDb, type SqliteDb } from './sqlite.ts';
import { gatewayWarnings } from './warnings.ts';
import { WriteBehind } from './write-behind.ts';

/** Options of {@link createGateway}. */
export interface GatewayOptions {
  /** SQLite file for cooldowns, budget, cache and ledger (default `':memory:'`: nothing survives a restart). */
  dbPath?: string | undefined;
  /** Time source for cooldowns, budget windows, TTLs and ledger timestamps (default: the system clock). */
  clock?: Clock | undefined;
  /** Environment overrides (see `parseGatewayConfig`); only used when `config` is not parsed yet. */
  env?: Record<string, string | undefined> | undefined;
  /**
   * Applied to an answer's text before it is cached in `dbPath` (default: the providers' keys and
   * anything shaped like a credential become `[redacted]`), so no secret a model echoed is stored.
   */
  redact?: Redact | undefined;
  /**
   * Provider implementations by `kind`: a `providers` entry of that kind is built by this factory (it
   * may replace a built-in kind). The gateway holds them to the built-ins' contract: a call ends by its
   * `timeoutMs`, an answer of the wrong shape is a provider error.
   * @example
   * createGateway({ providers: { mine: { kind: 'bedrock', baseUrl } }, routing }, {
   *   providers: { bedrock: ({ name, config }) => new BedrockProvider(name, config) },
   * });
   */
  providers?: Readonly<Record<string, ProviderFactory>> | undefined;
}

/**
 * Creates the LLM gateway. `config` may be raw input (validated here) or the result of
 * `parseGatewayConfig`. Throws `LLMConfigError` for invalid configuration.
 *
 * @example
 * const gateway = createGateway({ providers: { openai: { baseUrl: server.url + '/v1' } } }, { dbPath });
 * const res = await gateway.execute({ task: 'planet_analysis', messages, schema, agent: 'planet:risk' });
 */
export function createGateway(
  config: GatewayConfigInput | GatewayConfig,
  options: GatewayOptions = {},
): Gateway {
  const parsed = isParsedGatewayConfig(config)
    ? config
    : parseGatewayConfig(config, options.env ?? {}, { providerKinds: Object.keys(options.providers ?? {}) });
  return new LLMGateway(parsed, options);
}

type Attempt<T> = { response: LLMResponse<T> } | { rateLimited: LLMError };

/** What a call to one candidate sends and reserves (see `LLMGateway.#callPlan`). */
interface CallPlan {
  provider: ChatProvider;
  maxTokens: number;
  temperature: number | undefined;
  timeoutMs: number;
  json: boolean;
  messages: LLMRequest['messages'];
  estimate: number;
  estIn: number;
  estCost: number;
  price: ReturnType<RoutingPolicy['priceOf']>;
  startedAt: number;
}

/** A call under way: its plan, its reservations, when the provider was asked. */
interface Held {
  plan: CallPlan;
  chainHold: ChainReservation | undefined;
  reservation: BudgetReservation;
  callStart: number;
}

/** The {@link Gateway} implementation. Use {@link createGateway}. */
export class LLMGateway implements Gateway {
  readonly config: GatewayConfig;
  readonly ledger: Ledger;
  readonly warnings: readonly string[];
  readonly #db: SqliteDb;
  readonly #clock: Clock;
  readonly #pools: HttpPools;
  readonly #providers: Map<string, ChatProvider>;
  readonly #policy: RoutingPolicy;
  readonly #cooldowns: Cooldowns;
  readonly #budget: RollingBudget;
  readonly #cache: ResponseCache;
  readonly #redact: Redact;
  readonly #writes: WriteBehind;
  readonly #counters = new GatewayCounters();
  readonly #chains = new ChainRegistry();
  readonly #inflight = new Set<Promise<unknown>>();
  #closed: Promise<void> | undefined;
  /** The call path: the middleware added with {@link use}, around the gateway's own doors. */
  #chain: LlmEndpoint = {
    execute: (req) => this.#tracked(req),
    probe: (p) => this.#probe(p),
    cachePut: (req, answer) => this.#cachePut(req, answer),
  };

  constructor(config: GatewayConfig, options: GatewayOptions = {}) {
    this.config = config;
    this.#clock = options.clock ?? systemClock;
    this.#redact = options.redact ?? secretRedactor(gatewaySecrets(config));
    const dbPath = options.dbPath ?? ':memory:';
    this.#db = openGatewayDb(dbPath);
    this.#writes = new WriteBehind(this.#db, { checkpoints: dbPath !== ':memory:' });
    const now = () => this.#clock.now();
    this.#pools = new HttpPools({
      connections: config.http.connections,
      keepAliveTimeoutMs: config.http.keepAliveTimeoutMs,
    });
    this.#providers = buildProviders(
      config.providers,
      (name, p) => p.local || name === config.routing.trivialTaskProvider,
      options.providers ?? {},
      this.#pools,
      now,
    );
    this.#policy = new RoutingPolicy(config);
    this.#cooldowns = new Cooldowns(this.#db, config.cooldown, config.breaker);
    this.warnings = gatewayWarnings(config);
    this.#budget = new RollingBudget(this.#db, config.budget);
    this.#cache = new ResponseCache(this.#db);
    this.ledger = new Ledger(this.#db, config.ledger.referenceModel, now, () => this.#writes.flush());
  }

  use(...middleware: LlmMiddleware[]): this {
    this.#chain = composeMiddleware(middleware, this.#chain);
    return this;
  }

  execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    return this.#chain.execute(req);
  }

  /** The gateway's own call, counted in flight so that {@link close} waits for it. */
  #tracked<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    if (this.#closed !== undefined) return Promise.reject(new Error('Gateway is closed'));
    const p = this.#execute(req);
    this.#inflight.add(p);
    const done = () => this.#inflight.delete(p);
    p.then(done, done);
    return p;
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

  async #execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    // Budget reservations are exact under concurrency: the chain's is taken synchronously, the rolling
    // budget's checks and adds inside one BEGIN IMMEDIATE transaction (see #reserve).
    const started = performance.now();
    this.#counters.requests += 1;
    const plan = this.#admit(req);

    const key = requestCacheKey(req);
    if (key !== undefined) {
      const hit = this.#fromCache(req, key, started);
      if (hit !== undefined) return hit;
      if (req.cache?.only === true)
        throw new LLMCacheMissError(`task ${req.task}: no usable cached answer; no call made (cache.only)`);
    }

    const critical = req.critical === true;
    let i = this.#firstAvailable(req, plan);
    for (;;) {
      const attempt = await this.#attempt(req, plan.candidates[i] as RouteCandidate, started, key);
      if ('response' in attempt) return attempt.response;
      // A 429. No retry of the same pair; only a critical request may move on to the next candidate
      // that is not cooling, and only when its rule allows fallback.
      const next = critical && plan.fallback ? this.#nextAvailable(plan, i + 1) : -1;
      if (next < 0) throw attempt.rateLimited;
      i = next;
    }
  }

  /** Validates the request and resolves its static route; records refusals. */
  #admit<T>(req: LLMRequest<T>): RoutePlan {
    try {
      if (typeof req.task !== 'string' || req.task.trim() === '') {
        throw new LLMRequestError('request has no task; no call made', { field: 'task' });
      }
      if (!Array.isArray(req.messages) || req.messages.length === 0) {
        throw new LLMRequestError(`task ${req.task}: request has no messages; no call made`, {
          field: 'messages',
        });
      }
      for (const [i, m] of req.messages.entries()) {
        if (
          typeof m !== 'object' ||
          m === null ||
          typeof m.content !== 'string' ||
          (m.role !== 'system' && m.role !== 'user' && m.role !== 'assistant')
        ) {
          throw new LLMRequestError(
            `task ${req.task}: messages[${i}] needs role system|user|assistant and string content; no call made`,
            { field: `messages.${i}` },
          );
        }
      }
      if (req.timeoutMs !== undefined && !(Number.isFinite(req.timeoutMs) && req.timeoutMs > 0)) {
        throw new LLMRequestError(`task ${req.task}: timeoutMs must be a positive number; no call made`, {
          field: 'timeoutMs',
        });
      }
      if (req.maxTokens !== undefined && !(Number.isInteger(req.maxTokens) && req.maxTokens > 0)) {
        throw new LLMRequestError(`task ${req.task}: maxTokens must be a positive integer; no call made`, {
          field: 'maxTokens',
        });
      }
      const plan = this.#policy.plan(req.task, req.target);
      if (plan.candidates.length === 0) {
        throw new LLMPolicyError(
          `task ${req.task}: no allowed candidate (routing rule empty, over its cost cap, or local-only for a judgment task); no call made`,
        );
      }
      return plan;
    } catch (err) {
      if (err instanceof LLMError) {
        this.#refuse(req, err, err instanceof LLMRequestError ? 'invalid_request' : 'policy', undefined);
      }
      throw err;
    }
  }

  /**
   * Index of the first candidate at or after `from` that may be called (not cooling, breaker not open,
   * provider not disabled), or -1. The chosen one claims a half-open breaker's probe.
   */
  #nextAvailable(plan: RoutePlan, from: number): number {
    const now = this.#clock.now();
    for (let i = from; i < plan.candidates.length; i++) {
      const c = plan.candidates[i] as RouteCandidate;
      let b = this.#cooldowns.blocked(c.provider, c.model, now, true);
      if (b?.reason === 'breaker_probe') {
        // The probe may have succeeded already, its reset still queued.
        this.#writes.flush();
        b = this.#cooldowns.blocked(c.provider, c.model, now, true);
      }
      if (b === undefined) return i;
    }
    return -1;
  }

  /**
   * Index of the first candidate that may be called. When none may, records the refusal and throws
   * `ProviderCoolingDownError` naming the one that frees up first (and why it is blocked).
   */
  #firstAvailable<T>(req: LLMRequest<T>, plan: RoutePlan): number {
    const i = this.#nextAvailable(plan, 0);
    if (i >= 0) return i;
    const now = this.#clock.now();
    let earliest: { c: RouteCandidate; b: NonNullable<ReturnType<Cooldowns['blocked']>> } | undefined;
    for (const c of plan.candidates) {
      const b = this.#cooldowns.blocked(c.provider, c.model, now) ?? {
        until: now,
        reason: 'rate_limited' as const,
      };
      if (earliest === undefined || b.until < earliest.b.until) earliest = { c, b };
    }
    const { c, b } = earliest as NonNullable<typeof earliest>;
    const others = plan.candidates.length > 1 ? ' (and every other candidate too)' : '';
    const err = new ProviderCoolingDownError(`${blockedText(c, b)}${others}; no call made`, {
      provider: c.provider,
      model: c.model,
      until: b.until,
      reason: b.reason,
    });
    this.#refuse(req, err, 'cooldown', c);
    throw err;
  }

  /** One provider call for one candidate: reserve (with its ledger row), call, settle, record. */
  async #attempt<T>(
    req: LLMRequest<T>,
    c: RouteCandidate,
    started: number,
    key: string | undefined,
  ): Promise<Attempt<T>> {
    const p = this.#callPlan(req, c);
    const { provider, maxTokens, estIn, price } = p;
    const { chainHold, reservation } = await this.#reserve(
      req,
      c,
      {
        at: p.startedAt,
        task: req.task,
        mode: req.mode,
        agent: req.agent,
        chain: req.budget?.id,
        ref: typeof req.ref === 'string' ? req.ref : undefined,
        provider: c.provider,
        model: c.model,
        critical: req.critical === true,
        tokensIn: estIn,
        tokensOut: maxTokens,
        costUsd: price === undefined ? 0 : (estIn * price.inputPer1k + maxTokens * price.outputPer1k) / 1000,
      },
      p.estimate,
      p.estCost,
    );
    const held: Held = { plan: p, chainHold, reservation, callStart: performance.now() };
    let answer: ProviderAnswer;
    try {
      answer = await provider.complete({
        model: c.model,
        messages: p.messages,
        maxTokens,
        temperature: p.temperature,
        json: p.json,
        schema: p.json && provider.jsonHint ? wireSchemaOf(req.schema, req.task) : undefined,
        timeoutMs: p.timeoutMs,
        signal: req.signal,
        onText: p.json ? undefined : req.onText,
      });
    } catch (err) {
      throw this.#providerFailed(req, c, held, err);
    }
    const latencyMs = performance.now() - held.callStart;
    this.#counters.observeLatency(latencyMs);
    if (answer.type === 'rate_limited') return { rateLimited: this.#rateLimited(c, held, answer, latencyMs) };
    return { response: this.#answered(req, c, held, answer, latencyMs, started, key) };
  }

  /** What a call to candidate `c` sends and reserves: caps, time limit, messages, estimate, price. */
  #callPlan<T>(req: LLMRequest<T>, c: RouteCandidate): CallPlan {
    const providerCfg = this.config.providers[c.provider];
    const provider = this.#providers.get(c.provider);
    if (providerCfg === undefined || provider === undefined) {
      throw new LLMRequestError(`unknown provider ${c.provider}`, { ...c, field: 'target.provider' });
    }
    const trivial = this.config.routing.trivial;
    const maxTokens = c.trivial
      ? Math.min(req.maxTokens ?? trivial.maxTokens, trivial.maxTokens)
      : (req.maxTokens ?? this.config.request.maxTokens);
    const json = req.schema !== undefined;
    // The messages exactly as the provider receives them, so the estimate counts the JSON hint too.
    const messages = json && provider.jsonHint ? withJsonHint(req.messages) : req.messages;
    const estimate = estimateTokens(messages, maxTokens);
    const price = this.#policy.priceOf(c.provider, c.model);
    return {
      provider,
      maxTokens,
      temperature: c.trivial ? trivial.temperature : (req.temperature ?? this.config.request.temperature),
      timeoutMs: req.timeoutMs ?? (c.trivial ? trivial.timeoutMs : providerCfg.timeoutMs),
      json,
      messages,
      estimate,
      estIn: estimate - maxTokens,
      estCost: price === undefined ? 0 : (estimate * Math.max(price.inputPer1k, price.outputPer1k)) / 1000,
      price,
      startedAt: this.#clock.now(),
    };
  }

  /**
   * Books a provider call that threw (timeout, unreachable, HTTP error status): the chain keeps its
   * reservation, the usage is the reservation when it may have been billed, a server failure or a
   * timeout feeds the breaker. Returns the error to throw.
   */
  #providerFailed<T>(req: LLMRequest<T>, c: RouteCandidate, held: Held, err: unknown): unknown {
    const { plan, reservation } = held;
    const latencyMs = performance.now() - held.callStart;
    this.#counters.observeLatency(latencyMs);
    // Every request counts: the budgets keep the reservation (no usage was reported).
    held.chainHold?.settle(plan.estimate, plan.estCost);
    if (!(err instanceof LLMError)) {
      this.#callFailed(reservation, new LLMProviderError(String(err), c), latencyMs, 0, 0, 0);
      return err;
    }
    const timedOut = err instanceof LLMTimeoutError;
    // A caller's abort counts only when it was a deadline (the provider kept it hanging), not a cancel.
    const aborted = req.signal?.aborted === true && !isDeadline(req.signal.reason);
    // An HTTP error status is not billed; a timeout or a lost connection may have been: the reservation.
    const billed = timedOut || (err instanceof LLMProviderError && err.status === undefined);
    const { estIn, maxTokens, price } = plan;
    const usage = billed
      ? {
          tokensIn: estIn,
          tokensOut: maxTokens,
          costUsd:
            price === undefined ? 0 : (estIn * price.inputPer1k + maxTokens * price.outputPer1k) / 1000,
        }
      : { tokensIn: 0, tokensOut: 0, costUsd: 0 };
    err.usage = usage;
    if (!aborted && (timedOut || !(err instanceof LLMProviderError) || isServerFailure(err.status))) {
      const now = this.#clock.now();
      this.#writes.flush();
      const openUntil = this.#cooldowns.failed(c.provider, c.model, now, timedOut ? 'timeout' : 'failure');
      if (openUntil !== undefined) this.#counters.breakerOpened += 1;
    }
    this.#callFailed(reservation, err, latencyMs, usage.tokensIn, usage.tokensOut, usage.costUsd);
    return err;
  }

  /** Books a 429/529 answer: a cooldown (or the provider disabled, quota exhausted); the error to report. */
  #rateLimited(
    c: RouteCandidate,
    held: Held,
    answer: Extract<ProviderAnswer, { type: 'rate_limited' }>,
    latencyMs: number,
  ): LLMError {
    held.chainHold?.settle(held.plan.estimate, held.plan.estCost);
    const now = this.#clock.now();
    this.#writes.flush(); // a success's strike reset may still be queued
    let err: LLMError;
    if (answer.quota !== undefined) {
      const note = `${answer.quota}${answer.message === undefined ? '' : `: ${answer.message}`}`;
      this.#cooldowns.disable(c.provider, note);
      err = new LLMQuotaExhaustedError(
        `${c.provider} answered ${answer.status} ${note} — its quota or billing is exhausted; every ${c.provider} model is disabled until an operator clears it (orrery cooldowns --clear ${c.provider}/*, or POST /control/cooldowns/clear)`,
        { ...c, providerCode: answer.quota },
      );
    } else {
      const reason = answer.status === 529 ? 'overloaded' : 'rate_limited';
      const { until, strikes } = this.#cooldowns.rateLimited(
        c.provider,
        c.model,
        now,
        answer.retryAfterMs,
        held.plan.startedAt,
        reason,
      );
      err = new LLMRateLimitedError(
        `${c.provider}/${c.model} answered ${answer.status}${answer.status === 529 ? ' (overloaded)' : ''} (strike ${strikes}${
          answer.retryAfterMs === undefined ? '' : `, Retry-After ${Math.round(answer.retryAfterMs / 1000)} s`
        }); cooling down until ${new Date(until).toISOString()}; no retry`,
        { ...c, retryAfterMs: answer.retryAfterMs, cooldownUntil: until },
      );
    }
    err.usage = { tokensIn: 0, tokensOut: 0, costUsd: 0 };
    this.#callFailed(held.reservation, err, latencyMs, 0, 0, 0);
    return err;
  }

  /**
   * Books an answer: its usage (reported, else estimated) settles the chain (never above the
   * reservation: more is an anomaly) and the rolling budget; a truncated answer or one failing the
   * schema is a failure that still costs what it used; a good one is counted, ledgered and cached.
   */
  #answered<T>(
    req: LLMRequest<T>,
    c: RouteCandidate,
    held: Held,
    answer: Extract<ProviderAnswer, { type: 'ok' }>,
    latencyMs: number,
    started: number,
    key: string | undefined,
  ): LLMResponse<T> {
    const { reservation } = held;
    const { tokensIn, tokensOut, costUsd, message } = this.#settle(c, held, answer);
    let parsed: T | undefined;
    try {
      if (answer.truncated === true) {
        throw new LLMTruncatedError(
          `${c.provider}/${c.model} stopped at its answer cap of ${held.plan.maxTokens} tokens (truncated answer); raise maxTokens`,
          { ...c, raw: answer.text, maxTokens: held.plan.maxTokens },
        );
      }
      if (req.schema !== undefined) parsed = parseJsonAnswer(answer.text, req.schema, c);
    } catch (err) {
      if (err instanceof LLMError) {
        err.usage = { tokensIn, tokensOut, costUsd };
        this.#callFailed(reservation, err, latencyMs, tokensIn, tokensOut, costUsd);
      }
      throw err;
    }
    this.#counters.callsOk += 1;
    this.#counters.tokensIn += tokensIn;
    this.#counters.tokensOut += tokensOut;
    this.#counters.costUsd += costUsd;
    const id = reservation.ledgerId;
    this.#writes.push(() =>
      this.ledger.complete(id, {
        outcome: 'ok',
        code: undefined,
        message,
        tokensIn,
        tokensOut,
        costUsd,
        latencyMs,
      }),
    );
    if (req.cache !== undefined && key !== undefined) {
      this.#cache.put(
        key,
        req.task,
        this.#clock.now(),
        req.cache.ttlMs > 0 ? req.cache.ttlMs : this.config.cache.defaultTtlMs,
        { provider: c.provider, model: c.model, text: this.#redact(answer.text), tokensIn, tokensOut },
        req.cache.material,
      );
    }
    return {
      text: answer.text,
      ...(parsed === undefined ? {} : { parsed }),
      provider: c.provider,
      model: c.model,
      latencyMs: performance.now() - started,
      tokensIn,
      tokensOut,
      costUsd,
      cached: false,
      success: true,
    };
  }

  /** An answer's usage and cost; settles the chain and (queued) the rolling budget; notes for the ledger. */
  #settle(
    c: RouteCandidate,
    held: Held,
    answer: Extract<ProviderAnswer, { type: 'ok' }>,
  ): { tokensIn: number; tokensOut: number; costUsd: number; message: string | undefined } {
    const { estIn, estimate, estCost, price } = held.plan;
    const { chainHold, reservation } = held;
    const tokensIn = answer.tokensIn > 0 ? answer.tokensIn : estIn;
    const tokensOut = answer.tokensOut > 0 ? answer.tokensOut : Math.ceil(answer.text.length / 4);
    const cachedIn = Math.min(answer.cachedTokensIn ?? 0, tokensIn);
    const writeIn = Math.min(answer.cacheWriteTokensIn ?? 0, tokensIn - cachedIn);
    const costUsd =
      price === undefined
        ? 0
        : ((tokensIn - cachedIn - writeIn) * price.inputPer1k +
            cachedIn * (price.cachedInputPer1k ?? price.inputPer1k) +
            writeIn * (price.cacheWritePer1k ?? price.inputPer1k) +
            tokensOut * price.outputPer1k) /
          1000;
    const over = chainHold?.settle(tokensIn + tokensOut, costUsd) === true;
    if (over) this.#counters.usageAnomalies += 1;
    const notes: string[] = [];
    if (over)
      notes.push(
        `usage anomaly: the provider reported ${tokensIn + tokensOut} tokens ($${costUsd.toFixed(6)}), more than the ${estimate} ($${estCost.toFixed(6)}) reserved; the chain was charged the reservation`,
      );
    if (price === undefined) {
      this.#counters.unpricedCalls += 1;
      notes.push(`unpriced: ${c.provider}/${c.model} has no price, its cost is unknown (set gateway.prices)`);
    }
    // Off the critical path: the reservation already counts the call; settling only corrects its tokens.
    this.#writes.push(() => {
      this.#budget.settle(reservation, tokensIn + tokensOut);
      this.#cooldowns.succeeded(c.provider, c.model);
    });
    return { tokensIn, tokensOut, costUsd, message: notes.length === 0 ? undefined : notes.join('; ') };
  }

  /**
   * Reserves a call: on the request's chain at once (in memory), then on the rolling budget with the
   * call's ledger row (`inFlight`, code ORRERY_LLM_IN_FLIGHT until completed) in the write-behind's next
   * transaction — one commit for every call admitted during this turn of the event loop. The provider is
   * called only once that has committed, so a process killed during the call leaves the row of the paid
   * call. Rows queued before (refusals, cache hits) commit first, so ledger ids stay in the order things
   * happened. Records and throws a refusal (`LLMBudgetExceededError` naming the candidate).
   */
  async #reserve<T>(
    req: LLMRequest<T>,
    c: RouteCandidate,
    inFlight: Parameters<Ledger['begin']>[0],
    estimate: number,
    estCost: number,
  ): Promise<{ chainHold: ChainReservation | undefined; reservation: BudgetReservation }> {
    let chainHold: ChainReservation | undefined;
    try {
      chainHold = req.budget?.reserve(estimate, estCost);
      let reserved: BudgetReservation | LLMBudgetExceededError;
      try {
        reserved = await this.#writes.submit(() =>
          this.#budget.reserveInTransaction(inFlight.at, estimate, inFlight.critical, () =>
            this.ledger.begin(inFlight),
          ),
        );
      } catch (err) {
        chainHold?.release();
        throw err;
      }
      if (reserved instanceof LLMBudgetExceededError) {
        chainHold?.release();
        throw reserved;
      }
      return { chainHold, reservation: reserved };
    } catch (err) {
      if (err instanceof LLMBudgetExceededError) {
        const e = new LLMBudgetExceededError(err.message, { budget: err.budget, ...c, cause: err.cause });
        this.#refuse(req, e, err.budget === 'chain' ? 'chain' : 'budget', c);
        throw e;
      }
      throw err;
    }
  }

  cachePut(req: LLMRequest<unknown>, answer: CachePutAnswer): boolean {
    return this.#chain.cachePut(req, answer);
  }

  #cachePut(req: LLMRequest<unknown>, answer: CachePutAnswer): boolean {
    if (this.#closed !== undefined) return false;
    const key = requestCacheKey(req);
    if (req.cache === undefined || key === undefined) return false;
    this.#cache.put(
      key,
      req.task,
      this.#clock.now(),
      req.cache.ttlMs > 0 ? req.cache.ttlMs : this.config.cache.defaultTtlMs,
      { ...answer, text: this.#redact(answer.text) },
      req.cache.material,
    );
    return true;
  }

  #fromCache<T>(req: LLMRequest<T>, key: string, started: number): LLMResponse<T> | undefined {
    const cache = req.cache;
    if (cache === undefined) return undefined;
    const current = req.currentFeatures ?? cache.material?.features;
    const found = this.#cache.get(key, this.#clock.now(), current);
    if (!('hit' in found)) {
      this.#counters.cacheMisses += 1;
      return undefined;
    }
    const hit = found.hit;
    let parsed: T | undefined;
    if (req.schema !== undefined) {
      const result = safeParseJson(hit.text, req.schema, hit);
      if (!result.ok) {
        this.#cache.delete(key);
        this.#counters.cacheMisses += 1;
        return undefined;
      }
      parsed = result.value;
    }
    this.#counters.cacheHits += 1;
    const latencyMs = performance.now() - started;
    this.#record(req, {
      provider: hit.provider,
      model: hit.model,
      outcome: 'cache_hit',
      tokensIn: hit.tokensIn,
      tokensOut: hit.tokensOut,
      costUsd: 0,
      latencyMs,
    });
    return {
      text: hit.text,
      ...(parsed === undefined ? {} : { parsed }),
      provider: hit.provider,
      model: hit.model,
      latencyMs,
      tokensIn: hit.tokensIn,
      tokensOut: hit.tokensOut,
      costUsd: 0,
      cached: true,
      success: true,
    };
  }

  #refuse<T>(req: LLMRequest<T>, err: LLMError, reason: RefusalReason, c: ModelTarget | undefined): void {
    this.#counters.refused(reason);
    this.#record(req, {
      provider: c?.provider ?? err.provider,
      model: c?.model ?? err.model,
      outcome: 'refused',
      reason,
      code: err.code,
      message: err.message,
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
      latencyMs: 0,
    });
  }

  #callFailed(
    reservation: BudgetReservation,
    err: LLMError,
    latencyMs: number,
    tokensIn: number,
    tokensOut: number,
    costUsd: number,
  ): void {
    this.#counters.failed(err.code);
    this.#counters.tokensIn += tokensIn;
    this.#counters.tokensOut += tokensOut;
    this.#counters.costUsd += costUsd;
    const id = reservation.ledgerId;
    const { code, message } = err;
    this.#writes.push(() =>
      this.ledger.complete(id, { outcome: 'error', code, message, tokensIn, tokensOut, costUsd, latencyMs }),
    );
  }

  #entry<T>(
    req: LLMRequest<T>,
    e: Pick<
      LedgerEntry,
      'provider' | 'model' | 'outcome' | 'tokensIn' | 'tokensOut' | 'costUsd' | 'latencyMs'
    > &
      Partial<Pick<LedgerEntry, 'reason' | 'code' | 'message' | 'at'>>,
  ): Omit<LedgerEntry, 'id'> {
    return {
      at: this.#clock.now(),
      task: typeof req.task === 'string' ? req.task : '',
      mode: req.mode,
      agent: req.agent,
      chain: req.budget?.id,
      ...(typeof req.ref === 'string' ? { ref: req.ref } : {}),
      critical: req.critical === true,
      reason: undefined,
      code: undefined,
      message: undefined,
      ...e,
    };
  }

  #record<T>(
    req: LLMRequest<T>,
    e: Pick<
      LedgerEntry,
      'provider' | 'model' | 'outcome' | 'tokensIn' | 'tokensOut' | 'costUsd' | 'latencyMs'
    > &
      Partial<Pick<LedgerEntry, 'reason' | 'code' | 'message'>>,
  ): void {
    const entry = this.#entry(req, e);
    this.#writes.push(() => this.ledger.record(entry));
  }

  isCoolingDown(provider: string, model: string): boolean {
    return this.cooldownUntil(provider, model) !== undefined;
  }

  cooldownUntil(provider: string, model: string): number | undefined {
    return this.#cooldowns.until(provider, model, this.#clock.now());
  }

  cooldowns(): CooldownState[] {
    this.#writes.flush();
    return this.#cooldowns.active(this.#clock.now());
  }

  clearCooldown(provider: string, model: string): number {
    this.#writes.flush();
    return this.#cooldowns.clear(provider, model);
  }

  candidatesFor(task: string): ModelTarget[] {
    let plan: RoutePlan;
    try {
      plan = this.#policy.plan(task);
    } catch {
      return [];
    }
    const now = this.#clock.now();
    return plan.candidates
      .filter((c) => this.#cooldowns.blocked(c.provider, c.model, now) === undefined)
      .map((c) => ({ provider: c.provider, model: c.model }));
  }

  canServe(task: string, options: { critical?: boolean } = {}): boolean {
    return this.#chain.probe({ kind: 'canServe', task, critical: options.critical === true }) as boolean;
  }

  budgetStatus(): BudgetStatus {
    return this.#chain.probe({ kind: 'budgetStatus' }) as BudgetStatus;
  }

  /** The gateway's own answer to a probe, at the end of the middleware chain. */
  #probe(p: LlmProbe): LlmProbeAnswer {
    if (p.kind === 'budgetStatus') {
      this.#writes.flush();
      return this.#budget.status(this.#clock.now());
    }
    if (this.candidatesFor(p.task).length === 0) return false;
    this.#writes.flush();
    return this.#budget.allows(this.#clock.now(), 0, p.critical);
  }

  metrics(): GatewayMetrics {
    this.#writes.flush();
    const now = this.#clock.now();
    return {
      ...this.#counters.snapshot(),
      cooldownsActive: this.#cooldowns.active(now),
      budget: this.#budget.status(now),
      cacheEntries: this.#cache.size(),
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

  close(): Promise<void> {
    this.#closed ??= (async () => {
      await Promise.allSettled([...this.#inflight]);
      await this.#pools.close();
      this.#writes.flush();
      this.#db.close();
    })();
    return this.#closed;
  }
}

/**
 * Whether an abort reason is a deadline: `AbortSignal.timeout()`'s `TimeoutError`, or any error whose
 * name says timeout (e.g. the sun's `PlanetTimeoutError`). Such an abort means the provider did not
 * answer in time, and feeds the circuit breaker like a timeout; any other abort (a cancel) does not.
 */
function isDeadline(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && /timeout/i.test(String((reason as Error).name));
}

/** 5xx (529 included) and no status at all (unreachable) count toward a circuit breaker; 4xx do not. */
function isServerFailure(status: number | undefined): boolean {
  return status === undefined || status >= 500;
}

function blockedText(c: ModelTarget, b: NonNullable<ReturnType<Cooldowns['blocked']>>): string {
  const pair = `${c.provider}/${c.model}`;
  const at = Number.isFinite(b.until) ? new Date(b.until).toISOString() : '';
  switch (b.reason) {
    case 'disabled':
      return `${c.provider} is disabled: its quota or billing is exhausted (${b.note ?? 'no detail'}); an operator must clear it (orrery cooldowns --clear ${c.provider}/*)`;
    case 'breaker_open':
      return `${pair}'s circuit breaker is open after repeated failures or a timeout, until ${at}`;
    case 'breaker_probe':
      return `${pair}'s circuit breaker is half-open and another request is probing it (until ${at} at most)`;
    case 'overloaded':
      return `${pair} is cooling down after an overloaded answer (529) until ${at}`;
    default:
      return `${pair} is cooling down until ${at}`;
  }
}

function safeParseJson<T>(
  text: string,
  schema: NonNullable<LLMRequest<T>['schema']>,
  target: ModelTarget,
): { ok: true; value: T } | { ok: false } {
  try {
    return { ok: true, value: parseJsonAnswer(text, schema, target) };
  } catch {
    return { ok: false };
  }
}

import { performance } from 'node:perf_hooks';
import type { BudgetTracker, BudgetTrackerOptions } from '../budget-tracker.ts';
import { requestCacheKey } from '../cache.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { GatewayConfig } from '../config/schema.ts';
import type { CooldownState } from '../cooldowns.ts';
import { LLMError } from '../errors.ts';
import type { CachePutAnswer, Gateway, GatewayMetrics } from '../gateway.ts';
import { parseJsonAnswer } from '../json-answer.ts';
import type { Ledger } from '../ledger.ts';
import type { LLMRequest, LLMResponse, ModelTarget } from '../request.ts';
import type { BudgetStatus } from '../rolling-budget.ts';
import { gatewaySecrets, type Redact, redactDeep, secretRedactor } from '../secret-redactor.ts';
import { BUDGET_STATUS_KEY, canServeKey } from './probe-keys.ts';
import { recordError, reviveError } from './recorded-error.ts';
import type { RecordingStore } from './recording-store.ts';
import { hashOf, normaliseRequest } from './request-hash.ts';

/** Options of {@link recordingGateway}. */
export interface RecordingOptions {
  /** Where answers go (typically `RecordingStore.open(<the gateway's dbPath>)`). */
  store: RecordingStore;
  /** The run the answers belong to; a resumed run appends after what it already recorded. */
  runId: string;
  /** Timestamps of the recordings (default: the system clock). */
  clock?: Clock | undefined;
  /**
   * Removes secrets from everything recorded — prompts, answers, failures — and from the answers given
   * back (default: the inner gateway's provider keys and anything shaped like a credential). Replay must
   * use the same (see `ReplayOptions.redact`): the request hash is taken on the redacted prompt.
   */
  redact?: Redact | undefined;
}

/**
 * Wraps a gateway so that every answer it gives is recorded for a later replay at no cost: each
 * `execute`/`tryExecute` result (answer, or the typed failure) under the SHA-256 of its normalised
 * request, in the order the requests were made; and each `canServe`/`budgetStatus` answer, which the
 * agents' mode choice depends on. Everything else is passed through. Closing it closes the inner
 * gateway (not the store).
 *
 * Secrets never reach the store: prompts, answers and failures are recorded redacted, and the hash is
 * taken on the redacted prompt. The caller gets the answer as recorded — its text redacted and, when
 * that changed it, parsed again from the redacted text — so the recorded run and its replay see the same
 * answers and take the same decisions. (An answer that no longer matches its schema once redacted fails
 * with `LLMResponseFormatError` in both.)
 */
export function recordingGateway(inner: Gateway, options: RecordingOptions): Gateway {
  return new RecordingGateway(inner, options);
}

class RecordingGateway implements Gateway {
  readonly #inner: Gateway;
  readonly #store: RecordingStore;
  readonly #runId: string;
  readonly #clock: Clock;
  readonly #redact: Redact;
  #seq: number;

  constructor(inner: Gateway, o: RecordingOptions) {
    this.#inner = inner;
    this.#redact = o.redact ?? secretRedactor(gatewaySecrets(inner.config));
    this.#store = o.store;
    this.#runId = o.runId;
    this.#clock = o.clock ?? systemClock;
    o.store.beginRun(o.runId, true, this.#clock.now());
    this.#seq = o.store.nextSeq(o.runId);
  }

  get config(): GatewayConfig {
    return this.#inner.config;
  }

  get ledger(): Ledger {
    return this.#inner.ledger;
  }

  async execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    // The sequence number is taken when the request is made, so identical requests replay in the order
    // they were asked, whatever order their answers came back in.
    const seq = this.#seq++;
    const at = this.#clock.now();
    const redact = this.#redact;
    const request = normaliseRequest(req, redact);
    const put = (result: Parameters<RecordingStore['putCall']>[2]['result']) =>
      this.#store.putCall(this.#runId, seq, {
        hash: hashOf(request),
        at,
        task: request.task,
        agent: req.agent === undefined ? undefined : redact(String(req.agent)),
        request,
        result,
        // Only a request naming its own cache key (an agent's answer cache, scoped to the run) owns its
        // entry; removing the run removes it.
        cacheKey: req.cache?.key === undefined ? undefined : requestCacheKey(req),
      });
    let res: LLMResponse<T>;
    try {
      res = this.#redacted(req, await this.#inner.execute(req));
    } catch (err) {
      const recorded = recordError(err);
      const safe = redactDeep(recorded, redact);
      put({ ok: false, error: safe, aborted: req.signal?.aborted === true });
      // What a replay would throw: the same class and fields, without the secret.
      if (JSON.stringify(safe) !== JSON.stringify(recorded)) throw reviveError(safe);
      throw err;
    }
    put({
      ok: true,
      text: res.text,
      provider: res.provider,
      model: res.model,
      tokensIn: res.tokensIn,
      tokensOut: res.tokensOut,
      costUsd: res.costUsd,
      cached: res.cached,
      aborted: req.signal?.aborted === true,
    });
    return res;
  }

  /**
   * `res` with its text redacted; parsed again from that text when redaction changed it.
   * @throws LLMResponseFormatError when the redacted text no longer matches the request's schema.
   */
  #redacted<T>(req: LLMRequest<T>, res: LLMResponse<T>): LLMResponse<T> {
    const text = this.#redact(res.text);
    if (text === res.text) return res;
    const { parsed: _, ...rest } = res;
    if (req.schema === undefined) return { ...rest, text };
    try {
      return { ...rest, text, parsed: parseJsonAnswer(text, req.schema, res) };
    } catch (err) {
      if (err instanceof LLMError)
        err.usage = { tokensIn: res.tokensIn, tokensOut: res.tokensOut, costUsd: res.costUsd };
      throw err;
    }
  }

  /** Passes through: the inner gateway stores (and redacts) the answer; no recording (a later lookup is recorded). */
  cachePut(req: LLMRequest<unknown>, answer: CachePutAnswer): boolean {
    return this.#inner.cachePut(req, answer);
  }

  async tryExecute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    const started = performance.now();
    try {
      return await this.execute(req);
    } catch (err) {
      if (!(err instanceof LLMError)) throw err;
      return failure(err, performance.now() - started);
    }
  }

  canServe(task: string, options: { critical?: boolean } = {}): boolean {
    const answer = this.#inner.canServe(task, options);
    this.#store.putProbe(
      this.#runId,
      this.#seq++,
      canServeKey(task, options.critical === true),
      this.#clock.now(),
      answer,
    );
    return answer;
  }

  budgetStatus(): BudgetStatus {
    const status = this.#inner.budgetStatus();
    this.#store.putProbe(this.#runId, this.#seq++, BUDGET_STATUS_KEY, this.#clock.now(), status);
    return status;
  }

  isCoolingDown(provider: string, model: string): boolean {
    return this.#inner.isCoolingDown(provider, model);
  }

  cooldownUntil(provider: string, model: string): number | undefined {
    return this.#inner.cooldownUntil(provider, model);
  }

  get warnings(): readonly string[] {
    return this.#inner.warnings;
  }

  cooldowns(): CooldownState[] {
    return this.#inner.cooldowns();
  }

  clearCooldown(provider: string, model: string): number {
    return this.#inner.clearCooldown(provider, model);
  }

  candidatesFor(task: string): ModelTarget[] {
    return this.#inner.candidatesFor(task);
  }

  metrics(): GatewayMetrics {
    return this.#inner.metrics();
  }

  openChain(options: Omit<BudgetTrackerOptions, 'name'> & { name?: string }): BudgetTracker {
    return this.#inner.openChain(options);
  }

  chain(id: string): BudgetTracker | undefined {
    return this.#inner.chain(id);
  }

  closeChain(id: string): boolean {
    return this.#inner.closeChain(id);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** The `tryExecute` form of a typed failure (as `LLMGateway.tryExecute` builds it). */
export function failure<T>(err: LLMError, latencyMs: number): LLMResponse<T> {
  return {
    text: '',
    provider: err.provider ?? '',
    model: err.model ?? '',
    latencyMs,
    tokensIn: err.usage?.tokensIn ?? 0,
    tokensOut: err.usage?.tokensOut ?? 0,
    costUsd: err.usage?.costUsd ?? 0,
    cached: false,
    success: false,
    error: { code: err.code, message: err.message },
  };
}

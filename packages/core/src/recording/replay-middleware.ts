import { performance } from 'node:perf_hooks';
import type { LlmMiddlewareObject, LlmNext, LlmProbe, LlmProbeAnswer } from '../caller.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { GatewayConfig } from '../config/schema.ts';
import { LLMError } from '../errors.ts';
import type { Gateway } from '../gateway.ts';
import { parseJsonAnswer } from '../json-answer.ts';
import type { Ledger } from '../ledger.ts';
import { createOfflineGateway, EXHAUSTED_BUDGET } from '../offline-gateway.ts';
import type { LLMRequest, LLMResponse } from '../request.ts';
import { gatewaySecrets, type Redact, secretRedactor } from '../secret-redactor.ts';
import { BUDGET_STATUS_KEY, canServeKey } from './probe-keys.ts';
import { reviveError } from './recorded-error.ts';
import { LLMRecordingMissingError } from './recording-missing-error.ts';
import type { RecordedCall, RecordingStore, RunRecordings } from './recording-store.ts';
import { requestHash } from './request-hash.ts';

/** Options of {@link createReplayGateway}. */
export interface ReplayOptions {
  /** Where the recordings are. */
  store: RecordingStore;
  /** The recorded run to answer from. */
  runId: string;
  /** Reported as `config` (never used to reach a provider; default: the defaults). */
  config?: GatewayConfig | undefined;
  /** Timestamps of the replay's own ledger (default: the system clock). */
  clock?: Clock | undefined;
  /**
   * The redaction the run was recorded with (`RecordingOptions.redact`), applied to each prompt before
   * it is hashed (default: the keys of `config` and anything shaped like a credential).
   */
  redact?: Redact | undefined;
}

/** What a replay served and what it could not. */
export interface ReplayReport {
  readonly runId: string;
  /** Requests answered from a recording (answers and recorded failures). */
  readonly served: number;
  /** What those answers cost when they were recorded (the replay itself costs 0). */
  readonly recordedCostUsd: number;
  /** Requests with no recording left: each failed with `LLMRecordingMissingError`. */
  readonly missing: readonly { task: string; agent: string | undefined; hash: string }[];
  /** `canServe`/`budgetStatus` questions with no recorded answer left (answered "no"/"exhausted"). */
  readonly probesMissing: number;
  /** Recorded calls never asked for again. */
  readonly unused: number;
}

/** A gateway that answers only from a recorded run; see {@link createReplayGateway}. */
export interface ReplayGateway extends Gateway {
  /** What was served so far and what was missing. */
  replayReport(): ReplayReport;
}

/**
 * A gateway that answers from the recordings of run `runId` and nothing else: an offline gateway (no
 * provider configured, no HTTP client, nothing spent; see `createOfflineGateway`) answered by
 * {@link replayMiddleware}. The n-th request with a given normalised request hash gets the n-th answer
 * recorded under that hash (the same text, so the same parsed answer; a recorded failure is thrown again
 * as the same typed error; a call that originally ended after its signal fired waits for the signal
 * again). `canServe` and `budgetStatus` give the answers recorded in the same order. Replayed answers are
 * reported as cached and cost 0. Answers are the recorded ones, secrets redacted (as the recorded run's
 * agents got them too).
 *
 * A request with no recording left fails with {@link LLMRecordingMissingError} (an answer is never
 * invented); a probe with none left answers "cannot serve" / "budget exhausted". Both are counted in
 * {@link ReplayGateway.replayReport}.
 *
 * @throws LLMRecordingMissingError when nothing was ever recorded under `runId`.
 */
export function createReplayGateway(options: ReplayOptions): ReplayGateway {
  const recordings = options.store.load(options.runId);
  if (recordings === undefined) {
    throw new LLMRecordingMissingError(`no LLM recordings for run ${options.runId}; nothing to replay`, {
      runId: options.runId,
      hash: '',
      task: '',
    });
  }
  const built: { replay?: ReplayMiddleware } = {};
  const gateway = createOfflineGateway({
    config: options.config,
    clock: options.clock,
    refusedAs: 'replay',
    answerWith: (ledger) => {
      built.replay = replayMiddleware(recordings, { ...options, ledger });
      return [built.replay.middleware];
    },
  });
  // Built by the offline gateway's constructor above, inside its metrics.
  const replay = built.replay as ReplayMiddleware;
  return Object.assign(gateway, { replayReport: replay.report });
}

/** {@link replayMiddleware}: the middleware, and what it served so far. */
export interface ReplayMiddleware {
  readonly middleware: LlmMiddlewareObject;
  /** What was served so far and what was missing. */
  report(): ReplayReport;
}

/**
 * Middleware that answers every request and probe from `recordings` and never calls `next` (see
 * {@link createReplayGateway} for what it answers); each request is noted in `ledger` (`cache_hit`, or
 * `refused` with reason `replay`, cost 0). Cache stores store nothing: a replay serves each recorded
 * lookup, hit or miss, as it was recorded.
 */
export function replayMiddleware(
  recordings: RunRecordings,
  options: Omit<ReplayOptions, 'store'> & { ledger: Ledger },
): ReplayMiddleware {
  const state = new ReplayState(recordings, options);
  return {
    middleware: {
      name: 'replay',
      execute: <T>(req: LLMRequest<T>, _next: LlmNext) => state.answer(req),
      probe: (p: LlmProbe, _next: (p: LlmProbe) => LlmProbeAnswer) => state.probe(p),
      cachePut: () => false,
    },
    report: () => state.report(),
  };
}

/** The cursors of a replay: which recorded answer each hash and probe key gives next. */
class ReplayState {
  readonly #runId: string;
  readonly #clock: Clock;
  readonly #redact: Redact;
  readonly #ledger: Ledger;
  readonly #recordings: RunRecordings;
  readonly #callCursor = new Map<string, number>();
  readonly #probeCursor = new Map<string, number>();
  readonly #missing: { task: string; agent: string | undefined; hash: string }[] = [];
  #served = 0;
  #recordedCost = 0;
  #probesMissing = 0;

  constructor(recordings: RunRecordings, o: Omit<ReplayOptions, 'store'> & { ledger: Ledger }) {
    this.#recordings = recordings;
    this.#runId = o.runId;
    this.#clock = o.clock ?? systemClock;
    this.#ledger = o.ledger;
    this.#redact = o.redact ?? secretRedactor(o.config === undefined ? [] : gatewaySecrets(o.config));
  }

  async answer<T>(req: LLMRequest<T>): Promise<LLMResponse<T>> {
    const started = performance.now();
    const hash = requestHash(req, this.#redact);
    const list = this.#recordings.calls.get(hash);
    const i = this.#callCursor.get(hash) ?? 0;
    const call = list?.[i];
    if (call === undefined) {
      this.#missing.push({ task: req.task, agent: req.agent, hash });
      const err = new LLMRecordingMissingError(
        `task ${req.task}${req.agent === undefined ? '' : ` (${req.agent})`}: run ${this.#runId} has no recorded answer for this request (hash ${hash.slice(0, 12)}, asked ${i + 1} time(s), recorded ${list?.length ?? 0}); no call made`,
        { runId: this.#runId, hash, task: req.task },
      );
      this.#note(req, 'refused', undefined, err);
      throw err;
    }
    this.#callCursor.set(hash, i + 1);
    this.#served += 1;
    const r = call.result;
    if (r.aborted && req.signal !== undefined) await abortOf(req.signal);
    if (!r.ok) {
      const err = reviveError(r.error);
      this.#note(req, 'refused', call, err);
      throw err;
    }
    this.#recordedCost += r.costUsd;
    let parsed: T | undefined;
    if (req.schema !== undefined) parsed = parseJsonAnswer(r.text, req.schema, r);
    this.#note(req, 'cache_hit', call, undefined);
    return {
      text: r.text,
      ...(parsed === undefined ? {} : { parsed }),
      provider: r.provider,
      model: r.model,
      latencyMs: performance.now() - started,
      tokensIn: r.tokensIn,
      tokensOut: r.tokensOut,
      costUsd: 0,
      cached: true,
      success: true,
    };
  }

  probe(p: LlmProbe): LlmProbeAnswer {
    const key = p.kind === 'canServe' ? canServeKey(p.task, p.critical) : BUDGET_STATUS_KEY;
    const list = this.#recordings.probes.get(key);
    const i = this.#probeCursor.get(key) ?? 0;
    if (list === undefined || i >= list.length) {
      this.#probesMissing += 1;
      return p.kind === 'canServe' ? false : { ...EXHAUSTED_BUDGET };
    }
    this.#probeCursor.set(key, i + 1);
    const v = list[i];
    return p.kind === 'canServe' ? v === true : (v as LlmProbeAnswer);
  }

  #note<T>(
    req: LLMRequest<T>,
    outcome: 'cache_hit' | 'refused',
    call: RecordedCall | undefined,
    err: Error | undefined,
  ): void {
    const r = call?.result;
    this.#ledger.record({
      at: this.#clock.now(),
      task: req.task,
      mode: req.mode,
      agent: req.agent,
      chain: req.budget?.id,
      provider: r?.ok ? r.provider : undefined,
      model: r?.ok ? r.model : undefined,
      outcome,
      reason: outcome === 'refused' ? 'replay' : undefined,
      code: err instanceof LLMError ? err.code : undefined,
      message: err?.message,
      critical: req.critical === true,
      tokensIn: r?.ok ? r.tokensIn : 0,
      tokensOut: r?.ok ? r.tokensOut : 0,
      costUsd: 0,
      latencyMs: 0,
    });
  }

  report(): ReplayReport {
    let recorded = 0;
    for (const list of this.#recordings.calls.values()) recorded += list.length;
    return {
      runId: this.#runId,
      served: this.#served,
      recordedCostUsd: this.#recordedCost,
      missing: [...this.#missing],
      probesMissing: this.#probesMissing,
      unused: recorded - this.#served,
    };
  }
}

/** Resolves once `signal` has fired (at once when it already has). */
function abortOf(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

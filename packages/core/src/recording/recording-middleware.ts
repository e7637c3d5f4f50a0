import { requestCacheKey } from '../cache.ts';
import type { LlmMiddlewareObject, LlmProbe, LlmProbeAnswer } from '../caller.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { GatewayConfig } from '../config/schema.ts';
import { LLMError } from '../errors.ts';
import type { Gateway } from '../gateway.ts';
import { parseJsonAnswer } from '../json-answer.ts';
import type { LLMRequest, LLMResponse } from '../request.ts';
import { gatewaySecrets, type Redact, redactDeep, secretRedactor } from '../secret-redactor.ts';
import { BUDGET_STATUS_KEY, canServeKey } from './probe-keys.ts';
import { recordError, reviveError } from './recorded-error.ts';
import type { RecordingStore } from './recording-store.ts';
import { hashOf, normaliseRequest } from './request-hash.ts';

/** Options of {@link recordingMiddleware} and {@link recordingGateway}. */
export interface RecordingOptions {
  /** Where answers go (typically `RecordingStore.open(<the gateway's dbPath>)`). */
  store: RecordingStore;
  /** The run the answers belong to; a resumed run appends after what it already recorded. */
  runId: string;
  /** Timestamps of the recordings (default: the system clock). */
  clock?: Clock | undefined;
  /**
   * Removes secrets from everything recorded — prompts, answers, failures — and from the answers given
   * back (default: the provider keys of `config` — with {@link recordingGateway}, the gateway's — and
   * anything shaped like a credential). Replay must use the same (see `ReplayOptions.redact`): the
   * request hash is taken on the redacted prompt.
   */
  redact?: Redact | undefined;
  /** The configuration whose keys the default `redact` removes (ignored when `redact` is given). */
  config?: GatewayConfig | undefined;
}

/**
 * Middleware that records every answer given through it for a later replay at no cost: each request's
 * result (answer, or the typed failure) under the SHA-256 of its normalised request, in the order the
 * requests were made; and each probe's answer (`canServe`/`budgetStatus`, which the agents' mode choice
 * depends on). Cache stores pass through unrecorded (a later lookup is recorded). Starts (or resumes)
 * run `runId` in the store when created.
 *
 * Secrets never reach the store: prompts, answers and failures are recorded redacted, and the hash is
 * taken on the redacted prompt. The caller gets the answer as recorded — its text redacted and, when
 * that changed it, parsed again from the redacted text — so the recorded run and its replay see the same
 * answers and take the same decisions. (An answer that no longer matches its schema once redacted fails
 * with `LLMResponseFormatError` in both.)
 */
export function recordingMiddleware(options: RecordingOptions): LlmMiddlewareObject {
  const { store, runId } = options;
  const clock = options.clock ?? systemClock;
  const redact =
    options.redact ?? secretRedactor(options.config === undefined ? [] : gatewaySecrets(options.config));
  store.beginRun(runId, true, clock.now());
  // One sequence for calls and probes: a replay sees them in the order they were asked.
  let seq = store.nextSeq(runId);
  return {
    name: 'recording',
    execute: async <T>(req: LLMRequest<T>, next: <U>(r: LLMRequest<U>) => Promise<LLMResponse<U>>) => {
      // The sequence number is taken when the request is made, so identical requests replay in the order
      // they were asked, whatever order their answers came back in.
      const put = putCall(store, runId, seq++, clock.now(), req, redact);
      let res: LLMResponse<T>;
      try {
        res = redacted(req, await next(req), redact);
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
    },
    probe: (p: LlmProbe, next: (p: LlmProbe) => LlmProbeAnswer) => {
      const answer = next(p);
      const key = p.kind === 'canServe' ? canServeKey(p.task, p.critical) : BUDGET_STATUS_KEY;
      store.putProbe(runId, seq++, key, clock.now(), answer);
      return answer;
    },
  };
}

type PutResult = Parameters<RecordingStore['putCall']>[2]['result'];

/** Writes the recording of request `req` (sequence `seq`, asked `at`) once its result is known. */
function putCall<T>(
  store: RecordingStore,
  runId: string,
  seq: number,
  at: number,
  req: LLMRequest<T>,
  redact: Redact,
): (result: PutResult) => void {
  const request = normaliseRequest(req, redact);
  return (result) =>
    store.putCall(runId, seq, {
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
}

/**
 * `res` with its text redacted; parsed again from that text when redaction changed it.
 * @throws LLMResponseFormatError when the redacted text no longer matches the request's schema.
 */
function redacted<T>(req: LLMRequest<T>, res: LLMResponse<T>, redact: Redact): LLMResponse<T> {
  const text = redact(res.text);
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

/**
 * Records every answer `gateway` gives from now on (see {@link recordingMiddleware}), redacting with its
 * provider keys unless `options.redact` says otherwise. The same as
 * `gateway.use(recordingMiddleware({ ...options, config: gateway.config }))`; returns `gateway`.
 */
export function recordingGateway<G extends Gateway>(gateway: G, options: RecordingOptions): G {
  return gateway.use(recordingMiddleware({ ...options, config: options.config ?? gateway.config }));
}

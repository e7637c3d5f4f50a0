import { performance } from 'node:perf_hooks';
import type { BudgetTracker } from '../budget-tracker.ts';
import { LLMBudgetExceededError, LLMError, LLMErrorCode, LLMRequestError } from '../errors.ts';
import type { Gateway } from '../gateway.ts';
import type { ChatMessage, LLMRequest, LLMResponse, ModelTarget } from '../request.ts';
import type { RouteCandidate } from '../routing-policy.ts';
import { fallbackChain } from './chain.ts';
import type { DelegationAttempt, DelegationResult } from './result.ts';
import { DEFAULT_TASK_TYPES, type TaskSettings } from './task-types.ts';

/** Options of {@link delegate}. */
export interface DelegateOptions {
  /** The task type: selects the gateway's routing rule and is the ledger's `task`. */
  task: string;
  /** The task's settings (default: the built-in task type of that name, else none). */
  settings?: TaskSettings | undefined;
  /** System prompt, overriding `settings.systemPrompt`. */
  system?: string | undefined;
  /** Answer token cap per call, overriding `settings.maxTokens`. */
  maxTokens?: number | undefined;
  /** Temperature, overriding `settings.temperature`. */
  temperature?: number | undefined;
  /** Time limit of each call in ms, overriding `settings.timeoutMs`. */
  timeoutMs?: number | undefined;
  /** Who is asking, recorded in the ledger (default `delegate`). */
  agent?: string | undefined;
  /** A delegation chain's budget the calls are charged to. */
  budget?: BudgetTracker | undefined;
  /** Cancels the call in flight and stops the chain. */
  signal?: AbortSignal | undefined;
}

/** Options of {@link delegateWithFallback}. */
export interface FallbackOptions extends DelegateOptions {
  /**
   * The models to try, in order, instead of the task's routing (each pair at most once). The gateway's
   * policy still applies to each: a judgment task's local model is refused, a cooling pair is skipped.
   */
  chain?: readonly ModelTarget[] | undefined;
}

/**
 * Sends `prompt` to the model the gateway routes `options.task` to: one gateway request, so the gateway's
 * rules hold as they are — cooling candidates skipped before the call, no second call after a failure.
 * Use {@link delegateWithFallback} to go on to the next model when the call fails.
 *
 * Never throws for an LLM failure (refusal, 429, timeout, HTTP error): the result has `success: false`
 * and `error`. Throws only what the gateway throws outside `LLMError` (e.g. after `close()`).
 */
export async function delegate(
  gateway: Gateway,
  prompt: string,
  options: DelegateOptions,
): Promise<DelegationResult> {
  const started = performance.now();
  const invalid = checkPrompt(prompt, options.task);
  if (invalid !== undefined) return failed(options.task, [], invalid, started);
  const t0 = performance.now();
  try {
    const res = await gateway.execute(requestFor(gateway, prompt, options, undefined));
    return succeeded(options.task, res, [attemptOk(res)], started);
  } catch (err) {
    if (!(err instanceof LLMError)) throw err;
    const attempt = attemptFailed(err.provider ?? '', err.model ?? '', err, t0);
    return failed(options.task, [attempt], err, started);
  }
}

/**
 * Sends `prompt` down the task's fallback chain (see {@link fallbackChain}): the first model that answers
 * wins; on a failure, a timeout or a cooldown the next model is tried. Every step is a gateway request
 * pinned to one pair, so budget, cooldowns, the judgment policy and the ledger apply to each, and no pair
 * is ever called twice (a fallback is always a different model, never a retry). The chain stops early
 * when the next attempt cannot fare better: the hourly call budget is spent, the request itself is
 * invalid, or `signal` was aborted. With an empty chain, the gateway's own routing refuses or answers.
 *
 * Never throws for an LLM failure: the result has `success: false`, `error` (the last failure) and every
 * model tried in `attempts`.
 */
export async function delegateWithFallback(
  gateway: Gateway,
  prompt: string,
  options: FallbackOptions,
): Promise<DelegationResult> {
  const chain = fallbackChain(gateway.config, options.task, options.chain);
  if (chain.length === 0) return delegate(gateway, prompt, options);
  const started = performance.now();
  const invalid = checkPrompt(prompt, options.task);
  if (invalid !== undefined) return failed(options.task, [], invalid, started);
  const attempts: DelegationAttempt[] = [];
  let last: LLMError | undefined;
  for (const c of chain) {
    const t0 = performance.now();
    try {
      const res = await gateway.execute(requestFor(gateway, prompt, options, c));
      attempts.push(attemptOk(res));
      return succeeded(options.task, res, attempts, started);
    } catch (err) {
      if (!(err instanceof LLMError)) throw err;
      attempts.push(attemptFailed(c.provider, c.model, err, t0));
      last = err;
      if (!worthNext(err, options.signal)) break;
    }
  }
  return failed(options.task, attempts, last as LLMError, started);
}

/** Whether the next model in the chain could answer where this one failed. */
function worthNext(err: LLMError, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted === true) return false;
  // The hourly call count refuses every model alike; a token or chain budget may still fit a smaller call.
  if (err instanceof LLMBudgetExceededError) return err.budget !== 'calls';
  if (err instanceof LLMRequestError) return err.field.startsWith('target');
  return true;
}

/** Provider calls were made for these codes; the others are refusals before any call. */
const CALLED = new Set<string>([
  LLMErrorCode.RATE_LIMITED,
  LLMErrorCode.TIMEOUT,
  LLMErrorCode.PROVIDER,
  LLMErrorCode.RESPONSE_FORMAT,
]);

function attemptOk(res: LLMResponse): DelegationAttempt {
  return { provider: res.provider, model: res.model, called: !res.cached, latencyMs: res.latencyMs };
}

function attemptFailed(provider: string, model: string, err: LLMError, t0: number): DelegationAttempt {
  return {
    provider,
    model,
    called: CALLED.has(err.code),
    latencyMs: performance.now() - t0,
    error: { code: err.code, message: err.message },
  };
}

function checkPrompt(prompt: string, task: string): LLMError | undefined {
  if (typeof prompt === 'string' && prompt.trim() !== '') return undefined;
  return new LLMRequestError(`task ${task}: the prompt is empty; no call made`, { field: 'messages' });
}

function requestFor(
  gateway: Gateway,
  prompt: string,
  o: DelegateOptions,
  c: RouteCandidate | undefined,
): LLMRequest {
  const s = o.settings ?? builtIn(o.task) ?? {};
  const system = o.system ?? s.systemPrompt;
  let maxTokens = o.maxTokens ?? s.maxTokens;
  let temperature = o.temperature ?? s.temperature;
  let timeoutMs = o.timeoutMs ?? s.timeoutMs;
  if (c?.trivial === true) {
    // The gateway applies the local model's limits to trivial routing; a pinned call must say them itself.
    const t = gateway.config.routing.trivial;
    maxTokens = Math.min(maxTokens ?? t.maxTokens, t.maxTokens);
    temperature = t.temperature;
    timeoutMs ??= t.timeoutMs;
  }
  const messages: ChatMessage[] = [];
  if (system !== undefined && system !== '') messages.push({ role: 'system', content: system });
  messages.push({ role: 'user', content: prompt });
  return {
    task: o.task,
    messages,
    agent: o.agent ?? 'delegate',
    maxTokens,
    temperature,
    timeoutMs,
    target: c === undefined ? undefined : { provider: c.provider, model: c.model },
    budget: o.budget,
    signal: o.signal,
  };
}

function builtIn(task: string): TaskSettings | undefined {
  return Object.hasOwn(DEFAULT_TASK_TYPES, task) ? DEFAULT_TASK_TYPES[task] : undefined;
}

function succeeded(
  task: string,
  res: LLMResponse,
  attempts: DelegationAttempt[],
  started: number,
): DelegationResult {
  const seconds = res.latencyMs / 1000;
  return {
    text: res.text,
    provider: res.provider,
    model: res.model,
    latencyMs: performance.now() - started,
    tokensIn: res.tokensIn,
    tokensOut: res.tokensOut,
    costUsd: res.costUsd,
    cached: res.cached,
    success: true,
    task,
    tokensPerSec: res.cached || seconds <= 0 ? 0 : res.tokensOut / seconds,
    attempts,
  };
}

function failed(
  task: string,
  attempts: DelegationAttempt[],
  last: LLMError,
  started: number,
): DelegationResult {
  const tail = attempts.at(-1);
  const message =
    attempts.length > 1
      ? `all ${attempts.length} models tried for task ${task} failed (${attempts
          .map((a) => `${a.provider}/${a.model}: ${a.error?.code ?? '?'}`)
          .join(', ')}); last: ${last.message}`
      : last.message;
  return {
    text: '',
    provider: tail?.provider ?? '',
    model: tail?.model ?? '',
    latencyMs: performance.now() - started,
    tokensIn: 0,
    tokensOut: 0,
    costUsd: 0,
    cached: false,
    success: false,
    error: { code: last.code, message },
    task,
    tokensPerSec: 0,
    attempts,
  };
}

import type { CachePutAnswer } from './gateway.ts';
import type { LLMRequest, LLMResponse } from './request.ts';
import type { BudgetStatus } from './rolling-budget.ts';

/**
 * The narrow door of an LLM request: one method. Everything that only asks for answers (a planet, a
 * workflow step, an embedding service, a middleware's `next`) needs nothing more. A `Gateway` is one.
 */
export interface LlmCaller {
  /** Answers a request, or throws a typed `LLMError` (see `Gateway.execute`). */
  execute<T>(req: LLMRequest<T>): Promise<LLMResponse<T>>;
}

/** What a middleware calls to hand a request on to the rest of the chain (the gateway at its end). */
export type LlmNext = <T>(req: LLMRequest<T>) => Promise<LLMResponse<T>>;

/**
 * A middleware in its plain (hono-style) form: sees every request on its way in and its answer (or
 * failure) on its way out; it may answer without calling `next` (a replay does), change the request,
 * or only watch (audit, metrics).
 * @example
 * const timing: LlmHandler = async (req, next) => {
 *   const t = performance.now();
 *   try { return await next(req); } finally { observe(req.task, performance.now() - t); }
 * };
 */
export type LlmHandler = <T>(req: LLMRequest<T>, next: LlmNext) => Promise<LLMResponse<T>>;

/**
 * The state questions an agent asks before it thinks (`Gateway.canServe`, `Gateway.budgetStatus`). They
 * decide execution modes, so record and replay must see them as they see answers.
 */
export type LlmProbe = { kind: 'canServe'; task: string; critical: boolean } | { kind: 'budgetStatus' };

/** A probe's answer: a boolean for `canServe`, a `BudgetStatus` for `budgetStatus`. */
export type LlmProbeAnswer = boolean | BudgetStatus;

/**
 * A middleware in its full form: `execute` as {@link LlmHandler}, and optionally the two synchronous
 * side doors an agent uses — `probe` ({@link LlmProbe}) and `cachePut` (a batch window storing each
 * part's answer). A hook left out passes straight through.
 */
export interface LlmMiddlewareObject {
  /** Shown in errors and debugging only. */
  readonly name?: string | undefined;
  /** Sees each request; see {@link LlmHandler}. */
  execute?: LlmHandler | undefined;
  /** Sees each probe; `next` asks the rest of the chain. */
  probe?: ((probe: LlmProbe, next: (probe: LlmProbe) => LlmProbeAnswer) => LlmProbeAnswer) | undefined;
  /** Sees each cache store; `next` stores it further in (returns whether anything was stored). */
  cachePut?:
    | ((
        req: LLMRequest<unknown>,
        answer: CachePutAnswer,
        next: (req: LLMRequest<unknown>, answer: CachePutAnswer) => boolean,
      ) => boolean)
    | undefined;
}

/** Either form of middleware: a bare {@link LlmHandler} or an {@link LlmMiddlewareObject}. */
export type LlmMiddleware = LlmHandler | LlmMiddlewareObject;

/**
 * A composed chain: the three doors with every middleware applied. `Gateway.use` keeps one; the
 * functions are built once when middleware is added, not per request.
 */
export interface LlmEndpoint {
  readonly execute: LlmNext;
  readonly probe: (probe: LlmProbe) => LlmProbeAnswer;
  readonly cachePut: (req: LLMRequest<unknown>, answer: CachePutAnswer) => boolean;
}

/**
 * Wraps `inner` in `middleware`, the first one outermost (it sees a request first and its answer last).
 * Each hook is bound once here; a layer without a hook adds no call.
 */
export function composeMiddleware(middleware: readonly LlmMiddleware[], inner: LlmEndpoint): LlmEndpoint {
  let out = inner;
  for (let i = middleware.length - 1; i >= 0; i--) out = layer(middleware[i] as LlmMiddleware, out);
  return out;
}

function layer(m: LlmMiddleware, next: LlmEndpoint): LlmEndpoint {
  const o: LlmMiddlewareObject = typeof m === 'function' ? { execute: m } : m;
  const { execute, probe, cachePut } = o;
  const nextExecute = next.execute;
  const nextProbe = next.probe;
  const nextPut = next.cachePut;
  return {
    execute: execute === undefined ? nextExecute : <T>(req: LLMRequest<T>) => execute(req, nextExecute),
    probe: probe === undefined ? nextProbe : (p) => probe(p, nextProbe),
    cachePut: cachePut === undefined ? nextPut : (req, answer) => cachePut(req, answer, nextPut),
  };
}

/**
 * `caller` behind `middleware` (the first outermost), as a plain {@link LlmCaller}: for a caller that
 * is not a `Gateway` (a `Gateway` takes middleware itself, with `use`). Probes and cache stores do not
 * exist on a bare caller: a middleware's `probe`/`cachePut` hooks are not used.
 */
export function composeCaller(caller: LlmCaller, middleware: readonly LlmMiddleware[]): LlmCaller {
  const endpoint = composeMiddleware(middleware, {
    execute: (req) => caller.execute(req),
    probe: () => false,
    cachePut: () => false,
  });
  return { execute: endpoint.execute };
}

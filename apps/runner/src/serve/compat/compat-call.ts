import { timingSafeEqual } from 'node:crypto';
import {
  type BudgetTracker,
  type ChatMessage,
  LLMError,
  type LLMRequest,
  type LLMResponse,
  type MaterialFeatures,
} from '@orrery/core';
import type { FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { ServeContext } from '../context.ts';
import { ServeErrorCode } from '../problem.ts';
import { VIRTUAL_KEY_PREFIX } from '../virtual-keys.ts';
import { failureMadeCall, type KeyState } from './key-ring.ts';
import type { ResolvedModel } from './models.ts';
import { requestFailure, type WireFailure } from './wire-error.ts';

/** Who is calling a compatible route: a virtual key, or an anonymous caller of a server that allows one. */
export type CompatCaller = { kind: 'key'; state: KeyState } | { kind: 'anonymous' };

/** The credential a request presents: `Authorization: Bearer …` (OpenAI SDK) or `x-api-key` (Anthropic SDK). */
export function presentedCredential(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m?.[1] !== undefined) return m[1];
  }
  const x = req.headers['x-api-key'];
  return typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authenticates a compatible route's request: a virtual key (`sk-orrery-…`) must be known and not
 * revoked; otherwise the server's token, when it has one; otherwise (a tokenless loopback server) the
 * caller is anonymous unless the server requires keys. Whatever else an SDK sends as its key is ignored
 * by a tokenless server.
 */
export function authenticate(req: FastifyRequest, ctx: ServeContext): CompatCaller | WireFailure {
  const cred = presentedCredential(req);
  if (cred?.startsWith(VIRTUAL_KEY_PREFIX) === true) {
    const r = ctx.keys?.authenticate(cred) ?? { ok: false, message: 'this server has no virtual keys' };
    if (!r.ok) {
      ctx.counters.rejected('unauthorized');
      return requestFailure(401, ServeErrorCode.UNAUTHORIZED, r.message);
    }
    return { kind: 'key', state: r.state };
  }
  if (ctx.token !== undefined) {
    if (cred !== undefined && sameSecret(cred, ctx.token)) return { kind: 'anonymous' };
    ctx.counters.rejected('unauthorized');
    return requestFailure(
      401,
      ServeErrorCode.UNAUTHORIZED,
      cred === undefined
        ? 'missing key: send a virtual key (orrery keys create) as the API key'
        : 'invalid key: not a virtual key of this server nor its token',
    );
  }
  if (ctx.requireKey) {
    ctx.counters.rejected('unauthorized');
    return requestFailure(
      401,
      ServeErrorCode.UNAUTHORIZED,
      'this server requires a virtual key (orrery keys create) as the API key',
    );
  }
  return { kind: 'anonymous' };
}

/** The ledger's `agent` of a compatible call: `key:NAME`, or `http:v1` when anonymous. */
export function agentOf(caller: CompatCaller): string {
  return caller.kind === 'key' ? `key:${caller.state.record.name}` : 'http:v1';
}

/** The metrics label of a caller: the key's name, or `anonymous`. */
export function keyLabel(caller: CompatCaller): string {
  return caller.kind === 'key' ? caller.state.record.name : 'anonymous';
}

/**
 * The budget chain a call is charged to: the `x-orrery-chain` header's chain (one of the caller key's
 * chain, for a key; any open chain otherwise), else the key's own chain, else none.
 */
export function chargedChain(
  req: FastifyRequest,
  ctx: ServeContext,
  caller: CompatCaller,
): BudgetTracker | undefined | WireFailure {
  const header = req.headers['x-orrery-chain'];
  const id = typeof header === 'string' && header !== '' ? header : undefined;
  if (id === undefined) return caller.kind === 'key' ? caller.state.tracker : undefined;
  const tracker =
    caller.kind === 'key'
      ? caller.state.tracker.find(id)
      : ctx.chains.has(id)
        ? ctx.gateway.chain(id)
        : undefined;
  if (tracker === undefined) {
    return requestFailure(
      400,
      ServeErrorCode.UNKNOWN_CHAIN,
      `x-orrery-chain: no open budget chain ${JSON.stringify(id)}${caller.kind === 'key' ? ' under this key' : ''}`,
      'x-orrery-chain',
    );
  }
  return tracker;
}

/** The gateway-relevant part of a compatible request, whatever its wire. */
export interface CompatRequest {
  resolved: ResolvedModel;
  messages: ChatMessage[];
  schema: ZodType | undefined;
  maxTokens: number | undefined;
  temperature: number | undefined;
  critical: boolean | undefined;
  cache: { ttlMs: number; material?: MaterialFeatures | undefined } | undefined;
  currentFeatures: Record<string, number> | undefined;
}

/**
 * Whether a call looks servable right now (cheap checks: the pair or the task not cooling, the global
 * budget, the key's calls and room). A streaming route opens its stream before calling only then, so a
 * refusal that can be seen up front is an HTTP status with `Retry-After`, not an event in a stream.
 */
export function looksServable(ctx: ServeContext, caller: CompatCaller, r: CompatRequest): boolean {
  const t = r.resolved.target;
  if (t !== undefined && ctx.gateway.isCoolingDown(t.provider, t.model)) return false;
  if (!ctx.gateway.canServe(r.resolved.task, { critical: r.critical === true })) return false;
  if (caller.kind === 'key') {
    const s = caller.state;
    if (s.record.maxCalls !== undefined && s.calls + s.inFlight >= s.record.maxCalls) return false;
    const room = s.tracker.remaining();
    if (room.tokens <= 0 || room.costUsd <= 0) return false;
  }
  return true;
}

/**
 * Makes the call through the gateway — routing, policy, cache, the chain's and the global budget,
 * cooldowns, ledger (agent `key:NAME`) — with the key's call count and usage kept, and the per-key,
 * per-model metrics counted. `onText` streams a text answer's pieces as the provider sends them (raw:
 * the caller scrubs them). Throws the gateway's `LLMError`.
 */
export async function callGateway(
  ctx: ServeContext,
  caller: CompatCaller,
  budget: BudgetTracker | undefined,
  r: CompatRequest,
  signal: AbortSignal,
  onText?: (text: string) => void,
): Promise<LLMResponse> {
  const key = keyLabel(caller);
  const requested = r.resolved.target === undefined ? `orrery/${r.resolved.task}` : undefined;
  if (caller.kind === 'key') {
    const refused = ctx.keys?.beginCall(caller.state);
    if (refused !== undefined) {
      ctx.gateway.ledger.record({
        at: ctx.clock.now(),
        task: r.resolved.task,
        mode: undefined,
        agent: agentOf(caller),
        chain: caller.state.tracker.id,
        provider: r.resolved.target?.provider,
        model: r.resolved.target?.model,
        outcome: 'refused',
        reason: 'chain',
        code: refused.code,
        message: refused.message,
        critical: r.critical === true,
        tokensIn: 0,
        tokensOut: 0,
        costUsd: 0,
        latencyMs: 0,
      });
      ctx.counters.keyCall(key, requested ?? targetName(r), 'refused', 0, 0, 0);
      throw refused;
    }
  }
  const llm: LLMRequest = {
    task: r.resolved.task,
    messages: r.messages,
    schema: r.schema,
    critical: r.critical,
    budget,
    maxTokens: r.maxTokens,
    temperature: r.temperature,
    agent: agentOf(caller),
    target: r.resolved.target,
    cache: r.cache,
    currentFeatures: r.currentFeatures,
    signal,
    onText,
  };
  let callMade = false;
  try {
    const res = await ctx.gateway.execute(llm);
    callMade = !res.cached;
    ctx.counters.keyCall(
      key,
      `${res.provider}/${res.model}`,
      res.cached ? 'cache_hit' : 'ok',
      res.cached ? 0 : res.tokensIn,
      res.cached ? 0 : res.tokensOut,
      res.costUsd,
    );
    return { ...res, text: ctx.scrubber.scrubAnswer(res.text) };
  } catch (err) {
    if (err instanceof LLMError) {
      callMade = failureMadeCall(err.code);
      const model =
        err.provider !== undefined && err.model !== undefined
          ? `${err.provider}/${err.model}`
          : (requested ?? targetName(r));
      ctx.counters.keyCall(key, model, callMade ? 'error' : 'refused', 0, 0, 0);
    }
    throw err;
  } finally {
    if (caller.kind === 'key') ctx.keys?.endCall(caller.state, callMade);
  }
}

function targetName(r: CompatRequest): string {
  const t = r.resolved.target;
  return t === undefined ? `orrery/${r.resolved.task}` : `${t.provider}/${t.model}`;
}

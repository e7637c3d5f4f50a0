import type { LLMResponse } from '@orrery/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType, z } from 'zod';
import { toIssues } from '../../config/load.ts';
import { clientGone, type ServeContext } from '../context.ts';
import { ServeErrorCode } from '../problem.ts';
import {
  authenticate,
  type CompatCaller,
  type CompatRequest,
  callGateway,
  chargedChain,
  looksServable,
} from './compat-call.ts';
import { LiveText } from './live-text.ts';
import { SseStream } from './sse.ts';
import { asWireFailure, failureHeaders, requestFailure, type WireFailure } from './wire-error.ts';

/** A wire request turned into what the gateway needs, or why not. */
export type Parsed =
  | { ok: true; request: CompatRequest; stream: boolean }
  | { ok: false; failure: WireFailure };

/** What differs between the OpenAI and the Anthropic wire. */
export interface Wire<B> {
  body: ZodType<B>;
  /** Turns a valid body into the gateway request (model resolution, answer schema). */
  parse(body: B, req: FastifyRequest, caller: CompatCaller): Parsed;
  errorBody(f: WireFailure): Record<string, unknown>;
  /** The non-streaming answer. */
  answer(res: LLMResponse, body: B): Record<string, unknown>;
  /**
   * A streaming answer: `begin` before the call (or after it, when the call was made first); `piece` for
   * each piece of text passed on while the model writes; `finish` with the text not yet sent, then the end.
   */
  stream(body: B): {
    begin(s: SseStream): void;
    piece(s: SseStream, text: string): void;
    finish(s: SseStream, res: LLMResponse, rest: string): void;
    fail(s: SseStream, f: WireFailure): void;
  };
}

/** The first zod issue as a 400 naming its path. */
function invalid(error: z.ZodError): WireFailure {
  const issues = toIssues(error.issues);
  const first = issues[0];
  return requestFailure(
    400,
    ServeErrorCode.INVALID_BODY,
    first === undefined
      ? 'invalid body'
      : `invalid body: ${first.path}: ${first.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`,
    first?.path,
  );
}

/** Headers telling what served a call. */
function answerHeaders(res: LLMResponse): Record<string, string> {
  return {
    'x-orrery-provider': res.provider,
    'x-orrery-model': res.model,
    'x-orrery-cached': String(res.cached),
    'x-orrery-cost-usd': String(res.costUsd),
  };
}

/**
 * Serves one request of a compatible route: authenticate (virtual key, token, or anonymous on a
 * tokenless loopback server), validate, resolve the model, pick the budget chain, take a concurrency
 * slot, call the gateway, answer in the wire's shape. A streaming request whose call looks servable opens
 * its stream first (the client sees the first event before the model answers), passes the model's text
 * on while the provider streams it (scrubbed, see {@link LiveText}) and reports a later failure as an
 * error event; one that does not (cooling pair, spent budget or key) gets the refusal as an
 * HTTP status with `Retry-After` and `x-should-retry: false`.
 */
export async function serveCompat<B>(
  req: FastifyRequest,
  reply: FastifyReply,
  ctx: ServeContext,
  wire: Wire<B>,
): Promise<unknown> {
  const fail = (f: WireFailure) => failureHeaders(reply, f).send(wire.errorBody(f));
  const caller = authenticate(req, ctx);
  if ('status' in caller) return fail(caller);
  const checked = wire.body.safeParse(req.body);
  if (!checked.success) {
    ctx.counters.rejected('invalid_body');
    return fail(invalid(checked.error));
  }
  const body = checked.data;
  const task = req.headers['x-orrery-task'];
  if (task !== undefined && (typeof task !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(task))) {
    ctx.counters.rejected('invalid_body');
    return fail(
      requestFailure(
        400,
        ServeErrorCode.INVALID_BODY,
        'x-orrery-task: must be a task type of 1-128 characters of A-Z a-z 0-9 _ . : -',
        'x-orrery-task',
      ),
    );
  }
  const parsed = wire.parse(body, req, caller);
  if (!parsed.ok) {
    if (parsed.failure.status === 400) ctx.counters.rejected('invalid_body');
    return fail(parsed.failure);
  }
  const budget = chargedChain(req, ctx, caller);
  if (budget !== undefined && 'status' in budget) return fail(budget);
  const release = ctx.gate.tryEnter();
  if (release === undefined) {
    ctx.counters.rejected('overload');
    const f = requestFailure(
      429,
      ServeErrorCode.OVERLOADED,
      `all ${ctx.gate.limit} concurrency slots are busy; retry after ${ctx.overloadRetryAfterS} s`,
    );
    f.retryAfterS = ctx.overloadRetryAfterS;
    return fail(f);
  }
  const gone = clientGone(reply);
  const request = parsed.request;
  try {
    if (!parsed.stream) {
      try {
        const res = await callGateway(ctx, caller, budget, request, gone.signal);
        return reply.headers(answerHeaders(res)).send(wire.answer(res, body));
      } catch (err) {
        return fail(asWireFailure(err, ctx.clock.now()));
      }
    }
    const s = new SseStream(reply);
    const events = wire.stream(body);
    if (looksServable(ctx, caller, request)) {
      s.open();
      events.begin(s);
      const live = new LiveText(ctx.scrubber, (text) => events.piece(s, text));
      try {
        const res = await callGateway(ctx, caller, budget, request, gone.signal, live.push);
        events.finish(s, res, live.streamed ? live.rest() : res.text);
      } catch (err) {
        events.fail(s, asWireFailure(err, ctx.clock.now()));
      }
    } else {
      let res: LLMResponse;
      try {
        res = await callGateway(ctx, caller, budget, request, gone.signal);
      } catch (err) {
        return fail(asWireFailure(err, ctx.clock.now()));
      }
      s.open(answerHeaders(res));
      events.begin(s);
      events.finish(s, res, res.text);
    }
    s.end();
    return reply;
  } finally {
    gone.done();
    release();
  }
}

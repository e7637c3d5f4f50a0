import type { SolarSystemConfigInput } from '@orrery/agents';
import type { Clock, Gateway } from '@orrery/core';
import type { FastifyReply } from 'fastify';
import type { AnswerSchemas } from './answer-schema.ts';
import type { KeyRing } from './compat/key-ring.ts';
import type { ModelCatalog } from './compat/models.ts';
import type { ConcurrencyGate } from './concurrency-gate.ts';
import type { RunMemoryHealth } from './memory-metrics.ts';
import type { PlanetDesk } from './planet-desk.ts';
import { problem, ServeErrorCode } from './problem.ts';
import type { SecretScrubber } from './secret-scrubber.ts';
import type { ServeCounters } from './serve-metrics.ts';

/** What every route of one server shares. */
export interface ServeContext {
  readonly gateway: Gateway;
  /** The gateway's clock (cooldown ends are on it). */
  readonly clock: Clock;
  /** The planets answered here, each consulted by a request on a bus. */
  readonly desk: PlanetDesk;
  /** Moon settings used to turn raw bars into a snapshot. */
  readonly moons: SolarSystemConfigInput | undefined;
  readonly gate: ConcurrencyGate;
  readonly counters: ServeCounters;
  readonly schemas: AnswerSchemas;
  /** Ids of the budget chains opened over HTTP and not closed. */
  readonly chains: Set<string>;
  readonly maxChains: number;
  /** `Retry-After` of an overload answer, seconds. */
  readonly overloadRetryAfterS: number;
  /** The server's bearer token, if any (it also opens the compatible routes). */
  readonly token: string | undefined;
  /** Compatible routes refuse callers without a virtual key (even on a tokenless server). */
  readonly requireKey: boolean;
  /** The virtual keys (`undefined`: the server has no key store). */
  readonly keys: KeyRing | undefined;
  /** What `model` may name on the compatible routes. */
  readonly models: ModelCatalog;
  /** Removes secrets from logs, errors and answers. */
  readonly scrubber: SecretScrubber;
  /** The episodic-memory health the runs in `run.ledgerPath` wrote (absent without `control`). */
  readonly memoryHealth?: (() => RunMemoryHealth[]) | undefined;
}

/** Answers 429 `ORRERY_HTTP_OVERLOADED` with `Retry-After`. */
export function overloaded(reply: FastifyReply, ctx: ServeContext): FastifyReply {
  ctx.counters.rejected('overload');
  return reply
    .code(429)
    .header('retry-after', String(ctx.overloadRetryAfterS))
    .send(
      problem(
        ServeErrorCode.OVERLOADED,
        `all ${ctx.gate.limit} concurrency slots are busy; retry after ${ctx.overloadRetryAfterS} s`,
      ),
    );
}

/**
 * A signal aborted when the client goes away before the answer is sent (`request.signal` cannot serve:
 * on Node 20 it fires as soon as a POST body has been read). Call `done()` once the work is over.
 */
export function clientGone(reply: FastifyReply): { signal: AbortSignal; done(): void } {
  const ctl = new AbortController();
  let working = true;
  const onClose = () => {
    if (working && !reply.raw.writableFinished) ctl.abort(new Error('the HTTP client went away'));
  };
  reply.raw.once('close', onClose);
  return {
    signal: ctl.signal,
    done() {
      working = false;
      reply.raw.removeListener('close', onClose);
    },
  };
}

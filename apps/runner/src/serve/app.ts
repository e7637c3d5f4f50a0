import type { SolarSystemConfigInput } from '@orrery/agents';
import { type Bus, LocalBus } from '@orrery/bus';
import { type Clock, type Gateway, systemClock } from '@orrery/core';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import type { z } from 'zod';
import { toIssues } from '../config/load.ts';
import { type ControlRoutesOptions, controlRoutes } from '../control/http-routes.ts';
import { AnswerSchemas } from './answer-schema.ts';
import { bearerAuth } from './auth.ts';
import { KeyRing } from './compat/key-ring.ts';
import { ModelCatalog } from './compat/models.ts';
import {
  anthropicErrorBody,
  openaiErrorBody,
  requestFailure,
  type WireFailure,
} from './compat/wire-error.ts';
import { ConcurrencyGate } from './concurrency-gate.ts';
import type { ServeContext } from './context.ts';
import { hostGuard } from './host-guard.ts';
import { memoryHealthReader } from './memory-metrics.ts';
import { builtinPlanetCatalog, type PlanetCatalog } from './planet-catalog.ts';
import { openPlanetDesk, type RemotePlanets } from './planet-desk.ts';
import { type BodyIssue, invalidBody, problem, ServeErrorCode } from './problem.ts';
import { anthropicRoutes } from './routes/anthropic.ts';
import { chainRoutes } from './routes/chains.ts';
import { cooldownRoutes } from './routes/cooldowns.ts';
import { executeRoute } from './routes/execute.ts';
import { openaiRoutes } from './routes/openai.ts';
import { opsRoutes } from './routes/ops.ts';
import { chargedTo, planetRoutes } from './routes/planets.ts';
import { workflowRoutes } from './routes/workflows.ts';
import { SecretScrubber } from './secret-scrubber.ts';
import { DEFAULT_BODY_LIMIT, DEFAULT_MAX_CONCURRENT, type ServeLogLevel } from './serve-defaults.ts';
import { ServeCounters } from './serve-metrics.ts';
import { VIRTUAL_KEY_PREFIX, type VirtualKeyStore } from './virtual-keys.ts';

export { DEFAULT_BODY_LIMIT, DEFAULT_MAX_CONCURRENT, type ServeLogLevel };

/** How to build the HTTP app of `orrery serve`. */
export interface ServeAppOptions {
  /** The gateway every LLM call goes through; the app does not close it. */
  gateway: Gateway;
  /** The gateway's clock (default: the system clock), for `Retry-After` of cooldowns. */
  clock?: Clock | undefined;
  /** Bearer token; when set, every route but `/healthz` answers 401 without it. */
  token?: string | undefined;
  /** Planets served under `/planets/:name` (default: every built-in planet, weight 1). */
  planets?: PlanetCatalog | undefined;
  /**
   * The bus the hosted planets answer on (default: a new `LocalBus`, closed with the app; a bus given
   * here is not closed).
   */
  bus?: Bus | undefined;
  /**
   * Planets hosted by `orrery planet` workers elsewhere (`agents.transport: nats`, see
   * `connectRemotePlanets`): not hosted in-process, asked over their bus. The app does not close it.
   */
  remotePlanets?: RemotePlanets | undefined;
  /** Moon settings (the runner config's `agents`) used to turn raw bars into snapshots. */
  moons?: SolarSystemConfigInput | undefined;
  /** Largest request body, bytes (default 256 KiB); larger ones answer 413. */
  bodyLimitBytes?: number | undefined;
  /** `/execute` and analyze requests served at once (default 64); more answer 429 with `Retry-After`. */
  maxConcurrent?: number | undefined;
  /** `Retry-After` of an overload 429, seconds (default 1). */
  overloadRetryAfterS?: number | undefined;
  /** Budget chains open at once (default 1000). */
  maxChains?: number | undefined;
  /** Receives the server's JSON log lines, secrets scrubbed (default: no log). */
  log?: ((line: string) => void) | undefined;
  logLevel?: ServeLogLevel | undefined;
  /** More strings that must never reach a log line or an error message (provider keys are added anyway). */
  secrets?: readonly string[] | undefined;
  /** Operator control of runs under `/control/runs/:run` (see `controlRoutes`); absent: no such routes. */
  control?: ControlRoutesOptions | undefined;
  /**
   * Virtual keys (`orrery keys create`) accepted by the OpenAI/Anthropic-compatible routes and `/chains`;
   * the app does not close the store. Absent: those routes take the token or, without one, anybody.
   */
  keys?: VirtualKeyStore | undefined;
  /** The compatible routes refuse callers without a virtual key, even on a tokenless server. */
  requireKey?: boolean | undefined;
  /**
   * Host names a tokenless server answers besides `localhost`, `127.0.0.0/8` and `::1` (anything else in
   * `Host` or `Origin` is a 403). Ignored with a token.
   */
  allowedHosts?: readonly string[] | undefined;
}

/** The wire a path speaks: the Anthropic Messages route, the OpenAI routes, or Orrery's own. */
function wireOf(url: string): 'anthropic' | 'openai' | undefined {
  if (url.startsWith('/v1/messages')) return 'anthropic';
  if (url.startsWith('/v1/')) return 'openai';
  return undefined;
}

function wireBody(wire: 'anthropic' | 'openai', f: WireFailure): Record<string, unknown> {
  return wire === 'anthropic' ? anthropicErrorBody(f) : openaiErrorBody(f);
}

/** A zod failure of a request part, carried through Fastify's validation path to the error handler. */
class BodySchemaError extends Error {
  readonly statusCode = 400;
  readonly issues: readonly BodyIssue[];

  constructor(issues: readonly BodyIssue[]) {
    super(issues[0] === undefined ? 'invalid body' : `${issues[0].path}: ${issues[0].message}`);
    this.name = 'BodySchemaError';
    this.issues = issues;
  }
}

/**
 * Builds the HTTP app of `orrery serve` (Fastify; not listening yet — `startServe` listens, tests use
 * `app.inject`): `POST /execute`, `POST /chains`, `GET|DELETE /chains/:id`, `GET /planets`,
 * `POST /planets/:name/analyze`, `GET /healthz`, `GET /metrics`, the OpenAI-compatible
 * `POST /v1/chat/completions` and `GET /v1/models`, the Anthropic-compatible `POST /v1/messages`, and with
 * `control` the operator routes under `/control/runs/:run`. Bodies are JSON validated with zod (400 naming
 * the path), limited in size (413), and the heavy routes share a concurrency limit (429).
 *
 * The planets are consulted over the bus, as in `orrery paper`: each hosted planet is served with
 * `servePlanet` on `opts.bus` (a `LocalBus` by default) and the analyze route sends a request to
 * `planet.<name>`; the planets in `opts.remotePlanets` are asked over their bus (NATS) instead, answered
 * by `orrery planet` workers. The hosted services stop, and a default bus closes, when the app closes.
 * @throws RangeError for a non-positive limit.
 */
export function createServeApp(opts: ServeAppOptions): FastifyInstance {
  const scrubber = SecretScrubber.forGateway(opts.gateway.config, [opts.token, ...(opts.secrets ?? [])]);
  const app = newFastify(opts, scrubber);
  const ctx = serveContext(app, opts, scrubber);

  // Only JSON bodies: anything else is a 415 rather than a string that fails validation.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(({ schema }) => (data: unknown) => {
    const r = (schema as z.ZodType).safeParse(data);
    return r.success ? { value: r.data } : { error: new BodySchemaError(toIssues(r.error.issues)) };
  });
  guardRequests(app, opts, ctx);
  app.addHook('onResponse', async (req, reply) => {
    ctx.counters.http(req.routeOptions.url ?? 'unmatched', reply.statusCode);
  });
  app.setNotFoundHandler(async (req, reply) => {
    ctx.counters.rejected('not_found');
    const wire = wireOf(req.url);
    const message = `no route ${req.method} ${req.url.split('?')[0]}`;
    if (wire === undefined) return reply.code(404).send(problem(ServeErrorCode.NOT_FOUND, message));
    const f = requestFailure(404, ServeErrorCode.NOT_FOUND, message);
    f.openai = { type: 'invalid_request_error', code: 'unknown_url' };
    return reply.code(404).header('x-should-retry', 'false').send(wireBody(wire, f));
  });
  const bodyLimit = app.initialConfig.bodyLimit ?? DEFAULT_BODY_LIMIT;
  app.setErrorHandler(async (err: FastifyError | BodySchemaError, req, reply) => {
    const wire = wireOf(req.url);
    if (wire !== undefined && !(err instanceof BodySchemaError)) {
      const f = wireFailureOf(err, bodyLimit, ctx, (e) => req.log.error({ err: e }, 'unexpected failure'));
      return reply.code(f.status).header('x-should-retry', 'false').send(wireBody(wire, f));
    }
    return problemReply(err, reply, bodyLimit, ctx, (e) => req.log.error({ err: e }, 'unexpected failure'));
  });

  opsRoutes(app, ctx);
  executeRoute(app, ctx);
  chainRoutes(app, ctx);
  cooldownRoutes(app, ctx);
  planetRoutes(app, ctx);
  workflowRoutes(app, ctx);
  openaiRoutes(app, ctx);
  anthropicRoutes(app, ctx);
  if (opts.control !== undefined) app.register(controlRoutes, opts.control);
  return app;
}

/** The Fastify instance: body limit, JSON log lines scrubbed of secrets (or no logger), time limits. */
function newFastify(opts: ServeAppOptions, scrubber: SecretScrubber): FastifyInstance {
  const log = opts.log;
  return Fastify({
    bodyLimit: positive('bodyLimitBytes', opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT),
    logger:
      log === undefined
        ? false
        : {
            level: opts.logLevel ?? 'info',
            stream: { write: (line: string) => log(scrubber.scrub(line).trimEnd()) },
          },
    // A body must arrive within 30 s; an LLM call may take longer (the gateway's own time limits bound it).
    requestTimeout: 30_000,
    return503OnClosing: true,
  });
}

/** What the routes share; the planet desk (and a default bus) and the key ring close with the app. */
function serveContext(app: FastifyInstance, opts: ServeAppOptions, scrubber: SecretScrubber): ServeContext {
  const gate = new ConcurrencyGate(positive('maxConcurrent', opts.maxConcurrent ?? DEFAULT_MAX_CONCURRENT));
  const chains = new Set<string>();
  const gateway = opts.gateway;
  const bus = opts.bus ?? new LocalBus();
  const desk = openPlanetDesk({
    bus,
    planets: opts.planets ?? builtinPlanetCatalog(),
    gateway,
    moons: opts.moons,
    chains: (id) => {
      const chain = chains.has(id) ? gateway.chain(id) : undefined;
      return chain === undefined ? undefined : chargedTo(gateway, chain);
    },
    // As many analyses at once as the route lets through: the bus adds no queue of its own.
    concurrency: gate.limit,
    remote: opts.remotePlanets,
  });
  app.addHook('onClose', async () => {
    await desk.stop();
    if (opts.bus === undefined) await bus.close();
  });
  const keys = opts.keys === undefined ? undefined : new KeyRing(opts.keys, gateway);
  if (keys !== undefined) app.addHook('onClose', async () => keys.flush());
  return {
    gateway,
    clock: opts.clock ?? systemClock,
    desk,
    moons: opts.moons,
    gate,
    counters: new ServeCounters(),
    schemas: new AnswerSchemas(),
    chains,
    maxChains: positive('maxChains', opts.maxChains ?? 1000),
    overloadRetryAfterS: positive('overloadRetryAfterS', opts.overloadRetryAfterS ?? 1),
    token: opts.token,
    requireKey: opts.requireKey === true,
    keys,
    models: new ModelCatalog(gateway.config),
    scrubber,
    memoryHealth:
      opts.control === undefined ? undefined : memoryHealthReader(opts.control.ledgerPath, opts.control.now),
  };
}

/**
 * Who may ask: without a token, only loopback hosts (and `allowedHosts`); with one, its bearer — the
 * compatible routes authenticate their own callers, `/chains` also takes a virtual key.
 */
function guardRequests(app: FastifyInstance, opts: ServeAppOptions, ctx: ServeContext): void {
  const counters = ctx.counters;
  if (opts.token === undefined) {
    app.addHook(
      'onRequest',
      hostGuard(opts.allowedHosts ?? [], () => counters.rejected('forbidden_host')),
    );
    return;
  }
  app.addHook(
    'onRequest',
    bearerAuth(opts.token, () => counters.rejected('unauthorized'), {
      selfAuthenticated: (route) => wireOf(route) !== undefined,
      alsoAccepts: (route, credential) =>
        route.startsWith('/chains') &&
        credential.startsWith(VIRTUAL_KEY_PREFIX) &&
        ctx.keys?.authenticate(credential).ok === true,
    }),
  );
}

type LogFailure = (err: { name: string; message: string }) => void;

/** A Fastify failure on a compatible route as the wire's failure (counted; a 5xx logged, scrubbed). */
function wireFailureOf(
  err: FastifyError,
  bodyLimit: number,
  ctx: ServeContext,
  logFailure: LogFailure,
): WireFailure {
  const status = err.statusCode ?? 500;
  if (status >= 500) {
    logFailure({ name: err.name, message: ctx.scrubber.scrub(err.message) });
    return requestFailure(500, ServeErrorCode.INTERNAL, 'internal error; see the server log');
  }
  if (status === 413) {
    ctx.counters.rejected('body_too_large');
    return requestFailure(413, ServeErrorCode.BODY_TOO_LARGE, `the body is larger than ${bodyLimit} bytes`);
  }
  ctx.counters.rejected('invalid_body');
  if (status === 415) {
    return requestFailure(
      415,
      ServeErrorCode.UNSUPPORTED_MEDIA_TYPE,
      'send the body as Content-Type: application/json',
    );
  }
  return requestFailure(
    status,
    ServeErrorCode.INVALID_BODY,
    `invalid request: ${ctx.scrubber.scrub(err.message)}`,
  );
}

/** A failure on one of Orrery's own routes as a problem body (counted; a 5xx logged, scrubbed). */
function problemReply(
  err: FastifyError | BodySchemaError,
  reply: FastifyReply,
  bodyLimit: number,
  ctx: ServeContext,
  logFailure: LogFailure,
): FastifyReply {
  if (err instanceof BodySchemaError) {
    ctx.counters.rejected('invalid_body');
    return reply.code(400).send(invalidBody(err.issues));
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      ctx.counters.rejected('body_too_large');
      return reply
        .code(413)
        .send(problem(ServeErrorCode.BODY_TOO_LARGE, `the body is larger than ${bodyLimit} bytes`));
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply
        .code(415)
        .send(
          problem(ServeErrorCode.UNSUPPORTED_MEDIA_TYPE, 'send the body as Content-Type: application/json'),
        );
  }
  const status = err.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    ctx.counters.rejected('invalid_body');
    return reply
      .code(status)
      .send(invalidBody([{ path: '(root)', message: ctx.scrubber.scrub(err.message) }], 'request'));
  }
  logFailure({ name: err.name, message: ctx.scrubber.scrub(err.message) });
  return reply.code(500).send(problem(ServeErrorCode.INTERNAL, 'internal error; see the server log'));
}

function positive(name: string, n: number): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${name} must be an integer >= 1, got ${n}`);
  return n;
}

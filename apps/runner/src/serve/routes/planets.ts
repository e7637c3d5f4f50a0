import { AgentsErrorCode, type LLMCaller } from '@orrery/agents';
import {
  InvalidMessageError,
  MailboxFullError,
  NoRespondersError,
  RemoteError,
  RequestTimeoutError,
} from '@orrery/bus';
import type { BudgetTracker, Gateway } from '@orrery/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { type AnalyzeBody, analyzeBodySchema } from '../bodies/analyze.ts';
import { clientGone, overloaded, type ServeContext } from '../context.ts';
import { analysisInput } from '../planet-analysis.ts';
import type { DeskPlanet } from '../planet-desk.ts';
import { invalidBody, problem, ServeErrorCode } from '../problem.ts';

/** The gateway with every request charged to `chain`. */
export function chargedTo(gateway: Gateway, chain: BudgetTracker): LLMCaller {
  return {
    execute: (req) => gateway.execute({ ...req, budget: chain }),
    canServe: (task, options) => gateway.canServe(task, options),
    budgetStatus: () => gateway.budgetStatus(),
  };
}

function unknownChain(reply: FastifyReply, chainId: string): FastifyReply {
  return reply
    .code(400)
    .send(
      problem(ServeErrorCode.UNKNOWN_CHAIN, `chainId: no open budget chain ${JSON.stringify(chainId)}`, [
        { path: 'chainId', message: 'no open budget chain has this id (POST /chains opens one)' },
      ]),
    );
}

/**
 * `GET /planets` lists the planets answered here, `{ planets: [names], remote: [names], transport }`
 * (`remote`: hosted by `orrery planet` workers; `transport`: `local`, or where the workers are).
 * `POST /planets/:name/analyze` runs one of them on a market snapshot (see `analyzeBodySchema`): the route
 * checks the body and runs the moons, then sends the snapshot as a bus request to `planet.<name>` — in
 * process for the hosted planets, over NATS for the remote ones — and answers the reply: 200 with a
 * `PlanetAnalysis`, 404 `ORRERY_AGENTS_UNKNOWN_PLANET` for a planet not answered here, 400 naming the
 * offending path, and for a remote planet 503 `ORRERY_HTTP_PLANET_UNAVAILABLE` (no worker), 504
 * `ORRERY_HTTP_PLANET_TIMEOUT` (no answer within `agents.transport.timeoutMs`) or 502
 * `ORRERY_HTTP_PLANET_FAILED`. The planet's LLM call, if any, goes through its gateway (serve's for a hosted
 * planet, charged to `chainId` when given; a failed or refused call leaves the deterministic analysis,
 * recorded in `report.llm`).
 */
export function planetRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const desk = ctx.desk;
  const names = () => desk.planets.map((p) => p.name);
  app.get('/planets', async () => ({
    planets: names(),
    remote: desk.planets.filter((p) => p.where === 'remote').map((p) => p.name),
    transport: desk.remoteWhere ?? 'local',
  }));

  app.post<{ Params: { name: string }; Body: AnalyzeBody }>(
    '/planets/:name/analyze',
    {
      schema: { body: analyzeBodySchema },
      // An unknown planet is a 404 whatever the body holds.
      preValidation: async (req, reply) => {
        if (desk.whereIs(req.params.name) === undefined) {
          ctx.counters.rejected('not_found');
          return reply
            .code(404)
            .send(
              problem(
                AgentsErrorCode.UNKNOWN_PLANET,
                `no planet ${JSON.stringify(req.params.name)} here (answered: ${names().join(', ')})`,
              ),
            );
        }
      },
    },
    async (req, reply) => {
      const release = ctx.gate.tryEnter();
      if (release === undefined) return overloaded(reply, ctx);
      const gone = clientGone(reply);
      const name = req.params.name;
      const where = desk.whereIs(name) ?? 'local';
      try {
        const body = req.body;
        if (body.chainId !== undefined) {
          if (!ctx.chains.has(body.chainId)) return unknownChain(reply, body.chainId);
          if (where === 'remote') {
            ctx.counters.rejected('invalid_body');
            return reply
              .code(400)
              .send(
                problem(
                  ServeErrorCode.INVALID_BODY,
                  `chainId: planet ${name} is hosted by a remote worker whose own gateway pays; budget chains reach in-process planets only`,
                  [{ path: 'chainId', message: `planet ${name} is remote (agents.transport.planets)` }],
                ),
              );
          }
        }
        const checked = analysisInput(body, ctx.moons);
        if (!checked.ok) {
          ctx.counters.rejected('invalid_body');
          return reply.code(400).send(invalidBody(checked.issues));
        }
        try {
          const analysis = await desk.analyze(name, checked.input, {
            chainId: body.chainId,
            signal: gone.signal,
          });
          ctx.counters.mode(analysis.mode);
          ctx.counters.planet(name, analysis.report.source);
          return ctx.scrubber.scrubDeep(analysis);
        } catch (err) {
          return consultFailure(err, reply, ctx, name, where, body.chainId);
        }
      } finally {
        gone.done();
        release();
      }
    },
  );
}

/**
 * The answer to a failed consult. A hosted planet's failure other than a closed chain is a bug (500, via
 * the error handler); a remote planet's are the worker's, answered with a typed code.
 */
function consultFailure(
  err: unknown,
  reply: FastifyReply,
  ctx: ServeContext,
  name: string,
  where: DeskPlanet['where'],
  chainId: string | undefined,
): FastifyReply {
  if (err instanceof RemoteError && err.remoteCode === ServeErrorCode.UNKNOWN_CHAIN && chainId !== undefined)
    return unknownChain(reply, chainId); // closed between the check and the analysis
  if (where === 'local') throw err;
  const at = `planet.${name} on ${ctx.desk.remoteWhere}`;
  if (err instanceof NoRespondersError || err instanceof MailboxFullError) {
    return reply
      .code(503)
      .send(
        problem(
          ServeErrorCode.PLANET_UNAVAILABLE,
          err instanceof NoRespondersError
            ? `no worker hosts ${at}; start one with \`orrery planet ${name} --nats URL\``
            : `the workers of ${at} are full; retry later`,
        ),
      );
  }
  if (err instanceof RequestTimeoutError) {
    return reply
      .code(504)
      .send(
        problem(
          ServeErrorCode.PLANET_TIMEOUT,
          `no worker of ${at} answered within ${err.timeoutMs} ms (agents.transport.timeoutMs); retry, or check the workers`,
        ),
      );
  }
  if (err instanceof RemoteError && err.remoteCode === ServeErrorCode.INVALID_BODY) {
    ctx.counters.rejected('invalid_body');
    return reply.code(400).send(problem(ServeErrorCode.INVALID_BODY, ctx.scrubber.scrub(err.message)));
  }
  if (err instanceof RemoteError || err instanceof InvalidMessageError) {
    return reply
      .code(502)
      .send(
        problem(
          ServeErrorCode.PLANET_FAILED,
          `${at} failed: ${ctx.scrubber.scrub(err.message)} (see the worker's log)`,
        ),
      );
  }
  throw err;
}

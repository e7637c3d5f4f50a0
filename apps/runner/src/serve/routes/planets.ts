import { AgentsErrorCode, type LLMCaller } from '@orrery/agents';
import type { BudgetTracker, Gateway } from '@orrery/core';
import type { FastifyInstance } from 'fastify';
import { type AnalyzeBody, analyzeBodySchema } from '../bodies/analyze.ts';
import { clientGone, overloaded, type ServeContext } from '../context.ts';
import { analysisInput, runAnalysis } from '../planet-analysis.ts';
import { invalidBody, problem, ServeErrorCode } from '../problem.ts';

/** The gateway with every request charged to `chain`. */
export function chargedTo(gateway: Gateway, chain: BudgetTracker): LLMCaller {
  return {
    execute: (req) => gateway.execute({ ...req, budget: chain }),
    canServe: (task, options) => gateway.canServe(task, options),
    budgetStatus: () => gateway.budgetStatus(),
  };
}

/**
 * `GET /planets` lists the hosted planets; `POST /planets/:name/analyze` runs one of them on a market
 * snapshot (see `analyzeBodySchema`): 200 with a `PlanetAnalysis`, 404 `ORRERY_AGENTS_UNKNOWN_PLANET`
 * for a planet not hosted, 400 naming the offending path. The planet's LLM call, if any, goes through the
 * gateway like any other (a failed or refused call leaves the deterministic analysis, recorded in
 * `report.llm`).
 */
export function planetRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/planets', async () => ({ planets: ctx.planets.names }));

  app.post<{ Params: { name: string }; Body: AnalyzeBody }>(
    '/planets/:name/analyze',
    {
      schema: { body: analyzeBodySchema },
      // An unknown planet is a 404 whatever the body holds.
      preValidation: async (req, reply) => {
        if (!ctx.planets.names.includes(req.params.name)) {
          ctx.counters.rejected('not_found');
          return reply
            .code(404)
            .send(
              problem(
                AgentsErrorCode.UNKNOWN_PLANET,
                `no planet ${JSON.stringify(req.params.name)} here (hosted: ${ctx.planets.names.join(', ')})`,
              ),
            );
        }
      },
    },
    async (req, reply) => {
      const release = ctx.gate.tryEnter();
      if (release === undefined) return overloaded(reply, ctx);
      const gone = clientGone(reply);
      try {
        const body = req.body;
        let caller: LLMCaller = ctx.gateway;
        if (body.chainId !== undefined) {
          const chain = ctx.chains.has(body.chainId) ? ctx.gateway.chain(body.chainId) : undefined;
          if (chain === undefined) {
            return reply
              .code(400)
              .send(
                problem(
                  ServeErrorCode.UNKNOWN_CHAIN,
                  `chainId: no open budget chain ${JSON.stringify(body.chainId)}`,
                  [{ path: 'chainId', message: 'no open budget chain has this id (POST /chains opens one)' }],
                ),
              );
          }
          caller = chargedTo(ctx.gateway, chain);
        }
        const checked = analysisInput(body, ctx.moons);
        if (!checked.ok) {
          ctx.counters.rejected('invalid_body');
          return reply.code(400).send(invalidBody(checked.issues));
        }
        const planet = ctx.planets.create(req.params.name, caller);
        if (planet === undefined)
          return reply.code(404).send(problem(AgentsErrorCode.UNKNOWN_PLANET, 'unknown planet'));
        const analysis = await runAnalysis(planet, checked.input, { signal: gone.signal });
        ctx.counters.mode(analysis.mode);
        ctx.counters.planet(planet.name, analysis.report.source);
        return ctx.scrubber.scrubDeep(analysis);
      } finally {
        gone.done();
        release();
      }
    },
  );
}

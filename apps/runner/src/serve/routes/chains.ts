import type { FastifyInstance, FastifyReply } from 'fastify';
import { type OpenChainBody, openChainBodySchema } from '../bodies/chain.ts';
import type { ServeContext } from '../context.ts';
import { problem, ServeErrorCode } from '../problem.ts';

/**
 * Budget chains over HTTP (a delegation chain's shared cap, FR-4): `POST /chains` opens one (201 with its
 * usage, `id` included), `GET /chains/:id` reports its usage, `DELETE /chains/:id` closes it (200 with the
 * final usage). Pass the id as `chainId` to `/execute` or a planet analysis to charge calls to it.
 */
export function chainRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const unknown = (reply: FastifyReply, id: string) =>
    reply.code(404).send(problem(ServeErrorCode.UNKNOWN_CHAIN, `no open budget chain ${JSON.stringify(id)}`));

  app.post<{ Body: OpenChainBody }>(
    '/chains',
    { schema: { body: openChainBodySchema } },
    async (req, reply) => {
      if (ctx.chains.size >= ctx.maxChains) {
        return reply
          .code(429)
          .send(
            problem(
              ServeErrorCode.CHAIN_LIMIT,
              `${ctx.chains.size} budget chains are open (the limit); close one with DELETE /chains/:id first`,
            ),
          );
      }
      const tracker = ctx.gateway.openChain({
        maxTokens: req.body.maxTokens,
        maxCostUsd: req.body.maxCostUsd,
        name: req.body.name ?? 'http',
      });
      ctx.chains.add(tracker.id);
      return reply.code(201).send(tracker.toJSON());
    },
  );

  app.get<{ Params: { id: string } }>('/chains/:id', async (req, reply) => {
    const tracker = ctx.chains.has(req.params.id) ? ctx.gateway.chain(req.params.id) : undefined;
    if (tracker === undefined) return unknown(reply, req.params.id);
    return tracker.toJSON();
  });

  app.delete<{ Params: { id: string } }>('/chains/:id', async (req, reply) => {
    const tracker = ctx.chains.has(req.params.id) ? ctx.gateway.chain(req.params.id) : undefined;
    if (tracker === undefined) return unknown(reply, req.params.id);
    ctx.gateway.closeChain(tracker.id);
    ctx.chains.delete(tracker.id);
    return tracker.toJSON();
  });
}

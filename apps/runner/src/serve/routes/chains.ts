import type { BudgetTracker } from '@orrery/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type OpenChainBody, openChainBodySchema } from '../bodies/chain.ts';
import { presentedCredential } from '../compat/compat-call.ts';
import type { KeyState } from '../compat/key-ring.ts';
import type { ServeContext } from '../context.ts';
import { problem, ServeErrorCode } from '../problem.ts';
import { VIRTUAL_KEY_PREFIX } from '../virtual-keys.ts';

/**
 * Budget chains over HTTP (a delegation chain's shared cap, FR-4): `POST /chains` opens one (201 with its
 * usage, `id` included), `GET /chains/:id` reports its usage, `DELETE /chains/:id` closes it (200 with the
 * final usage). Pass the id as `chainId` to `/execute` or a planet analysis (or as `x-orrery-chain` to the
 * compatible routes) to charge calls to it. With `parent` the chain is a child of an open one. Called with
 * a virtual key, the routes see only the key's own chain and the chains under it, and a new chain is
 * opened under the key's (A → B → C inside the key's budget).
 */
export function chainRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const unknown = (reply: FastifyReply, id: string) =>
    reply.code(404).send(problem(ServeErrorCode.UNKNOWN_CHAIN, `no open budget chain ${JSON.stringify(id)}`));

  /** The key a request presents, when it is one (the auth hook has checked it already). */
  const keyOf = (req: FastifyRequest): KeyState | undefined => {
    const cred = presentedCredential(req);
    if (cred?.startsWith(VIRTUAL_KEY_PREFIX) !== true) return undefined;
    const r = ctx.keys?.authenticate(cred);
    return r?.ok === true ? r.state : undefined;
  };
  /** The open chain `id` as the caller may see it. */
  const visible = (req: FastifyRequest, id: string): BudgetTracker | undefined => {
    const key = keyOf(req);
    if (key !== undefined) return ctx.chains.has(id) ? key.tracker.find(id) : undefined;
    return ctx.chains.has(id) ? ctx.gateway.chain(id) : undefined;
  };

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
      const key = keyOf(req);
      const parentId = req.body.parent;
      let parent: BudgetTracker | undefined;
      if (parentId !== undefined) {
        parent = visible(req, parentId) ?? (key?.tracker.id === parentId ? key.tracker : undefined);
        if (parent === undefined) {
          return reply
            .code(400)
            .send(
              problem(
                ServeErrorCode.UNKNOWN_CHAIN,
                `parent: no open budget chain ${JSON.stringify(parentId)}`,
                [{ path: 'parent', message: 'no open budget chain with this id is visible to this caller' }],
              ),
            );
        }
      } else parent = key?.tracker;
      const options = {
        maxTokens: req.body.maxTokens,
        maxCostUsd: req.body.maxCostUsd,
        name: req.body.name ?? 'http',
      };
      const tracker = parent === undefined ? ctx.gateway.openChain(options) : parent.child(options);
      ctx.chains.add(tracker.id);
      return reply.code(201).send(tracker.toJSON());
    },
  );

  app.get<{ Params: { id: string } }>('/chains/:id', async (req, reply) => {
    const key = keyOf(req);
    const tracker =
      key !== undefined && key.tracker.id === req.params.id ? key.tracker : visible(req, req.params.id);
    if (tracker === undefined) return unknown(reply, req.params.id);
    return tracker.toJSON();
  });

  app.delete<{ Params: { id: string } }>('/chains/:id', async (req, reply) => {
    const tracker = visible(req, req.params.id);
    if (tracker === undefined) return unknown(reply, req.params.id);
    ctx.gateway.closeChain(tracker.id);
    ctx.chains.delete(tracker.id);
    return tracker.toJSON();
  });
}

import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServeContext } from '../context.ts';

/** The body of `POST /control/cooldowns/clear`: a provider and a model (`*`: the whole provider). */
export const clearCooldownBodySchema = z.strictObject({
  provider: z.string().min(1).max(200),
  /** The model, or `*` for everything of the provider (a quota disablement included). */
  model: z.string().min(1).max(200),
});

/**
 * The gateway's cooldowns over HTTP, as `orrery cooldowns` has them (same bearer auth as every route):
 * - `GET /control/cooldowns` — the pairs not called now: cooling after a 429/529, circuit breaker open,
 *   provider disabled for exhausted quota (`until: null` — until cleared);
 * - `POST /control/cooldowns/clear` `{provider, model}` — clears one (`model: "*"`: the provider);
 *   200 with `cleared` (entries removed) and what is still active.
 */
export function cooldownRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const active = () =>
    ctx.gateway.cooldowns().map((c) => ({ ...c, until: Number.isFinite(c.until) ? c.until : null }));

  app.get('/control/cooldowns', async () => ({ active: active() }));

  app.post<{ Body: z.output<typeof clearCooldownBodySchema> }>(
    '/control/cooldowns/clear',
    { schema: { body: clearCooldownBodySchema } },
    async (req) => {
      const cleared = ctx.gateway.clearCooldown(req.body.provider, req.body.model);
      req.log.info({ provider: req.body.provider, model: req.body.model, cleared }, 'cooldown cleared');
      return { cleared, active: active() };
    },
  );
}

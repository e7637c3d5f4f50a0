import type { FastifyInstance } from 'fastify';
import type { ServeContext } from '../context.ts';
import { PROMETHEUS_CONTENT_TYPE } from '../serve-metrics.ts';

/** `GET /healthz` (never needs the token; says only that the process answers) and `GET /metrics` (Prometheus). */
export function opsRoutes(app: FastifyInstance, ctx: ServeContext): void {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/metrics', async (_req, reply) => {
    const text = await ctx.counters.exposition({
      gateway: ctx.gateway.metrics(),
      now: ctx.clock.now(),
      inFlight: ctx.gate.inFlight,
      concurrencyLimit: ctx.gate.limit,
      openChains: ctx.chains.size,
      memory: ctx.memoryHealth?.(),
    });
    return reply.type(PROMETHEUS_CONTENT_TYPE).send(text);
  });
}

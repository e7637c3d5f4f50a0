import { LLMError, type LLMResponse } from '@orrery/core';
import type { FastifyInstance } from 'fastify';
import type { ZodType } from 'zod';
import { type ExecuteBody, executeBodySchema } from '../bodies/execute.ts';
import { clientGone, overloaded, type ServeContext } from '../context.ts';
import { llmFailureStatus } from '../llm-status.ts';
import { invalidBody, problem, ServeErrorCode } from '../problem.ts';

/**
 * `POST /execute`: one LLM request through the gateway (routing, policy, cache, chain and global budgets,
 * cooldowns). 200 with the `LLMResponse`; a gateway failure answers the same shape with `success: false`
 * and the status of `llmFailureStatus` (429 + `Retry-After` when waiting helps).
 */
export function executeRoute(app: FastifyInstance, ctx: ServeContext): void {
  app.post<{ Body: ExecuteBody }>('/execute', { schema: { body: executeBodySchema } }, async (req, reply) => {
    const release = ctx.gate.tryEnter();
    if (release === undefined) return overloaded(reply, ctx);
    const gone = clientGone(reply);
    try {
      const body = req.body;
      let schema: ZodType | undefined;
      if (body.answerSchema !== undefined) {
        const converted = ctx.schemas.get(body.answerSchema);
        if (!converted.ok) {
          ctx.counters.rejected('invalid_body');
          return reply
            .code(400)
            .send(invalidBody([{ path: converted.path ?? 'answerSchema', message: converted.message }]));
        }
        schema = converted.schema;
      }
      const budget = body.chainId === undefined ? undefined : ctx.gateway.chain(body.chainId);
      if (body.chainId !== undefined && (budget === undefined || !ctx.chains.has(body.chainId))) {
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
      ctx.counters.mode(body.mode ?? 'unspecified');
      try {
        const res = await ctx.gateway.execute({
          task: body.task,
          messages: body.messages,
          schema,
          critical: body.critical,
          budget,
          maxTokens: body.maxTokens,
          temperature: body.temperature,
          timeoutMs: body.timeoutMs,
          mode: body.mode,
          agent: body.agent ?? 'http',
          target: body.target,
          cache: body.cache,
          currentFeatures: body.currentFeatures,
          signal: gone.signal,
        });
        // A secret the model echoed (a configured key, or anything shaped like one) never leaves.
        return ctx.scrubber.scrubResponse(res);
      } catch (err) {
        if (!(err instanceof LLMError)) throw err;
        const status = llmFailureStatus(err, ctx.clock.now());
        req.log.info(
          { code: err.code, status: status.status, detail: err.message },
          'gateway refused or failed',
        );
        if (status.retryAfterS !== undefined) reply.header('retry-after', String(status.retryAfterS));
        const failed: LLMResponse & { error: Record<string, unknown> } = {
          text: '',
          provider: err.provider ?? '',
          model: err.model ?? '',
          latencyMs: 0,
          // A failed call is paid too (a badly formatted answer used its tokens): what the gateway says.
          tokensIn: err.usage?.tokensIn ?? 0,
          tokensOut: err.usage?.tokensOut ?? 0,
          costUsd: err.usage?.costUsd ?? 0,
          cached: false,
          success: false,
          error: { code: err.code, message: err.message, ...status.details },
        };
        return reply.code(status.status).send(failed);
      }
    } finally {
      gone.done();
      release();
    }
  });
}

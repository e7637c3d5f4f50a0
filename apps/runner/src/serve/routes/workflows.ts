import { parseSolarSystemConfig } from '@orrery/agents';
import { LLMError } from '@orrery/core';
import {
  PlanRejectedError,
  planWorkflow,
  RunError,
  type WorkflowEngine,
  WorkflowMode,
  WorkflowSchemaError,
  WorkflowValidationError,
} from '@orrery/workflow';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { openWorkflowEngine } from '../../workflows/engine.ts';
import { workflowAgents } from '../../workflows/registry.ts';
import { clientGone, overloaded, type ServeContext } from '../context.ts';
import { llmFailureStatus } from '../llm-status.ts';
import { problem } from '../problem.ts';

const bodySchema = z
  .strictObject({
    /** A workflow to run (as `orrery workflow plan` writes it). */
    workflow: z.record(z.string(), z.unknown()).optional(),
    /** Or a request in words: planned with one LLM call (repaired once or rejected), then run. */
    request: z.string().min(1).max(8000).optional(),
    /** The run's id (default: a random one); a second POST with the same id answers 409. */
    runId: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
      .optional(),
    mode: z.enum(['STRICT', 'ADAPTIVE', 'CREATIVE']).default('STRICT'),
  })
  .refine((b) => (b.workflow === undefined) !== (b.request === undefined), {
    message: 'send exactly one of "workflow" or "request"',
    path: ['workflow'],
  });
type Body = z.output<typeof bodySchema>;

/**
 * `POST /workflows`: runs a workflow (`workflow`) — or plans one from `request` with one LLM call and
 * runs it — with the runner's workflow agents, its LLM calls through the server's gateway (budget,
 * cooldowns), and answers when it has finished: 200 `{ runId, status, outputs, steps, error?, plan? }`
 * (a failed run is still a 200 whose `status` says `failed`). 400 `ORRERY_WORKFLOW_SCHEMA|INVALID` for a
 * workflow that cannot run (nothing ran), 422 `ORRERY_WORKFLOW_PLAN_REJECTED`, 409 for a used `runId`,
 * gateway refusals as in `POST /execute`. Runs are kept in memory for the server's life.
 */
export function workflowRoutes(app: FastifyInstance, ctx: ServeContext): void {
  const engines = new Map<string, WorkflowEngine>();
  const agents = parseSolarSystemConfig(ctx.moons);
  const engineFor = (mode: WorkflowMode) => {
    let e = engines.get(mode);
    if (e === undefined) {
      e = openWorkflowEngine({ dbPath: ':memory:', gateway: ctx.gateway, agents, cwd: process.cwd(), mode });
      engines.set(mode, e);
    }
    return e;
  };
  app.addHook('onClose', async () => {
    await Promise.all([...engines.values()].map((e) => e.close()));
  });

  app.post<{ Body: Body }>('/workflows', { schema: { body: bodySchema } }, async (req, reply) => {
    const release = ctx.gate.tryEnter();
    if (release === undefined) return overloaded(reply, ctx);
    const gone = clientGone(reply);
    try {
      const { request, runId, mode } = req.body;
      let workflow: unknown = req.body.workflow;
      let plan: { repaired: boolean; attempts: number } | undefined;
      if (request !== undefined) {
        const registry = workflowAgents({ agents, cwd: process.cwd() });
        const planned = await planWorkflow(ctx.gateway, request, registry, { signal: gone.signal });
        workflow = planned.workflow;
        plan = { repaired: planned.repaired, attempts: planned.attempts };
      }
      const result = await engineFor(WorkflowMode[mode]).run(workflow, {
        ...(runId === undefined ? {} : { runId }),
        signal: gone.signal,
      });
      return {
        runId: result.runId,
        status: result.status,
        workflow: result.workflow,
        outputs: result.outputs,
        steps: result.steps,
        ...(result.error === undefined ? {} : { error: result.error }),
        ...(plan === undefined ? {} : { plan }),
      };
    } catch (err) {
      if (err instanceof WorkflowSchemaError || err instanceof WorkflowValidationError) {
        const issues = err.issues.map((i) => ({ path: i.path || '(root)', message: i.message }));
        return reply.code(400).send(problem(err.code, err.message, issues));
      }
      if (err instanceof PlanRejectedError) {
        const issues = err.issues.map((i) => ({ path: i.path || '(root)', message: i.message }));
        return reply.code(422).send(problem(err.code, err.message, issues));
      }
      if (err instanceof RunError) return reply.code(409).send(problem(err.code, err.message));
      if (err instanceof LLMError) {
        const status = llmFailureStatus(err, ctx.clock.now());
        if (status.retryAfterS !== undefined) reply.header('retry-after', String(status.retryAfterS));
        return reply.code(status.status).send(problem(err.code, err.message));
      }
      throw err;
    } finally {
      gone.done();
      release();
    }
  });
}

import type { ApprovalStatus } from '@orrery/broker';
import {
  type ControlCommandInput,
  ControlError,
  checkCommandForRun,
  controlCommandSchema,
  LedgerError,
} from '@orrery/broker';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { RunnerErrorCode } from '../errors.ts';
import { readMemoryHealth } from '../runs/memory-health.ts';
import { problem } from '../serve/problem.ts';
import { type ControlHandle, openControl } from './open-run.ts';
import { controlStatus } from './status.ts';

/** Options of {@link controlRoutes}. */
export interface ControlRoutesOptions {
  /** The run ledger the operator commands go to (`run.ledgerPath`). */
  ledgerPath: string;
  /** The wall clock that stamps commands (default `Date.now`). */
  now?: (() => number) | undefined;
  /** `agents.risk.maxPositionFraction`, to refuse a `force` beyond it (the broker's limits always apply). */
  maxPositionFraction?: number | undefined;
}

const approvalsQuery = z.strictObject({
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'superseded']).optional(),
});

/**
 * Operator control over HTTP, as a Fastify plugin (`app.register(controlRoutes, { ledgerPath })`); it
 * inherits the server's bearer auth, body limit and zod validation. `:run` is a run id or `latest`.
 *
 * - `GET /control/runs/:run` — what is in force, pending commands and approvals (`ControlStatus`).
 * - `POST /control/runs/:run/commands` — a command (`{kind, symbol?, target?, threshold?, expireBars?,
 *   approval?, by, reason?}`, as `orrery control`): 202 with the recorded command; it takes effect at the
 *   run's next cycle boundary. 400 for a malformed command, 404 for an unknown run, 409 when the approval
 *   named is unknown or no longer pending.
 * - `GET /control/runs/:run/approvals[?status=pending]` — the run's approvals.
 */
export async function controlRoutes(app: FastifyInstance, opts: ControlRoutesOptions): Promise<void> {
  const now = opts.now ?? Date.now;
  const withRun = <T>(reply: FastifyReply, run: string, fn: (h: ControlHandle) => T): T | FastifyReply => {
    let h: ControlHandle;
    try {
      h = openControl(opts.ledgerPath, run);
    } catch (err) {
      if (err instanceof LedgerError)
        return reply.code(404).send(problem(RunnerErrorCode.LEDGER_RUN, err.message));
      throw err;
    }
    try {
      return fn(h);
    } catch (err) {
      if (err instanceof ControlError) {
        const status = err.code === RunnerErrorCode.CONTROL_APPROVAL ? 409 : 400;
        return reply
          .code(status)
          .send(problem(err.code, err.message, [{ path: err.field, message: err.message }]));
      }
      throw err;
    } finally {
      h.close();
    }
  };

  app.get<{ Params: { run: string } }>('/control/runs/:run', async (req, reply) =>
    withRun(reply, req.params.run, (h) =>
      controlStatus(
        h.store,
        h.run,
        readMemoryHealth(h.ledger.db, h.run.id, now(), h.run.status === 'running'),
      ),
    ),
  );

  app.post<{ Params: { run: string }; Body: ControlCommandInput }>(
    '/control/runs/:run/commands',
    { schema: { body: controlCommandSchema } },
    async (req, reply) =>
      withRun(reply, req.params.run, (h) => {
        const { input } = checkCommandForRun(req.body, h.run, {
          maxPositionFraction: opts.maxPositionFraction,
        });
        return reply.code(202).send(h.store.issue(h.run.id, input, now()));
      }),
  );

  app.get<{ Params: { run: string }; Querystring: { status?: ApprovalStatus } }>(
    '/control/runs/:run/approvals',
    { schema: { querystring: approvalsQuery } },
    async (req, reply) =>
      withRun(reply, req.params.run, (h) => h.store.approvals(h.run.id, req.query.status)),
  );
}

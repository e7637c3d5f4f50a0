import type { ControlCommand, ControlStore, PaperBroker } from '@orrery/broker';
import type { LoopControl, StepControl } from '../control/loop-control.ts';
import { createRunControl } from '../control/run-control.ts';

/**
 * The operator control of a finished run, replayed into a shadow run: every command the real run applied
 * at a boundary (pause, resume, flatten, block, force, require-approval, …) is issued to the shadow's own
 * store just before the shadow reaches the same bar time, so it takes effect at the same boundary. An
 * approval or rejection is mapped to the shadow's pending approval in the same symbol (the shadow's agents
 * park their own decisions; when the shadow has none pending there, the command is dropped).
 *
 * So the no-LLM counterfactual is paused, flattened and forced exactly when the run was, and a pause is
 * not booked as the LLM's P&L.
 */
export function replayedControl(
  real: ControlStore,
  realRunId: string,
  shadow: ControlStore,
  shadowRunId: string,
): LoopControl {
  const byTime = new Map<number, ControlCommand[]>();
  for (const c of real.commands(realRunId)) {
    if (c.appliedTime === undefined || c.status === 'pending') continue;
    byTime.set(c.appliedTime, [...(byTime.get(c.appliedTime) ?? []), c]);
  }
  const inner = createRunControl(shadow, shadowRunId, () => 0);
  return {
    begin(time: number, broker: PaperBroker): StepControl {
      for (const c of byTime.get(time) ?? []) {
        const body = bodyOf(c);
        if (body.kind === 'approve' || body.kind === 'reject') {
          const symbol = real.approval(realRunId, String(body.approval))?.symbol;
          const mine = shadow.approvals(shadowRunId, 'pending').find((a) => a.symbol === symbol);
          if (mine === undefined) continue;
          body.approval = mine.id;
        }
        shadow.issue(shadowRunId, body, c.issuedAt);
      }
      return inner.begin(time, broker);
    },
  };
}

/** The command as it was issued (without its ledger bookkeeping). */
function bodyOf(c: ControlCommand): Record<string, unknown> {
  const { id: _id, runId: _run, issuedAt: _at, status: _s, appliedTime: _t, note: _n, ...body } = c;
  return body;
}

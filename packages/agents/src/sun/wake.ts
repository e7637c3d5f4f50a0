import { ExecutionMode } from '@orrery/core';
import { publishCriticals } from '../consult/sensing.ts';
import type { SunContext } from './context.ts';
import { deterministicPass, finishCycle, monitorDecision, type PassFailure } from './cycle-steps.ts';
import { type CycleInput, type CycleWork, newWork } from './cycle-work.ts';
import { peekMoons } from './sense.ts';

/** What an unscheduled wake found: nothing critical, a cycle decided at once, or one going on to reason. */
export type WakeStep =
  | { kind: 'quiet' }
  | { kind: 'decided'; work: CycleWork; stopPrice: number | undefined }
  | { kind: 'reasoning'; work: CycleWork; failures: PassFailure[] };

/**
 * The moons peek at a bar still forming (`forming.bar`, read at `asOf`); without a critical update
 * nothing happens and nothing changes. With one, each is published as a `moon.critical` (priority
 * `critical`, metric `critical.intrabar`) and an unscheduled cycle starts on the peeked snapshot: the
 * deterministic pass chooses its mode before any LLM call, exactly as at a bar close, and the work
 * carries `wokenBy`; the cycle's bar is the forming one stamped `asOf` (so are its record, its LLM
 * calls and what it trades). Nothing of the moons, `barsSeen` or the pending faults is touched.
 */
export function wakeStep(context: SunContext, id: number, forming: CycleInput, asOf: number): WakeStep {
  // The cycle is stamped when the bar was read: its record, LLM calls and orders all carry `asOf`.
  const input = { ...forming, bar: { ...forming.bar, time: asOf } };
  const snapshot = peekMoons(context, input);
  if (snapshot.criticalUpdates.length === 0) return { kind: 'quiet' };
  const reasons = [...snapshot.criticalUpdates];
  const w0: CycleWork = {
    ...newWork(id, input, []),
    wokenBy: { by: 'moon.critical', reasons, asOf, barTime: forming.bar.time },
  };
  const err = publishCriticals(context.deps.bus, snapshot, w0.log, asOf);
  if (err !== null) context.deps.log(`moon.critical of ${input.symbol} not published: ${err.message}`);
  const { work, failures } = deterministicPass(context, w0, snapshot);
  if (work.mode!.mode !== ExecutionMode.MONITOR_ONLY) return { kind: 'reasoning', work, failures };
  monitorDecision(context, work);
  const stopPrice = finishCycle(context, work);
  return { kind: 'decided', work, stopPrice };
}

import { ExecutionMode } from '@orrery/core';
import { publishSensing } from '../consult/sensing.ts';
import type { CycleRecord } from '../cycle-record.ts';
import type { SupervisionEscalatedError } from '../errors.ts';
import type { SunContext, SunEvent } from './context.ts';
import {
  closeRecord,
  deterministicPass,
  finishCycle,
  monitorDecision,
  type PassFailure,
} from './cycle-steps.ts';
import { type CycleWork, newWork } from './cycle-work.ts';
import { senseMoons } from './sense.ts';
import { broadcastDecision } from './stage-actors.ts';

/** The context fields sensing a bar replaces: the moon slots after supervision, the faults, the count. */
export type SensedBase = Pick<SunContext, 'moons' | 'faults' | 'barsSeen'>;

/**
 * What one CYCLE's bar made of the sun, computed in one go (see {@link senseCycle}) and then applied
 * to its context: the cycle failed; a moon's failure escalated; the cycle was decided MONITOR_ONLY (no
 * LLM, record built, decision broadcast); or it goes on to reason (routing). `failures` are the planets
 * that threw in the deterministic pass, whose supervision verdicts are applied after.
 */
export type SensedCycle =
  | { kind: 'failed'; id: number; error: Error; barsSeen: number }
  | { kind: 'escalated'; base: SensedBase; work: CycleWork; error: SupervisionEscalatedError }
  | {
      kind: 'decided';
      id: number;
      base: SensedBase;
      stopPrice: number | undefined;
      record: CycleRecord;
      failures: PassFailure[];
    }
  | { kind: 'reasoning'; base: SensedBase; work: CycleWork; failures: PassFailure[] };

/** The event that starts a scheduled cycle. */
export type CycleEvent = Extract<SunEvent, { type: 'CYCLE' }>;

/**
 * One CYCLE up to its mode, and a MONITOR_ONLY cycle to its end: the moons sensed (their readings
 * published), the deterministic pass, the mode; a MONITOR_ONLY cycle is then decided, clamped,
 * broadcast and recorded. Reads the context and changes only what it owns outside it (the moons'
 * state, the supervisor's counts, the edge calibrator, the bus): the caller applies the result.
 */
export function senseCycle(context: SunContext, e: CycleEvent): SensedCycle {
  const barsSeen = context.barsSeen + 1;
  const w0 = newWork(e.id, e.input, context.faults, e.batch ?? null);
  let base: SensedBase;
  let work: CycleWork;
  let failures: PassFailure[];
  try {
    const sensed = senseMoons(context, w0, barsSeen);
    const err = publishSensing(context.deps.bus, sensed.snapshot, w0.log);
    if (err !== null) context.deps.log(`moon readings of ${e.input.symbol} not published: ${err.message}`);
    base = { moons: sensed.moons, faults: [], barsSeen };
    // The work is this cycle's own (fresh from `newWork`): filled in place, not copied.
    w0.faults = [...w0.faults, ...sensed.faults];
    if (sensed.escalation !== null) return { kind: 'escalated', base, work: w0, error: sensed.escalation };
    ({ work, failures } = deterministicPass(context, w0, sensed.snapshot));
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    return { kind: 'failed', id: e.id, error: err, barsSeen };
  }
  if (work.mode!.mode !== ExecutionMode.MONITOR_ONLY) return { kind: 'reasoning', base, work, failures };
  work.batch?.seal();
  monitorDecision(context, work);
  const stopPrice = finishCycle(context, work);
  broadcastDecision(context, work);
  return { kind: 'decided', id: e.id, base, stopPrice, record: closeRecord(work), failures };
}

import type { ActorRefFrom } from 'xstate';
import type { CycleRecord } from '../cycle-record.ts';
import type { SunEvent } from './context.ts';
import type { sunMachine } from './machine.ts';
import { type CycleEvent, senseCycle } from './sense-cycle.ts';

/**
 * Runs a scheduled cycle on a symbol's sun. On an idle, running sun the cycle is sensed here, with the
 * same function the machine's CYCLE transition runs (`senseCycle`): when it ends MONITOR_ONLY with no
 * planet to supervise — the common case, every bar nothing happens on — its outcome is applied to the
 * sun's context in place, exactly the fields that transition assigns (the state stays `idle`, as it
 * does there), and the record is returned: no XState event, no snapshot copy. Otherwise this returns
 * the event the caller must send the sun — the sensed cycle as `CYCLE.SENSED`, or the CYCLE itself to a
 * sun that is not idle — whose record, or failure, then comes as `cycle.done` or `cycle.failed`.
 */
export function cycleDirect(
  actor: ActorRefFrom<typeof sunMachine>,
  e: CycleEvent,
): { record: CycleRecord } | { send: SunEvent } {
  const snap = actor.getSnapshot();
  if (snap.status !== 'active' || snap.value !== 'idle') return { send: e };
  const sensed = senseCycle(snap.context, e);
  if (sensed.kind !== 'decided' || sensed.failures.length > 0) {
    return { send: { type: 'CYCLE.SENSED', sensed } };
  }
  const c = snap.context;
  c.moons = sensed.base.moons;
  c.faults = sensed.base.faults;
  c.barsSeen = sensed.base.barsSeen;
  c.stopPrice = sensed.stopPrice;
  c.work = null;
  return { record: sensed.record };
}

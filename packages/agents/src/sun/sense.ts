import type { CycleFault } from '../cycle-record.ts';
import { SupervisionEscalatedError } from '../errors.ts';
import type { Moon } from '../moons/moon.ts';
import { buildSnapshot, type MoonSnapshot } from '../moons/snapshot.ts';
import type { Supervisor } from '../supervision.ts';
import type { MoonSlot, SunContext } from './context.ts';
import type { CycleInput, CycleWork } from './cycle-work.ts';
import { codeOf } from './decide.ts';
import { errorText } from './stages.ts';

/** What supervising one moon failure decided: the slot after it, the fault to record, an escalation. */
export interface MoonFailure {
  slot: MoonSlot;
  fault: CycleFault;
  escalation: SupervisionEscalatedError | null;
}

/**
 * Applies the restart policy to a moon that threw: a restart builds a fresh calculator from the factory
 * (it warms up again; a factory that throws leaves the moon stopped), `stop` and `escalate` stop it.
 */
export function superviseMoon(supervisor: Supervisor, slot: MoonSlot, error: unknown): MoonFailure {
  const child = `moon:${slot.name}`;
  const verdict = supervisor.failed(child);
  const fault: CycleFault = { child, error: errorText(error), verdict, ...codeOf(error) };
  let moon: Moon | null = null;
  if (verdict === 'restart') {
    try {
      moon = slot.create();
    } catch {
      moon = null;
    }
  }
  const escalation = verdict === 'escalate' ? new SupervisionEscalatedError(child, { cause: error }) : null;
  return { slot: { ...slot, gen: verdict === 'restart' ? slot.gen + 1 : slot.gen, moon }, fault, escalation };
}

/** What sensing one bar produced. */
export interface Sensed {
  snapshot: MoonSnapshot;
  /** The moon slots after supervision (the same array when no moon failed). */
  moons: MoonSlot[];
  /** Faults of moons that threw on this bar, in moon order. */
  faults: CycleFault[];
  /** The first escalation, if a moon's failure escalated (the cycle then fails). */
  escalation: SupervisionEscalatedError | null;
}

/**
 * Sensing, synchronously in the sun's transition: feeds the bar to every live moon in order (each sees
 * the readings of the moons before it) and assembles the snapshot. A moon that throws has no reading
 * this bar (it is listed in `failedMoons`) and is supervised at once, so the next moon and the next bar
 * see the policy's outcome. `barsSeen` counts the current bar.
 */
export function senseMoons(context: SunContext, work: CycleWork, barsSeen: number): Sensed {
  const { bar, portfolio, symbol } = work.input;
  const readings: Record<string, unknown> = {};
  const failed: string[] = [];
  const faults: CycleFault[] = [];
  let escalation: SupervisionEscalatedError | null = null;
  let moons = context.moons;
  const qty = portfolio.positions[symbol]?.qty ?? 0;
  const input = { bar, readings, positionQty: qty, stopPrice: qty === 0 ? undefined : context.stopPrice };
  for (let i = 0; i < moons.length; i++) {
    const slot = moons[i] as MoonSlot;
    if (slot.moon === null) {
      failed.push(slot.name);
      continue;
    }
    try {
      readings[slot.name] = slot.moon.update(input);
    } catch (error) {
      failed.push(slot.name);
      const out = superviseMoon(context.supervisor, slot, error);
      if (moons === context.moons) moons = [...moons];
      moons[i] = out.slot;
      faults.push(out.fault);
      escalation ??= out.escalation;
    }
  }
  return { snapshot: buildSnapshot(symbol, bar, barsSeen, readings, failed), moons, faults, escalation };
}

/**
 * Sensing a bar still forming: every live moon's `peek` (moons without one report nothing new), in
 * order, assembled into a snapshot. Nothing is committed — the moons, the supervisor and `barsSeen` are
 * as before — so the bar's final close is sensed exactly once, by {@link senseMoons}. A moon that throws
 * while peeking has no reading in this snapshot and is not supervised (its close will tell).
 */
export function peekMoons(context: SunContext, input: CycleInput): MoonSnapshot {
  const { bar, portfolio, symbol } = input;
  const readings: Record<string, unknown> = {};
  const failed: string[] = [];
  const qty = portfolio.positions[symbol]?.qty ?? 0;
  const seen = { bar, readings, positionQty: qty, stopPrice: qty === 0 ? undefined : context.stopPrice };
  for (const slot of context.moons) {
    try {
      if (slot.moon === null || slot.moon.peek === undefined) failed.push(slot.name);
      else readings[slot.name] = slot.moon.peek(seen);
    } catch {
      failed.push(slot.name);
    }
  }
  return buildSnapshot(symbol, bar, context.barsSeen + 1, readings, failed);
}

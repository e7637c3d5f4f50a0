import { ExecutionMode } from '@orrery/core';
import { createCallAllowance } from '../call-allowance.ts';
import type { SolarSystemConfig } from '../config.ts';
import type { CycleFault } from '../cycle-record.ts';
import type { Decision } from '../decision.ts';
import { ReasoningFailedError } from '../errors.ts';
import { fmt } from '../planets/planet.ts';
import { clampDecision } from '../risk-clamp.ts';
import type { SunContext } from './context.ts';
import { type CycleWork, lap } from './cycle-work.ts';
import type { ReasoningResult } from './reasoning.ts';
import {
  clampContext,
  consensusToDecision,
  errorCode,
  errorText,
  faultyReport,
  type SizingExtras,
  sizedDecision,
  sizingExtras,
  vote,
} from './stages.ts';
import { THOUGHT_AGENTS, type ThoughtKind } from './thoughts.ts';

/** The scratch state with a fresh LLM permit for `who` (also counted in the cycle's usage). */
export function withPermit(context: SunContext, who: 'sun' | 'backup-sun' | 'critic'): CycleWork {
  const w = context.work!;
  const { gateway, config } = context.deps;
  if (gateway === null) return { ...w, permit: null };
  const cycle = { symbol: w.input.symbol, time: w.input.bar.time };
  const permit = createCallAllowance(gateway, who, who === 'critic' ? 1 : config.sun.maxTurns, { cycle });
  // A reasoning stage also gets one permit per cached note (market summary, fragility card); a note
  // still good this cycle is a cache hit through it, no call.
  const notes =
    who === 'critic' || context.deps.thoughts == null
      ? []
      : (Object.keys(context.deps.thoughts.caches) as ThoughtKind[]).map((k) =>
          createCallAllowance(gateway, THOUGHT_AGENTS[k], 1, { cycle }),
        );
  return { ...w, permit, allowances: [...w.allowances, permit, ...notes] };
}

/** A hold at the current position (source `monitor`): the decision of a cycle that does not reason. */
export function holdDecision(w: CycleWork, why: string): Decision {
  return {
    symbol: w.input.symbol,
    action: 'hold',
    targetFraction: w.pos!.current,
    confidence: 1,
    rationale: why,
    source: 'monitor',
  };
}

/** `{ code }` when the error has a stable code. */
export function codeOf(error: unknown): { code?: string } {
  const code = errorCode(error);
  return code === undefined ? {} : { code };
}

/** Adds a fault to the cycle in progress, or to the next cycle's when none runs. */
export function addFault(c: SunContext, fault: CycleFault): Partial<SunContext> {
  return c.work === null
    ? { faults: [...c.faults, fault] }
    : { work: { ...c.work, faults: [...c.work.faults, fault] } };
}

/** The sizing inputs of the cycle in progress (the reports consulted, else the deterministic pass). */
export function extrasOf(context: SunContext, tilt: number, w: CycleWork = context.work!): SizingExtras {
  return {
    ...sizingExtras(Object.values(w.reports), w.preReports, context.deps.roles, w.snapshot!.bar.close),
    beta: context.edge.beta,
    tilt,
  };
}

/**
 * The planets decide: their consensus (LIGHT_REASONING, or FULL_AGENT when both suns failed, recorded
 * as the `consensus` fallback) plus the sun's held tilt (none after a failed sun), sized; without a
 * quorum, a monitor hold (the `monitor` fallback).
 */
export function consensusOutcome(context: SunContext): CycleWork {
  const w = context.work!;
  const config = context.deps.config;
  const c = vote(Object.values(w.reports), config, context.deps.roles);
  const full = w.mode?.mode === ExecutionMode.FULL_AGENT;
  const decision = c.reached
    ? consensusToDecision(c, w.snapshot!, w.pos!, config, extrasOf(context, full ? 0 : context.tilt))
    : holdDecision(w, `no planet quorum (${c.present} of ${c.quorum} needed): monitor only`);
  const fallback: CycleWork['fallback'] = c.reached ? (full ? 'consensus' : undefined) : 'monitor';
  return { ...w, decision, used: c, fallback };
}

/** The sun (or its backup) decided: its forecast, sized like any other. */
export function sunOutcome(context: SunContext, out: ReasoningResult): CycleWork {
  const w = context.work!;
  const stage = out.source;
  const planets = w.pre?.reached ? w.pre.signal : 0;
  const rationale =
    out.answered === out.forecast
      ? out.rationale
      : `${out.rationale} [forecast ${fmt(out.answered)} limited to ${fmt(out.forecast)}: at most ${fmt(context.deps.config.sun.maxTilt)} from the planets' ${fmt(planets)}]`;
  const decision = sizedDecision(
    out.forecast,
    out.confidence,
    w.snapshot!,
    w.pos!,
    context.deps.config,
    extrasOf(context, 0),
    stage,
    rationale,
  );
  return {
    ...w,
    ...lap(w, 'reasoning'),
    decision,
    fallback: stage === 'backup-sun' ? 'backup-sun' : undefined,
    reasoning: {
      stage,
      turns: out.turns,
      tools: out.tools,
      errors: w.reasoning?.errors ?? [],
      ...(out.promptVariant === undefined ? {} : { promptVariant: out.promptVariant }),
    },
  };
}

/** A reasoning stage failed; its error is kept for the record. */
export function sunFailure(w: CycleWork, error: unknown): CycleWork {
  const stage = error instanceof ReasoningFailedError && error.stage === 'backup-sun' ? 'backup-sun' : 'sun';
  const errors = [...(w.reasoning?.errors ?? []), errorText(error)];
  return { ...w, ...lap(w, 'reasoning'), reasoning: { stage, turns: 0, tools: [], errors } };
}

/**
 * The cycle's final decision: the proposal (a hold when none) through the risk clamp; a monitor hold
 * that a limit changed becomes a `risk` decision. Also the stop to keep: a trade sets it (cleared when
 * flat), a hold keeps the open position's stop and reports it.
 */
export function finalDecision(
  w: CycleWork,
  stopPrice: number | undefined,
  risk: SolarSystemConfig['risk'],
): { final: Decision; clamps: string[]; stop: number | undefined } {
  const pos = w.pos!;
  const proposed = w.decision ?? holdDecision(w, w.mode!.reason);
  const { decision, clamps } = clampDecision(proposed, clampContext(w.snapshot!, pos, risk));
  let final: Decision =
    decision.source === 'monitor' && clamps.length > 0 ? { ...decision, source: 'risk' } : decision;
  let stop = stopPrice;
  if (final.action !== 'hold') stop = final.targetFraction === 0 ? undefined : final.stopPrice;
  else if (pos.qty === 0) stop = undefined;
  else if (stop !== undefined && final.stopPrice === undefined)
    final = Object.assign({}, final, { stopPrice: stop }); // not a spread: a new key on one is slow in V8
  return { final, clamps, stop };
}

/** A consulted planet failed or timed out this cycle: its report says so and it is no longer awaited. */
export function failPending(
  w: CycleWork,
  planet: string,
  weight: number,
  timedOut: boolean,
  fault: CycleFault,
): CycleWork {
  return {
    ...w,
    faults: [...w.faults, fault],
    reports: {
      ...w.reports,
      [planet]: faultyReport(planet, weight, timedOut ? 'timeout' : 'failed', fault.error),
    },
    pending: w.pending.filter((p) => p !== planet),
  };
}

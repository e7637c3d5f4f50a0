import { performance } from 'node:perf_hooks';
import type { ModeDecision } from '@orrery/core';
import type { BatchMember } from '../batching/batch-window.ts';
import type { CallAllowance } from '../call-allowance.ts';
import type { ConsensusResult } from '../consensus.ts';
import { MessageLog } from '../consult/message-log.ts';
import type { CriticRecord, CycleFault, CycleRecord, ReasoningRecord } from '../cycle-record.ts';
import type { Decision } from '../decision.ts';
import { addUsage, emptyUsage } from '../llm-caller.ts';
import type { Bar, PortfolioView } from '../market.ts';
import type { MoonSnapshot } from '../moons/snapshot.ts';
import type { PlanetReport } from '../planets/planet.ts';
import type { PlanetRoute } from '../routing.ts';
import { regimeOf } from './memory.ts';
import { type PositionView, sortReports } from './stages.ts';

/** One cycle's input: a new bar of one symbol, the account, and optional news. */
export interface CycleInput {
  symbol: string;
  bar: Bar;
  portfolio: PortfolioView;
  news?: readonly string[] | undefined;
}

/** Why an unscheduled cycle ran: the moons' critical updates on a bar still forming, read at `asOf`. */
export interface WokenBy {
  by: 'moon.critical';
  reasons: string[];
  /** When the forming bar was read (epoch ms), between its open and its close: the cycle's time. */
  asOf: number;
  /** The forming bar's own time (its open). */
  barTime: number;
}

/** The sun's scratch state for the cycle in progress. */
export interface CycleWork {
  id: number;
  input: CycleInput;
  /** This cycle's place in a batch of symbols on the same bar (`cycleMany`), or null. */
  batch: BatchMember | null;
  stageT0: number;
  stagesMs: Record<string, number>;
  snapshot: MoonSnapshot | null;
  pos: PositionView | null;
  mode: ModeDecision | null;
  fragility: number;
  /** The deterministic pass. */
  preReports: PlanetReport[];
  pre: ConsensusResult | null;
  /** The clamped decision of the deterministic consensus (the counterfactual). */
  consensusDecision: Decision | null;
  /** The deterministic consensus sized (before the playbook and the clamp), with no tilt. */
  preDecision: Decision | null;
  /** Where the routing tree sent this cycle's query (reasoning cycles with a tree). */
  route: PlanetRoute | null;
  /** Reports of the planets consulted this cycle, by name. */
  reports: Record<string, PlanetReport>;
  /** Planets still to report. */
  pending: string[];
  /** Every LLM permit handed out this cycle (their usage is the cycle's). */
  allowances: CallAllowance[];
  /** The permit of the sun stage or critic in progress. */
  permit: CallAllowance | null;
  /** The routing LLM's permit (`agents.routingLlm`, FULL_AGENT), once made. */
  routerPermit?: CallAllowance | undefined;
  recalled: string[] | null;
  reasoning: ReasoningRecord | null;
  /** The decision before the final clamp. */
  decision: Decision | null;
  /** The consensus the decision rests on, when one did (for `dissent`). */
  used: ConsensusResult | null;
  fallback: CycleRecord['fallback'];
  critic: CriticRecord | null;
  faults: CycleFault[];
  /** The messages this cycle exchanged over the bus. */
  log: MessageLog;
  record: CycleRecord | null;
  /** Set on an unscheduled cycle (a wake between bar closes); null on a bar's scheduled cycle. */
  wokenBy?: WokenBy | null;
}

/** A fresh scratch state for cycle `id`. */
export function newWork(
  id: number,
  input: CycleInput,
  faults: CycleFault[],
  batch: BatchMember | null = null,
): CycleWork {
  return {
    id,
    input,
    batch,
    stageT0: performance.now(),
    stagesMs: {},
    snapshot: null,
    pos: null,
    mode: null,
    fragility: 0,
    preReports: [],
    pre: null,
    consensusDecision: null,
    preDecision: null,
    route: null,
    reports: {},
    pending: [],
    allowances: [],
    permit: null,
    recalled: null,
    reasoning: null,
    decision: null,
    used: null,
    fallback: undefined,
    critic: null,
    faults,
    log: new MessageLog(),
    record: null,
  };
}

/** Closes the timing of `stage` (adds the time since the last lap) and starts the next. */
export function lap(w: CycleWork, stage: string): Pick<CycleWork, 'stagesMs' | 'stageT0'> {
  const now = performance.now();
  // A copy by assignment: a spread copy given a new key is one of V8's slow paths (~0.5 µs a lap).
  const stagesMs = Object.assign({}, w.stagesMs);
  stagesMs[stage] = (w.stagesMs[stage] ?? 0) + (now - w.stageT0);
  return { stagesMs, stageT0: now };
}

/** {@link lap} on a scratch state of the caller's own: its `stagesMs` and `stageT0` updated in place. */
export function lapInPlace(w: CycleWork, stage: string): void {
  const now = performance.now();
  w.stagesMs[stage] = (w.stagesMs[stage] ?? 0) + (now - w.stageT0);
  w.stageT0 = now;
}

/** Assembles the cycle's record from the finished scratch state and the clamped decision. */
export function buildRecord(w: CycleWork, decision: Decision, clamps: string[]): CycleRecord {
  const s = w.snapshot as MoonSnapshot;
  const usage = emptyUsage();
  for (const a of w.allowances) addUsage(usage, a.usage);
  const consulted = Object.values(w.reports);
  // The deterministic pass's reports are sorted by planet already (see `assessAll`).
  const planets = consulted.length > 0 ? sortReports(consulted) : w.preReports.slice();
  const mode = w.mode as ModeDecision;
  return {
    symbol: s.symbol,
    time: s.bar.time,
    mode: mode.mode,
    modeReason: mode.reason,
    regime: regimeOf(s),
    decision,
    consensusDecision: w.consensusDecision as Decision,
    ...(w.fallback === undefined ? {} : { fallback: w.fallback }),
    ...(w.route === null ? {} : { route: w.route }),
    calls: usage.calls,
    tokensIn: usage.tokensIn,
    tokensOut: usage.tokensOut,
    costUsd: usage.costUsd,
    stagesMs: w.stagesMs,
    dissent: (w.used ?? w.pre)?.dissent ?? 0,
    planets,
    ...(w.critic === null ? {} : { critic: w.critic }),
    ...(w.reasoning === null ? {} : { reasoning: w.reasoning }),
    criticalUpdates: s.criticalUpdates,
    changedFeatures: s.changedFeatures,
    clamps,
    failedMoons: s.failedMoons,
    faults: w.faults,
    ...(w.recalled === null ? {} : { recalled: w.recalled.length }),
    ...(w.wokenBy == null ? {} : { wokenBy: w.wokenBy }),
    messages: w.log.list(),
    inputs: { bar: s.bar, readings: s.readings },
  };
}

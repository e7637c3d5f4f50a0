import type { ExecutionMode } from '@orrery/core';
import type { MessageCount } from './consult/message-log.ts';
import type { Decision } from './decision.ts';
import type { Bar } from './market.ts';
import type { Readings } from './moons/snapshot.ts';
import type { PlanetReport } from './planets/planet.ts';
import type { PlanetRoute } from './routing.ts';
import type { SupervisionVerdict } from './supervision.ts';

/** A child actor's failure during a cycle and what supervision did about it. */
export interface CycleFault {
  /** `moon:<name>` or `planet:<name>`. */
  child: string;
  error: string;
  /** The error's stable code, when it has one. */
  code?: string;
  verdict: SupervisionVerdict;
}

/** The critic's part of a cycle. */
export interface CriticRecord {
  /** Why the critic ran (the thresholds passed). */
  trigger: string[];
  verdict?: 'approve' | 'reduce' | 'reject';
  /** For `reduce`: the fraction of the trade kept. */
  scale?: number;
  reasons?: string[];
  /** Set when the critic's call failed; the decision then stands. */
  error?: string;
}

/** The sun's reasoning in a `FULL_AGENT` cycle. */
export interface ReasoningRecord {
  /** Who produced the decision, or who tried last. */
  stage: 'sun' | 'backup-sun';
  /** Reasoning turns (each one LLM call) of the stage that decided. */
  turns: number;
  /** Tool calls made (`ask_planet:risk`, `read_patterns`…); none is an LLM call. */
  tools: string[];
  /** Failures of the stages tried (e.g. the sun's 429 before the backup answered). */
  errors: string[];
  /** The variant of the `sun.system` prompt it reasoned with, when an A/B experiment ran on it. */
  promptVariant?: string;
}

/**
 * Everything that happened in one cycle of one symbol: emitted for every cycle, in every mode.
 * Money figures in USD, times in ms.
 */
export interface CycleRecord {
  symbol: string;
  /** The bar's time (epoch ms). */
  time: number;
  mode: ExecutionMode;
  modeReason: string;
  /** The regime the moons read on this bar (`up/normal`, `range/high`…). */
  regime?: string;
  /** The final decision, clamped by the risk limits. */
  decision: Decision;
  /** What the planets' deterministic consensus alone would have decided (clamped): the counterfactual for LLM ROI. */
  consensusDecision: Decision;
  /**
   * Where the routing tree sent the cycle's query (reasoning cycles): the leaves, each decision, the
   * planets consulted. Planets off the route were not consulted and made no call.
   */
  route?: PlanetRoute;
  /** Set when the intended decider could not decide and a fallback did. */
  fallback?: 'backup-sun' | 'consensus' | 'monitor';
  /** Provider requests made this cycle (every agent). */
  calls: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Wall time per stage (`sense`, `planets`, `recall`, `reasoning`, `critic`, `decide`, `broadcast`). */
  stagesMs: Record<string, number>;
  /** Dissent of the consensus the cycle used (0 unanimous … 1). */
  dissent: number;
  /** The planets' reports (deterministic ones in `MONITOR_ONLY`), sorted by name. */
  planets: PlanetReport[];
  critic?: CriticRecord;
  reasoning?: ReasoningRecord;
  /** Critical updates raised by the moons on this bar. */
  criticalUpdates: string[];
  /** Features that moved past their thresholds since the last reasoned decision. */
  changedFeatures: string[];
  /** Risk limits that clamped the decision. */
  clamps: string[];
  /** Moons without a reading this bar (failed or stopped). */
  failedMoons: string[];
  /** Child failures this cycle and the supervision verdicts. */
  faults: CycleFault[];
  /** Episodes recalled from memory (FULL_AGENT). */
  recalled?: number;
  /**
   * The messages the cycle exchanged over the bus, by type and sender: the moons' `moon.reading` (and
   * `moon.critical`), the sun's `sun.directive` to each planet consulted and each planet's
   * `planet.report` (or `error`), the `broadcast.decree` of a decision. A consulted planet with a directive
   * and no report timed out or failed (its report says which).
   */
  messages?: MessageCount[];
  /**
   * Set on an unscheduled cycle: a `moon.critical` on a bar still forming woke the sun between bar
   * closes (`orrery run` with `run.intrabar`); `time` and `asOf` are then when the forming bar was read,
   * `barTime` its open. Absent on every scheduled cycle.
   */
  wokenBy?: { by: 'moon.critical'; reasons: string[]; asOf: number; barTime: number };
  /** What the cycle decided from — the bar and every moon's reading — for the audit trail. */
  inputs?: { bar: Bar; readings: Readings };
}

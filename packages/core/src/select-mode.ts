import { ExecutionMode } from './mode.ts';

/** What the cycle knows before any LLM call; the input of {@link selectMode}. */
export interface ModeSignals {
  /** Names of the features that moved past their thresholds since the last reasoned decision. */
  changedFeatures: readonly string[];
  /** A moon raised a critical update this cycle (stop breached, volatility spike). */
  criticalUpdate?: boolean | undefined;
  /** Size of the position change under consideration, as a fraction of equity, in [0, 1]. */
  stakes: number;
  /** How fragile the situation is, in [0, 1] (volatility regime, distance to the loss limit…). */
  fragility: number;
  /** Confidence of the deterministic planet consensus, in [0, 1]. */
  confidence: number;
  /** The global budget: exhausted (non-critical calls refused) and the fraction of calls left. */
  budget: { exhausted: boolean; remainingFraction: number };
  /** Every candidate for the sun's task is cooling down (or failing): the sun cannot think. */
  sunCoolingDown: boolean;
}

/** Where the escalation lines sit. Every field has a default ({@link DEFAULT_MODE_THRESHOLDS}). */
export interface ModeThresholds {
  /** Changed features needed before planets are consulted (default 1). */
  minChangedForLight: number;
  /** Stakes at or above which the sun reasons (default 0.1 = 10 % of equity). */
  fullAgentStakes: number;
  /** Fragility at or above which the sun reasons (default 0.7). */
  fullAgentFragility: number;
  /** Consensus confidence below which, with at least `minChangedForFull` changes, the sun reasons (default 0.3). */
  lowConfidence: number;
  /** Changed features that, with low confidence, call for the sun (default 3). */
  minChangedForFull: number;
  /** Below this fraction of the budget left, the sun is not woken except for critical updates (default 0.1). */
  reserveFraction: number;
}

/** The defaults of {@link ModeThresholds}. */
export const DEFAULT_MODE_THRESHOLDS: Readonly<ModeThresholds> = Object.freeze({
  minChangedForLight: 1,
  fullAgentStakes: 0.1,
  fullAgentFragility: 0.7,
  lowConfidence: 0.3,
  minChangedForFull: 3,
  reserveFraction: 0.1,
});

/** The chosen mode and a human-readable reason (recorded with every cycle). */
export interface ModeDecision {
  mode: ExecutionMode;
  reason: string;
}

/**
 * Picks the cycle's {@link ExecutionMode} before any LLM call. Pure and deterministic.
 *
 * - Nothing material changed and no critical update → `MONITOR_ONLY`.
 * - A critical update, stakes or fragility past their lines, or low confidence on a broad change → the
 *   sun (`FULL_AGENT`) — unless the budget is exhausted or short, or the sun's provider is cooling down:
 *   then `LIGHT_REASONING` (planets, whose calls the gateway still budgets). Never `FULL_AGENT` then.
 * - Otherwise a material change → `LIGHT_REASONING`.
 */
export function selectMode(signals: ModeSignals, thresholds: Partial<ModeThresholds> = {}): ModeDecision {
  const t = { ...DEFAULT_MODE_THRESHOLDS, ...thresholds };
  const changed = signals.changedFeatures.length;
  const critical = signals.criticalUpdate === true;

  if (!critical && changed < t.minChangedForLight) {
    return { mode: ExecutionMode.MONITOR_ONLY, reason: 'no material change' };
  }

  const why: string[] = [];
  if (critical) why.push('critical update');
  if (signals.stakes >= t.fullAgentStakes)
    why.push(`stakes ${fmt(signals.stakes)} >= ${fmt(t.fullAgentStakes)}`);
  if (signals.fragility >= t.fullAgentFragility)
    why.push(`fragility ${fmt(signals.fragility)} >= ${fmt(t.fullAgentFragility)}`);
  if (signals.confidence < t.lowConfidence && changed >= t.minChangedForFull)
    why.push(`confidence ${fmt(signals.confidence)} < ${fmt(t.lowConfidence)} on ${changed} changes`);

  const changes = changed > 0 ? `changed: ${signals.changedFeatures.join(', ')}` : 'critical update';
  if (why.length === 0) {
    return { mode: ExecutionMode.LIGHT_REASONING, reason: changes };
  }
  if (signals.budget.exhausted) {
    return { mode: ExecutionMode.LIGHT_REASONING, reason: `${why.join('; ')}; but budget exhausted: no sun` };
  }
  if (signals.sunCoolingDown) {
    return {
      mode: ExecutionMode.LIGHT_REASONING,
      reason: `${why.join('; ')}; but sun cooling down: planets decide`,
    };
  }
  if (signals.budget.remainingFraction < t.reserveFraction && !critical) {
    return {
      mode: ExecutionMode.LIGHT_REASONING,
      reason: `${why.join('; ')}; but budget short (${fmt(signals.budget.remainingFraction)} left): no sun`,
    };
  }
  return { mode: ExecutionMode.FULL_AGENT, reason: why.join('; ') };
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(2);
}

import type { LearningSettingsInput, SolarSystemConfig } from '@orrery/agents';
import type { Ledger } from '@orrery/broker';
import { ControlStore } from '@orrery/broker';
import { LedgerError } from '../errors.ts';
import type { Step } from '../loop/steps.ts';
import { type CycleDigest, digestCycles } from '../session/cycle-digest.ts';
import type { RunTimer } from '../session/run-timer.ts';
import { SupervisionClock } from '../session/supervision-clock.ts';
import { type LlmRoi, llmRoi } from './llm-roi.ts';
import { noLlmStrategy } from './no-llm-strategy.ts';
import { replayedControl } from './replayed-control.ts';
import { tradeShadow } from './shadow-portfolio.ts';

/** A run's LLM ROI and the counterfactual equity curve behind it. */
export interface RunRoi {
  readonly roi: LlmRoi;
  /** Equity of the no-LLM counterfactual after every step. */
  readonly counterfactual: readonly { time: number; equity: number }[];
}

/**
 * Computes a run's LLM ROI: the counterfactual is the same agents without an LLM (deterministic planets,
 * their consensus, risk rules, and the same learning loop fed by their own outcomes) trading their own
 * account — same broker settings, same bars up to the run's last committed step, same loop — and the
 * LLM's P&L is the run's minus the counterfactual's.
 *
 * @throws LedgerError when the run is not in the ledger.
 */
export async function readRunRoi(o: {
  readonly ledger: Ledger;
  readonly runId: string;
  readonly steps: readonly Step[];
  readonly agents: SolarSystemConfig;
  /** The run's learning settings, or false when it did not learn. */
  readonly learning: LearningSettingsInput | false;
  /** Replay the run's operator commands into the counterfactual (default true). */
  readonly control?: boolean;
  /** The run's news source, so the counterfactual reads the same news. */
  readonly news?: ((symbol: string, time: number) => readonly string[]) | undefined;
  /** The run's cycles, read once already (default: read here). */
  readonly cycles?: readonly CycleDigest[] | undefined;
  /** Charges the counterfactual's learner refreshes to `learning` (the caller times the rest). */
  readonly timer?: RunTimer | undefined;
}): Promise<RunRoi> {
  const run = o.ledger.getRun(o.runId);
  if (run === undefined) throw new LedgerError(o.runId, 'is not in the ledger');
  const last = run.lastTime ?? Number.NEGATIVE_INFINITY;
  const shadow = await tradeShadow({
    steps: o.steps.filter((s) => s.time <= last),
    settings: run.settings,
    minTradeFraction: o.agents.risk.minTradeFraction,
    maxExposure: o.agents.risk.maxExposure,
    // the same operator commands at the same boundaries: a pause is not the LLM's P&L
    control:
      o.control === false
        ? undefined
        : (db, shadowId) =>
            replayedControl(new ControlStore(o.ledger.db), o.runId, new ControlStore(db), shadowId),
    strategy: noLlmStrategy(o.agents, o.learning, SupervisionClock.following(o.ledger.db, o.runId), o.timer),
    news: o.news,
  });
  const curve = o.ledger.equityCurve(o.runId);
  const initialCash = run.settings.initialCash;
  return {
    roi: llmRoi({
      initialCash,
      actualEquity: curve.at(-1)?.equity ?? initialCash,
      counterfactualEquity: shadow.equity.at(-1)?.equity ?? initialCash,
      cycles: o.cycles ?? digestCycles(o.ledger.eachCycle(o.runId)),
    }),
    counterfactual: shadow.equity,
  };
}

import type { Ledger } from '../broker/ledger-db.ts';
import { LedgerError } from '../errors.ts';
import type { Step } from '../loop/steps.ts';
import type { DecisionLike } from '../loop/strategy.ts';
import { type LlmRoi, llmRoi, type RoiCycle } from './llm-roi.ts';
import { simulateDecisions } from './shadow-portfolio.ts';

/** A run's LLM ROI and the counterfactual equity curve behind it. */
export interface RunRoi {
  readonly roi: LlmRoi;
  /** Equity of the no-LLM counterfactual after every step. */
  readonly counterfactual: readonly { time: number; equity: number }[];
}

/**
 * Reads a run back from its ledger and computes its LLM ROI: the counterfactual portfolio trades every
 * cycle's `consensusDecision` through a fresh broker with the run's settings over the same `steps`.
 * Cycles stored before `consensusDecision` existed count as the consensus having done what the run did.
 *
 * @throws LedgerError when the run is not in the ledger.
 */
export function readRunRoi(o: {
  readonly ledger: Ledger;
  readonly runId: string;
  readonly steps: readonly Step[];
  readonly minTradeFraction: number;
}): RunRoi {
  const run = o.ledger.getRun(o.runId);
  if (run === undefined) throw new LedgerError(o.runId, 'is not in the ledger');
  const cycles = o.ledger.cycles(o.runId);
  const counterfactual = simulateDecisions({
    steps: o.steps,
    cycles,
    settings: run.settings,
    minTradeFraction: o.minTradeFraction,
    pick: (record) => {
      const r = record as RoiCycle;
      return (r.consensusDecision ?? r.decision) as DecisionLike;
    },
  }).equity;
  const curve = o.ledger.equityCurve(o.runId);
  const initialCash = run.settings.initialCash;
  return {
    roi: llmRoi({
      initialCash,
      actualEquity: curve.at(-1)?.equity ?? initialCash,
      counterfactualEquity: counterfactual.at(-1)?.equity ?? initialCash,
      cycles: cycles.map((c) => c.record as RoiCycle),
    }),
    counterfactual,
  };
}

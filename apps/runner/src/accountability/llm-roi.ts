import type { DecisionLike } from '../loop/strategy.ts';

/** The fields of a decision the ROI compares. */
export type RoiDecision = Pick<DecisionLike, 'action' | 'targetFraction' | 'stopPrice' | 'source'>;

/** The fields of a stored cycle record the ROI reads (a subset of `@orrery/agents`' `CycleRecord`). */
export interface RoiCycle {
  readonly mode: string;
  readonly decision: RoiDecision;
  /** What the planets' consensus alone (no LLM) would have decided. */
  readonly consensusDecision?: RoiDecision | undefined;
  readonly calls: number;
  readonly costUsd: number;
  readonly planets?: readonly { readonly source?: string }[] | undefined;
}

/**
 * What the LLM was worth over a run: the run's P&L against the counterfactual of the same run with every
 * decision taken by the no-LLM planet consensus (same bars, same broker, same fills model). Money in the
 * account's currency except `llmCostUsd`.
 */
export interface LlmRoi {
  /** Final equity − initial cash, as traded. */
  readonly actualPnl: number;
  /** The same, had the planet consensus decided every cycle. */
  readonly counterfactualPnl: number;
  /** `actualPnl − counterfactualPnl`: the P&L attributable to LLM-influenced decisions. */
  readonly llmPnl: number;
  /** What the run's LLM calls cost. */
  readonly llmCostUsd: number;
  /** `llmPnl / llmCostUsd`; null when nothing was spent (n/a). */
  readonly pnlPerLlmDollar: number | null;
  /** Cycles in the run. */
  readonly decisions: number;
  /** Cycles whose decision an LLM took part in (the sun decided, or a planet's signal came from a model). */
  readonly llmInfluenced: number;
  /** LLM-influenced cycles whose decision differs from the consensus's (another action or another target). */
  readonly diverged: number;
}

/** Whether an LLM took part in a cycle's decision. */
export function llmInfluenced(c: RoiCycle): boolean {
  if (c.decision.source === 'sun' || c.decision.source === 'backup-sun') return true;
  return c.mode !== 'MONITOR_ONLY' && (c.planets ?? []).some((p) => p.source === 'llm');
}

/** Whether two decisions would trade differently (a hold's target is the position held, so it is not compared). */
export function decisionsDiffer(a: RoiDecision | DecisionLike, b: RoiDecision | DecisionLike): boolean {
  if (a.action !== b.action) return true;
  if (a.action === 'hold') return false;
  return Math.abs(a.targetFraction - b.targetFraction) > 1e-12 || a.stopPrice !== b.stopPrice;
}

/**
 * The ROI arithmetic: P&L of the run and of its counterfactual from the same initial cash, their
 * difference, the LLM cost summed over the cycles, and P&L per LLM dollar (null when the cost is 0).
 */
export function llmRoi(o: {
  readonly initialCash: number;
  /** Final equity of the run (the initial cash when it never traded a step). */
  readonly actualEquity: number;
  /** Final equity of the counterfactual. */
  readonly counterfactualEquity: number;
  readonly cycles: readonly RoiCycle[];
}): LlmRoi {
  const actualPnl = o.actualEquity - o.initialCash;
  const counterfactualPnl = o.counterfactualEquity - o.initialCash;
  const llmPnl = actualPnl - counterfactualPnl;
  let llmCostUsd = 0;
  let influenced = 0;
  let diverged = 0;
  for (const c of o.cycles) {
    llmCostUsd += c.costUsd;
    if (!llmInfluenced(c)) continue;
    influenced++;
    if (c.consensusDecision !== undefined && decisionsDiffer(c.decision, c.consensusDecision)) diverged++;
  }
  return {
    actualPnl,
    counterfactualPnl,
    llmPnl,
    llmCostUsd,
    pnlPerLlmDollar: llmCostUsd > 0 ? llmPnl / llmCostUsd : null,
    decisions: o.cycles.length,
    llmInfluenced: influenced,
    diverged,
  };
}

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;

/** The ROI as label/value pairs, shared by the terminal summary and the HTML report. */
export function roiRows(r: LlmRoi): [string, string][] {
  return [
    [
      'LLM P&L vs consensus',
      `${signed(r.llmPnl)} (run ${signed(r.actualPnl)}, no-LLM consensus ${signed(r.counterfactualPnl)})`,
    ],
    [
      'LLM-influenced',
      `${r.llmInfluenced} of ${r.decisions} (${r.diverged} changed the consensus's decision)`,
    ],
    ['LLM cost', `$${r.llmCostUsd.toFixed(4)}`],
    ['P&L per LLM dollar', r.pnlPerLlmDollar === null ? 'n/a (no LLM cost)' : r.pnlPerLlmDollar.toFixed(2)],
  ];
}

import type { StoredCycle } from '../broker/ledger-db.ts';
import { PaperBroker } from '../broker/paper-broker.ts';
import type { BrokerSettings, Fill } from '../broker/types.ts';
import { placeDecisionOrders } from '../loop/decision-orders.ts';
import type { Step } from '../loop/steps.ts';
import type { DecisionLike } from '../loop/strategy.ts';

/** A simulated account's path: equity after every step, and its fills. */
export interface ShadowRun {
  readonly equity: { time: number; equity: number }[];
  readonly fills: Fill[];
}

/**
 * Trades a run's stored cycles again through a fresh {@link PaperBroker} with the same settings and the
 * same loop rules (fills at the next bar, marks at the close, `placeDecisionOrders` with the same
 * `minTradeFraction`, no decision once equity is gone), acting on the decision `pick` chooses from each
 * record — e.g. the no-LLM planet consensus (`consensusDecision`) for the counterfactual. Steps after the
 * last stored cycle's time are not traded.
 */
export function simulateDecisions(o: {
  readonly steps: readonly Step[];
  readonly cycles: readonly StoredCycle[];
  readonly settings: BrokerSettings;
  readonly minTradeFraction: number;
  readonly pick: (record: unknown) => DecisionLike | undefined;
  /** Order id prefix (the shadow's own; default `shadow`). */
  readonly runId?: string;
}): ShadowRun {
  const broker = new PaperBroker(o.settings);
  const byKey = new Map(o.cycles.map((c) => [`${c.symbol}@${c.time}`, c]));
  const last = o.cycles.reduce((t, c) => Math.max(t, c.time), Number.NEGATIVE_INFINITY);
  const equity: ShadowRun['equity'] = [];
  const fills: Fill[] = [];
  for (const step of o.steps) {
    if (step.time > last) break;
    for (const { symbol, bar } of step.bars) fills.push(...broker.onBar(symbol, bar));
    for (const { symbol, bar } of step.bars) {
      if (!(broker.view().equity > 0)) break;
      const cycle = byKey.get(`${symbol}@${bar.time}`);
      const decision = cycle === undefined ? undefined : o.pick(cycle.record);
      if (decision !== undefined)
        placeDecisionOrders(broker, o.runId ?? 'shadow', symbol, bar, decision, o.minTradeFraction);
    }
    broker.drainChangedOrders();
    equity.push({ time: step.time, equity: broker.equity() });
  }
  return { equity, fills };
}

import type { Bar } from '@orrery/agents';
import type { PaperBroker } from '@orrery/broker';
import type { DecisionLike } from '../loop/strategy.ts';

/**
 * Who decides for a symbol this step: the agents (their decision then goes through
 * {@link StepControl.review}), the operator (the strategy only keeps its indicators current, and this
 * decision is traded), or nobody (`hold`: the strategy keeps its indicators current, nothing is traded).
 */
export type Route = { kind: 'agents' } | { kind: 'operator'; decision: DecisionLike } | { kind: 'hold' };

/** Operator control as the trading loop sees it: consulted at every cycle boundary. */
export interface LoopControl {
  /** Opens the boundary of the step at bar time `time`: the commands issued since the last one take effect. */
  begin(time: number, broker: PaperBroker): StepControl;
  /**
   * Whether the agents may be woken for `symbol` between bar closes and trade what they decide at once:
   * not while the run is paused, the symbol blocked, forced or being flattened, approval mode is on or
   * commands wait for the next boundary (the operator's word comes first). Absent: always.
   */
  wakeable?(symbol: string): boolean;
}

/** The control of one step. */
export interface StepControl {
  /** Who decides for `symbol` on `bar`. */
  route(symbol: string, bar: Bar): Route;
  /** The agents' decision as it may be traded: itself, or null when it was parked for approval. */
  review(symbol: string, bar: Bar, decision: DecisionLike): DecisionLike | null;
  /** Commits the step — `write` is the ledger's own commit — and the control's changes, in one transaction. */
  commit(write: () => void): void;
}

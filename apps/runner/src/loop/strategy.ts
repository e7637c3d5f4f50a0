import type { Bar } from '@orrery/agents';
import type { DecisionLike, PortfolioSnapshot } from '@orrery/broker';

/** What the loop needs of a decision: the broker package's shape (an approval parks the same). */
export type { DecisionLike } from '@orrery/broker';

/** What the loop needs of a cycle record (the rest of `@orrery/agents`' `CycleRecord` is stored as is). */
export interface CycleLike {
  readonly symbol: string;
  readonly time: number;
  readonly mode: string;
  readonly decision: DecisionLike;
  readonly calls: number;
  readonly tokensIn: number;
  readonly tokensOut: number;
  readonly costUsd: number;
  readonly fallback?: unknown;
}

/** One input to a cycle. */
export interface CycleInput {
  readonly symbol: string;
  readonly bar: Bar;
  readonly portfolio: PortfolioSnapshot;
  /** Texts published at or before the bar's time (newest first), for the sentiment planet; absent: none. */
  readonly news?: readonly string[] | undefined;
}

/**
 * What decides, bar by bar. The shipped runner plugs the solar system (`createSolarSystem`) in here.
 * `warm` replays a bar already traded (after a resume) so streaming state catches up; it must not act.
 */
export interface Strategy<R extends CycleLike = CycleLike> {
  cycle(input: CycleInput): Promise<R>;
  /**
   * Decides several symbols' bars of one step at once (records in input order); the solar system batches
   * their planets' LLM calls. Absent: the loop calls `cycle` for each, one after another.
   */
  cycleMany?(inputs: readonly CycleInput[]): Promise<R[]>;
  /**
   * Between scheduled cycles: `input.bar` is still forming, read at `asOf`. Resolves with the record of
   * an unscheduled cycle when the moons' peek at it is critical, else null; nothing else changes. Absent:
   * the strategy is never woken.
   */
  wake?(input: CycleInput & { readonly asOf: number }): Promise<R | null>;
  /** Replays a past input without trading or spending. Absent: the loop calls nothing on resume. */
  warm?(input: CycleInput): Promise<void>;
  /**
   * Writes what the strategy learned by the committed step at `time` (bar time): the loop calls it inside
   * the step's one transaction, so it must be synchronous. Absent: nothing to write.
   */
  commit?(time: number): void;
  stop(): Promise<void> | void;
}

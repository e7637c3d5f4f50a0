/**
 * What the loop needs of a decision (the fields of `@orrery/agents`' `Decision` it acts on): what an
 * approval parks and the control trades. The runner's loop uses the same shape.
 */
export interface DecisionLike {
  readonly symbol: string;
  readonly action: 'buy' | 'sell' | 'hold' | 'flatten';
  /** Desired signed position as a fraction of equity, already clamped by the risk limits. */
  readonly targetFraction: number;
  readonly confidence: number;
  readonly rationale: string;
  readonly source: string;
  readonly stopPrice?: number | undefined;
  /** How to trade it (the execution planet's plan); absent: a market order. */
  readonly execution?:
    | {
        readonly orderType: 'market' | 'limit';
        readonly limitPrice?: number | undefined;
        readonly skip: boolean;
        readonly maxParticipation: number;
      }
    | undefined;
}

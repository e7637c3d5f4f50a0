/**
 * One OHLCV bar. Mirrors `@orrery/agents`' `Bar` field for field (`time` is the bar's open time in epoch
 * ms, UTC; prices in quote currency; volume in base units) so bars flow to the agents unchanged.
 */
export interface Bar {
  /** Open time of the bar, epoch milliseconds (UTC). */
  readonly time: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Traded volume in base units; 0 when the source has none. */
  readonly volume: number;
}

/**
 * One OHLCV bar: `@orrery/agents`' own type (`time` is the bar's open time in epoch ms, UTC; prices in
 * the quote currency; volume in base units), so bars flow from the feeds to the agents unchanged.
 */
export type { Bar } from '@orrery/agents';

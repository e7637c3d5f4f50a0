import type { SolarSystemConfig } from './config.ts';
import type { SizingReading } from './moons/position-sizing.ts';
import { needsRebalance, targetWeight } from './sizing.ts';

/** What the system decided for one symbol on one bar. */
export interface Decision {
  symbol: string;
  action: 'buy' | 'sell' | 'hold' | 'flatten';
  /**
   * The desired signed position after acting, as a fraction of equity (negative = short), already
   * clamped by the risk limits. Long-only unless `risk.allowShort`.
   */
  targetFraction: number;
  /** 0 … 1. */
  confidence: number;
  rationale: string;
  /** Who decided: the sun, its backup, the planets' consensus, a risk rule, or plain monitoring. */
  source: 'sun' | 'backup-sun' | 'consensus' | 'risk' | 'monitor';
  /** Where the position should be stopped out (price units), when it is not flat (only with stops). */
  stopPrice?: number;
  /** The forecast in [−1, 1] the target was sized from. */
  forecast?: number;
  /** The risk planet's size multiplier applied, in [0, 1]. */
  riskMultiplier?: number;
  /** The weight the sizing asked for (before the rebalance band and the clamp). */
  sizedWeight?: number;
  /** How to trade it (absent: a market order). */
  execution?: ExecutionPlan;
}

/** The action that moves `current` to `target`, given the smallest trade worth making. */
export function actionFor(target: number, current: number, minTradeFraction: number): Decision['action'] {
  if (Math.abs(target - current) < minTradeFraction || target === current) return 'hold';
  if (target === 0) return 'flatten';
  return target > current ? 'buy' : 'sell';
}

/** The ATR stop for a position of sign `side` (price units), or undefined without an ATR. */
export function atrStop(
  price: number,
  atr: number | null,
  side: number,
  multiple: number,
): number | undefined {
  if (atr === null || side === 0) return undefined;
  return side > 0 ? price - multiple * atr : price + multiple * atr;
}

/** How the runner should trade a decision (from the execution planet); absent: a market order. */
export interface ExecutionPlan {
  orderType: 'market' | 'limit';
  /** The limit price of a limit order (the decision bar's close). */
  limitPrice?: number;
  /** Trade nothing on this bar (no or too little volume): the target waits. */
  skip: boolean;
  /** The largest order, as a fraction of the decision bar's volume. */
  maxParticipation: number;
}

/** What {@link decisionFromForecast} needs. */
export interface ForecastContext {
  symbol: string;
  price: number;
  atr: number | null;
  sizing: SizingReading;
  /** The current position as a fraction of equity. */
  current: number;
  risk: SolarSystemConfig['risk'];
  /** |forecast| below this counts as 0. */
  entrySignal: number;
  /** The risk planet's size multiplier, in [0, 1]. */
  riskMultiplier: number;
  /** The forecast's calibrated edge (for `sizing: kelly`). */
  beta?: number | null;
  execution?: ExecutionPlan | undefined;
}

/**
 * Turns a forecast into a decision (before the risk clamp): the target weight from {@link targetWeight}
 * (volatility targeting by default) times the risk multiplier; long-only configurations flatten on a
 * negative forecast. The position is traded only when it drifted past the rebalance band
 * ({@link needsRebalance}); otherwise the decision holds. While the volatility is unknown it holds.
 */
export function decisionFromForecast(
  forecast: number,
  confidence: number,
  ctx: ForecastContext,
  source: Decision['source'],
  rationale: string,
): Decision {
  const { risk } = ctx;
  let f = Number.isFinite(forecast) ? Math.max(-1, Math.min(1, forecast)) : 0;
  if (Math.abs(f) < ctx.entrySignal) f = 0;
  if (f < 0 && !risk.allowShort) f = 0;
  const weight = targetWeight({
    symbol: ctx.symbol,
    forecast: f,
    sizing: ctx.sizing,
    risk,
    riskMultiplier: ctx.riskMultiplier,
    beta: ctx.beta ?? null,
  });
  let target = weight ?? ctx.current;
  let action: Decision['action'] = 'hold';
  if (weight !== null && needsRebalance(target, ctx.current, risk)) {
    action = target === 0 ? 'flatten' : target > ctx.current ? 'buy' : 'sell';
  } else {
    target = ctx.current;
  }
  const stop = risk.stops ? atrStop(ctx.price, ctx.atr, Math.sign(target), risk.stopAtrMultiple) : undefined;
  return {
    symbol: ctx.symbol,
    action,
    targetFraction: target,
    confidence,
    rationale,
    source,
    forecast: f,
    riskMultiplier: ctx.riskMultiplier,
    ...(weight === null ? {} : { sizedWeight: weight }),
    ...(stop === undefined ? {} : { stopPrice: stop }),
    ...(ctx.execution === undefined ? {} : { execution: ctx.execution }),
  };
}

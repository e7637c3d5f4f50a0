import type { SolarSystemConfig } from './config.ts';
import type { SizingReading } from './moons/position-sizing.ts';

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
  /** Where the position should be stopped out (price units), when it is not flat. */
  stopPrice?: number;
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

/** What {@link decisionFromSignal} needs. */
export interface SignalContext {
  symbol: string;
  price: number;
  atr: number | null;
  sizing: SizingReading;
  /** The current position as a fraction of equity. */
  current: number;
  risk: SolarSystemConfig['risk'];
  /** |signal| below this holds. */
  entrySignal: number;
}

/**
 * Turns a signed signal into a decision (before the risk clamp): below `entrySignal` hold; otherwise a
 * target of |signal| × the size both sizing rules allow on that side (the ATR-risk fraction and the
 * capped Kelly fraction; half the maximum position while they are unknown), never above the maximum
 * position. A negative signal without shorting flattens a long.
 */
export function decisionFromSignal(
  signal: number,
  confidence: number,
  ctx: SignalContext,
  source: Decision['source'],
  rationale: string,
): Decision {
  const { risk } = ctx;
  let target = ctx.current;
  if (Math.abs(signal) >= ctx.entrySignal) {
    const side = signal > 0 ? 1 : -1;
    if (side < 0 && !risk.allowShort) {
      target = 0;
    } else {
      const sized = side > 0 ? ctx.sizing.longFraction : ctx.sizing.shortFraction;
      const cap = Math.min(risk.maxPositionFraction, sized ?? risk.maxPositionFraction / 2);
      target = side * Math.abs(signal) * cap;
    }
  }
  const action = actionFor(target, ctx.current, risk.minTradeFraction);
  if (action === 'hold') target = ctx.current;
  const stop = atrStop(ctx.price, ctx.atr, Math.sign(target), risk.stopAtrMultiple);
  return {
    symbol: ctx.symbol,
    action,
    targetFraction: target,
    confidence,
    rationale,
    source,
    ...(stop === undefined ? {} : { stopPrice: stop }),
  };
}

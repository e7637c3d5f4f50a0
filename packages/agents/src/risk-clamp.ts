import type { SolarSystemConfig } from './config.ts';
import { actionFor, atrStop, type Decision } from './decision.ts';

/** What the clamp knows about the account and the market. */
export interface ClampContext {
  price: number;
  atr: number | null;
  /** The current signed position in this symbol, as a fraction of equity. */
  current: number;
  /** Gross exposure of every other symbol, as a fraction of equity. */
  otherExposure: number;
  /** Unrealised P&L of the position as a fraction of equity (negative = loss). */
  unrealised: number;
  /** The stop of the open position was crossed on this bar. */
  stopBreached: boolean;
  risk: SolarSystemConfig['risk'];
}

/** A clamped decision and the limits that bit (empty when none did). */
export interface ClampResult {
  decision: Decision;
  clamps: string[];
}

/**
 * Applies the hard risk limits to any decision — the sun's, a planet vote's, a rule's. No input can
 * get past them, whatever an LLM answered:
 * 1. a non-finite target holds the current position;
 * 2. long-only unless `allowShort`;
 * 3. |target| ≤ `maxPositionFraction`;
 * 4. |target| ≤ `maxExposure` − the other symbols' gross exposure;
 * 5. with `stops`: the loss at the stop ≤ `maxLossFraction` of equity (|target| × stop distance); a stop
 *    on the wrong side of the price is replaced by the ATR stop; with no stop at all the position may only
 *    shrink;
 * 6. with `stops`: a breached stop, or an unrealised loss past `maxLossFraction`, closes the position.
 * Reducing a position is always allowed. The action and stop follow the clamped target.
 */
export function clampDecision(decision: Decision, ctx: ClampContext): ClampResult {
  const { risk, current, price } = ctx;
  const clamps: string[] = [];
  let t = decision.targetFraction;
  if (!Number.isFinite(t)) {
    clamps.push('non-finite target: hold');
    t = current;
  }
  if (t < 0 && !risk.allowShort) {
    clamps.push('long-only: target raised to 0');
    t = 0;
  }
  t = limited(t, risk.maxPositionFraction, 'max position', clamps);
  t = limited(t, risk.maxExposure - ctx.otherExposure, 'max exposure', clamps);
  const side = Math.sign(t);
  let stop = risk.stops ? decision.stopPrice : undefined;
  if (risk.stops && side !== 0) {
    const stopOk = stop !== undefined && Number.isFinite(stop) && (side > 0 ? stop < price : stop > price);
    if (!stopOk) stop = atrStop(price, ctx.atr, side, risk.stopAtrMultiple);
    t = stopLimited(t, stop, side, ctx, clamps);
  }
  const closing = risk.stops && closes(t, ctx, clamps);
  if (closing) t = 0;
  const action = actionFor(t, current, closing ? 0 : risk.minTradeFraction);
  if (action === 'hold') t = current;
  const finalStop =
    t === 0 || !risk.stops
      ? undefined
      : (stop ?? atrStop(price, ctx.atr, Math.sign(t), risk.stopAtrMultiple));
  // The decision without its stop, its figures replaced in place, the final stop last. Copied key by key:
  // a rest copy (`{ stopPrice, ...rest }`) spread again is one of V8's slow object paths.
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(decision)) if (k !== 'stopPrice') out[k] = decision[k as keyof Decision];
  out.action = action;
  out.targetFraction = t;
  out.rationale =
    clamps.length === 0 ? decision.rationale : `${decision.rationale} [risk: ${clamps.join('; ')}]`;
  if (finalStop !== undefined) out.stopPrice = finalStop;
  return { decision: out as unknown as Decision, clamps };
}

/** `t` held to |t| ≤ max(0, `max`); a limit that bites is listed in `clamps` as `why`. */
function limited(t: number, max: number, why: string, clamps: string[]): number {
  const m = Math.max(0, max);
  if (Math.abs(t) <= m + 1e-12) return t;
  clamps.push(`${why}: |target| ${round(Math.abs(t))} > ${round(m)}`);
  return Math.sign(t) * m;
}

/**
 * With stops, a position on `side`: the loss at the stop held to `maxLossFraction`; with no stop
 * distance known the position may only shrink.
 */
function stopLimited(
  t: number,
  stop: number | undefined,
  side: number,
  ctx: ClampContext,
  clamps: string[],
): number {
  const { current, price, risk } = ctx;
  if (stop === undefined) {
    if (Math.abs(t) <= Math.abs(current) && Math.sign(current) === side) return t;
    clamps.push('no stop distance known: position may only shrink');
    return Math.sign(current) === side ? current : 0;
  }
  const distance = Math.abs(price - stop) / price;
  return distance > 0 ? limited(t, risk.maxLossFraction / distance, 'max loss at stop', clamps) : t;
}

/**
 * With stops: true when the open position must close (its stop breached on this bar, or its unrealised
 * loss past `maxLossFraction`) and `t` keeps it on its side; the reason is listed in `clamps`.
 */
function closes(t: number, ctx: ClampContext, clamps: string[]): boolean {
  const { current, risk } = ctx;
  if (current === 0 || Math.sign(t) !== Math.sign(current)) return false;
  if (ctx.stopBreached) {
    clamps.push('stop breached: close the position');
    return true;
  }
  if (!(ctx.unrealised <= -risk.maxLossFraction)) return false;
  clamps.push(`unrealised loss ${round(-ctx.unrealised)} >= max loss ${round(risk.maxLossFraction)}: close`);
  return true;
}

function round(x: number): string {
  return Number(x.toPrecision(4)).toString();
}

import type { AtrReading } from './atr.ts';
import type { Moon, MoonInput } from './moon.ts';
import { Ring } from './ring.ts';

/** Suggested position sizes, as fractions of equity. */
export interface SizingReading {
  /** Distance to an ATR stop as a fraction of the close (stopAtrMultiple × ATR / close). */
  stopDistance: number | null;
  /** The size that loses exactly `riskPerTrade` of equity if the ATR stop is hit. */
  riskFraction: number | null;
  /** Capped Kelly fraction for a long, from the recent win rate and payoff of bar returns. */
  kellyLong: number | null;
  /** The same for a short (returns negated). */
  kellyShort: number | null;
  /** min(riskFraction, kellyLong): the long size both rules allow. */
  longFraction: number | null;
  /** min(riskFraction, kellyShort). */
  shortFraction: number | null;
}

/**
 * The size that risks `riskPerTrade` of equity when the stop is `stopDistance` away (both fractions):
 * `riskPerTrade / stopDistance`. Infinity when the stop distance is 0.
 */
export function riskPerTradeFraction(riskPerTrade: number, stopDistance: number): number {
  return stopDistance > 0 ? riskPerTrade / stopDistance : Number.POSITIVE_INFINITY;
}

/**
 * Kelly fraction `p − (1 − p) / b` for win rate `p` and payoff ratio `b` (average win / average loss),
 * floored at 0 (no edge, no bet) and capped at `cap` (full Kelly is too aggressive on estimated odds).
 */
export function cappedKelly(winRate: number, payoff: number, cap: number): number {
  if (!(payoff > 0)) return 0;
  const k = winRate - (1 - winRate) / payoff;
  return Math.min(cap, Math.max(0, k));
}

/** Parameters of the sizing moon. */
export interface SizingOptions {
  riskPerTrade?: number;
  stopAtrMultiple?: number;
  kellyCap?: number;
  /** Bars of returns the Kelly odds are estimated from (default 100). */
  kellyWindow?: number;
}

/**
 * Position sizing from the ATR stop (reads the `atr` moon) and a capped Kelly estimate over a rolling
 * window of returns, with running sums: O(1) per bar.
 */
export function positionSizingMoon(opts: SizingOptions = {}): Moon<SizingReading> {
  const riskPerTrade = opts.riskPerTrade ?? 0.01;
  const stopAtrMultiple = opts.stopAtrMultiple ?? 2;
  const cap = opts.kellyCap ?? 0.25;
  const window = opts.kellyWindow ?? 100;
  const returns = new Ring(window);
  let wins = 0;
  let winSum = 0;
  let losses = 0;
  let lossSum = 0;
  let prevClose: number | null = null;
  const count = (r: number, sign: 1 | -1): void => {
    if (r > 0) {
      wins += sign;
      winSum += sign * r;
    } else if (r < 0) {
      losses += sign;
      lossSum -= sign * r;
    }
  };
  const empty: SizingReading = {
    stopDistance: null,
    riskFraction: null,
    kellyLong: null,
    kellyShort: null,
    longFraction: null,
    shortFraction: null,
  };
  return {
    name: 'sizing',
    empty,
    update({ bar, readings }: MoonInput): SizingReading {
      if (prevClose !== null) {
        const r = bar.close / prevClose - 1;
        const old = returns.push(r);
        if (old !== undefined) count(old, -1);
        count(r, 1);
      }
      prevClose = bar.close;
      const atr = (readings.atr as AtrReading | undefined)?.atr ?? null;
      const stopDistance = atr === null ? null : (stopAtrMultiple * atr) / bar.close;
      const riskFraction = stopDistance === null ? null : riskPerTradeFraction(riskPerTrade, stopDistance);
      let kellyLong: number | null = null;
      let kellyShort: number | null = null;
      if (returns.full && wins > 0 && losses > 0) {
        const n = wins + losses;
        const avgWin = winSum / wins;
        const avgLoss = lossSum / losses;
        kellyLong = cappedKelly(wins / n, avgWin / avgLoss, cap);
        kellyShort = cappedKelly(losses / n, avgLoss / avgWin, cap);
      }
      const both = (k: number | null): number | null =>
        riskFraction === null || k === null ? null : Math.min(riskFraction, k);
      return {
        stopDistance,
        riskFraction,
        kellyLong,
        kellyShort,
        longFraction: both(kellyLong),
        shortFraction: both(kellyShort),
      };
    },
  };
}

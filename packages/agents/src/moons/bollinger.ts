import { BollingerBands } from 'trading-signals';
import type { Moon, MoonInput } from './moon.ts';

/** Bollinger bands (price units) and where the close sits in them. */
export interface BollingerReading {
  sma: number | null;
  upper: number | null;
  lower: number | null;
  /** (close − lower) / (upper − lower): 0 at the lower band, 1 at the upper. */
  percentB: number | null;
  /** (close − sma) / σ. */
  zScore: number | null;
  /** (upper − lower) / sma. */
  width: number | null;
}

const EMPTY: BollingerReading = {
  sma: null,
  upper: null,
  lower: null,
  percentB: null,
  zScore: null,
  width: null,
};

/**
 * Bollinger(period, k) via trading-signals (population σ, which is the reference convention; it matches
 * exactly). O(period) per bar, independent of history.
 */
export function bollingerMoon(period = 20, k = 2): Moon<BollingerReading> {
  const bands = new BollingerBands(period, k);
  return {
    name: 'bollinger',
    empty: EMPTY,
    update({ bar }: MoonInput): BollingerReading {
      const b = bands.add(bar.close);
      if (b === null) return EMPTY;
      const span = b.upper - b.lower;
      const sd = span / (2 * k);
      return {
        sma: b.middle,
        upper: b.upper,
        lower: b.lower,
        percentB: span === 0 ? null : (bar.close - b.lower) / span,
        zScore: sd === 0 ? null : (bar.close - b.middle) / sd,
        width: b.middle === 0 ? null : span / b.middle,
      };
    },
  };
}

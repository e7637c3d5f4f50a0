import { RSI } from 'trading-signals';
import type { Moon, MoonInput } from './moon.ts';

/** RSI in [0, 100] (Wilder smoothing seeded with the mean of the first `period` changes). */
export interface RsiReading {
  rsi: number | null;
}

/**
 * Relative strength index of the closes, via trading-signals (its RSI matches the reference values to
 * 3e-14). First value after `period + 1` bars. O(period) per bar, independent of history.
 */
export function rsiMoon(period = 14): Moon<RsiReading> {
  const rsi = new RSI(period);
  return {
    name: 'rsi',
    empty: { rsi: null },
    update({ bar }: MoonInput): RsiReading {
      return { rsi: rsi.add(bar.close) };
    },
  };
}

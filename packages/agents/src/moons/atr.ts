import type { Moon, MoonInput } from './moon.ts';

/** True range and its Wilder average (price units); `atrp` is ATR as a percentage of the close. */
export interface AtrReading {
  tr: number | null;
  atr: number | null;
  atrp: number | null;
}

/**
 * ATR(period) in the reference convention: no true range on the first bar (no previous close), the
 * first ATR on bar `period` as the mean of the true ranges of bars 1..period, then Wilder smoothing.
 * trading-signals counts the first bar's high − low and seeds differently (max diff 0.035), so the
 * recurrence is written here. O(1) per bar.
 */
export function atrMoon(period = 14): Moon<AtrReading> {
  let prevClose: number | null = null;
  let count = 0;
  let sum = 0;
  let atr: number | null = null;
  return {
    name: 'atr',
    empty: { tr: null, atr: null, atrp: null },
    update({ bar }: MoonInput): AtrReading {
      if (prevClose === null) {
        prevClose = bar.close;
        return { tr: null, atr: null, atrp: null };
      }
      const tr = Math.max(bar.high - bar.low, Math.abs(bar.high - prevClose), Math.abs(bar.low - prevClose));
      prevClose = bar.close;
      if (atr === null) {
        count += 1;
        sum += tr;
        if (count === period) atr = sum / period;
      } else {
        atr = (atr * (period - 1) + tr) / period;
      }
      return { tr, atr, atrp: atr === null ? null : (atr / bar.close) * 100 };
    },
  };
}

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
  /** The bar applied to the running state, as a new state (nothing is assigned here). */
  const step = (bar: MoonInput['bar']) => {
    if (prevClose === null) {
      const reading = { tr: null, atr: null, atrp: null };
      return { reading, state: { prevClose: bar.close, count, sum, atr } };
    }
    const tr = Math.max(bar.high - bar.low, Math.abs(bar.high - prevClose), Math.abs(bar.low - prevClose));
    let c = count;
    let s = sum;
    let a = atr;
    if (a === null) {
      c += 1;
      s += tr;
      if (c === period) a = s / period;
    } else {
      a = (a * (period - 1) + tr) / period;
    }
    const reading = { tr, atr: a, atrp: a === null ? null : (a / bar.close) * 100 };
    return { reading, state: { prevClose: bar.close, count: c, sum: s, atr: a } };
  };
  return {
    name: 'atr',
    empty: { tr: null, atr: null, atrp: null },
    update({ bar }: MoonInput): AtrReading {
      const next = step(bar);
      ({ prevClose, count, sum, atr } = next.state);
      return next.reading;
    },
    peek: ({ bar }: MoonInput): AtrReading => step(bar).reading,
  };
}

import { Ema } from './ema.ts';
import type { Moon, MoonInput } from './moon.ts';

/** MACD line, its signal line and their difference, with the two EMAs behind them (price units). */
export interface MacdReading {
  macd: number | null;
  signal: number | null;
  histogram: number | null;
  fastEma: number | null;
  slowEma: number | null;
}

/**
 * MACD(fast, slow, signal) built from SMA-seeded EMAs (the reference convention: the MACD line from bar
 * `slow - 1`, the signal from bar `slow + signal - 2`). trading-signals' MACD seeds its EMAs with the
 * first price and differs by up to 0.16 on the reference series, hence {@link Ema}. O(1) per bar.
 */
export function macdMoon(fast = 12, slow = 26, signal = 9): Moon<MacdReading> {
  const fastEma = new Ema(fast);
  const slowEma = new Ema(slow);
  const signalEma = new Ema(signal);
  return {
    name: 'macd',
    empty: { macd: null, signal: null, histogram: null, fastEma: null, slowEma: null },
    update({ bar }: MoonInput): MacdReading {
      const f = fastEma.update(bar.close);
      const s = slowEma.update(bar.close);
      if (f === null || s === null)
        return { macd: null, signal: null, histogram: null, fastEma: f, slowEma: s };
      const macd = f - s;
      const sig = signalEma.update(macd);
      return { macd, signal: sig, histogram: sig === null ? null : macd - sig, fastEma: f, slowEma: s };
    },
  };
}

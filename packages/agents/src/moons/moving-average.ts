import { SMA } from 'trading-signals';
import { Ema } from './ema.ts';
import type { Moon, MoonInput } from './moon.ts';

/** A fast EMA and a slow SMA of the close (price units), and the SMA of volume. */
export interface MovingAverageReading {
  emaFast: number | null;
  smaSlow: number | null;
  volumeSma: number | null;
}

/**
 * Trend averages: EMA(`fast`) (SMA-seeded, see {@link Ema}) and SMA(`slow`) of the close, via
 * trading-signals' SMA; SMA(`volumeWindow`) of the volume. O(window) per bar, independent of history.
 */
export function movingAverageMoon(fast = 20, slow = 50, volumeWindow = 20): Moon<MovingAverageReading> {
  const ema = new Ema(fast);
  const sma = new SMA(slow);
  const vol = new SMA(volumeWindow);
  return {
    name: 'ma',
    empty: { emaFast: null, smaSlow: null, volumeSma: null },
    update({ bar }: MoonInput): MovingAverageReading {
      return { emaFast: ema.update(bar.close), smaSlow: sma.add(bar.close), volumeSma: vol.add(bar.volume) };
    },
  };
}

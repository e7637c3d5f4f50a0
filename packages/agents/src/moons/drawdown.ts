import type { Moon, MoonInput } from './moon.ts';

/** Decline of the close from its running peak. */
export interface DrawdownReading {
  peak: number | null;
  /** 1 − close / peak, in [0, 1). */
  drawdown: number | null;
  /** The largest drawdown seen so far. */
  maxDrawdown: number | null;
}

/** Running peak and drawdown of the close. O(1) per bar. */
export function drawdownMoon(): Moon<DrawdownReading> {
  let peak = 0;
  let maxDrawdown = 0;
  return {
    name: 'drawdown',
    empty: { peak: null, drawdown: null, maxDrawdown: null },
    update({ bar }: MoonInput): DrawdownReading {
      if (bar.close > peak) peak = bar.close;
      const drawdown = 1 - bar.close / peak;
      if (drawdown > maxDrawdown) maxDrawdown = drawdown;
      return { peak, drawdown, maxDrawdown };
    },
  };
}

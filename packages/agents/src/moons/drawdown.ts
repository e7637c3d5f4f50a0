import type { Moon, MoonInput } from './moon.ts';

/** Decline of the close from its peak over the last `window` bars. */
export interface DrawdownReading {
  /** The highest close of the last `window` bars (this one included). */
  peak: number | null;
  /** 1 − close / peak, in [0, 1). */
  drawdown: number | null;
  /** The largest such drawdown seen so far. */
  maxDrawdown: number | null;
}

/**
 * Drawdown against a rolling peak (default about a year of daily bars), so a market that fell years ago
 * and has traded sideways since is not still "20 % down". A monotonic queue keeps the window's maximum:
 * amortised O(1) per bar.
 */
export function drawdownMoon(window = 252): Moon<DrawdownReading> {
  if (!(window >= 1)) throw new RangeError('drawdownMoon: window must be >= 1');
  const idx: number[] = [];
  const val: number[] = [];
  let head = 0;
  let n = 0;
  let maxDrawdown = 0;
  return {
    name: 'drawdown',
    empty: { peak: null, drawdown: null, maxDrawdown: null },
    update({ bar }: MoonInput): DrawdownReading {
      const c = bar.close;
      while (val.length > head && val[val.length - 1]! <= c) {
        val.pop();
        idx.pop();
      }
      val.push(c);
      idx.push(n);
      while (idx[head]! <= n - window) head++;
      if (head > 1024) {
        val.splice(0, head);
        idx.splice(0, head);
        head = 0;
      }
      n++;
      const peak = val[head]!;
      const drawdown = peak > 0 ? 1 - c / peak : 0;
      if (drawdown > maxDrawdown) maxDrawdown = drawdown;
      return { peak, drawdown, maxDrawdown };
    },
  };
}

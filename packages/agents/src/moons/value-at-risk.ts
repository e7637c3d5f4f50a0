import type { Moon, MoonInput } from './moon.ts';
import { Ring } from './ring.ts';

/** Historical value at risk of holding one bar. */
export interface VarReading {
  /** The loss (a positive fraction of position value) exceeded on only (1 − confidence) of past bars. */
  var: number | null;
  /** The confidence level, e.g. 0.95. */
  confidence: number;
  /** How many returns the estimate rests on. */
  samples: number;
}

/**
 * Historical VaR of one-bar simple returns over the last `window` bars (no distribution assumed): the
 * empirical (1 − confidence) quantile, reported as a positive loss. Keeps the window sorted, so an
 * update is one binary search plus a move of at most `window` numbers: bounded, independent of history.
 * Null until `minSamples` returns.
 */
export function valueAtRiskMoon(window = 250, confidence = 0.95, minSamples = 20): Moon<VarReading> {
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError('valueAtRiskMoon: confidence must be in (0, 1)');
  const fifo = new Ring(window);
  const sorted: number[] = [];
  let prevClose: number | null = null;
  const empty: VarReading = { var: null, confidence, samples: 0 };
  return {
    name: 'var',
    empty,
    update({ bar }: MoonInput): VarReading {
      if (prevClose === null) {
        prevClose = bar.close;
        return empty;
      }
      const r = bar.close / prevClose - 1;
      prevClose = bar.close;
      const old = fifo.push(r);
      if (old !== undefined) sorted.splice(lowerBound(sorted, old), 1);
      sorted.splice(lowerBound(sorted, r), 0, r);
      const n = sorted.length;
      if (n < minSamples) return { var: null, confidence, samples: n };
      // the epsilon keeps (1 − 0.95) · 20 = 1.0000000000000009 from rounding up to 2
      const k = Math.max(0, Math.ceil((1 - confidence) * n - 1e-9) - 1);
      return { var: Math.max(0, -(sorted[k] as number)), confidence, samples: n };
    },
  };
}

function lowerBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((a[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

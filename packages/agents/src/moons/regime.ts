import type { Moon, MoonInput } from './moon.ts';
import { Ring } from './ring.ts';
import type { VolatilityReading } from './volatility.ts';

/** Direction of the market over the regime window. */
export type TrendRegime = 'up' | 'down' | 'range';
/** Volatility against its own long-run level. */
export type VolatilityLevel = 'low' | 'normal' | 'high';

/** The regime classification. */
export interface RegimeReading {
  trend: TrendRegime | null;
  volatility: VolatilityLevel | null;
  /** Kaufman's efficiency ratio |net change| / Σ|changes| over the window, in [0, 1]. */
  efficiency: number | null;
}

/** Where the regime classifier draws its lines. */
export interface RegimeOptions {
  /** Bars in the efficiency window (default 20). */
  window?: number;
  /** Efficiency at or above which the market trends (default 0.3). */
  trendEfficiency?: number;
  /** volatility.ratio below which volatility is low (default 0.75). */
  lowVolRatio?: number;
  /** volatility.ratio above which volatility is high (default 1.5). */
  highVolRatio?: number;
}

/**
 * Classifies trend vs range by the efficiency ratio (a straight move scores 1, a random walk near 0) and
 * the volatility level by the `volatility` moon's ratio to its long-run level (so it must update after
 * that moon). O(1) per bar.
 */
export function regimeMoon(opts: RegimeOptions = {}): Moon<RegimeReading> {
  const window = opts.window ?? 20;
  const trendEfficiency = opts.trendEfficiency ?? 0.3;
  const low = opts.lowVolRatio ?? 0.75;
  const high = opts.highVolRatio ?? 1.5;
  const closes = new Ring(window + 1);
  const moves = new Ring(window);
  let path = 0;
  return {
    name: 'regime',
    empty: { trend: null, volatility: null, efficiency: null },
    update({ bar, readings }: MoonInput): RegimeReading {
      if (closes.size > 0) {
        const move = Math.abs(bar.close - closes.at(closes.size - 1));
        const old = moves.push(move);
        path += move - (old ?? 0);
      }
      closes.push(bar.close);
      const ratio = (readings.volatility as VolatilityReading | undefined)?.ratio ?? null;
      const volatility: VolatilityLevel | null =
        ratio === null ? null : ratio < low ? 'low' : ratio > high ? 'high' : 'normal';
      if (!closes.full) return { trend: null, volatility, efficiency: null };
      const net = bar.close - closes.at(0);
      const efficiency = path > 0 ? Math.min(1, Math.abs(net) / path) : 0;
      const trend: TrendRegime = efficiency >= trendEfficiency ? (net > 0 ? 'up' : 'down') : 'range';
      return { trend, volatility, efficiency };
    },
  };
}

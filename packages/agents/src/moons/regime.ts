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
  /**
   * How far back past a line a reading must go to leave a regime (default 0.1 of efficiency, and
   * 0.15 of volatility ratio), so a reading hovering at a line does not flip the regime every bar.
   */
  hysteresis?: { efficiency?: number; volRatio?: number };
}

/**
 * Classifies trend vs range by the efficiency ratio (a straight move scores 1, a random walk near 0) and
 * the volatility level by the `volatility` moon's ratio to its long-run level (so it must update after
 * that moon). Both have hysteresis: entering a regime takes crossing its line, leaving it takes going
 * back past the line by the hysteresis margin. O(1) per bar.
 */
export function regimeMoon(opts: RegimeOptions = {}): Moon<RegimeReading> {
  const window = opts.window ?? 20;
  const trendEfficiency = opts.trendEfficiency ?? 0.3;
  const low = opts.lowVolRatio ?? 0.75;
  const high = opts.highVolRatio ?? 1.5;
  const hEff = opts.hysteresis?.efficiency ?? 0.1;
  const hVol = opts.hysteresis?.volRatio ?? 0.15;
  let lastTrend: TrendRegime | null = null;
  let lastVol: VolatilityLevel | null = null;
  const closes = new Ring(window + 1);
  const moves = new Ring(window);
  let path = 0;
  const volLevel = (ratio: number, prev: VolatilityLevel | null): VolatilityLevel => {
    if (ratio > (prev === 'high' ? high - hVol : high)) return 'high';
    if (ratio < (prev === 'low' ? low + hVol : low)) return 'low';
    return 'normal';
  };
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
      lastVol = ratio === null ? null : volLevel(ratio, lastVol);
      if (!closes.full) return { trend: null, volatility: lastVol, efficiency: null };
      const net = bar.close - closes.at(0);
      const efficiency = path > 0 ? Math.min(1, Math.abs(net) / path) : 0;
      const line = lastTrend === 'up' || lastTrend === 'down' ? trendEfficiency - hEff : trendEfficiency;
      lastTrend = efficiency >= line && net !== 0 ? (net > 0 ? 'up' : 'down') : 'range';
      return { trend: lastTrend, volatility: lastVol, efficiency };
    },
  };
}
